/**
 * `report recount`: rebuilds a cohort's counters from the records (a batch scan of its
 * enrolments and learners), rewrites the marks that disagree, and reports every cell it
 * corrected. It also computes what only a scan can know: learners active in the last 7 days and
 * the spread of lessons done (quartiles), kept with each province's counters until the next
 * recount. The daily flow is left as counted (the records keep no history of when each step
 * was reached). Counters are read and corrected in Redis, then flushed to their documents. Run it when the cohort is quiet: a learner who changes while it runs may be off
 * by one until the next recount.
 */
import type { Models } from '../../storage/models.js';
import type { Connection } from 'mongoose';
import { contribution, enrolmentSide, learnerSide, type EnrolmentSide, type Metric } from './facts.js';
import { SUMMARY, type CellCounts, type StatsCounters } from './counters.js';
import { markId, MARKS, type Mark, type StatsTracker } from './tracking.js';
import { enrolmentPart, learnerPart, type EnrolmentPart } from './rows.js';
import { mapLimit } from '../../storage/map-limit.js';

const WRITE_BATCH = 16;
const DAY_MS = 24 * 3600 * 1000;

export interface Drift {
  province: string;
  commune: string;
  role: string;
  metric: string;
  counted: number;
  recounted: number;
}

export interface RecountResult {
  learners: number;
  marksFixed: number;
  drift: Drift[];
  ms: number;
}

interface EnrolmentSeen {
  side: EnrolmentSide;
  version: number;
  lessons: number;
  lastActivityAt: number;
  part: EnrolmentPart;
}

function bump(cells: CellCounts, commune: string, role: string, metric: Metric): void {
  const r = ((cells[commune] ??= {})[role] ??= {});
  r[metric] = (r[metric] ?? 0) + 1;
}

/** A mark written by a save while the recount ran stands (that save counted itself). */
function racedInsert(err: unknown): void {
  const e = err as { code?: number; writeErrors?: { code?: number }[] };
  if (e?.code === 11000 || (e?.writeErrors ?? []).every((w) => w.code === 11000)) return;
  throw err;
}

export async function recount(p: { models: Models; conn: Connection; counters: StatsCounters; tracker: StatsTracker; cohortId: string; now: Date }): Promise<RecountResult> {
  const started = Date.now();
  const cohortId = String(p.cohortId);
  // Every counter changed so far is in its document: the provinces counted are found by a scan of them.
  await p.counters.flush();
  // One small entry per enrolment (status, flags, counts): the learners are streamed, never held.
  const enrolments = new Map<string, EnrolmentSeen>();
  for await (const e of p.models.Enrolment.find({ cohortId }, { learnerId: 1, courseId: 1, status: 1, completedLessons: 1, finalAttempts: 1, lastActivityAt: 1, version: 1 }).lean<any>().cursor({ batchSize: 500 })) {
    enrolments.set(String(e.learnerId), {
      side: enrolmentSide(e, p.tracker.lessonCount(e.courseId)),
      version: e.version ?? 0,
      lessons: new Set(e.completedLessons ?? []).size,
      lastActivityAt: new Date(e.lastActivityAt).getTime(),
      part: enrolmentPart(e),
    });
  }
  const marks = new Map<string, string>();
  const markCol = p.conn.collection<Mark>(MARKS);
  for await (const m of markCol.find({ cohortId }, { projection: { l: 1, e: 1, pending: 1 } })) {
    marks.set(String(m._id), m.pending ? 'pending' : JSON.stringify({ l: m.l, e: m.e }));
  }

  const cells = new Map<string, CellCounts>();
  const extra = new Map<string, { active7: number; lessonHist: Record<string, number> }>();
  const fixes: Mark[] = [];
  let learners = 0;
  let marksFixed = 0;
  // Marks missing (learners never saved since tracking began) are inserted, wrong ones replaced: 16 per command, 4 in flight.
  const flush = async () => {
    const batch = fixes.splice(0);
    // Their Redis copies go first: a save meanwhile reads the mark (tracking.ts).
    await p.counters.dropMarkHints(batch.map((m) => m._id));
    const commands: (() => Promise<unknown>)[] = [];
    const missing = batch.filter((m) => !marks.has(m._id));
    const wrong = batch.filter((m) => marks.has(m._id));
    for (let i = 0; i < missing.length; i += WRITE_BATCH) commands.push(() => markCol.insertMany(missing.slice(i, i + WRITE_BATCH), { ordered: false }).catch(racedInsert));
    for (let i = 0; i < wrong.length; i += WRITE_BATCH) {
      commands.push(() => markCol.bulkWrite(wrong.slice(i, i + WRITE_BATCH).map((m) => ({ replaceOne: { filter: { _id: m._id }, replacement: m, upsert: true } }))));
    }
    await mapLimit(commands, 4, (command) => command());
  };
  const weekAgo = p.now.getTime() - 7 * DAY_MS;
  // The export's rows are rebuilt on the way (each through the version check: a save meanwhile stands).
  const rows = p.counters.rows.builder(cohortId);
  const seenIds = new Set<string>();
  for await (const raw of p.models.Learner.find({ cohortId }, { profile: 1, conversations: 1, unreachable: 1, stopped: 1, locale: 1, onboarded: 1, inviteCode: 1, version: 1, createdAt: 1 }).lean<any>().cursor({ batchSize: 500 })) {
    learners++;
    const id = String(raw._id);
    seenIds.add(id);
    const l = learnerSide(raw);
    const seen = enrolments.get(id);
    const c = contribution(l, seen?.side);
    const province = (cells.has(l.province) ? cells : cells.set(l.province, {})).get(l.province)!;
    if (raw.inviteCode) bump(province, l.commune, l.role, 'invited');
    for (const cell of c?.cells ?? []) bump(province, cell.commune, cell.role, cell.metric);
    if (c) {
      const x = extra.get(l.province) ?? { active7: 0, lessonHist: {} };
      if (seen && seen.lastActivityAt >= weekAgo) x.active7++;
      const k = String(seen?.lessons ?? 0);
      x.lessonHist[k] = (x.lessonHist[k] ?? 0) + 1;
      extra.set(l.province, x);
    }
    await rows.add(id, learnerPart(raw), raw.version ?? 0, seen?.part, seen?.version);
    const mid = markId(id, cohortId);
    const expected = { l, e: seen?.side };
    if (marks.get(mid) !== JSON.stringify(expected)) {
      fixes.push({ _id: mid, learnerId: id, cohortId, l, ...(seen ? { e: seen.side, ev: seen.version } : {}), lv: raw.version ?? 0, seq: Date.now() });
      marksFixed++;
      if (fixes.length >= 512) await flush();
    }
  }
  await flush();
  await rows.done();
  await p.counters.rows.keepOnly(cohortId, seenIds);

  const drift: Drift[] = [];
  const provinces = new Set([...cells.keys(), ...(await p.counters.provincesCounted(cohortId))]);
  for (const province of [...provinces].sort()) {
    const want = cells.get(province) ?? {};
    const had = (await p.counters.read(cohortId, province)).cells;
    // Every cell either side: a metric counted where the records have none is drift too.
    for (const commune of new Set([...Object.keys(want), ...Object.keys(had)])) {
      for (const role of new Set([...Object.keys(want[commune] ?? {}), ...Object.keys(had[commune] ?? {})])) {
        const w = want[commune]?.[role] ?? {};
        const h = had[commune]?.[role] ?? {};
        for (const metric of new Set([...Object.keys(w), ...Object.keys(h)]) as Set<Metric>) {
          const counted = h[metric] ?? 0;
          const recounted = w[metric] ?? 0;
          if (counted !== recounted) drift.push({ province, commune, role, metric, counted, recounted });
        }
      }
    }
    const x = extra.get(province) ?? { active7: 0, lessonHist: {} };
    await p.counters.replace(cohortId, province, want, { at: p.now, ...x });
  }
  // The summary: each province's cells added up by role, with the province where the commune was.
  const summary: CellCounts = {};
  const all = { active7: 0, lessonHist: {} as Record<string, number> };
  for (const [province, communes] of cells) {
    const byRole: CellCounts[string] = (summary[province] = {});
    for (const roles of Object.values(communes))
      for (const [role, metrics] of Object.entries(roles)) {
        const r = (byRole[role] ??= {});
        for (const [m, n] of Object.entries(metrics) as [Metric, number][]) r[m] = (r[m] ?? 0) + n;
      }
  }
  for (const x of extra.values()) {
    all.active7 += x.active7;
    for (const [k, n] of Object.entries(x.lessonHist)) all.lessonHist[k] = (all.lessonHist[k] ?? 0) + n;
  }
  await p.counters.replace(cohortId, SUMMARY, summary, { at: p.now, ...all });
  // Redis is corrected above; the documents now.
  await p.counters.flush();
  return { learners, marksFixed, drift, ms: Date.now() - started };
}
