/** One channel's send queue: a thin processor over its delivery policy (delivery.ts). */
import { Worker } from 'bullmq';
import { sendQueueName, type SendJob, type SendJobName } from './jobs.js';
import type { Queues } from './queues.js';
import { Delivery, type DeliveryOptions } from './delivery.js';

export interface SendWorkerOptions extends Omit<DeliveryOptions, 'queue'> {
  /** Messages per second across the channel; undefined = unlimited. */
  ratePerSec?: number;
  /** Jobs in flight in this process. @defaultValue 1 */
  concurrency?: number;
}

export function createSendWorker(queues: Queues, opts: SendWorkerOptions): Worker<SendJob, string, SendJobName> {
  const channel = opts.adapter.name;
  const delivery = new Delivery({ ...opts, queue: queues.send[channel] });
  return new Worker<SendJob, string, SendJobName>(sendQueueName(channel), (job, token) => delivery.deliver(job, token), {
    connection: queues.settings.connection,
    prefix: queues.settings.prefix,
    concurrency: opts.concurrency ?? 1,
    // A job of a worker that died is sent on 10–15 s later, not BullMQ's default 30–60 s (it resumes from its progress).
    lockDuration: 10_000,
    stalledInterval: 5_000,
    // BullMQ fails a job that stalls twice (default 1): the reply would be lost. Taking it again resumes from its progress.
    maxStalledCount: 10,
    ...(opts.ratePerSec ? { limiter: { max: Math.max(1, Math.floor(opts.ratePerSec)), duration: 1000 } } : {}),
  });
}
