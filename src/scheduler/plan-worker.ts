/**
 * Runs the planning sweeps, and the pruning of old records, from BullMQ job schedulers (one next
 * job per sweep in Redis, however many processes run), never from process timers. A lease in
 * Redis keeps one run of each at a time: a sweep longer than its interval (one waiting for room
 * in the send window) is not doubled by the next tick on another worker; the sweeps run side by
 * side, so a reminder sweep waiting for the window holds back no daily lesson.
 */
import { randomUUID } from 'node:crypto';
import { Worker, type Job, type Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { SWEEPS, type PlanJob, type PlanJobName } from './jobs.js';
import type { Queues } from './queues.js';
import { Planner, type PlannerDeps } from './planner.js';
import type { Pruner } from './ports.js';
import { RELEASE_IF_HELD, RENEW_IF_HELD } from '../storage/lock-scripts.js';

const LEASE_MS = 5 * 60 * 1000;
const PRUNE_EVERY_MS = 3600_000;

export class LeaseLostError extends Error {
  override readonly name = 'LeaseLostError';
}

/** Registers (or updates) one job scheduler per sweep, every `everyMs`, and the hourly pruning. */
export async function scheduleSweeps(queues: Queues, everyMs: number): Promise<void> {
  const plan = queues.plan as Queue<PlanJob>;
  for (const name of SWEEPS) {
    // BullMQ types a scheduler's id like a job name; ours is `sweep-<name>`, the jobs it makes are named <name>.
    await plan.upsertJobScheduler(`sweep-${name}`, { every: everyMs }, { name, data: {} });
  }
  await plan.upsertJobScheduler('prune', { every: PRUNE_EVERY_MS }, { name: 'prune', data: {} });
}

export class SweepInterruptedError extends Error {
  override readonly name = 'SweepInterruptedError';
}

/**
 * `stopping` is checked between batches: on shutdown a sweep stops after the batch in hand and
 * resumes from its checkpoint. Without a `pruner`, prune jobs do nothing.
 */
export function createPlanWorker(
  queues: Queues,
  redis: Redis,
  deps: Omit<PlannerDeps, 'onBatch'>,
  stopping: () => boolean = () => false,
  pruner?: Pruner,
): Worker<PlanJob, unknown, PlanJobName> {
  return new Worker<PlanJob, unknown, PlanJobName>(
    'plan',
    async (job: Job<PlanJob, unknown, PlanJobName>) => {
      const name = job.name;
      const key = `${queues.settings.prefix}:lease:sweep:${name}`;
      const token = randomUUID();
      if ((await redis.set(key, token, 'PX', LEASE_MS, 'NX')) !== 'OK') return 'busy: another worker is running this sweep';
      const renew = async () => {
        if (stopping()) throw new SweepInterruptedError();
        if (Number(await redis.eval(RENEW_IF_HELD, 1, key, token, LEASE_MS)) !== 1) throw new LeaseLostError(`lost the lease of sweep ${name}`);
      };
      try {
        if (name === 'prune') return pruner ? await pruner.prune(deps.clock.now(), renew) : 'no pruner';
        return await new Planner({ ...deps, onBatch: renew }).sweep(name);
      } catch (err) {
        if (err instanceof SweepInterruptedError) return 'interrupted: shutting down';
        throw err;
      } finally {
        await redis.eval(RELEASE_IF_HELD, 1, key, token);
      }
    },
    { connection: queues.settings.connection, prefix: queues.settings.prefix, concurrency: SWEEPS.length + 1 },
  );
}
