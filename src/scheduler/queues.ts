/** The BullMQ queues every process shares, on one Redis connection setup and one key prefix. */
import { Queue, type ConnectionOptions, type JobsOptions, type JobType } from 'bullmq';
import type { ChannelName } from '../core/model.js';
import { CHANNELS } from '../core/model.js';
import { sendQueueName, type InboundJob, type InboundJobName, type PlanJob, type PlanJobName, type SendJob, type SendJobName } from './jobs.js';

export interface QueueSettings {
  connection: ConnectionOptions;
  /** Redis key prefix; tests use one per run. */
  prefix: string;
}

export type InboundQueue = Queue<InboundJob, unknown, InboundJobName>;
export type SendQueue = Queue<SendJob, unknown, SendJobName>;
export type PlanQueue = Queue<PlanJob, unknown, PlanJobName>;

const KEEP = { removeOnComplete: { age: 24 * 3600, count: 10_000 }, removeOnFail: { age: 7 * 24 * 3600 } } satisfies JobsOptions;

export const SEND_JOB_OPTIONS: JobsOptions = {
  ...KEEP,
  attempts: 6,
  backoff: { type: 'exponential', delay: 2_000 },
};

export class Queues {
  readonly inbound: InboundQueue;
  readonly send: Record<ChannelName, SendQueue>;
  readonly plan: PlanQueue;

  constructor(readonly settings: QueueSettings) {
    const opts = { connection: settings.connection, prefix: settings.prefix };
    this.inbound = new Queue<InboundJob, unknown, InboundJobName>('inbound', {
      ...opts,
      defaultJobOptions: { ...KEEP, attempts: 5, backoff: { type: 'exponential', delay: 1_000 } },
    });
    this.send = Object.fromEntries(
      CHANNELS.map((c) => [c, new Queue<SendJob, unknown, SendJobName>(sendQueueName(c), { ...opts, defaultJobOptions: SEND_JOB_OPTIONS })]),
    ) as Record<ChannelName, SendQueue>;
    this.plan = new Queue<PlanJob, unknown, PlanJobName>('plan', { ...opts, defaultJobOptions: { removeOnComplete: { count: 100 }, removeOnFail: { count: 1000 } } });
  }

  /** The queues that carry messages (not the sweeps, whose schedulers always hold a next job). */
  all(): Queue[] {
    return [this.inbound, ...Object.values(this.send)];
  }

  /** Jobs per queue and state, sweeps included (metrics, `queue counts`). */
  async depths(states: JobType[] = ['waiting', 'active', 'delayed', 'prioritized', 'failed']): Promise<{ queue: string; state: string; count: number }[]> {
    const rows = [];
    for (const q of [...this.all(), this.plan]) {
      const counts = await q.getJobCounts(...states);
      for (const [state, count] of Object.entries(counts)) rows.push({ queue: q.name, state, count });
    }
    return rows;
  }

  /** True when no inbound job, and no outbound job of these channels, is waiting or running. */
  async idle(channels: readonly ChannelName[] = CHANNELS): Promise<boolean> {
    for (const q of [this.inbound, ...channels.map((c) => this.send[c])]) {
      const c = await q.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children');
      if (Object.values(c).some((n) => n > 0)) return false;
    }
    return true;
  }

  async close(): Promise<void> {
    await Promise.all([...this.all(), this.plan].map((q) => q.close()));
  }
}
