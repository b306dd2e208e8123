/**
 * The benches' stored population of one cohort (bench/admin-stats.ts, bench/dashboard.ts): learner
 * `i` gets a commune of `communes` spread over the provinces, a role, and a kind (0–1 invited only,
 * 2 started, 3–9 onboarded with an enrolment in every status), the same for the same `i` in every
 * run. Inserted 16 documents per command (FerretDB 1.24 hangs on large batches), 4 commands in flight.
 */
import { Types } from 'mongoose';
import type { Models } from '../src/storage/models.js';
import { enrolmentId } from '../src/storage/stores.js';

export interface PopulationShape {
  cohort: string;
  provinces: readonly string[];
  communes: number;
  /** The course's lesson ids, in order. */
  lessons: string[];
  /** Epoch ms the dates are counted back from. */
  now: number;
  /** Invite codes are `<codePrefix><i>`. */
  codePrefix: string;
}

/** One learner of the population, with what the stats count of them. */
export interface Member {
  learner: Record<string, unknown>;
  enrolment?: Record<string, unknown>;
  province: string;
  commune: string;
  role: string;
  /** Days before `now` they joined (0–4). */
  day: number;
  started: boolean;
  onboarded: boolean;
  status?: string;
  finished: boolean;
  passed: boolean;
}

export function member(i: number, o: PopulationShape): Member {
  const _id = new Types.ObjectId();
  const c = i % o.communes;
  const day = i % 5;
  const profile = { fullName: `Học viên ${i}`, role: i % 2 ? 'vice_chair' : 'chair', province: o.provinces[c % o.provinces.length]!, commune: `Xã ${c}`, phone: `09${String(i).padStart(8, '0')}` };
  const kind = i % 10;
  const started = kind >= 2;
  const onboarded = kind >= 3;
  const createdAt = new Date(o.now - day * 86400e3);
  const learner = { _id, conversations: started ? [`telegram:${i}`] : [], unreachable: [], profile, locale: 'vi', cohortId: o.cohort, inviteCode: `${o.codePrefix}${i}`, stopped: false, onboarded, createdAt, version: 1 };
  const m: Member = { learner, province: profile.province, commune: profile.commune, role: profile.role, day, started, onboarded, finished: false, passed: false };
  if (!onboarded) return m;
  const done = o.lessons.slice(0, (i * 7) % (o.lessons.length + 1));
  m.finished = done.length === o.lessons.length;
  m.passed = m.finished && kind >= 6;
  m.status = m.passed ? (kind >= 8 ? 'certified' : 'completed') : done.length ? 'in_progress' : 'not_started';
  m.enrolment = {
    _id: enrolmentId(String(_id), o.cohort), learnerId: String(_id), cohortId: o.cohort, courseId: 'cds-xa', status: m.status, cursor: { at: 'idle' }, completedLessons: done, checkResults: {},
    finalAttempts: m.finished ? [{ n: 1, questionIds: [], correct: 20, answered: 30, startedAt: createdAt, finishedAt: createdAt, scorePercent: m.passed ? 80 : 50, passed: m.passed }] : [],
    lastActivityAt: new Date(o.now - (i % 12) * 86400e3), version: 1,
    learnerFacts: { id: String(_id), stopped: false, onboarded: true, lessonHour: null, conversation: `telegram:${i}` },
    learnerProfile: { ...profile, onboarded: true, createdAt },
  };
  return m;
}

/** Inserts members `from` … `to - 1`; `seen` is called for each (counting what they add up to), `progress` after each batch. */
export async function insertPopulation(models: Models, from: number, to: number, o: PopulationShape, seen?: (m: Member) => void, progress?: (inserted: number) => void): Promise<void> {
  let next = from;
  const worker = async () => {
    for (;;) {
      const start = next;
      next += 16;
      if (start >= to) return;
      const batch = Array.from({ length: Math.min(16, to - start) }, (_, k) => member(start + k, o));
      batch.forEach((m) => seen?.(m));
      await models.Learner.collection.insertMany(batch.map((m) => m.learner) as never[]);
      const enrolments = batch.flatMap((m) => (m.enrolment ? [m.enrolment] : []));
      if (enrolments.length) await models.Enrolment.collection.insertMany(enrolments as never[]);
      progress?.(start);
    }
  };
  await Promise.all([1, 2, 3, 4].map(worker));
}
