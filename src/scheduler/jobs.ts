/** Queue names, job names and one payload type per job: plain JSON ids and texts, never documents. */
import type { InboundEvent, OutboundMessage } from '../core/messages.js';
import type { ChannelName, ConversationId } from '../core/model.js';
import type { PushKind } from '../core/schedule.js';
import type { Locale } from '../core/course.js';

export type QueueName = 'inbound' | 'plan' | `send-${ChannelName}`;

export const sendQueueName = (channel: ChannelName): QueueName => `send-${channel}`;

/** An update from a channel, queued before it is acknowledged so that a crash loses nothing. */
export interface InboundJob {
  event: Omit<InboundEvent, 'at'> & { at: string };
}
export type InboundJobName = 'handle';

/** The tutor's answer to what the learner wrote: prompted, so no unprompted budget applies. */
export interface ReplyJob {
  kind: 'reply';
  conversation: ConversationId;
  messages: OutboundMessage[];
}

/**
 * A scheduled push (daily lesson, reminder, nudge): the core composes it just before its first
 * send, so it reflects where the learner is then; retries resend what was composed.
 */
export interface PushJob {
  kind: 'push';
  conversation: ConversationId;
  push: ScheduledPush;
  /** Set at the first send (or by whoever queued it already composed); retries resend it. */
  composed?: OutboundMessage[];
  /** Sent here because the learner's other channel refused it: never diverted again. */
  rerouted?: boolean;
}

/**
 * A document in answer to the learner (their certificate): its file is found (rendered from the
 * stored record if need be) when it is sent, so a retry after a failed render or send sends the same.
 */
export interface DocumentJob {
  kind: 'document';
  conversation: ConversationId;
  /** The core's message: the caption and the document it names (no file yet). */
  message: OutboundMessage;
}

/** What a send queue carries; the job name is its `kind`. Broadcasts join this union. */
export type SendJob = ReplyJob | PushJob | DocumentJob;
export type SendJobName = SendJob['kind'];

/** What a scheduled push is about; `key` names its record in scheduled_sends (one send per key, ever). */
export interface ScheduledPush {
  kind: PushKind | 'broadcast';
  key: string;
  learnerId: string;
  cohortId: string;
  /** Nudges: the last activity (ISO instant) that opened the gap. */
  gapStart?: string;
  /** Broadcasts: which one, and the recipient's locale and province (src/broadcasts/). */
  broadcast?: { id: string; locale: Locale; province: string; reminder?: boolean };
}

/** Why a message goes out, for metrics, held messages and the dead-letter view. */
export type SendReason = 'reply' | 'document' | PushKind | 'broadcast';

export function reasonOf(job: SendJob): SendReason {
  if (job.kind === 'push') return job.push.kind;
  return job.kind;
}

/** The planning sweeps, each run by a BullMQ job scheduler on the `plan` queue; the job name is the sweep. */
export type SweepName = 'reminders' | 'lessons' | 'nudges';
export const SWEEPS: readonly SweepName[] = ['reminders', 'lessons', 'nudges'];

/** Sweeps carry no data: they read the clock and MongoDB when they run. */
export type PlanJob = Record<string, never>;
/** The sweeps, and `prune`: old records removed (src/storage/prune.ts). */
export type PlanJobName = SweepName | 'prune';

/** BullMQ job ids may not contain ':'; conversation ids do. */
export function jobId(...parts: (string | number)[]): string {
  return parts.map((p) => String(p).replace(/:/g, '.')).join('-');
}
