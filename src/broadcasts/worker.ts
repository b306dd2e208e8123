/**
 * Runs the broadcast planner from BullMQ, never from process timers: a job scheduler ticks every few
 * seconds (scheduled broadcasts start, windows refill, quiet hours end, deferred recipients come
 * back), and a create or a resume adds a job at once. Each broadcast is planned under a Redis lease,
 * so two workers never plan one broadcast together.
 */
import { randomUUID } from 'node:crypto';
import { Queue, Worker, type ConnectionOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { MongoBroadcastStore } from '../storage/broadcasts.js';
import { BroadcastPlanner, type BroadcastPlannerDeps } from './planner.js';
import { RELEASE_IF_HELD, RENEW_IF_HELD } from '../storage/lock-scripts.js';

export type BroadcastJobName = 'tick' | 'plan';
export interface BroadcastJob {
  /** `plan`: the broadcast to plan; `tick`: every active one. */
  id?: string;
}

const LEASE_MS = 2 * 60 * 1000;
const FOLLOW_MS = 1000;

export class BroadcastStopped extends Error {
  override readonly name = 'BroadcastStopped';
}

export function broadcastQueue(connection: ConnectionOptions, prefix: string): Queue<BroadcastJob, unknown, BroadcastJobName> {
  return new Queue<BroadcastJob, unknown, BroadcastJobName>('broadcast', {
    connection,
    prefix,
    defaultJobOptions: { removeOnComplete: { count: 100 }, removeOnFail: { count: 1000 } },
  });
}

/** The tick: every `everyMs`. */
export async function scheduleBroadcastTicks(queue: Queue<BroadcastJob, unknown, BroadcastJobName>, everyMs: number): Promise<void> {
  // BullMQ types a scheduler's id like a job name; ours is `broadcast-tick`, the jobs it makes are named `tick`.
  await (queue as unknown as Queue<BroadcastJob>).upsertJobScheduler('broadcast-tick', { every: everyMs }, { name: 'tick', data: {} });
}

export interface BroadcastWorkerOptions {
  connection: ConnectionOptions;
  prefix: string;
  redis: Redis;
  store: MongoBroadcastStore;
  planner: Omit<BroadcastPlannerDeps, 'onBatch'>;
  stopping?: () => boolean;
}

export function createBroadcastWorker(o: BroadcastWorkerOptions): Worker<BroadcastJob, unknown, BroadcastJobName> {
  const queue = broadcastQueue(o.connection, o.prefix);
  const planOne = async (id: string): Promise<string> => {
    const outcome = await planUnderLease(id);
    // Planned but not finished: look again in a second (to mark it done soon after its last send), not only at the next tick.
    if (outcome === 'planned') await queue.add('plan', { id }, { jobId: `plan-${id}-follow-${Math.floor(Date.now() / 1000)}`, delay: FOLLOW_MS });
    return outcome;
  };
  const planUnderLease = async (id: string): Promise<string> => {
    const key = `${o.prefix}:lease:broadcast:${id}`;
    const token = randomUUID();
    if ((await o.redis.set(key, token, 'PX', LEASE_MS, 'NX')) !== 'OK') return 'busy';
    const renew = async () => {
      if (o.stopping?.()) throw new BroadcastStopped();
      if (Number(await o.redis.eval(RENEW_IF_HELD, 1, key, token, LEASE_MS)) !== 1) throw new BroadcastStopped('lost the lease');
    };
    try {
      return await new BroadcastPlanner({ ...o.planner, onBatch: renew }).plan(id);
    } catch (err) {
      if (err instanceof BroadcastStopped) return 'stopped';
      throw err;
    } finally {
      await o.redis.eval(RELEASE_IF_HELD, 1, key, token);
    }
  };
  const worker = new Worker<BroadcastJob, unknown, BroadcastJobName>(
    'broadcast',
    async (job) => {
      if (job.name === 'plan' && job.data.id) return planOne(job.data.id);
      const out: Record<string, string> = {};
      for (const b of await o.store.active()) out[b.id] = await planOne(b.id);
      return out;
    },
    // A plan job holds its slot while its broadcast sends (it waits for room with its stream open): slots for a few at once, and the ticks.
    { connection: o.connection, prefix: o.prefix, concurrency: 4 },
  );
  worker.on('closed', () => void queue.close());
  return worker;
}
