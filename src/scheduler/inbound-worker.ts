/** Inbound updates: queued by the channels before they acknowledge, handled by the tutor, replies queued for sending. */
import { DelayedError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { ChatPacing } from './pacing.js';
import type { Tutor } from '../core/tutor.js';
import type { InboundEvent, OutboundMessage } from '../core/messages.js';
import type { Ingress } from '../channels/types.js';
import { jobId, type InboundJob, type InboundJobName } from './jobs.js';
import type { Queues } from './queues.js';
import type { Metrics } from '../metrics.js';
import type { UnpromptedGate } from './unprompted.js';
import type { Outbox } from './outbox.js';
import { replyJobs } from './reply-jobs.js';

/**
 * The order of each chat's updates (pacing.ts, no gap): several updates of one learner may be
 * queued at once (a fast typist, a pasted script), and with several jobs in flight per worker,
 * or several workers, they must still be handled in the order they came.
 */
export function inboundOrder(queues: Queues, redis: Redis): ChatPacing {
  return new ChatPacing(redis, queues.settings.prefix, 0, 'inbound');
}

/** What channels hand their events to: one job per update, its id from the update (a redelivery is the same job), in its chat's order. */
export function inboundIngress(queues: Queues, order: ChatPacing): Ingress {
  return async (event: InboundEvent) => {
    const id = jobId('in', event.channel, event.updateId);
    await order.enlist([{ conversation: event.conversation, jobId: id }]);
    await queues.inbound.add('handle', { event: { ...event, at: event.at.toISOString() } }, { jobId: id });
  };
}

/** How soon a job that is not its chat's next asks again. */
const ORDER_RETRY_MS = 25;

export interface InboundWorkerOptions {
  queues: Queues;
  tutor: Tutor;
  metrics: Metrics;
  /** Replies keep their place in the chat's order (pacing.ts). */
  outbox: Outbox;
  /** Messages held for a conversation go out in front of its next reply. */
  held: Pick<UnpromptedGate, 'held' | 'release'>;
  /** Each chat's updates in the order they came (inboundOrder). */
  order: ChatPacing;
  /** Admin chat commands (src/admin/chat-dispatch.ts): a reply from them replaces the tutor's; null leaves the update to the tutor. */
  admin?: { handle(event: InboundEvent): Promise<OutboundMessage[] | null> };
  /** @defaultValue 1 */
  concurrency?: number;
  /** Takes an update before the tutor (a broadcast's acknowledgement): its reply, or null to let the tutor have it. */
  intercept?: (event: InboundEvent) => Promise<OutboundMessage[] | null>;
}

export function createInboundWorker(o: InboundWorkerOptions): Worker<InboundJob, void, InboundJobName> {
  return new Worker<InboundJob, void, InboundJobName>(
    'inbound',
    async (job: Job<InboundJob>, token?: string) => {
      const started = performance.now();
      const event: InboundEvent = { ...job.data.event, at: new Date(job.data.event.at) };
      if ((await o.order.gate(event.conversation, job.id!, 'inbound')) > 0) {
        await job.moveToDelayed(Date.now() + ORDER_RETRY_MS, token);
        throw new DelayedError();
      }
      let messages;
      let admin: OutboundMessage[] | null = null;
      try {
        const taken = await o.intercept?.(event);
        if (taken) {
          await o.outbox.add(replyJobs(event.conversation, event.channel, event.updateId, taken));
          await o.order.release(event.conversation, job.id!);
          return;
        }
        admin = (await o.admin?.handle(event)) ?? null;
        messages = admin ?? (await o.tutor.handle(event));
      } catch (err) {
        // The chat's later updates wait while this one is retried; after its last attempt they go on.
        if (job.attemptsMade + 1 >= (job.opts.attempts ?? 1)) await o.order.release(event.conversation, job.id!);
        throw err;
      }
      if (messages.length > 0) {
        const waiting = await o.held.held(event.conversation);
        await o.outbox.add(replyJobs(event.conversation, event.channel, event.updateId, [...waiting.messages, ...messages]));
        // Released only once queued: a crash in between repeats them rather than losing them.
        await o.held.release(event.conversation, waiting.ids);
      }
      if (!admin) await o.tutor.delivered(event);
      await o.order.release(event.conversation, job.id!);
      o.metrics.updatesHandled.inc({ channel: event.channel });
      o.metrics.answerLatency.observe({ channel: event.channel }, (performance.now() - started) / 1000);
    },
    {
      connection: o.queues.settings.connection,
      prefix: o.queues.settings.prefix,
      concurrency: o.concurrency ?? 1,
      // A job of a worker that died is taken again by a stalled check every 5 s once its lock expires (30 s,
      // BullMQ's default, kept: the learner's lease of a dead holder also lasts 30 s, and waiting on it would hold up every update).
      stalledInterval: 5_000,
      // BullMQ fails a job that stalls twice (default 1): a 200-acknowledged update would get no reply. Handling it again is safe.
      maxStalledCount: 10,
    },
  );
}
