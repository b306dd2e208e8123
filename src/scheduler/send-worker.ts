/**
 * Sends queued messages through a channel adapter and maps the shared send errors onto
 * BullMQ in one place: rate-limited → pause the queue and send the same job again first;
 * blocked → mark unreachable, no retry (the learner's other queued jobs are dropped when
 * reached); rejected → fail without retry; network → retry with back-off, then the failed
 * set (the dead letters operators see with `npm run cli -- queue failed`).
 */
import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { ChannelAdapter } from '../channels/types.js';
import { SendError } from '../channels/shared/errors.js';
import type { ConversationId } from '../core/model.js';
import { sendQueueName, type SendJob } from './jobs.js';
import { SEND_JOB_OPTIONS, type Queues } from './queues.js';
import type { Metrics } from '../metrics.js';
import type { ChatPacing } from './pacing.js';
import type { PushDelivery } from './push-delivery.js';

/** Telegram has asked for absurd pauses (hours); we cap and let the job retry. */
const MAX_PAUSE_MS = 10 * 60 * 1000;

export interface SendWorkerOptions {
  /** Messages per second across the channel; undefined = unlimited. */
  ratePerSec?: number;
  concurrency?: number;
  onBlocked(conversation: ConversationId): Promise<void>;
  isUnreachable(conversation: ConversationId): Promise<boolean>;
  /** About one message a second per chat; undefined = no pacing. */
  pacing?: ChatPacing;
  /** Composes and records scheduled pushes; jobs with `push` fail without it. */
  pushes?: PushDelivery;
}

/** The delay BullMQ will apply before attempt `attempt + 1`, as SEND_JOB_OPTIONS configures it. */
function backoffMs(attemptsMade: number): number {
  const b = SEND_JOB_OPTIONS.backoff as { delay: number };
  return b.delay * 2 ** Math.max(0, attemptsMade - 1);
}

export function createSendWorker(queues: Queues, adapter: ChannelAdapter, metrics: Metrics, opts: SendWorkerOptions): Worker<SendJob> {
  const channel = adapter.name;
  const worker: Worker<SendJob> = new Worker<SendJob>(
    sendQueueName(channel),
    async (job: Job<SendJob>, token?: string) => {
      const { conversation } = job.data;
      if (await opts.isUnreachable(conversation)) {
        metrics.messagesDropped.inc({ channel, reason: 'unreachable' });
        return 'dropped: unreachable';
      }
      let slot = job.data.slot;
      if (opts.pacing && slot === undefined) {
        slot = await opts.pacing.reserve(conversation, Date.now());
        await job.updateData({ ...job.data, slot });
      }
      if (slot !== undefined && slot > Date.now()) {
        metrics.messagesThrottled.inc({ channel, by: 'chat' });
        await job.moveToDelayed(slot, token);
        throw new DelayedError();
      }

      let messages = job.data.messages;
      if (job.data.push) {
        if (!opts.pushes) throw new UnrecoverableError('this worker cannot compose scheduled pushes');
        const prepared = await opts.pushes.prepare(job);
        if (!Array.isArray(prepared)) {
          metrics.messagesDropped.inc({ channel, reason: prepared.skipped });
          return `skipped: ${prepared.skipped}`;
        }
        messages = prepared;
      }

      const address = conversation.slice(conversation.indexOf(':') + 1);
      try {
        await adapter.send(address, messages);
      } catch (err) {
        if (!(err instanceof SendError)) throw err;
        metrics.messagesFailed.inc({ channel, kind: err.kind });
        switch (err.kind) {
          case 'rate_limited':
            // The whole channel waits; this job goes back to the head of the queue, attempts untouched.
            metrics.messagesThrottled.inc({ channel, by: 'platform' });
            await queues.send[channel].rateLimit(Math.min(err.retryAfterMs ?? 1_000, MAX_PAUSE_MS));
            throw Worker.RateLimitError();
          case 'blocked':
            await opts.onBlocked(conversation);
            throw new UnrecoverableError(`blocked: ${err.message}`);
          case 'rejected':
            throw new UnrecoverableError(`rejected: ${err.message}`);
          default:
            // Keep this chat's later messages behind the retry, so order holds.
            if (opts.pacing) await opts.pacing.reserve(conversation, Date.now(), Date.now() + backoffMs(job.attemptsMade + 1));
            throw err;
        }
      }
      metrics.messagesSent.inc({ channel }, messages.length);
      if (job.data.push) await opts.pushes!.sent(job);
      return 'sent';
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
