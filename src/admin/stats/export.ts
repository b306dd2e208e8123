/**
 * The progress export: one CSV row per learner of a cohort (of one province for a province
 * account). Once a recount built the cohort's kept rows (rows.ts), streamed from them in Redis;
 * else (and as the benchmark's baseline) from two scans of the records read in batches — the enrolments, which carry a copy of their
 * learner's profile (`learnerProfile`), for everyone who finished onboarding; the learners who did
 * not (invited, or still answering the profile questions), who have no progress yet. No join and
 * nothing held: memory stays flat however many learners there are. Excel-friendly: UTF-8 with a
 * BOM, and every text cell that a spreadsheet would read as a formula starts with `'`.
 */
import { Readable } from 'node:stream';
import { stringify } from 'csv-stringify';
import type { Locale } from '../../core/course.js';
import type { Translator } from '../../core/ports.js';
import type { Models } from '../../storage/models.js';
import type { LearnerProfileCopy } from '../../storage/learner-facts.js';
import { enrolmentPart, iso, type EnrolmentPart, type ExportRows, type StoredRow } from './rows.js';

const BATCH = 500;

export const PROGRESS_COLUMNS = [
  'learnerId',
  'fullName',
  'role',
  'province',
  'commune',
  'phone',
  'onboarded',
  'status',
  'lessonsDone',
  'lessonsTotal',
  'bestPercent',
  'passed',
  'certified',
  'lastActivityAt',
  'joinedAt',
] as const;

export type ProgressRow = Record<(typeof PROGRESS_COLUMNS)[number], string | number | boolean | null>;

/** A cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, carriage return) gets a leading `'`. */
export function neutralise(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

function enrolmentRow(e: any, profile: LearnerProfileCopy, lessonsTotal: number): ProgressRow {
  const part = enrolmentPart(e);
  return {
    learnerId: String(e.learnerId),
    fullName: profile.fullName ?? null,
    role: profile.role ?? null,
    province: profile.province ?? null,
    commune: profile.commune ?? null,
    phone: profile.phone ?? null,
    onboarded: profile.onboarded === true,
    ...progressOf(part),
    lessonsTotal,
    joinedAt: iso(profile.createdAt),
  };
}

/** A row's progress columns from the enrolment's part (the scans' and the kept rows' alike). */
function progressOf(e: EnrolmentPart): Pick<ProgressRow, 'status' | 'lessonsDone' | 'bestPercent' | 'passed' | 'certified' | 'lastActivityAt'> {
  return { status: e.status, lessonsDone: e.lessonsDone, bestPercent: e.bestPercent, passed: e.passed, certified: e.status === 'certified', lastActivityAt: e.lastActivityAt };
}

/** The progress columns of someone with no enrolment yet (invited, or onboarding not finished). */
function noProgress(status: 'invited' | 'not_started'): ReturnType<typeof progressOf> {
  return { status, lessonsDone: 0, bestPercent: null, passed: false, certified: false, lastActivityAt: null };
}

function learnerRow(l: any, lessonsTotal: number): ProgressRow {
  const p = l.profile ?? {};
  return {
    learnerId: String(l._id),
    fullName: p.fullName ?? null,
    role: p.role ?? null,
    province: p.province ?? null,
    commune: p.commune ?? null,
    phone: p.phone ?? null,
    onboarded: false,
    ...noProgress((l.conversations?.length ?? 0) > 0 ? 'not_started' : 'invited'),
    lessonsTotal,
    joinedAt: iso(l.createdAt),
  };
}

async function profileOf(models: Models, learnerId: string): Promise<LearnerProfileCopy | null> {
  const l = await models.Learner.findById(learnerId).lean<any>().catch(() => null);
  return l ? { ...(l.profile ?? {}), onboarded: l.onboarded === true, createdAt: l.createdAt } : null;
}

/** Onboarded learners, from the enrolments and their profile copy (a learner read by `_id` where an old enrolment has none). */
async function* fromEnrolments(models: Models, cohortId: string, province: string | undefined, lessonsTotal: number): AsyncGenerator<ProgressRow> {
  const filter: Record<string, unknown> = { cohortId };
  if (province !== undefined) filter['learnerProfile.province'] = province;
  const projection = { learnerId: 1, status: 1, completedLessons: 1, finalAttempts: 1, lastActivityAt: 1, learnerProfile: 1 };
  const cursor = models.Enrolment.collection.find(filter as never, { projection }).batchSize(BATCH);
  try {
    for await (const e of cursor) {
      const profile = (e.learnerProfile as LearnerProfileCopy | undefined) ?? (await profileOf(models, String(e.learnerId)));
      if (!profile || profile.onboarded !== true) continue;
      if (province !== undefined && profile.province !== province) continue;
      yield enrolmentRow(e, profile, lessonsTotal);
    }
  } finally {
    await cursor.close();
  }
}

/** Learners who have not finished onboarding: no progress to read. */
async function* notOnboarded(models: Models, cohortId: string, province: string | undefined, lessonsTotal: number): AsyncGenerator<ProgressRow> {
  const filter: Record<string, unknown> = { cohortId, onboarded: { $ne: true } };
  if (province !== undefined) filter['profile.province'] = province;
  const cursor = models.Learner.collection.find(filter as never, { projection: { profile: 1, conversations: 1, createdAt: 1 } }).batchSize(BATCH);
  try {
    for await (const l of cursor) yield learnerRow(l, lessonsTotal);
  } finally {
    await cursor.close();
  }
}

/** Both streams at once, each row as soon as either has it (two scans run side by side); at most one row waits per stream. */
async function* merge<T>(...sources: AsyncGenerator<T>[]): AsyncGenerator<T> {
  const pending = new Map<number, Promise<{ i: number; r: IteratorResult<T> }>>();
  const pull = (i: number) => pending.set(i, sources[i]!.next().then((r) => ({ i, r })));
  sources.forEach((_, i) => pull(i));
  try {
    while (pending.size) {
      const { i, r } = await Promise.race(pending.values());
      if (r.done) pending.delete(i);
      else {
        pull(i);
        yield r.value;
      }
    }
  } finally {
    await Promise.allSettled(sources.map((s) => s.return(undefined)));
  }
}

/** A kept row as the export writes it: progress only for onboarded learners, as the scans give it. */
function keptRow(id: string, r: StoredRow, lessonsTotal: number): ProgressRow | null {
  const l = r.l;
  if (!l) return null;
  const e = l.onboarded ? r.e : undefined;
  return {
    learnerId: id,
    fullName: l.fullName,
    role: l.role,
    province: l.province,
    commune: l.commune,
    phone: l.phone,
    onboarded: l.onboarded,
    ...(e ? progressOf(e) : noProgress(l.onboarded || l.started ? 'not_started' : 'invited')),
    lessonsTotal,
    joinedAt: l.joinedAt,
  };
}

export async function* keptProgressRows(rows: ExportRows, cohortId: string, province: string | undefined, lessonsTotal: number): AsyncGenerator<ProgressRow> {
  for await (const [id, r] of rows.scan(cohortId)) {
    if (province !== undefined && r.l?.province !== province) continue;
    const row = keptRow(id, r, lessonsTotal);
    if (row) yield row;
  }
}

export interface ProgressQuery {
  /** The kept rows: read instead of the records once the cohort's were built (by the recount). */
  rows?: ExportRows;
  models: Models;
  cohortId: string;
  /** Only this province's learners (a province account's export). */
  province?: string;
  lessonsTotal: number;
}

export async function* progressRows(q: ProgressQuery): AsyncGenerator<ProgressRow> {
  const cohortId = String(q.cohortId);
  const province = q.province === undefined ? undefined : String(q.province);
  if (q.rows && (await q.rows.built(cohortId))) yield* keptProgressRows(q.rows, cohortId, province, q.lessonsTotal);
  else yield* merge(fromEnrolments(q.models, cohortId, province, q.lessonsTotal), notOnboarded(q.models, cohortId, province, q.lessonsTotal));
}

/** The rows as CSV: a BOM, a header in the reader's language, formula cells neutralised. */
export function progressCsv(rows: AsyncIterable<ProgressRow>, i18n: Translator, locale: Locale): Readable {
  const header = PROGRESS_COLUMNS.map((c) => i18n.t(locale, `stats.csv.${c}`));
  const csv = stringify({
    bom: true,
    header: true,
    columns: PROGRESS_COLUMNS.map((key, i) => ({ key, header: header[i]! })),
    cast: {
      string: (v) => neutralise(v),
      boolean: (v) => (v ? '1' : '0'),
    },
  });
  const source = Readable.from(rows);
  // A read that fails midway ends the download with an error, never a silently short file.
  source.on('error', (err) => csv.destroy(err));
  return source.pipe(csv);
}
