/**
 * The ScheduleSource contract: the stream yields every enrolment of the cohort exactly once, with
 * the sweeps' copy of its learner, in batches of at most `size`, whatever the size, and resumes at
 * the `position` it reported. The data is seeded once through LearnerStore and EnrolmentStore.
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

type Stream = AsyncGenerator<{ rows: Candidate[]; position: number }>;

/** Every batch of a stream, or the first `limit` of them. */
async function batchesOf(stream: Stream, limit = Infinity): Promise<{ rows: Candidate[]; position: number }[]> {
  const out: { rows: Candidate[]; position: number }[] = [];
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
    let stores: { learners: LearnerStore; enrolments: EnrolmentStore };
    const spring: Seeded[] = [];
    const autumn: Seeded[] = [];

    beforeAll(async () => {
      const h = await make();
      await h.reset();
      source = h.source;
      stores = h;
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

    /** Checks a whole stream: every enrolment of spring exactly once, batches within size, candidates as seeded. */
    function expectExactlyOnce(batches: { rows: Candidate[] }[], size: number): void {
      const seen = batches.flatMap((b) => idsOf(b.rows));
      expect(new Set(seen).size, 'no learner twice').toBe(seen.length);
      expect(new Set(seen)).toEqual(new Set(spring.map((s) => s.learner.id)));
      for (const b of batches) {
        expect(b.rows.length).toBeGreaterThan(0);
        expect(b.rows.length).toBeLessThanOrEqual(size);
      }
      const byId = new Map(spring.map((s) => [s.learner.id, s]));
      for (const { learner, enrolment } of batches.flatMap((b) => b.rows)) {
        const seeded = byId.get(learner.id)!;
        // What the planner reads from a candidate.
        expect(learner).toMatchObject({ id: seeded.learner.id, conversation: seeded.learner.conversations[0], stopped: false, onboarded: true, consent: true });
        expect(learner.lessonHour).toBe(seeded.learner.lessonHour ?? null);
        expect(enrolment).toMatchObject({
          id: seeded.enrolment.id,
          learnerId: learner.id,
          cohortId: 'spring',
          status: seeded.enrolment.status,
          lastActivityAt: seeded.enrolment.lastActivityAt,
        });
        expect(enrolment).not.toHaveProperty('learnerFacts');
      }
    }

    /** Resuming at the `position` of any batch yields exactly what followed it. */
    async function expectResumable(size: number): Promise<void> {
      const all = await batchesOf(source.enrolments('spring', 0, size));
      const order = all.flatMap((b) => idsOf(b.rows));
      const boundaries = [0, Math.floor(all.length / 2), all.length - 1].filter((i, k, a) => i >= 0 && a.indexOf(i) === k);
      for (const i of boundaries) {
        const done = all.slice(0, i + 1).flatMap((b) => idsOf(b.rows));
        expect(all[i]!.position).toBe(done.length);
        const rest = (await batchesOf(source.enrolments('spring', all[i]!.position, size))).flatMap((b) => idsOf(b.rows));
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

    describe('enrolments', () => {
      for (const size of [7, 100, 1000]) {
        it(`should stream every enrolment of the cohort exactly once, unsorted, in batches of ${size}`, async () => {
          expectExactlyOnce(await batchesOf(source.enrolments('spring', 0, size)), size);
        });
      }

      it('should resume at the position of a batch cut short', async () => {
        await expectResumable(7);
      });

      it('should stream the first batches, stop, and pick up where it stopped', async () => {
        const first = await batchesOf(source.enrolments('spring', 0, 7), 3);
        const rest = await batchesOf(source.enrolments('spring', first[2]!.position, 7));
        expectExactlyOnce([...first, ...rest], 7);
      });

      it('should stream nothing for a cohort without learners, or past its end', async () => {
        expect(await batchesOf(source.enrolments('closed', 0, 7))).toEqual([]);
        expect(await batchesOf(source.enrolments('spring', SPRING_SIZE, 7))).toEqual([]);
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

    describe('the copy of the learner', () => {
      it('should follow the learner when saved, and a new enrolment come after the position reached', async () => {
        const one = await stores.learners.create(newLearner({ cohortId: 'later', conversations: [conversation('telegram')], onboarded: true, consent: true }));
        await stores.enrolments.ensure(newEnrolment(one.id, { cohortId: 'later', status: 'in_progress' }));
        const before = await batchesOf(source.enrolments('later', 0, 10));
        expect(before.flatMap((b) => b.rows).map((r) => r.learner)).toEqual([{ id: one.id, stopped: false, consent: true, onboarded: true, lessonHour: null, conversation: one.conversations[0] }]);

        await stores.learners.save({ ...one, stopped: true, lessonHour: 6, unreachable: [one.conversations[0]!] });
        const two = await stores.learners.create(newLearner({ cohortId: 'later', conversations: [conversation('zalo')], onboarded: true }));
        await stores.enrolments.ensure(newEnrolment(two.id, { cohortId: 'later' }));
        const after = (await batchesOf(source.enrolments('later', 0, 10))).flatMap((b) => b.rows).map((r) => r.learner);
        expect(after[0]).toEqual({ id: one.id, stopped: true, consent: true, onboarded: true, lessonHour: 6, conversation: null });
        const rest = (await batchesOf(source.enrolments('later', before.at(-1)!.position, 10))).flatMap((b) => b.rows).map((r) => r.learner.id);
        expect(rest).toEqual([two.id]);
      });
    });
  });
}
