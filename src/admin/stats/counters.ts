/**
 * The stats counters: per cohort × province (`<cohort>|<province>`), counts by commune × role ×
 * metric (`cells`) and the daily flow of the funnel (`days`); the cohort's summary (`<cohort>|*`)
 * has provinces where a province has communes.
 *
 * They are counted in Redis, off the reply path: each change is one Lua script that claims the op
 * (a tracked save's `<mark>#<seq>` against the mark's last applied sequence in the `applied` hash;
 * any other op id with `SET <op> NX EX 14d`), so a retried save counts once, and HINCRBYs the province hash and the
 * summary hash together — atomic, no lease, nothing for a killed worker to leave locked. A hash
 * missing from Redis (first use, Redis lost) is loaded from its MongoDB document first, by a
 * script that writes only when the hash is still missing (two loaders never add up twice).
 * Changed hashes are flushed to `stats_counters` documents (by `_id`, the same shape as before)
 * every few seconds, after FLUSH_AFTER changes, on close and before a recount, one flusher at a
 * time across processes. Reads come from Redis when the hash is there, else from the document.
 *
 * Redis keys, under `<prefix>:stats:<database>`: `h:<cohort>|<province>` (hash: `c|<commune>|<role>|<metric>`
 * and `d|<date>|<step>` counts, `_v` a change number, `r` the last recount's figures),
 * `applied` (mark → last sequence counted), `op:<op id>`, `dirty` (the set of ids changed since their last flush), `flushing` (the flush lock).
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Connection } from 'mongoose';
import type { Redis } from 'ioredis';
import { DateTime } from 'luxon';
import type { Clock } from '../../core/ports.js';
import { FUNNEL, type Delta, type Metric } from './facts.js';
import { ExportRows } from './rows.js';
import { RELEASE_IF_HELD } from '../../storage/lock-scripts.js';

export const COUNTERS = 'stats_counters';
/** How long an op id is remembered: a save retried later than this could count twice. */
const OP_TTL_S = 14 * 24 * 3600;
const FLUSH_EVERY_MS = 5000;
const FLUSH_AFTER = 200;
const FLUSH_LOCK_MS = 60_000;

/** A place and role the roster import invited people in. */
export interface InvitedPlace {
  cohortId: string;
  province: string;
  commune: string;
  role: string;
}

/** Counts by commune → role → metric. */
export type CellCounts = Record<string, Record<string, Partial<Record<Metric, number>>>>;

export interface CounterDoc {
  cohortId: string;
  province: string;
  cells: CellCounts;
  /** Local date (YYYY-MM-DD) → funnel step → net learners reaching it that day. */
  days: Record<string, Partial<Record<string, number>>>;
  /** Written by the recount only: learners active in the last 7 days, and lessons done → learners. */
  recount?: { at: Date; active7: number; lessonHist: Record<string, number> };
}

/** Field names may hold neither `.` nor a leading `$`: names are stored percent-encoded. */
export function enc(name: string): string {
  return encodeURIComponent(name).replace(/\./g, '%2E');
}

export function dec(field: string): string {
  try {
    return decodeURIComponent(field);
  } catch {
    return field;
  }
}

export function counterId(cohortId: string, province: string): string {
  return `${cohortId}|${province}`;
}

/**
 * The cohort's summary document: the same shape with provinces where a province document has
 * communes, so the whole cohort is one read by `_id`. Every op changes it too (under its own lease).
 */
export const SUMMARY = '*';

function decode(raw: any): CounterDoc {
  const cells: CellCounts = {};
  for (const [c, roles] of Object.entries<any>(raw?.cells ?? {})) {
    const byRole: CellCounts[string] = (cells[dec(c)] = {});
    for (const [r, metrics] of Object.entries<any>(roles ?? {})) byRole[dec(r)] = { ...metrics };
  }
  return { cohortId: raw.cohortId, province: raw.province, cells, days: raw.days ?? {}, ...(raw.recount ? { recount: raw.recount } : {}) };
}

export interface StatsCountersOptions {
  conn: Connection;
  redis: Redis;
  /** Redis key prefix (the queues' prefix): keys are `<prefix>:stats:<database>:…`. */
  prefix: string;
  clock: Clock;
  timezone: string;
  /** @defaultValue 5000 */
  flushEveryMs?: number;
  /** Changes (by this process) that trigger a flush before the timer. @defaultValue 200 */
  flushAfter?: number;
  /** A background flush that failed (it is retried by the next one). */
  onError?: (err: unknown) => void;
}

/**
 * One change: KEYS op key (or the `applied` hash), dirty, hash…; ARGV `op` + TTL (or `seq` + mark id +
 * sequence number), then per hash its id, its field count and the field/increment pairs. Returns 1
 * (counted), 0 (op already counted) or -i (hash i missing: load it, retry).
 */
const APPLY = `
for i = 3, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 0 then return 2 - i end
end
if ARGV[1] == 'seq' then
  local cur = redis.call('HGET', KEYS[1], ARGV[2])
  if cur and tonumber(cur) >= tonumber(ARGV[3]) then return 0 end
  redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
else
  if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[2]) then return 0 end
end
local a = 4
for i = 3, #KEYS do
  local id, n = ARGV[a], tonumber(ARGV[a + 1])
  a = a + 2
  for j = 1, n do
    redis.call('HINCRBY', KEYS[i], ARGV[a], ARGV[a + 1])
    a = a + 2
  end
  redis.call('HINCRBY', KEYS[i], '_v', 1)
  redis.call('SADD', KEYS[2], id)
end
return 1`;

/** KEYS hash; ARGV field/value pairs. Writes only if the hash is still missing. */
const LOAD = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
for i = 1, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
return 1`;

/** KEYS hash, dirty; ARGV id, then field/value pairs: the cells and `r` replaced, the days kept. */
const REPLACE = `
for _, f in ipairs(redis.call('HKEYS', KEYS[1])) do
  if string.sub(f, 1, 2) == 'c|' or f == 'r' then redis.call('HDEL', KEYS[1], f) end
end
for i = 2, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('HINCRBY', KEYS[1], '_v', 1)
redis.call('SADD', KEYS[2], ARGV[1])
return 1`;

/** KEYS hash, dirty; ARGV id, the `_v` flushed: the id stays dirty if it changed meanwhile. */
const FLUSHED = `
if redis.call('HGET', KEYS[1], '_v') == ARGV[2] then return redis.call('SREM', KEYS[2], ARGV[1]) end
return 0`;


function cellField(commune: string, role: string, metric: string): string {
  return `c|${enc(commune)}|${enc(role)}|${metric}`;
}

/** The hash's fields of a stored document (names stay encoded as they are stored). */
function hashFields(cohortId: string, province: string, raw: any): string[] {
  const out = ['_v', '0', '_cohort', cohortId, '_province', province];
  for (const [c, roles] of Object.entries<any>(raw?.cells ?? {}))
    for (const [r, metrics] of Object.entries<any>(roles ?? {}))
      for (const [m, n] of Object.entries<any>(metrics ?? {})) if (Number(n)) out.push(`c|${c}|${r}|${m}`, String(Number(n)));
  for (const [date, steps] of Object.entries<any>(raw?.days ?? {})) for (const [m, n] of Object.entries<any>(steps ?? {})) if (Number(n)) out.push(`d|${date}|${m}`, String(Number(n)));
  if (raw?.recount) out.push('r', JSON.stringify(raw.recount));
  return out;
}

/** The stored document's shape (encoded names) from a hash. */
function docFields(h: Record<string, string>): { cells: Record<string, Record<string, Record<string, number>>>; days: Record<string, Record<string, number>>; recount?: CounterDoc['recount'] } {
  const cells: Record<string, Record<string, Record<string, number>>> = {};
  const days: Record<string, Record<string, number>> = {};
  for (const [f, v] of Object.entries(h)) {
    const n = Number(v);
    if (f.startsWith('c|')) {
      if (!n) continue;
      const [, c, r, ...m] = f.split('|');
      ((cells[c!] ??= {})[r!] ??= {})[m.join('|')] = n;
    } else if (f.startsWith('d|')) {
      if (!n) continue;
      const [, date, ...m] = f.split('|');
      (days[date!] ??= {})[m.join('|')] = n;
    }
  }
  const recount = h.r ? JSON.parse(h.r) : undefined;
  return { cells, days, ...(recount ? { recount: { ...recount, at: new Date(recount.at) } } : {}) };
}

type Scripted = Redis & {
  cdsStatsApply(...args: (string | number)[]): Promise<number>;
  cdsStatsLoad(...args: string[]): Promise<number>;
  cdsStatsReplace(...args: string[]): Promise<number>;
  cdsStatsFlushed(...args: string[]): Promise<number>;
  cdsStatsRelease(...args: string[]): Promise<number>;
};

/** Where the stats keys of a database live: `<prefix>:stats:<database>`. */
export function statsKeyPrefix(prefix: string, database: string): string {
  return `${prefix}:stats:${database}`;
}

/** How long a mark's Redis copy lives after its last write: a day (the learners active that day). */
const MARK_HINT_SECONDS = 86_400;

export class StatsCounters {
  private readonly redis: Scripted;
  /** Where the keys live: `<prefix>:stats:<database>`. */
  readonly keyPrefix: string;
  /** The export's rows, kept beside the counters (same Redis, same key prefix). */
  readonly rows: ExportRows;
  private changes = 0;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again: Promise<void> | undefined;
  private closed = false;

  constructor(private readonly o: StatsCountersOptions) {
    const r = o.redis as Scripted;
    if (typeof r.cdsStatsApply !== 'function') {
      r.defineCommand('cdsStatsApply', { lua: APPLY });
      r.defineCommand('cdsStatsLoad', { lua: LOAD, numberOfKeys: 1 });
      r.defineCommand('cdsStatsReplace', { lua: REPLACE, numberOfKeys: 2 });
      r.defineCommand('cdsStatsFlushed', { lua: FLUSHED, numberOfKeys: 2 });
      r.defineCommand('cdsStatsRelease', { lua: RELEASE_IF_HELD, numberOfKeys: 1 });
    }
    this.redis = r;
    this.keyPrefix = statsKeyPrefix(o.prefix, o.conn.name);
    this.rows = new ExportRows(o.redis, this.keyPrefix);
  }

  /**
   * The Redis copy of a stats mark's sides (tracking.ts), `<keyPrefix>:mh:<mark id>`: written once the
   * mark is written and has no pending op, dropped before the mark is written again.
   */
  markHint(id: string): Promise<string | null> {
    return this.o.redis.get(`${this.keyPrefix}:mh:${id}`);
  }

  async setMarkHint(id: string, sides: string): Promise<void> {
    await this.o.redis.set(`${this.keyPrefix}:mh:${id}`, sides, 'EX', MARK_HINT_SECONDS);
  }

  async dropMarkHints(ids: string[]): Promise<void> {
    if (ids.length > 0) await this.o.redis.del(...ids.map((id) => `${this.keyPrefix}:mh:${id}`));
  }

  private get col() {
    return this.o.conn.collection<any>(COUNTERS);
  }

  private hashKey(id: string): string {
    return `${this.keyPrefix}:h:${id}`;
  }

  private get dirtyKey(): string {
    return `${this.keyPrefix}:dirty`;
  }

  now(): Date {
    return this.o.clock.now();
  }

  /** The roster import invited `n` people at this place (call once per person created). */
  async invited(e: InvitedPlace, n = 1): Promise<void> {
    if (n === 0) return;
    const delta: Delta = { province: e.province.normalize('NFC'), commune: e.commune.normalize('NFC'), role: e.role, metric: 'invited', n };
    await this.apply(e.cohortId, [delta], `invite:${randomUUID()}`);
  }

  /** Applies signed changes to the province hashes and the summary in one script; an op already counted is skipped. */
  async apply(cohortId: string, deltas: Delta[], op: string, at: Date = this.o.clock.now()): Promise<void> {
    const day = DateTime.fromJSDate(at, { zone: this.o.timezone }).toISODate() ?? 'unknown';
    const byDoc = new Map<string, Map<string, number>>();
    const add = (province: string, field: string, n: number) => {
      const m = byDoc.get(province) ?? byDoc.set(province, new Map()).get(province)!;
      m.set(field, (m.get(field) ?? 0) + n);
    };
    for (const d of deltas) {
      add(d.province, cellField(d.commune, d.role, d.metric), d.n);
      // In the summary a province stands where a commune does.
      add(SUMMARY, cellField(d.province, d.role, d.metric), d.n);
      if ((FUNNEL as readonly string[]).includes(d.metric)) {
        add(d.province, `d|${day}|${d.metric}`, d.n);
        add(SUMMARY, `d|${day}|${d.metric}`, d.n);
      }
    }
    const provinces = [...byDoc.keys()].sort();
    const ids = provinces.map((p) => counterId(cohortId, p));
    // A tracked save's op is `<mark>#<seq>`, its sequence rising with each op of the mark (the next is
    // made only once the last is applied): one field per learner remembers the last applied, where a
    // key per op kept 14 days would hold ~10 keys per learner. Other ops (invitations) claim their id.
    const seq = /^(.+)#(\d+)$/.exec(op);
    const keys = [seq ? `${this.keyPrefix}:applied` : `${this.keyPrefix}:op:${op}`, this.dirtyKey, ...ids.map((id) => this.hashKey(id))];
    const args: (string | number)[] = seq ? ['seq', seq[1]!, seq[2]!] : ['op', OP_TTL_S, ''];
    provinces.forEach((p, i) => {
      const fields = [...byDoc.get(p)!].filter(([, n]) => n !== 0);
      args.push(ids[i]!, fields.length, ...fields.flat());
    });
    for (let attempt = 0; ; attempt++) {
      const r = await this.redis.cdsStatsApply(keys.length, ...keys, ...args);
      if (r === 1) return this.changed();
      if (r === 0) return;
      if (attempt >= 3) throw new Error(`stats counters of ${ids.join(', ')} could not be loaded`);
      await Promise.all(ids.map((id, i) => this.load(id, cohortId, provinces[i]!)));
    }
  }

  /** Loads a hash from its document unless it is in Redis already. */
  private async load(id: string, cohortId: string, province: string): Promise<void> {
    const key = this.hashKey(id);
    if (await this.redis.exists(key)) return;
    const raw = await this.col.findOne({ _id: id as never }, { projection: { cells: 1, days: 1, recount: 1 } });
    await this.redis.cdsStatsLoad(key, ...hashFields(cohortId, province, raw));
  }

  private changed(n = 1): void {
    if (this.closed) return;
    this.changes += n;
    this.timer ??= setInterval(() => void this.flush().catch((err) => this.o.onError?.(err)), this.o.flushEveryMs ?? FLUSH_EVERY_MS).unref();
    if (this.changes >= (this.o.flushAfter ?? FLUSH_AFTER)) {
      this.changes = 0;
      void this.flush().catch((err) => this.o.onError?.(err));
    }
  }

  /**
   * Writes every changed hash (of any process) to its document. Flushes run one at a time: a
   * flush asked for while one runs waits for it and runs once more after it.
   */
  flush(): Promise<void> {
    if (!this.running) {
      this.running = this.flushOnce().finally(() => {
        this.running = undefined;
      });
      return this.running;
    }
    this.again ??= this.running
      .catch(() => undefined)
      .then(() => {
        this.again = undefined;
        return this.flush();
      });
    return this.again;
  }

  private async flushOnce(): Promise<void> {
    this.changes = 0;
    const lock = `${this.keyPrefix}:flushing`;
    const token = randomUUID();
    const giveUp = Date.now() + FLUSH_LOCK_MS;
    // Another process flushing: wait for it (what it read may predate our changes).
    for (let pause = 5; (await this.redis.set(lock, token, 'PX', FLUSH_LOCK_MS, 'NX')) !== 'OK'; pause = Math.min(pause * 2, 200)) {
      if (Date.now() > giveUp) throw new Error('stats counters: another flush holds the lock');
      await sleep(pause);
    }
    try {
      const ids = await this.redis.smembers(this.dirtyKey);
      let next = 0;
      await Promise.all(Array.from({ length: Math.min(4, ids.length) }, async () => {
        while (next < ids.length) await this.flushOne(ids[next++]!);
      }));
    } finally {
      await this.redis.cdsStatsRelease(lock, token);
    }
  }

  private async flushOne(id: string): Promise<void> {
    const key = this.hashKey(id);
    const h = await this.redis.hgetall(key);
    if (h._v === undefined) {
      await this.redis.srem(this.dirtyKey, id);
      return;
    }
    const { cells, days, recount } = docFields(h);
    await this.col.replaceOne(
      { _id: id as never },
      { cohortId: h._cohort, province: h._province, cells, days, ...(recount ? { recount } : {}), updatedAt: this.o.clock.now() },
      { upsert: true },
    );
    await this.redis.cdsStatsFlushed(key, this.dirtyKey, id, h._v);
  }

  /** Stops the timer and flushes what is left. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  /** The counters of one province (empty when nobody was counted there): from Redis, else the stored document. */
  async read(cohortId: string, province: string): Promise<CounterDoc> {
    const id = counterId(cohortId, province);
    const h = await this.redis.hgetall(this.hashKey(id));
    const raw = h._v !== undefined ? docFields(h) : await this.col.findOne({ _id: id as never }, { projection: { cells: 1, days: 1, recount: 1 } });
    return raw ? decode({ ...raw, cohortId, province }) : { cohortId, province, cells: {}, days: {} };
  }

  /** Several provinces' counters, read in parallel. */
  readMany(cohortId: string, provinces: readonly string[]): Promise<CounterDoc[]> {
    return Promise.all(provinces.map((p) => this.read(cohortId, p)));
  }

  /** Replaces a province's cells (or, for SUMMARY, the cohort's by province) and recount figures with a recount's; the daily flow stays. */
  async replace(cohortId: string, province: string, cells: CellCounts, recount: NonNullable<CounterDoc['recount']>): Promise<void> {
    const id = counterId(cohortId, province);
    await this.load(id, cohortId, province);
    const fields: string[] = ['r', JSON.stringify(recount)];
    for (const [c, roles] of Object.entries(cells))
      for (const [r, metrics] of Object.entries(roles))
        for (const [m, n] of Object.entries(metrics)) if (n) fields.push(cellField(c, r, m), String(n));
    await this.redis.cdsStatsReplace(this.hashKey(id), this.dirtyKey, id, ...fields);
    this.changed(0);
  }

  /** The provinces that have a counter document for the cohort (a scan: for the recount and the CLI only). */
  async provincesCounted(cohortId: string): Promise<string[]> {
    const docs = await this.col.find({ cohortId: String(cohortId) }, { projection: { province: 1 } }).toArray();
    return docs.map((d) => String(d.province)).filter((p) => p !== SUMMARY);
  }
}
