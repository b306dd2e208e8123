/**
 * The ScheduleSource contract: each stream yields every eligible candidate exactly once, in
 * batches of at most `size`, whatever the size, and resumes after the `last` it reported.
 * The data is seeded once through LearnerStore and EnrolmentStore; the tests only read.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Cohort, Enrolment, EnrolmentStatus, Learner } from '../../../src/core/model.js';
import type { EnrolmentStore, LearnerStore } from '../../../src/core/ports.js';
import type { Candidate, ScheduleSource } from '../../../src/scheduler/ports.js';
import { conversation, newCohort, newEnrolment, newLearner, type Make } from '../../support/store-contract.js';

const NOW = new Date('2026-03-04T01:00:00.000Z');
const ACTIVITY = new Date('2026-03-01T00:00:00.000Z');
const HOURS: (number | undefined)[] = [undefined, 7, 8, 9];
const STATUSES: EnrolmentStatus[] = ['not_started', 'in_progress', 'completed', 'certified', 'in_progress'];
const OPEN = new Set<EnrolmentStatus>(['not_started', 'in_progress']);
const SPRING_SIZE = 250;
const AUTUMN_SIZE = 20;

interface Seeded {
  learner: Learner;
  enrolment: Enrolment;
}

type Stream = AsyncGenerator<{ rows: Candidate[]; last: string }>;

/** Every batch of a stream, or the first `limit` of them. */
async function batchesOf(stream: Stream, limit = Infinity): Promise<{ rows: Candidate[]; last: string }[]> {
  const out: { rows: Candidate[]; last: string }[] = [];
  for await (const batch of stream) {
    out.push(batch);
    if (out.length >= limit) break;
  }
  return out;
}

const idsOf = (rows: Candidate[]) => rows.map((r) => r.learner.id);

export function describeScheduleSource(
  name: string,
  make: Make<{ source: ScheduleSource; learners: LearnerStore; enrolments: EnrolmentStore; seedCohort(c: Cohort): Promise<void> }>,
): void {
  describe(`ScheduleSource (${name})`, () => {
    let source: ScheduleSource;
    const spring: Seeded[] = [];
    const autumn: Seeded[] = [];

    beforeAll(async () => {
      const h = await make();
      await h.reset();
      source = h.source;
      await h.seedCohort(newCohort('spring'));
      await h.seedCohort(newCohort('autumn', { closesAt: new Date('2026-12-01T00:00:00.000Z') }));
      await h.seedCohort(newCohort('closed', { closesAt: new Date('2026-02-01T00:00:00.000Z') }));
      await h.seedCohort(newCohort('closing-now', { closesAt: NOW }));
      const seed = async (cohortId: string, i: number): Promise<Seeded> => {
        const learner = await h.learners.create(
          newLearner({ cohortId, lessonHour: cohortId === 'spring' ? HOURS[i % HOURS.length] : 8, conversations: [conversation('zalo')], onboarded: true, consent: true }),
        );
        const enrolment = await h.enrolments.ensure(
          newEnrolment(learner.id, {
            cohortId,
            status: cohortId === 'spring' ? STATUSES[i % STATUSES.length]! : 'in_progress',
            lastActivityAt: new Date(ACTIVITY.getTime() + i * 60_000),
          }),
        );
        return { learner, enrolment };
      };
      // In small parallel groups: quick to seed, yet ids created in a mixed order.
      for (let i = 0; i < SPRING_SIZE; i += 25) {
        spring.push(...(await Promise.all(Array.from({ length: Math.min(25, SPRING_SIZE - i) }, (_, k) => seed('spring', i + k)))));
      }
      // Another cohort, active in the same window: never streamed for spring.
      autumn.push(...(await Promise.all(Array.from({ length: AUTUMN_SIZE }, (_, i) => seed('autumn', 50 + i)))));
    }, 120_000);

    const eligible = (filter: (s: Seeded) => boolean) => new Set(spring.filter((s) => OPEN.has(s.enrolment.status) && filter(s)).map((s) => s.learner.id));

    /** Checks a whole stream: every eligible learner exactly once, batches within size, candidates as seeded. */
    function expectExactlyOnce(batches: { rows: Candidate[] }[], expected: Set<string>, size: number): void {
      const seen = batches.flatMap((b) => idsOf(b.rows));
      expect(new Set(seen).size, 'no learner twice').toBe(seen.length);
      expect(new Set(seen)).toEqual(expected);
      for (const b of batches) {
        expect(b.rows.length).toBeGreaterThan(0);
        expect(b.rows.length).toBeLessThanOrEqual(size);
      }
      const byId = new Map(spring.map((s) => [s.learner.id, s]));
      for (const { learner, enrolment } of batches.flatMap((b) => b.rows)) {
        const seeded = byId.get(learner.id)!;
        // What the planner reads from a candidate; a store may leave the rest out.
        expect(learner).toMatchObject({
          conversations: seeded.learner.conversations,
          unreachable: [],
          locale: seeded.learner.locale,
          cohortId: 'spring',
          stopped: false,
          onboarded: true,
        });
        expect(learner.lessonHour).toBe(seeded.learner.lessonHour);
        expect(enrolment).toMatchObject({
          id: seeded.enrolment.id,
          learnerId: learner.id,
          cohortId: 'spring',
          status: seeded.enrolment.status,
          lastActivityAt: seeded.enrolment.lastActivityAt,
        });
      }
    }

    /** Resuming after the `last` of any batch yields exactly what followed it. */
    async function expectResumable(open: (after: string | undefined) => Stream, size: number): Promise<void> {
      const all = await batchesOf(open(undefined));
      const order = all.flatMap((b) => idsOf(b.rows));
      const boundaries = [0, Math.floor(all.length / 2), all.length - 1].filter((i, k, a) => i >= 0 && a.indexOf(i) === k);
      for (const i of boundaries) {
        const done = all.slice(0, i + 1).flatMap((b) => idsOf(b.rows));
        const rest = (await batchesOf(open(all[i]!.last))).flatMap((b) => idsOf(b.rows));
        expect(rest, `resumed after batch ${i} of size ${size}`).toEqual(order.slice(done.length));
      }
    }

    describe('activeCohorts', () => {
      it('should list the cohorts not yet closed', async () => {
        const ids = (await source.activeCohorts(NOW)).map((c) => c.id).sort();
        expect(ids).toEqual(['autumn', 'spring']);
      });

      it('should return each cohort with its fields', async () => {
        const active = await source.activeCohorts(NOW);
        expect(active.find((c) => c.id === 'spring')).toMatchObject({ ...newCohort('spring') });
      });
    });

    describe('openEnrolments', () => {
      for (const size of [7, 100, 1000]) {
        it(`should stream every open enrolment of the cohort exactly once in batches of ${size}`, async () => {
          expectExactlyOnce(await batchesOf(source.openEnrolments('spring', undefined, size)), eligible(() => true), size);
        });
      }

      it('should resume after the last learner of a batch cut short', async () => {
        await expectResumable((after) => source.openEnrolments('spring', after, 7), 7);
      });

      it('should stream the first batches, stop, and pick up where it stopped', async () => {
        const first = await batchesOf(source.openEnrolments('spring', undefined, 7), 3);
        const rest = await batchesOf(source.openEnrolments('spring', first[2]!.last, 7));
        expectExactlyOnce([...first, ...rest], eligible(() => true), 7);
      });

      it('should stream nothing for a cohort without learners', async () => {
        expect(await batchesOf(source.openEnrolments('closed', undefined, 7))).toEqual([]);
      });
    });

    describe('learnersAtHours', () => {
      const atHours = (hours: (number | null)[]) => (s: Seeded) => hours.includes(s.learner.lessonHour ?? null);

      for (const size of [7, 100]) {
        it(`should stream the open learners at the cohort's hour and those without one, in batches of ${size}`, async () => {
          const batches = await batchesOf(source.learnersAtHours('spring', [8, null], undefined, size));
          expectExactlyOnce(batches, eligible(atHours([8, null])), size);
        });
      }

      it('should stream only the learners at one chosen hour', async () => {
        expectExactlyOnce(await batchesOf(source.learnersAtHours('spring', [9], undefined, 7)), eligible(atHours([9])), 7);
      });

      it('should stream the learners at several hours', async () => {
        expectExactlyOnce(await batchesOf(source.learnersAtHours('spring', [7, 9], undefined, 100)), eligible(atHours([7, 9])), 100);
      });

      it('should stream nothing at an hour nobody chose', async () => {
        expect(await batchesOf(source.learnersAtHours('spring', [3], undefined, 7))).toEqual([]);
      });

      it('should resume after the last learner of a batch cut short', async () => {
        await expectResumable((after) => source.learnersAtHours('spring', [8, null], after, 7), 7);
      });
    });

    describe('inactiveEnrolments', () => {
      const from = new Date(ACTIVITY.getTime() + 40 * 60_000);
      const to = new Date(ACTIVITY.getTime() + 160 * 60_000);
      const inWindow = (s: Seeded) => s.enrolment.lastActivityAt >= from && s.enrolment.lastActivityAt < to;

      for (const size of [7, 100]) {
        it(`should stream each enrolment last active in [from, to) exactly once in batches of ${size}`, async () => {
          const batches: Candidate[][] = [];
          for await (const rows of source.inactiveEnrolments('spring', from, to, size)) batches.push(rows);
          const seen = batches.flat().map((c) => c.learner.id);
          expect(new Set(seen).size, 'no learner twice').toBe(seen.length);
          const open = eligible(inWindow);
          const any = new Set(spring.filter(inWindow).map((s) => s.learner.id));
          // Completed enrolments may or may not come; every open one must, and nothing outside the window.
          for (const id of open) expect(seen).toContain(id);
          for (const id of seen) expect(any.has(id)).toBe(true);
          for (const rows of batches) expect(rows.length).toBeLessThanOrEqual(size);
          for (const c of batches.flat()) {
            expect(c.enrolment?.learnerId).toBe(c.learner.id);
            expect(c.enrolment?.lastActivityAt.getTime()).toBeGreaterThanOrEqual(from.getTime());
            expect(c.enrolment?.lastActivityAt.getTime()).toBeLessThan(to.getTime());
          }
        });
      }

      it('should include the start of the window and leave out its end', async () => {
        const edge = (i: number) => spring.find((s) => s.enrolment.lastActivityAt.getTime() === ACTIVITY.getTime() + i * 60_000)!;
        const start = edge(41); // status index 41 % 5 = 1: in progress
        const end = edge(161);
        const rows: Candidate[] = [];
        for await (const batch of source.inactiveEnrolments('spring', start.enrolment.lastActivityAt, end.enrolment.lastActivityAt, 100)) rows.push(...batch);
        const ids = rows.map((c) => c.learner.id);
        expect(ids).toContain(start.learner.id);
        expect(ids).not.toContain(end.learner.id);
      });

      it('should stream nothing for an empty window or another cohort\u2019s', async () => {
        const empty: Candidate[] = [];
        for await (const rows of source.inactiveEnrolments('spring', from, from, 7)) empty.push(...rows);
        for await (const rows of source.inactiveEnrolments('closed', from, to, 7)) empty.push(...rows);
        expect(empty).toEqual([]);
      });
    });
  });
}
