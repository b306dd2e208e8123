/** What every channel adapter offers the application. */
import type { InboundEvent, OutboundMessage } from '../core/messages.js';
import type { ChannelName } from '../core/model.js';

export type Ingress = (event: InboundEvent) => Promise<void>;

export interface ChannelAdapter {
  readonly name: ChannelName;
  /** Starts receiving (polling, stdin, …); webhook adapters register their routes instead. */
  start(ingress: Ingress): Promise<void>;
  /** Sends the messages in order to one address; throws SendError on failure. */
  send(address: string, messages: OutboundMessage[]): Promise<void>;
  stop(): Promise<void>;
}
