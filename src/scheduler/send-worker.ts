/**
 * Sends queued messages through a channel adapter and maps the shared send errors onto
 * BullMQ in one place: rate-limited → pause the queue; blocked → mark unreachable, no retry;
 * rejected → fail without retry; network → retry with back-off.
 */
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { ChannelAdapter } from '../channels/types.js';
import { SendError } from '../channels/shared/errors.js';
import type { ConversationId } from '../core/model.js';
import { sendQueueName, type SendJob } from './jobs.js';
import type { Queues } from './queues.js';
import type { Metrics } from '../metrics.js';
import type { UnpromptedPolicy } from './unprompted.js';

/** Telegram has asked for absurd pauses (hours); we cap and let the job retry. */
const MAX_PAUSE_MS = 10 * 60 * 1000;

export interface SendWorkerOptions {
  /** Messages per second across the channel; undefined = unlimited. */
  ratePerSec?: number;
  concurrency?: number;
  onBlocked(conversation: ConversationId): Promise<void>;
  isUnreachable(conversation: ConversationId): Promise<boolean>;
  /** The channel's budget of unprompted messages; none = no budget. */
  unprompted?: UnpromptedPolicy;
}

export function createSendWorker(queues: Queues, adapter: ChannelAdapter, metrics: Metrics, opts: SendWorkerOptions): Worker<SendJob> {
  const worker: Worker<SendJob> = new Worker<SendJob>(
    sendQueueName(adapter.name),
    async (job: Job<SendJob>) => {
      const { conversation, messages } = job.data;
      // A learner who just wrote to us is reachable, whatever an earlier answer suggested.
      const prompted = job.data.reason === 'reply';
      if (!prompted && (await opts.isUnreachable(conversation))) return 'skipped: unreachable';
      const budget = prompted ? undefined : opts.unprompted;
      if (budget && !(await budget.admit(job.id!, job.data))) return `over budget: ${await budget.divert(job.id!, job.data)}`;
      const address = conversation.slice(conversation.indexOf(':') + 1);
      try {
        // One message at a time, remembering how far we got: a retry after a 429 or a network
        // failure resumes there instead of sending the earlier messages twice.
        for (let i = typeof job.progress === 'number' ? job.progress : 0; i < messages.length; i++) {
          await adapter.send(address, [messages[i]!]);
          await job.updateProgress(i + 1);
          metrics.messagesSent.inc({ channel: adapter.name });
        }
        return 'sent';
      } catch (err) {
        if (!(err instanceof SendError)) throw err;
        metrics.messagesFailed.inc({ channel: adapter.name, kind: err.kind });
        // Zalo answers 429 "quota exceeded" to unprompted messages: divert rather than pause everyone.
        if (err.kind === 'rate_limited' && budget) return `refused: ${await budget.divert(job.id!, job.data)}`;
        switch (err.kind) {
          case 'rate_limited':
            await worker.rateLimit(Math.min(err.retryAfterMs ?? 1_000, MAX_PAUSE_MS));
            throw Worker.RateLimitError();
          case 'blocked':
            await opts.onBlocked(conversation);
            throw new UnrecoverableError(`blocked: ${err.message}`);
          case 'rejected':
            throw new UnrecoverableError(`rejected: ${err.message}`);
          default:
            throw err;
        }
      }
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
