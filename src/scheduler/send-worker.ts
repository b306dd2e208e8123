/** One channel's send queue: a thin processor over its delivery policy (delivery.ts). */
import { Worker } from 'bullmq';
import { sendQueueName, type SendJob, type SendJobName } from './jobs.js';
import type { Queues } from './queues.js';
import { Delivery, type DeliveryOptions } from './delivery.js';

/** The limiter's window (see `limiterFor`). */
export const LIMITER_SLICE_MS = 1000;

/**
 * BullMQ's limiter (`max` jobs started per fixed window of `duration` ms) for `ratePerSec`, in
 * windows of about `sliceMs`. One-second windows let up to twice the rate through across a
 * window's edge (a full window's jobs started late, the next one's early), which a platform's
 * token bucket answers with 429 — and each 429 pauses the whole channel for its `retry_after`.
 * Windows of 100 ms keep bursts to a few messages (0 429s) and a reply waits at most 100 ms for
 * the next window (p95 167 ms instead of 774 ms), but each window loses the worker's wake-up
 * after a rate-limit delay: 92.9 % of 30/s instead of 97.2 % (bench/README.md, Broadcasts).
 * Throughput first: one-second windows stay the default.
 */
export function limiterFor(ratePerSec: number, sliceMs = LIMITER_SLICE_MS): { max: number; duration: number } {
  const max = Math.max(1, Math.round((ratePerSec * sliceMs) / 1000));
  return { max, duration: Math.max(1, Math.round((max * 1000) / ratePerSec)) };
}

export interface SendWorkerOptions extends Omit<DeliveryOptions, 'queue'> {
  /** Messages per second across the channel; undefined = unlimited. */
  ratePerSec?: number;
  /** The limiter's window (`limiterFor`). @defaultValue LIMITER_SLICE_MS (1000) */
  limiterSliceMs?: number;
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
    ...(opts.ratePerSec ? { limiter: limiterFor(opts.ratePerSec, opts.limiterSliceMs) } : {}),
  });
}
