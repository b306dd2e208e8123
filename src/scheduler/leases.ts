/**
 * Short Redis leases that serialise the work on one learner across processes: an inbound update
 * and a scheduled push for the same learner never run at once, so their writes can go by `_id`
 * alone (FerretDB 1.24 scans for any other filter, `{_id, version}` included) without losing an
 * update. SET NX PX takes a lease with a random token; a Lua script releases it only for the
 * holder. A holder that dies leaves the lease to expire after `ttlMs`.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import type { Leases } from '../core/ports.js';
import { RELEASE_IF_HELD } from '../storage/lock-scripts.js';


/** Another holder kept the lease longer than we wait: the job fails and BullMQ retries it. */
export class LeaseBusyError extends Error {
  override readonly name = 'LeaseBusyError';
}

export interface RedisLeaseOptions {
  /** How long a lease lives if its holder dies. @defaultValue 30000 */
  ttlMs?: number;
  /** How long to wait for a busy lease before giving up. @defaultValue 15000 */
  waitMs?: number;
}

export class RedisLeases implements Leases {
  private readonly ttlMs: number;
  private readonly waitMs: number;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    opts: RedisLeaseOptions = {},
  ) {
    this.ttlMs = opts.ttlMs ?? 30_000;
    this.waitMs = opts.waitMs ?? 15_000;
  }

  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const redisKey = `${this.prefix}:lease:${key}`;
    const token = randomUUID();
    const giveUp = Date.now() + this.waitMs;
    // Most leases are free; a busy one is usually held for milliseconds: poll briefly, backing off.
    for (let pause = 2; (await this.redis.set(redisKey, token, 'PX', this.ttlMs, 'NX')) !== 'OK'; pause = Math.min(pause * 2, 100)) {
      if (Date.now() > giveUp) throw new LeaseBusyError(`${key} is busy`);
      await sleep(pause);
    }
    try {
      return await work();
    } finally {
      await this.redis.eval(RELEASE_IF_HELD, 1, redisKey, token);
    }
  }
}
