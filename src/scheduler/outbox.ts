/** Queues send jobs: each recorded in its chat's order first (see pacing.ts), then added to its channel's queue. */
import type { JobsOptions } from 'bullmq';
import { channelOf } from '../core/model.js';
import type { SendJob } from './jobs.js';
import type { Queues } from './queues.js';
import type { ChatPacing } from './pacing.js';

export interface OutgoingJob {
  data: SendJob;
  /** Deterministic where duplicates must be impossible (see jobId()). */
  jobId: string;
  opts?: Omit<JobsOptions, 'jobId'>;
}

export class Outbox {
  constructor(
    private readonly queues: Queues,
    private readonly pacing: ChatPacing,
  ) {}

  /** Adds the jobs in order; a job id already queued is left as it is. Returns how many were submitted. */
  async add(jobs: OutgoingJob[]): Promise<number> {
    await this.pacing.enlist(jobs.map((j) => ({ conversation: j.data.conversation, jobId: j.jobId })));
    const byChannel = new Map<keyof Queues['send'], { name: SendJob['kind']; data: SendJob; opts: JobsOptions }[]>();
    for (const j of jobs) {
      const channel = channelOf(j.data.conversation);
      const list = byChannel.get(channel) ?? [];
      list.push({ name: j.data.kind, data: j.data, opts: { ...j.opts, jobId: j.jobId } });
      byChannel.set(channel, list);
    }
    for (const [channel, list] of byChannel) await this.queues.send[channel].addBulk(list);
    return jobs.length;
  }
}
