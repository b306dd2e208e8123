/** What every channel adapter offers the application. */
import type { InboundEvent, OutboundMessage } from '../core/messages.js';
import type { ChannelName } from '../core/model.js';

export type Ingress = (event: InboundEvent) => Promise<void>;

/** What a webhook body turned out to be: taken in (queued, or dropped on purpose), or not this platform's update at all. */
export type WebhookOutcome = 'accepted' | 'not_an_update';

/**
 * The route a platform posts updates to. The channel defines it; the composition root registers
 * every adapter's webhook with the one HTTP function (src/http/webhook.ts).
 */
export interface ChannelWebhook {
  /** e.g. `/webhooks/telegram`. */
  readonly path: string;
  /** Lower-case name of the header that carries the secret. */
  readonly secretHeader: string;
  readonly secret: string;
  /** One body that is a JSON object; resolves once it is safe to acknowledge, rejects when it was not queued. */
  receive(body: Record<string, unknown>): Promise<WebhookOutcome>;
}

export interface ChannelAdapter {
  readonly name: ChannelName;
  /** Present when updates come by webhook (and this process takes them in). */
  readonly webhook?: ChannelWebhook;
  /** Starts receiving (polling, stdin, …, or registering the webhook with the platform). */
  start(ingress: Ingress): Promise<void>;
  /** Sends the messages in order to one address; throws SendError on failure. */
  send(address: string, messages: OutboundMessage[]): Promise<void>;
  stop(): Promise<void>;
}
