/** Handles queued inbound updates with the tutor and queues the replies for sending. */
import { Worker, type Job } from 'bullmq';
import type { Tutor } from '../core/tutor.js';
import type { InboundEvent } from '../core/messages.js';
import { channelOf } from '../core/model.js';
import { jobId, type InboundJob } from './jobs.js';
import type { Queues } from './queues.js';
import type { Metrics } from '../metrics.js';
import type { Outbox } from './outbox.js';

export function createInboundWorker(queues: Queues, tutor: Tutor, metrics: Metrics, concurrency = 1, outbox?: Outbox): Worker<InboundJob> {
  return new Worker<InboundJob>(
    'inbound',
    async (job: Job<InboundJob>) => {
      const started = performance.now();
      const event: InboundEvent = { ...job.data.event, at: new Date(job.data.event.at) };
      const messages = await tutor.handle(event);
      if (messages.length > 0 && outbox) {
        const data = { conversation: event.conversation, messages, reason: 'reply' as const };
        await outbox.add([{ data, jobId: jobId('reply', event.channel, event.updateId) }]);
      } else if (messages.length > 0) {
        await queues.send[channelOf(event.conversation)].add(
          'send',
          { conversation: event.conversation, messages, reason: 'reply' },
          { jobId: jobId('reply', event.channel, event.updateId) },
        );
      }
      metrics.updatesHandled.inc({ channel: event.channel });
      metrics.answerLatency.observe({ channel: event.channel }, (performance.now() - started) / 1000);
    },
    { connection: queues.settings.connection, prefix: queues.settings.prefix, concurrency },
  );
}
