/**
 * Redis copies of the learner, enrolment and review-deck records that inbound updates read, so
 * that an answer reads them from Redis instead of the database (on FerretDB 1.24 a point read costs
 * ~2 ms of its CPU; the reads were 2.5 of an answer's 4.5 commands: bench/README.md §3).
 *
 * One hash per learner, `<prefix>:rec:<learnerId>` (the app's prefix is `recordsKeyPrefix`: the queues' and the database's name): field `l` the learner, `e:<cohortId>` each
 * enrolment, `r:<cohortId>` each review deck, V8-serialised (dates stay dates, as in the update log). The whole hash expires
 * `ttlSeconds` after its last write: a learner in the middle of a lesson is served from it, one who
 * comes back tomorrow is read from the database again.
 *
 * Why a copy can be trusted: the records change only through the stores, under the learner's lease
 * (src/scheduler/leases.ts), and a save
 *  1. drops the copy's field,
 *  2. writes the database,
 *  3. writes the copy of what it wrote.
 * A save cut short anywhere leaves either the old copy with the old record (before 2) or no copy
 * (after 2): never a copy older than the database. A read that misses fills the copy only where
 * the field is still absent (`HSETNX`), so a read outside the lease racing a save cannot put back an
 * older record over the one the save wrote. Writers outside the stores (reachability's marks,
 * moving a conversation away from a learner) drop the learner's copy after their write.
 */
import { deserialize, serialize } from 'node:v8';
import type { Redis } from 'ioredis';

/** HSET or HSETNX one field, then (re)start the hash's expiry: one round trip. */
const PUT = `
if ARGV[4] == '1' then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) else redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) end
redis.call('EXPIRE', KEYS[1], ARGV[3])`;

type WithPut = Redis & { cdsRecordCopyPut(key: string, field: string, value: Buffer, ttl: number, replace: '0' | '1'): Promise<unknown> };

export class RecordCopies {
  private readonly redis: WithPut;
  private readonly ttlSeconds: number;

  constructor(
    redis: Redis,
    private readonly prefix: string,
    /** @defaultValue 900 (15 minutes: a lesson's worth of answers) */
    ttlSeconds = 900,
  ) {
    if (!('cdsRecordCopyPut' in redis)) redis.defineCommand('cdsRecordCopyPut', { numberOfKeys: 1, lua: PUT });
    this.redis = redis as WithPut;
    this.ttlSeconds = Math.max(1, Math.round(ttlSeconds));
  }

  private keyOf(learnerId: string): string {
    if (typeof learnerId !== 'string') throw new TypeError('a learner id must be a string');
    return `${this.prefix}:rec:${learnerId}`;
  }

  /** The record from its copy, else from `load` (the database), copied where no copy is yet. */
  async read<T extends object>(learnerId: string, field: string, load: () => Promise<T | null>): Promise<T | null> {
    const copy = await this.get<T>(learnerId, field);
    if (copy) return copy;
    const record = await load();
    if (record) await this.fill(learnerId, field, record);
    return record;
  }

  /** A save: the copy dropped, then `write` (the database; it returns the record as written), then the copy of that. */
  async write<T extends object>(learnerId: string, field: string, write: () => Promise<T>): Promise<T> {
    await this.drop(learnerId, field);
    const saved = await write();
    await this.put(learnerId, field, saved);
    return saved;
  }

  /** The copy of one record, or undefined when there is none. */
  async get<T>(learnerId: string, field: string): Promise<T | undefined> {
    const raw = await this.redis.hgetBuffer(this.keyOf(learnerId), field);
    return raw ? (deserialize(raw) as T) : undefined;
  }

  /** After a database read: kept only where no copy is (a save's copy is newer). */
  async fill(learnerId: string, field: string, record: object): Promise<void> {
    await this.redis.cdsRecordCopyPut(this.keyOf(learnerId), field, serialize(record), this.ttlSeconds, '0');
  }

  /** After a save's database write: the record as written. */
  async put(learnerId: string, field: string, record: object): Promise<void> {
    await this.redis.cdsRecordCopyPut(this.keyOf(learnerId), field, serialize(record), this.ttlSeconds, '1');
  }

  /** Before a save's database write, and after a write made elsewhere. */
  async drop(learnerId: string, ...fields: string[]): Promise<void> {
    await this.redis.hdel(this.keyOf(learnerId), ...fields);
  }
}

/**
 * The key prefix of everything Redis keeps about one database's records: these copies, the
 * conversation links, the blocked conversations, the sweeps' dirty marks. The database's name is
 * part of it, so that an app pointed at another database (with the same Redis and QUEUE_PREFIX)
 * never reads the copies of the first, as the stats counters' keys (`statsKeyPrefix`).
 */
export function recordsKeyPrefix(queuePrefix: string, database: string): string {
  return `${queuePrefix}:db:${database}`;
}

/** What the stores read and save through: the copies, or the database alone (no cache). */
export type RecordCache = Pick<RecordCopies, 'read' | 'write' | 'drop'>;

const DATABASE_ONLY: RecordCache = {
  read: (_learnerId, _field, load) => load(),
  write: (_learnerId, _field, write) => write(),
  drop: async () => {},
};

/** The records' copies under the cache's prefix; without a cache, the database alone. */
export function recordCache(cache: { redis: Redis; prefix: string } | undefined): RecordCache {
  return cache ? new RecordCopies(cache.redis, cache.prefix) : DATABASE_ONLY;
}

/** The learner's own field. */
export const LEARNER_FIELD = 'l';

/** The field of the learner's enrolment in a cohort. */
export function enrolmentField(cohortId: string): string {
  return `e:${cohortId}`;
}

/** The field of the learner's review deck in a cohort. */
export function reviewField(cohortId: string): string {
  return `r:${cohortId}`;
}
