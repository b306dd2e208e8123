/**
 * Sends queued messages through a channel adapter and maps the shared send errors onto
 * BullMQ in one place: rate-limited → pause the queue and send the same job again first
 * (or, for an unprompted message on a channel with a budget, reroute or hold it);
 * blocked → mark unreachable, no retry (the learner's later unprompted jobs are dropped when
 * reached); rejected → fail without retry; network → retry with back-off, then the failed
 * set (the dead letters operators see with `npm run cli -- queue failed`).
 */
import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { ChannelAdapter } from '../channels/types.js';
import { SendError } from '../channels/shared/errors.js';
import type { ConversationId } from '../core/model.js';
import { sendQueueName, type SendJob } from './jobs.js';
import type { Queues } from './queues.js';
import type { Metrics } from '../metrics.js';
import type { ChatPacing } from './pacing.js';
import type { PushDelivery } from './push-delivery.js';
import type { UnpromptedPolicy } from './unprompted.js';
import type { BlockedLog } from './blocked-log.js';

/** Telegram has asked for absurd pauses (hours); we cap and let the job retry. */
const MAX_PAUSE_MS = 10 * 60 * 1000;

export interface SendWorkerOptions {
  /** Messages per second across the channel; undefined = unlimited. */
  ratePerSec?: number;
  concurrency?: number;
  onBlocked(conversation: ConversationId): Promise<void>;
  isUnreachable(conversation: ConversationId): Promise<boolean>;
  /** Order and about one message a second per chat (pacing.ts); undefined = neither. */
  pacing?: ChatPacing;
  /** Composes and records scheduled pushes; jobs with `push` fail without it. */
  pushes?: PushDelivery;
  /** The channel's budget of unprompted messages; none = no budget. */
  unprompted?: UnpromptedPolicy;
  /** When conversations were found blocked; without it, nothing is sent to an unreachable conversation. */
  blocked?: BlockedLog;
}

export function createSendWorker(queues: Queues, adapter: ChannelAdapter, metrics: Metrics, opts: SendWorkerOptions): Worker<SendJob> {
  const channel = adapter.name;
  const worker: Worker<SendJob> = new Worker<SendJob>(
    sendQueueName(channel),
    async (job: Job<SendJob>, token?: string) => {
      const { conversation } = job.data;
      const done = async () => opts.pacing?.release(conversation, job.id!);
      const prompted = job.data.reason === 'reply';
      if (await opts.isUnreachable(conversation)) {
        // Everything queued before the platform said "blocked" is dropped; a reply to a message
        // the learner wrote after that goes out: they are reachable, whatever the earlier answer said.
        const blockedAt = (await opts.blocked?.since(conversation)) ?? Infinity;
        if (!prompted || job.timestamp <= blockedAt) {
          metrics.messagesDropped.inc({ channel, reason: 'unreachable' });
          await done();
          return 'dropped: unreachable';
        }
      }
      if (opts.pacing) {
        const retryAt = await opts.pacing.gate(conversation, job.id!, sendQueueName(channel));
        if (retryAt > 0) {
          metrics.messagesThrottled.inc({ channel, by: 'chat' });
          await job.moveToDelayed(retryAt, token);
          throw new DelayedError();
        }
      }

      // A push is composed once, just before its first send; retries resend what was composed.
      let messages = job.data.messages;
      if (job.data.push && messages.length === 0) {
        if (!opts.pushes) throw new UnrecoverableError('this worker cannot compose scheduled pushes');
        const prepared = await opts.pushes.prepare(job);
        if (!Array.isArray(prepared)) {
          metrics.messagesDropped.inc({ channel, reason: prepared.skipped });
          await done();
          return `skipped: ${prepared.skipped}`;
        }
        messages = prepared;
        await job.updateData({ ...job.data, messages });
      }
      const finished = async (outcome: string) => {
        if (job.data.push) await opts.pushes!.sent(job);
        await done();
        return outcome;
      };

      const budget = prompted ? undefined : opts.unprompted;
      const composed: SendJob = { conversation, messages, reason: job.data.reason };
      if (budget && !(await budget.admit(job.id!, composed))) return finished(`over budget: ${await budget.divert(job.id!, composed)}`);

      const address = conversation.slice(conversation.indexOf(':') + 1);
      try {
        // One message at a time, remembering how far we got: a retry after a 429 or a network
        // failure resumes there instead of sending the earlier messages twice.
        for (let i = typeof job.progress === 'number' ? job.progress : 0; i < messages.length; i++) {
          await adapter.send(address, [messages[i]!]);
          await job.updateProgress(i + 1);
          metrics.messagesSent.inc({ channel });
        }
      } catch (err) {
        if (!(err instanceof SendError)) throw err;
        metrics.messagesFailed.inc({ channel, kind: err.kind });
        // Zalo answers 429 "quota exceeded" to unprompted messages: divert rather than pause everyone.
        if (err.kind === 'rate_limited' && budget) return finished(`refused: ${await budget.divert(job.id!, composed)}`);
        switch (err.kind) {
          case 'rate_limited':
            // The whole channel waits; this job goes back to the head of the queue, attempts untouched.
            metrics.messagesThrottled.inc({ channel, by: 'platform' });
            await queues.send[channel].rateLimit(Math.min(err.retryAfterMs ?? 1_000, MAX_PAUSE_MS));
            throw Worker.RateLimitError();
          case 'blocked':
            await opts.blocked?.mark(conversation);
            await opts.onBlocked(conversation);
            await done();
            throw new UnrecoverableError(`blocked: ${err.message}`);
          case 'rejected':
            await done();
            throw new UnrecoverableError(`rejected: ${err.message}`);
          default:
            // The chat's later messages wait behind this one while it retries; after the last attempt they go on.
            if (job.attemptsMade + 1 >= (job.opts.attempts ?? 1)) await done();
            throw err;
        }
      }
      return finished('sent');
    },
    {
      connection: queues.settings.connection,
      prefix: queues.settings.prefix,
      concurrency: opts.concurrency ?? 1,
      ...(opts.ratePerSec ? { limiter: { max: Math.max(1, Math.floor(opts.ratePerSec)), duration: 1000 } } : {}),
    },
  );
  return worker;
}
