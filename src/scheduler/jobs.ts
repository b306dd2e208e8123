/** Queue names, job names and one payload type per job: plain JSON, never documents. */
import type { InboundEvent, OutboundMessage } from '../core/messages.js';
import type { ChannelName, ConversationId } from '../core/model.js';

export type QueueName = 'inbound' | `send-${ChannelName}`;

export const sendQueueName = (channel: ChannelName): QueueName => `send-${channel}`;

/** An update from a channel, queued before it is acknowledged so that a crash loses nothing. */
export interface InboundJob {
  event: Omit<InboundEvent, 'at'> & { at: string };
}

/** Messages to one conversation, sent in order. */
export interface SendJob {
  conversation: ConversationId;
  messages: OutboundMessage[];
  /** Why it is sent, for metrics and the dead-letter view. */
  reason: 'reply' | 'lesson' | 'reminder' | 'nudge' | 'broadcast';
}

export type JobNames = { inbound: 'handle'; send: 'send' };

/** BullMQ job ids may not contain ':'; conversation ids do. */
export function jobId(...parts: (string | number)[]): string {
  return parts.map((p) => String(p).replace(/:/g, '.')).join('-');
}
