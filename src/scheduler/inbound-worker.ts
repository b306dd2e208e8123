/** Handles queued inbound updates with the tutor and queues the replies for sending. */
import { Worker, type Job } from 'bullmq';
import type { Tutor } from '../core/tutor.js';
import type { InboundEvent } from '../core/messages.js';
import { channelOf } from '../core/model.js';
import { jobId, type InboundJob } from './jobs.js';
import type { Queues } from './queues.js';
import type { Metrics } from '../metrics.js';
import type { UnpromptedGate } from './unprompted.js';
import type { Outbox } from './outbox.js';

/**
 * `outbox`: replies keep their place in the chat's order (pacing.ts); `held`: messages held for a
 * conversation go out in front of its next reply.
 */
export function createInboundWorker(
  queues: Queues,
  tutor: Tutor,
  metrics: Metrics,
  concurrency = 1,
  outbox?: Outbox,
  held?: Pick<UnpromptedGate, 'held' | 'release'>,
): Worker<InboundJob> {
  return new Worker<InboundJob>(
    'inbound',
    async (job: Job<InboundJob>) => {
      const started = performance.now();
      const event: InboundEvent = { ...job.data.event, at: new Date(job.data.event.at) };
      const messages = await tutor.handle(event);
      if (messages.length > 0) {
        const waiting = held ? await held.held(event.conversation) : { ids: [], messages: [] };
        const data = { conversation: event.conversation, messages: [...waiting.messages, ...messages], reason: 'reply' as const };
        const id = jobId('reply', event.channel, event.updateId);
        if (outbox) await outbox.add([{ data, jobId: id }]);
        else await queues.send[channelOf(event.conversation)].add('send', data, { jobId: id });
        // Released only once queued: a crash in between repeats them rather than losing them.
        await held?.release(waiting.ids);
      }
      metrics.updatesHandled.inc({ channel: event.channel });
      metrics.answerLatency.observe({ channel: event.channel }, (performance.now() - started) / 1000);
    },
    { connection: queues.settings.connection, prefix: queues.settings.prefix, concurrency },
  );
}
