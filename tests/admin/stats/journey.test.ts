/**
 * The check of the counters: after a randomised journey of 500 learners, they equal a
 * recount. The learners go through the tracked stores the tutor uses (not the chat: 500 chat
 * journeys would take minutes), eight at a time, each on its own seeded path: invited by a roster
 * or not, starting or never, onboarding in steps (a province before a commune) or leaving midway,
 * studying, failing or passing the final test, certified, moving commune; with saves retried and
 * counting cut short after it counted (a worker killed before the mark's pending op was cleared).
 */
import { describe, expect, it } from 'vitest';
import { useEngine, seededRandom } from '../../support/env.js';
import { recount } from '../../../src/admin/stats/recount.js';
import { SUMMARY, type CounterDoc, type StatsCounters } from '../../../src/admin/stats/counters.js';
import { StatsTracker, TrackedEnrolmentStore, TrackedLearnerStore } from '../../../src/admin/stats/tracking.js';
import { ContentCatalog } from '../../../src/content/catalog.js';
import { lessonsOf } from '../../../src/core/course.js';
import type { Enrolment, Learner, Role } from '../../../src/core/model.js';
import { MongoEnrolmentStore, MongoLearnerStore } from '../../../src/storage/stores.js';
import { keptProgressRows, progressRows, type ProgressRow } from '../../../src/admin/stats/export.js';
import { COMMUNES, miniContent } from './support.js';

const h = useEngine({ content: miniContent(), courseId: 'mini' });
const LEARNERS = 500;
const WRITERS = 8;
const ROLES: readonly Role[] = ['chair', 'vice_chair', 'core_staff'];

function totals(doc: CounterDoc): Record<string, number> {
  const t: Record<string, number> = {};
  for (const roles of Object.values(doc.cells)) for (const m of Object.values(roles)) for (const [k, n] of Object.entries(m)) t[k] = (t[k] ?? 0) + (n ?? 0);
  return t;
}

/** The counters, except that one apply in `failEvery` throws after it counted (as a worker killed there would leave it). */
function cutShort(counters: StatsCounters, rnd: () => number, failEvery: number, failures: { n: number }): StatsCounters {
  return new Proxy(counters, {
    get(target, prop, receiver) {
      if (prop !== 'apply') return Reflect.get(target, prop, receiver);
      return async (...args: Parameters<StatsCounters['apply']>) => {
        await target.apply(...args);
        if (rnd() < 1 / failEvery) {
          failures.n++;
          throw new Error('killed after counting');
        }
      };
    },
  });
}

describe('the stats counters after a randomised journey of 500 learners', () => {
  it('should equal a recount: no drift in any cell of any province, the summary the same, every op counted once', async () => {
    const master = seededRandom(1313);
    const failures = { n: 0 };
    const counters = cutShort(h.counters, () => master.next(), 40, failures);
    const catalog = new ContentCatalog(h.content);
    const tracker = new StatsTracker(h.db.conn, counters, catalog);
    const learners = new TrackedLearnerStore(new MongoLearnerStore(h.db.models, h.cache), tracker);
    const enrolments = new TrackedEnrolmentStore(new MongoEnrolmentStore(h.db.models, h.cache), tracker);
    const lessons = lessonsOf(h.course).map((l) => l.id);
    const expected = { invited: 0, started: 0, onboarded: 0, finished: 0, passed: 0, certified: 0 };

    async function journey(n: number): Promise<void> {
      const r = seededRandom(7000 + n);
      const rnd = () => r.next();
      const pick = <T,>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
      const province = rnd() < 0.6 ? 'Nghệ An' : 'Hà Nội';
      const place = { province, commune: pick(COMMUNES[province]!), role: pick(ROLES) };
      const invited = rnd() < 0.4;
      // A save, sometimes retried with the same version (a job retried after it wrote), and always
      // when its counting was cut short (the killed worker's job is retried, as BullMQ does).
      const retried = async <T,>(save: () => Promise<T>): Promise<T> => {
        let saved: T;
        let cut: number;
        do {
          cut = failures.n;
          saved = await save();
        } while (failures.n > cut || rnd() < 0.1);
        return saved;
      };
      const saveLearner = (l: Learner) => retried(() => learners.save(l));
      const saveEnrolment = (e: Enrolment) => retried(() => enrolments.save(e));

      let l = await learners.create({
        conversations: invited ? [] : [`console:j${n}`],
        unreachable: [],
        profile: invited ? { fullName: `Học viên ${n}`, ...place } : {},
        locale: 'vi',
        cohortId: 'demo',
        ...(invited ? { inviteCode: `J${n}` } : {}),
        stopped: false,
        onboarded: false,
        createdAt: h.clock.now(),
      });
      if (invited) {
        // What the roster import counts for each person it invites.
        await h.counters.invited({ cohortId: 'demo', ...place });
        expected.invited++;
        if (rnd() < 0.25) return; // never writes
        l = await saveLearner({ ...l, conversations: [`console:j${n}`] });
      }
      expected.started++;
      if (!invited) {
        // Onboarding in steps: the province first, then the commune and role; some leave midway.
        if (rnd() < 0.8) l = await saveLearner({ ...l, profile: { fullName: `Học viên ${n}`, province } });
        if (rnd() < 0.15) return;
        l = await saveLearner({ ...l, profile: { ...l.profile, ...place } });
      }
      if (rnd() < 0.1) return;
      l = await saveLearner({ ...l, onboarded: true, lessonHour: 8 });
      expected.onboarded++;

      let e = await enrolments.ensure({ learnerId: l.id, cohortId: 'demo', courseId: 'mini', status: 'not_started', cursor: { at: 'idle' }, completedLessons: [], checkResults: {}, finalAttempts: [], lastActivityAt: h.clock.now() });
      e = await saveEnrolment({ ...e, lastActivityAt: h.clock.now() }); // the tutor saves it on the first lesson offer
      const studied = Math.floor(rnd() * (lessons.length + 1));
      for (let i = 0; i < studied; i++) e = await saveEnrolment({ ...e, status: 'in_progress', completedLessons: lessons.slice(0, i + 1), lastActivityAt: h.clock.now() });
      if (!invited && rnd() < 0.1) {
        // Moves commune (corrects the profile): every metric moves with them.
        const other = COMMUNES[place.province]!.find((c) => c !== place.commune)!;
        l = await saveLearner({ ...l, profile: { ...l.profile, commune: other } });
      }
      if (studied < lessons.length) return;
      expected.finished++;
      if (rnd() < 0.2) return;
      for (let attempt = 1; attempt <= 2; attempt++) {
        const passed = rnd() < 0.6;
        const at = h.clock.now();
        e = await saveEnrolment({ ...e, status: passed ? 'completed' : e.status, finalAttempts: [...e.finalAttempts, { n: attempt, questionIds: [], correct: passed ? 2 : 0, answered: 2, startedAt: at, finishedAt: at, scorePercent: passed ? 100 : 0, passed }] });
        if (passed) {
          expected.passed++;
          if (rnd() < 0.7) {
            e = await saveEnrolment({ ...e, status: 'certified' });
            expected.certified++;
          }
          return;
        }
      }
    }

    let next = 0;
    await Promise.all(Array.from({ length: WRITERS }, async () => {
      while (next < LEARNERS) await journey(next++);
    }));

    const provinces = ['Hà Nội', 'Nghệ An', '?'];
    const before = await h.counters.readMany('demo', provinces);
    const summaryBefore = await h.counters.read('demo', SUMMARY);
    const sum = (docs: CounterDoc[], metric: string) => docs.reduce((n, d) => n + (totals(d)[metric] ?? 0), 0);
    // The journey's own tally, independent of the recount.
    for (const [metric, n] of Object.entries(expected)) {
      expect(sum(before, metric), metric).toBe(n);
      expect(totals(summaryBefore)[metric] ?? 0, `summary ${metric}`).toBe(n);
    }
    expect(expected.certified).toBeGreaterThan(20);
    expect(failures.n).toBeGreaterThan(10);

    // The export's rows kept by the same saves: the same as the scans of the records give.
    const all = async (rows: AsyncIterable<ProgressRow>) => {
      const out: ProgressRow[] = [];
      for await (const row of rows) out.push(row);
      return out.sort((a, b) => String(a.learnerId).localeCompare(String(b.learnerId)));
    };
    const scanned = await all(progressRows({ models: h.db.models, cohortId: 'demo', lessonsTotal: lessons.length }));
    expect(scanned).toHaveLength(LEARNERS);
    expect(await all(keptProgressRows(h.counters.rows, 'demo', undefined, lessons.length))).toEqual(scanned);
    expect(await h.counters.rows.built('demo')).toBe(false);

    const r = await recount({ models: h.db.models, conn: h.db.conn, counters: h.counters, tracker, cohortId: 'demo', now: h.clock.now() });
    expect(r.learners).toBe(LEARNERS);
    expect(r.drift).toEqual([]);
    // A mark whose op counted but whose clearing failed for real (a busy server; the save never fails for it) still shows the op pending: rewritten, counts untouched.
    expect(r.marksFixed).toBeLessThanOrEqual(3);
    expect(await h.counters.readMany('demo', provinces)).toEqual(before.map((d) => ({ ...d, recount: expect.anything() })));
    expect((await h.counters.read('demo', SUMMARY)).cells).toEqual(summaryBefore.cells);
    // Built by the recount: the export now reads the kept rows, still the same; a province's only theirs.
    expect(await h.counters.rows.built('demo')).toBe(true);
    expect(await all(progressRows({ rows: h.counters.rows, models: h.db.models, cohortId: 'demo', lessonsTotal: lessons.length }))).toEqual(scanned);
    const province = await all(progressRows({ rows: h.counters.rows, models: h.db.models, cohortId: 'demo', province: 'Hà Nội', lessonsTotal: lessons.length }));
    expect(province).toEqual(scanned.filter((x) => x.province === 'Hà Nội'));
  }, 120_000);
});
