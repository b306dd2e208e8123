/** Queue names, job names and one payload type per job: plain JSON, never documents. */
import type { InboundEvent, OutboundMessage } from '../core/messages.js';
import type { ChannelName, ConversationId } from '../core/model.js';
import type { PushKind } from '../core/schedule.js';

export type QueueName = 'inbound' | 'plan' | `send-${ChannelName}`;

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
  /** A scheduled push: `messages` is empty and the core composes them just before sending. */
  push?: ScheduledPush;
}

/** What a scheduled push is about; `key` names its record in scheduled_sends (one send per key, ever). */
export interface ScheduledPush {
  kind: PushKind;
  key: string;
  learnerId: string;
  cohortId: string;
  /** Nudges: the last activity (ISO instant) that opened the gap. */
  gapStart?: string;
}

/** The planning sweeps, each run by a BullMQ job scheduler on the `plan` queue. */
export type SweepName = 'reminders' | 'lessons' | 'nudges';
export const SWEEPS: readonly SweepName[] = ['reminders', 'lessons', 'nudges'];

export type JobNames = { inbound: 'handle'; send: 'send'; plan: SweepName };

/** BullMQ job ids may not contain ':'; conversation ids do. */
export function jobId(...parts: (string | number)[]): string {
  return parts.map((p) => String(p).replace(/:/g, '.')).join('-');
}
