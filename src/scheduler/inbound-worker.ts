/** Inbound updates: queued by the channels before they acknowledge, handled by the tutor, replies queued for sending. */
import { Worker, type Job } from 'bullmq';
import type { Tutor } from '../core/tutor.js';
import type { InboundEvent } from '../core/messages.js';
import type { Ingress } from '../channels/types.js';
import { jobId, type InboundJob, type InboundJobName } from './jobs.js';
import type { Queues } from './queues.js';
import type { Metrics } from '../metrics.js';
import type { UnpromptedGate } from './unprompted.js';
import type { Outbox } from './outbox.js';

/** What channels hand their events to: one job per update, its id from the update (a redelivery is the same job). */
export function inboundIngress(queues: Queues): Ingress {
  return async (event: InboundEvent) => {
    await queues.inbound.add('handle', { event: { ...event, at: event.at.toISOString() } }, { jobId: jobId('in', event.channel, event.updateId) });
  };
}

export interface InboundWorkerOptions {
  queues: Queues;
  tutor: Tutor;
  metrics: Metrics;
  /** Replies keep their place in the chat's order (pacing.ts). */
  outbox: Outbox;
  /** Messages held for a conversation go out in front of its next reply. */
  held: Pick<UnpromptedGate, 'held' | 'release'>;
  /** @defaultValue 1 */
  concurrency?: number;
}

export function createInboundWorker(o: InboundWorkerOptions): Worker<InboundJob, void, InboundJobName> {
  return new Worker<InboundJob, void, InboundJobName>(
    'inbound',
    async (job: Job<InboundJob>) => {
      const started = performance.now();
      const event: InboundEvent = { ...job.data.event, at: new Date(job.data.event.at) };
      const messages = await o.tutor.handle(event);
      if (messages.length > 0) {
        const waiting = await o.held.held(event.conversation);
        const data = { kind: 'reply' as const, conversation: event.conversation, messages: [...waiting.messages, ...messages] };
        await o.outbox.add([{ data, jobId: jobId('reply', event.channel, event.updateId) }]);
        // Released only once queued: a crash in between repeats them rather than losing them.
        await o.held.release(event.conversation, waiting.ids);
      }
      await o.tutor.delivered(event);
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
