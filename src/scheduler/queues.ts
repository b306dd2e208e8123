/** The BullMQ queues every process shares, on one Redis connection setup and one key prefix. */
import { Queue, type ConnectionOptions, type JobsOptions } from 'bullmq';
import type { ChannelName } from '../core/model.js';
import { CHANNELS } from '../core/model.js';
import { sendQueueName, type InboundJob, type SendJob } from './jobs.js';

/** Sweeps carry no data: they read the clock and MongoDB when they run. */
export type PlanJob = Record<string, never>;

export interface QueueSettings {
  connection: ConnectionOptions;
  /** Redis key prefix; tests use one per run. */
  prefix: string;
}

const KEEP = { removeOnComplete: { age: 24 * 3600, count: 10_000 }, removeOnFail: { age: 7 * 24 * 3600 } } satisfies JobsOptions;

export const SEND_JOB_OPTIONS: JobsOptions = {
  ...KEEP,
  attempts: 6,
  backoff: { type: 'exponential', delay: 2_000 },
};

export class Queues {
  readonly inbound: Queue<InboundJob>;
  readonly send: Record<ChannelName, Queue<SendJob>>;
  readonly plan: Queue<PlanJob>;

  constructor(readonly settings: QueueSettings) {
    const opts = { connection: settings.connection, prefix: settings.prefix };
    this.inbound = new Queue<InboundJob>('inbound', {
      ...opts,
      defaultJobOptions: { ...KEEP, attempts: 5, backoff: { type: 'exponential', delay: 1_000 } },
    });
    this.send = Object.fromEntries(
      CHANNELS.map((c) => [c, new Queue<SendJob>(sendQueueName(c), { ...opts, defaultJobOptions: SEND_JOB_OPTIONS })]),
    ) as Record<ChannelName, Queue<SendJob>>;
    this.plan = new Queue<PlanJob>('plan', { ...opts, defaultJobOptions: { removeOnComplete: { count: 100 }, removeOnFail: { count: 1000 } } });
  }

  /** The queues that carry messages (not the sweeps, whose schedulers always hold a next job). */
  all(): Queue[] {
    return [this.inbound, ...Object.values(this.send)];
  }

  async close(): Promise<void> {
    await Promise.all([...this.all(), this.plan].map((q) => q.close()));
  }
}
