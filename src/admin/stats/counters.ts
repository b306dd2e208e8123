/**
 * The stats counters: one document per cohort × province (`_id` `<cohort>|<province>`) holding
 * per commune × role × metric counts (`cells`) and the daily flow of the funnel (`days`), read by
 * `_id` only. FerretDB's `$inc` is a read-modify-write (not atomic under concurrency), so every
 * change of a document runs under a short Redis lease of that document: with the writers
 * serialised, `$inc` is exact. Each change carries an op id kept in the document's last
 * OPS_KEPT ops, so an op re-applied after a crash counts once.
 */
import type { Connection } from 'mongoose';
import { DateTime } from 'luxon';
import type { Clock, Leases } from '../../core/ports.js';
import { FUNNEL, type Delta, type Metric } from './facts.js';

const OPS_KEPT = 256;
export const COUNTERS = 'stats_counters';

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
  leases: Leases;
  clock: Clock;
  timezone: string;
}

export class StatsCounters {
  constructor(private readonly o: StatsCountersOptions) {}

  private get col() {
    return this.o.conn.collection<any>(COUNTERS);
  }

  now(): Date {
    return this.o.clock.now();
  }

  /** The roster import invited `n` people at this place (call once per person created). */
  async invited(e: InvitedPlace, n = 1): Promise<void> {
    if (n === 0) return;
    const delta: Delta = { province: e.province.normalize('NFC'), commune: e.commune.normalize('NFC'), role: e.role, metric: 'invited', n };
    await this.apply(e.cohortId, [delta], `invite:${this.o.clock.now().getTime()}:${Math.random().toString(36).slice(2)}`);
  }

  /** Applies signed changes, one locked update per province document; an op already applied there is skipped. */
  async apply(cohortId: string, deltas: Delta[], op: string, at: Date = this.o.clock.now()): Promise<void> {
    const day = DateTime.fromJSDate(at, { zone: this.o.timezone }).toISODate() ?? 'unknown';
    const byDoc = new Map<string, Delta[]>();
    for (const d of deltas) {
      byDoc.set(d.province, [...(byDoc.get(d.province) ?? []), d]);
      // In the summary a province stands where a commune does.
      byDoc.set(SUMMARY, [...(byDoc.get(SUMMARY) ?? []), { ...d, commune: d.province }]);
    }
    // A fixed order of documents: two ops on the same documents never wait on each other in a ring.
    for (const province of [...byDoc.keys()].sort()) {
      const id = counterId(cohortId, province);
      await this.o.leases.run(`stats:${id}`, async () => {
        const doc = await this.col.findOne({ _id: id as never }, { projection: { ops: 1 } });
        const ops: string[] = doc?.ops ?? [];
        if (ops.includes(op)) return;
        const inc: Record<string, number> = {};
        for (const d of byDoc.get(province)!) {
          const cell = `cells.${enc(d.commune)}.${enc(d.role)}.${d.metric}`;
          inc[cell] = (inc[cell] ?? 0) + d.n;
          if ((FUNNEL as readonly string[]).includes(d.metric)) inc[`days.${day}.${d.metric}`] = (inc[`days.${day}.${d.metric}`] ?? 0) + d.n;
        }
        await this.col.updateOne(
          { _id: id as never },
          { $inc: inc, $set: { cohortId, province, ops: [...ops.slice(-(OPS_KEPT - 1)), op], updatedAt: at } },
          { upsert: true },
        );
      });
    }
  }

  /** The counters of one province (empty when nobody was counted there). */
  async read(cohortId: string, province: string): Promise<CounterDoc> {
    const raw = await this.col.findOne({ _id: counterId(cohortId, province) as never }, { projection: { ops: 0 } });
    return raw ? decode(raw) : { cohortId, province, cells: {}, days: {} };
  }

  /** Several provinces' counters, read by `_id` in parallel. */
  readMany(cohortId: string, provinces: readonly string[]): Promise<CounterDoc[]> {
    return Promise.all(provinces.map((p) => this.read(cohortId, p)));
  }

  /** Replaces a province's cells (or, for SUMMARY, the cohort's by province) and recount figures with a recount's, under its lease; the daily flow stays. */
  async replace(cohortId: string, province: string, cells: CellCounts, recount: NonNullable<CounterDoc['recount']>): Promise<void> {
    const id = counterId(cohortId, province);
    const stored: Record<string, Record<string, unknown>> = {};
    for (const [c, roles] of Object.entries(cells)) {
      stored[enc(c)] = {};
      for (const [r, metrics] of Object.entries(roles)) stored[enc(c)]![enc(r)] = metrics;
    }
    await this.o.leases.run(`stats:${id}`, async () => {
      await this.col.updateOne({ _id: id as never }, { $set: { cohortId, province, cells: stored, recount, updatedAt: recount.at } }, { upsert: true });
    });
  }

  /** The provinces that have a counter document for the cohort (a scan: for the recount and the CLI only). */
  async provincesCounted(cohortId: string): Promise<string[]> {
    const docs = await this.col.find({ cohortId: String(cohortId) }, { projection: { province: 1 } }).toArray();
    return docs.map((d) => String(d.province)).filter((p) => p !== SUMMARY);
  }
}
