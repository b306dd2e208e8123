/**
 * The stats of a cohort for one scope — the whole cohort, a province, or a commune — assembled
 * from counter documents read by `_id` (never the learners).
 */
import type { Cohort } from '../../core/model.js';
import { FUNNEL, STATUSES, type FunnelStep, type Metric } from './facts.js';
import { SUMMARY, type CellCounts, type CounterDoc, type StatsCounters } from './counters.js';

const DAY_MS = 24 * 3600 * 1000;

export type Totals = Record<FunnelStep, number>;

export interface Row extends Totals {
  name: string;
  /** started / invited, in percent; null when nobody was invited there. */
  startedPercent: number | null;
}

export interface CohortStats {
  /** When the counters were read (responses may be served for a few seconds). */
  asOf: string;
  cohort: { id: string; title: string | null; opensAt: string; closesAt: string; daysLeft: number };
  province: string | null;
  commune: string | null;
  totals: Totals & { invitedNotStarted: number };
  funnel: { step: FunnelStep; n: number; percentOfPrevious: number | null }[];
  byStatus: Record<string, number>;
  byRole: ({ role: string } & Totals)[];
  /** Provinces (for the whole cohort) or communes (inside a province); empty for a commune. */
  breakdown: { level: 'province' | 'commune' | 'none'; rows: Row[] };
  /** Net learners reaching each step per local day (of the province, for a commune). */
  daily: ({ date: string } & Totals)[];
  /** Communes of the scope with people invited and nobody started. */
  communesNotStarted: string[];
  /** What only the recount computes, as of its last run. */
  recount: { at: string; active7: number; lessonsQuartiles: [number, number, number] | null } | null;
}

function zero(): Totals {
  return { invited: 0, started: 0, onboarded: 0, finished: 0, passed: 0, certified: 0 };
}

function addMetrics(t: Record<string, number>, metrics: Partial<Record<Metric, number>>): void {
  for (const [m, n] of Object.entries(metrics)) t[m] = (t[m] ?? 0) + (n ?? 0);
}

function totalsOf(counts: Record<string, number>): Totals {
  const t = zero();
  for (const s of FUNNEL) t[s] = counts[s] ?? 0;
  return t;
}

function pct(n: number, of: number): number | null {
  return of > 0 ? Math.round((1000 * n) / of) / 10 : null;
}

function row(name: string, counts: Record<string, number>): Row {
  const t = totalsOf(counts);
  return { name, ...t, startedPercent: pct(t.started, t.invited) };
}

/** The commune → role cells of several documents, narrowed to one commune when asked. */
function cellsOf(docs: CounterDoc[], commune: string | undefined): CellCounts[] {
  return docs.map((d) => (commune === undefined ? d.cells : d.cells[commune] ? { [commune]: d.cells[commune]! } : {}));
}

export function quartiles(hist: Record<string, number>): [number, number, number] | null {
  const entries = Object.entries(hist).map(([k, n]) => [Number(k), n] as const).sort((a, b) => a[0] - b[0]);
  const total = entries.reduce((s, [, n]) => s + n, 0);
  if (total === 0) return null;
  return [0.25, 0.5, 0.75].map((q) => {
    const rank = Math.ceil(q * total);
    let seen = 0;
    for (const [v, n] of entries) if ((seen += n) >= rank) return v;
    return entries.at(-1)![0];
  }) as [number, number, number];
}

export async function cohortStats(p: {
  counters: StatsCounters;
  cohort: Cohort;
  /** The provinces of the cohort's list (each gets a row for the whole cohort, counted or not). */
  provinces: readonly string[];
  province?: string;
  commune?: string;
  now: Date;
}): Promise<CohortStats> {
  // The whole cohort is its summary document (provinces where communes are); a province is its own document.
  const docs = [await p.counters.read(p.cohort.id, p.province ?? SUMMARY)];
  const all: Record<string, number> = {};
  const roles = new Map<string, Record<string, number>>();
  const places = new Map<string, Record<string, number>>();
  if (p.province === undefined) for (const name of p.provinces) places.set(name, {});
  for (const doc of docs) {
    for (const [place, byRole] of Object.entries(cellsOf([doc], p.commune)[0]!)) {
      const counts = places.get(place) ?? {};
      for (const [role, metrics] of Object.entries(byRole)) {
        addMetrics(all, metrics);
        addMetrics(counts, metrics);
        const r = roles.get(role) ?? {};
        addMetrics(r, metrics);
        roles.set(role, r);
      }
      places.set(place, counts);
    }
  }

  const totals = totalsOf(all);
  const daily = new Map<string, Record<string, number>>();
  for (const doc of docs) for (const [date, steps] of Object.entries(doc.days)) addMetrics(daily.get(date) ?? daily.set(date, {}).get(date)!, steps as Record<string, number>);

  const communesNotStarted: string[] = [];
  if (p.province !== undefined && p.commune === undefined) {
    for (const [commune, counts] of places) if ((counts.invited ?? 0) > 0 && (counts.started ?? 0) === 0) communesNotStarted.push(commune);
  }
  const recounts = docs.map((d) => d.recount).filter((r) => r !== undefined);
  const hist: Record<string, number> = {};
  for (const r of recounts) for (const [k, n] of Object.entries(r.lessonHist)) hist[k] = (hist[k] ?? 0) + n;

  return {
    asOf: p.now.toISOString(),
    cohort: {
      id: p.cohort.id,
      title: p.cohort.title ?? null,
      opensAt: new Date(p.cohort.opensAt).toISOString(),
      closesAt: new Date(p.cohort.closesAt).toISOString(),
      daysLeft: Math.max(0, Math.ceil((new Date(p.cohort.closesAt).getTime() - p.now.getTime()) / DAY_MS)),
    },
    province: p.province ?? null,
    commune: p.commune ?? null,
    totals: { ...totals, invitedNotStarted: Math.max(0, totals.invited - totals.started) },
    funnel: FUNNEL.map((step, i) => ({ step, n: totals[step], percentOfPrevious: i === 0 ? null : pct(totals[step], totals[FUNNEL[i - 1]!]) })),
    byStatus: Object.fromEntries(STATUSES.map((s) => [s, all[`status:${s}`] ?? 0])),
    byRole: [...roles].sort(([a], [b]) => a.localeCompare(b)).map(([role, counts]) => ({ role, ...totalsOf(counts) })),
    breakdown:
      p.commune !== undefined
        ? { level: 'none', rows: [] }
        : { level: p.province === undefined ? 'province' : 'commune', rows: [...places].map(([name, c]) => row(name, c)).sort((a, b) => a.name.localeCompare(b.name, 'vi')) },
    daily: [...daily].sort(([a], [b]) => a.localeCompare(b)).map(([date, c]) => ({ date, ...totalsOf(c) })),
    communesNotStarted: communesNotStarted.sort((a, b) => a.localeCompare(b, 'vi')),
    recount: recounts.length
      ? { at: new Date(Math.min(...recounts.map((r) => new Date(r.at).getTime()))).toISOString(), active7: recounts.reduce((s, r) => s + r.active7, 0), lessonsQuartiles: quartiles(hist) }
      : null,
  };
}
