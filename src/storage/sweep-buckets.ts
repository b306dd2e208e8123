/**
 * The reminder and lesson sweeps read a cohort's enrolments packed ~100 to a document
 * (collection `sweep_buckets`): FerretDB 1.24 spends ~130 µs of CPU on each document it returns,
 * whatever its size, so streaming a million enrolments one document each costs it over two
 * minutes, and streaming 10,000 buckets of a hundred a small fraction of that.
 *
 * - A bucket is `{_id: "<cohortId>|<n>", cohortId, rows}`: `n` = a stable hash of the enrolment's
 *   `_id` modulo BUCKETS_PER_COHORT, `rows` one JSON string `{<enrolment _id>: <entry>}`, the entry
 *   being the enrolment's sweep fields (SWEEP_FIELDS, its learner copy included).
 * - Only the fold writes buckets, under a Redis lock per cohort: FerretDB updates read the whole
 *   document and write it back, so two writers of one bucket would lose entries. Whoever writes an
 *   enrolment or its learner copy marks it dirty instead (`SADD <prefix>:sweep:dirty:<cohort> <id>`,
 *   markDirty), after the write; before a sweep streams a cohort it folds the marks in: the set is
 *   moved to a processing key in one MULTI (a mark made meanwhile lands in a fresh set, for the next
 *   fold), each marked enrolment is read by `_id`, its bucket read, changed and written by `_id`, then
 *   the processing key deleted. A fold cut short leaves the processing key; the next fold takes it
 *   with the new marks. A marked enrolment that no longer exists leaves its bucket.
 * - Buckets are never deleted (an emptied one stays): a sweep resumes by the count of buckets passed
 *   in stored order (filter `{cohortId}` alone), and new buckets come at the end.
 * - A cohort whose enrolments were written before buckets existed is built once (its enrolments
 *   streamed, packed, written; then the marker `built|<cohortId>`); until then the sweeps read the
 *   enrolments themselves.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Models } from './models.js';
import { stringId } from './stores.js';
import { RELEASE_IF_HELD, RENEW_IF_HELD } from './lock-scripts.js';
import { mapLimit } from './map-limit.js';

/** Buckets per cohort: ~100 enrolments each at a million; a small cohort has one or two a bucket. */
export const BUCKETS_PER_COHORT = 10_000;

/** The enrolment fields the reminder and lesson sweeps read (pushBlocker, selectForLesson), and the learner copy. */
export const SWEEP_FIELDS = ['learnerId', 'cohortId', 'courseId', 'status', 'cursor', 'completedLessons', 'lastActivityAt', 'reviewDueAt', 'learnerFacts'] as const;
export const SWEEP_PROJECTION = Object.fromEntries(SWEEP_FIELDS.map((f) => [f, 1]));

const DATE_FIELDS = ['lastActivityAt', 'reviewDueAt'] as const;

/** FNV-1a (32 bits) of the enrolment `_id`, modulo `count`: the same bucket for the same enrolment, in every process. */
export function bucketOf(enrolmentId: string, count = BUCKETS_PER_COHORT): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < enrolmentId.length; i++) {
    h ^= enrolmentId.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % count;
}

export function bucketId(cohortId: string, n: number): string {
  return `${cohortId}|${n}`;
}

function markerId(cohortId: string): string {
  return `built|${cohortId}`;
}

/** What a bucket keeps of an enrolment document: its sweep fields present in `doc`. */
export function sweepEntry(doc: Record<string, unknown>): Record<string, unknown> {
  const entry: Record<string, unknown> = {};
  for (const f of SWEEP_FIELDS) if (doc[f] !== undefined && doc[f] !== null) entry[f] = doc[f];
  return entry;
}

/** An entry read back from a bucket as an enrolment document (`_id`, dates as Dates). */
export function entryDoc(id: string, entry: Record<string, any>): Record<string, any> {
  const doc: Record<string, any> = { _id: id, ...entry };
  for (const f of DATE_FIELDS) if (typeof doc[f] === 'string') doc[f] = new Date(doc[f]);
  return doc;
}

export function dirtyKey(prefix: string, cohortId: string): string {
  return `${prefix}:sweep:dirty:${cohortId}`;
}

export function processingKey(prefix: string, cohortId: string): string {
  return `${prefix}:sweep:folding:${cohortId}`;
}

function lockKey(prefix: string, cohortId: string): string {
  return `${prefix}:sweep:lock:${cohortId}`;
}

/** Where enrolments are marked dirty for the next fold (the app's Redis and key prefix). */
export interface SweepMarks {
  redis: Redis;
  prefix: string;
}

/** Marks an enrolment for the next fold of its cohort; call after writing it (a fold reads it by `_id`). */
export async function markDirty(marks: SweepMarks | undefined, cohortId: string, enrolmentId: string): Promise<void> {
  if (marks) await marks.redis.sadd(dirtyKey(marks.prefix, cohortId), enrolmentId);
}


export interface SweepBucketOptions {
  /** @defaultValue BUCKETS_PER_COHORT */
  buckets?: number;
  /** How long a fold's lock lives without being extended. @defaultValue 120000 */
  lockMs?: number;
  /** How long a sweep waits for another worker's fold before giving up (the sweep fails, retried at the next tick). @defaultValue 120000 */
  waitMs?: number;
  /** Entries a build holds before writing them to their buckets. @defaultValue 100000 */
  buildFlush?: number;
  /** Called after each bucket the fold writes (tests: a fold killed halfway). */
  afterBucketWrite?: () => void;
}

export class SweepBuckets {
  private readonly count: number;
  private readonly lockMs: number;
  private readonly waitMs: number;

  constructor(
    private readonly m: Models,
    private readonly marks: SweepMarks,
    private readonly o: SweepBucketOptions = {},
  ) {
    this.count = o.buckets ?? BUCKETS_PER_COHORT;
    this.lockMs = o.lockMs ?? 120_000;
    this.waitMs = o.waitMs ?? 120_000;
  }

  async mark(cohortId: string, enrolmentId: string): Promise<void> {
    await markDirty(this.marks, cohortId, enrolmentId);
  }

  async isBuilt(cohortId: string): Promise<boolean> {
    return (await this.m.SweepBucket.collection.findOne({ _id: stringId(markerId(cohortId)) }, { projection: { _id: 1 } })) !== null;
  }

  /**
   * Makes the cohort's buckets current before a sweep streams them: builds them if they were never
   * built (unless another worker is building: false, read the enrolments), then folds the dirty marks
   * in. The enrolments it folded (as `_id`-keyed documents), or null when the buckets may not be
   * streamed yet.
   */
  async prepare(cohortId: string): Promise<Record<string, any>[] | null> {
    if (await this.isBuilt(cohortId)) return this.fold(cohortId);
    const folded = await this.locked(cohortId, false, async (lock) => {
      if (!(await this.isBuilt(cohortId))) await this.buildLocked(cohortId, lock);
      return this.foldLocked(cohortId, lock);
    });
    return folded ?? null;
  }

  /** Folds the cohort's dirty marks into its buckets (waiting for another worker's fold); returns the enrolments folded (those still there). */
  async fold(cohortId: string): Promise<Record<string, any>[]> {
    return (await this.locked(cohortId, true, (lock) => this.foldLocked(cohortId, lock)))!;
  }

  /**
   * The cohort's buckets in stored order after the first `from`, as enrolment documents in batches
   * of about `size`; `position` counts the buckets passed.
   */
  async *stream(cohortId: string, from: number, size: number): AsyncGenerator<{ docs: Record<string, any>[]; position: number }> {
    const cursor = this.m.SweepBucket.collection
      .find({ cohortId: stringId(cohortId) }, { projection: { rows: 1 } })
      .skip(Math.max(0, Math.floor(from)))
      .batchSize(Math.max(4, Math.ceil(size / 50)));
    let position = from;
    let docs: Record<string, any>[] = [];
    try {
      for await (const bucket of cursor) {
        position += 1;
        const rows = JSON.parse(String(bucket.rows ?? '{}')) as Record<string, Record<string, unknown>>;
        for (const [id, entry] of Object.entries(rows)) docs.push(entryDoc(id, entry));
        if (docs.length >= size) {
          yield { docs, position };
          docs = [];
        }
      }
      if (docs.length) yield { docs, position };
    } finally {
      await cursor.close();
    }
  }

  /** Runs `fn` holding the cohort's lock; when another holds it, waits for it (`wait`) or returns undefined. */
  private async locked<T>(cohortId: string, wait: boolean, fn: (lock: { extend(): Promise<void> }) => Promise<T>): Promise<T | undefined> {
    const key = lockKey(this.marks.prefix, cohortId);
    const token = randomUUID();
    const redis = this.marks.redis;
    const deadline = Date.now() + this.waitMs;
    while ((await redis.set(key, token, 'PX', this.lockMs, 'NX')) !== 'OK') {
      if (!wait) return undefined;
      if (Date.now() > deadline) throw new Error(`sweep buckets of ${cohortId}: another worker's fold held the lock for over ${this.waitMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const lock = {
      extend: async () => {
        if (!(await redis.eval(RENEW_IF_HELD, 1, key, token, this.lockMs))) throw new Error(`sweep buckets of ${cohortId}: the lock expired while folding`);
      },
    };
    try {
      return await fn(lock);
    } finally {
      await redis.eval(RELEASE_IF_HELD, 1, key, token);
    }
  }

  /** The fold, lock held: returns the marked enrolments it read (those that still exist). */
  private async foldLocked(cohortId: string, lock: { extend(): Promise<void> }): Promise<Record<string, any>[]> {
    const redis = this.marks.redis;
    const dirty = dirtyKey(this.marks.prefix, cohortId);
    const processing = processingKey(this.marks.prefix, cohortId);
    // One step: the marks (and any a fold cut short left) move to the processing key; a mark made from here on starts a new dirty set.
    await redis.multi().sunionstore(processing, processing, dirty).del(dirty).exec();
    const ids = await redis.smembers(processing);
    const folded: Record<string, any>[] = [];
    for (let i = 0; i < ids.length; i += 1000) {
      const chunk = ids.slice(i, i + 1000);
      const docs = await mapLimit(chunk, 8, (id) => this.m.Enrolment.collection.findOne({ _id: stringId(id) }, { projection: SWEEP_PROJECTION }));
      const changes = new Map<number, Map<string, Record<string, unknown> | null>>();
      chunk.forEach((id, k) => {
        const doc = docs[k];
        const n = bucketOf(id, this.count);
        if (!changes.has(n)) changes.set(n, new Map());
        const mine = doc && doc.cohortId === cohortId;
        changes.get(n)!.set(id, mine ? sweepEntry(doc) : null);
        if (mine) folded.push(doc);
      });
      await this.write(cohortId, changes);
      await lock.extend();
    }
    if (ids.length) await redis.del(processing);
    return folded;
  }

  /** Reads, changes and writes each bucket by `_id` (four at a time; one writer: the lock's holder). */
  private async write(cohortId: string, changes: Map<number, Map<string, Record<string, unknown> | null>>): Promise<void> {
    const col = this.m.SweepBucket.collection;
    await mapLimit([...changes], 4, async ([n, entries]) => {
      const _id = stringId(bucketId(cohortId, n));
      const doc = await col.findOne({ _id });
      const rows = doc ? (JSON.parse(String(doc.rows ?? '{}')) as Record<string, unknown>) : {};
      for (const [id, entry] of entries) {
        if (entry) rows[id] = entry;
        else delete rows[id];
      }
      if (doc) await col.updateOne({ _id }, { $set: { rows: JSON.stringify(rows) } });
      else if (Object.keys(rows).length) await col.insertOne({ _id, cohortId, rows: JSON.stringify(rows) });
      this.o.afterBucketWrite?.();
    });
  }

  /** The one-time build, lock held: every enrolment of the cohort into its bucket, then the marker. */
  private async buildLocked(cohortId: string, lock: { extend(): Promise<void> }): Promise<void> {
    const flushAt = this.o.buildFlush ?? 100_000;
    let held = 0;
    let changes = new Map<number, Map<string, Record<string, unknown> | null>>();
    const flush = async () => {
      await this.write(cohortId, changes);
      await lock.extend();
      changes = new Map();
      held = 0;
    };
    const cursor = this.m.Enrolment.collection.find({ cohortId: stringId(cohortId) }, { projection: SWEEP_PROJECTION }).batchSize(1000);
    for await (const doc of cursor) {
      const id = String(doc._id);
      const n = bucketOf(id, this.count);
      if (!changes.has(n)) changes.set(n, new Map());
      changes.get(n)!.set(id, sweepEntry(doc));
      if (++held >= flushAt) await flush();
    }
    if (held) await flush();
    await markBuilt(this.m, cohortId);
  }
}

/** Packs enrolment documents into their buckets' `rows` strings, as the fold writes them (benches' seeds). */
export function packBuckets(docs: Iterable<Record<string, unknown>>, count = BUCKETS_PER_COHORT): Map<number, Record<string, unknown>> {
  const rows = new Map<number, Record<string, unknown>>();
  for (const doc of docs) {
    const id = String(doc._id);
    const n = bucketOf(id, count);
    if (!rows.has(n)) rows.set(n, {});
    rows.get(n)![id] = sweepEntry(doc);
  }
  return rows;
}

/** Writes the marker that a cohort's buckets are built (benches' seeds, after writing the buckets themselves). */
export async function markBuilt(m: Models, cohortId: string): Promise<void> {
  await m.SweepBucket.collection.updateOne({ _id: stringId(markerId(cohortId)) }, { $set: { builtAt: new Date() } }, { upsert: true });
}
