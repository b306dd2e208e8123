/** The EnrolmentStore and AnswerStore contracts: any implementation (MongoDB, in-memory) must pass them. */
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Enrolment } from '../../../src/core/model.js';
import type { AnswerStore, EnrolmentStore } from '../../../src/core/ports.js';
import { newAnswer, newEnrolment, settle, together, type Make } from '../../support/store-contract.js';

let seq = 0;
/** A learner id no other test uses (the stores take ids as given). */
function learnerId(): string {
  seq += 1;
  return `${Date.now().toString(16)}${String(seq).padStart(6, '0')}`.padEnd(24, '0').slice(0, 24);
}

export function describeEnrolmentStore(name: string, make: Make<{ store: EnrolmentStore }>): void {
  describe(`EnrolmentStore (${name})`, () => {
    let store: EnrolmentStore;
    let reset: () => Promise<void>;
    beforeAll(async () => {
      ({ store, reset } = await make());
    });
    beforeEach(() => reset());

    describe('ensure', () => {
      it('should create the enrolment with an id and a version', async () => {
        const init = newEnrolment(learnerId());
        const created = await store.ensure(init);
        expect(created.id).toEqual(expect.any(String));
        expect(created.version).toEqual(expect.any(Number));
        expect(created).toMatchObject(init);
      });

      it('should return the existing enrolment, progress and all, when ensured again', async () => {
        const id = learnerId();
        const created = await store.ensure(newEnrolment(id));
        const saved = await store.save({ ...created, status: 'in_progress', completedLessons: ['t1-l01'] });
        const again = await store.ensure(newEnrolment(id));
        expect(again).toEqual(saved);
      });

      it('should keep one enrolment per learner and cohort when ensures race', async () => {
        const id = learnerId();
        const results = await together(6, () => store.ensure(newEnrolment(id)));
        expect(new Set(results.map((e) => e.id)).size).toBe(1);
        expect((await store.find(id, 'spring'))?.id).toBe(results[0]!.id);
      });

      it('should keep a learner\u2019s enrolments in two cohorts apart', async () => {
        const id = learnerId();
        const spring = await store.ensure(newEnrolment(id, { cohortId: 'spring' }));
        const autumn = await store.ensure(newEnrolment(id, { cohortId: 'autumn', courseId: 'cds-advanced' }));
        expect(autumn.id).not.toBe(spring.id);
        expect((await store.find(id, 'autumn'))?.courseId).toBe('cds-advanced');
        expect((await store.find(id, 'spring'))?.courseId).toBe('cds-basic');
      });
    });

    describe('find', () => {
      it('should return null for an unknown learner or cohort', async () => {
        const id = learnerId();
        await store.ensure(newEnrolment(id));
        expect(await store.find(learnerId(), 'spring')).toBeNull();
        expect(await store.find(id, 'autumn')).toBeNull();
      });

      it('should match nothing with operator-shaped or smuggled ids', async () => {
        await store.ensure(newEnrolment(learnerId()));
        for (const hostile of ['{ "$gt": "" }', '$where', { $gt: '' } as unknown as string, { $ne: null } as unknown as string]) {
          expect([null, 'rejected']).toContain(await settle(store.find(hostile, 'spring')));
          expect([null, 'rejected']).toContain(await settle(store.find(hostile, hostile)));
        }
      });
    });

    describe('save', () => {
      it('should round-trip every field: cursor, check results, final attempts with dates', async () => {
        const created = await store.ensure(newEnrolment(learnerId()));
        const cursors: Enrolment['cursor'][] = [
          { at: 'card', lessonId: 't1-l02' },
          { at: 'question', lessonId: 't1-l02', questionId: 't1-l02-q1' },
          { at: 'final', attempt: 2, index: 7 },
          { at: 'idle' },
        ];
        let current = created;
        for (const cursor of cursors) {
          const changed: Enrolment = {
            ...current,
            status: 'in_progress',
            cursor,
            completedLessons: ['t1-l01', 't1-l02'],
            checkResults: { 't1-l01-q1': true, 't1-l02-q1': false },
            finalAttempts: [
              { n: 1, questionIds: ['t1-f01', 't2-f03'], correct: 1, answered: 2, startedAt: new Date('2026-03-10T08:00:00.000Z'), finishedAt: new Date('2026-03-10T08:20:00.000Z'), scorePercent: 50, passed: false },
              { n: 2, questionIds: ['t3-f02'], correct: 0, answered: 0, startedAt: new Date('2026-03-11T08:00:00.000Z') },
            ],
            lastActivityAt: new Date('2026-03-11T08:00:01.234Z'),
          };
          current = await store.save(changed);
          const found = await store.find(created.learnerId, created.cohortId);
          expect(found).toEqual(current);
          expect(found?.cursor).toEqual(cursor);
          expect(found?.finalAttempts[0]?.startedAt).toBeInstanceOf(Date);
          expect(found?.finalAttempts[1]).not.toHaveProperty('finishedAt');
        }
        expect(current.version).not.toBe(created.version);
      });

      it('should write the enrolment as given, by id, one version up', async () => {
        // Saves are serialised by the learner's lease (core Leases), not by the store: the last write stands.
        const created = await store.ensure(newEnrolment(learnerId()));
        expect((await store.save({ ...created, status: 'in_progress' })).version).toBe(created.version + 1);
        await store.save({ ...created, status: 'completed' });
        const found = await store.find(created.learnerId, 'spring');
        expect(found?.status).toBe('completed');
        expect(found?.version).toBe(created.version + 1);
      });

      it('should keep one whole record when saves race, never a mix of two', async () => {
        for (let round = 0; round < 5; round++) {
          const created = await store.ensure(newEnrolment(learnerId()));
          await together(8, (i) => store.save({ ...created, completedLessons: [`t1-l0${i}`], cursor: { at: 'card', lessonId: `t1-l0${i}` } }));
          const found = await store.find(created.learnerId, 'spring');
          expect(found?.cursor, `round ${round}`).toEqual({ at: 'card', lessonId: found?.completedLessons[0] });
        }
      });
    });
  });
}

export function describeAnswerStore(name: string, make: Make<{ store: AnswerStore }>): void {
  describe(`AnswerStore (${name})`, () => {
    let store: AnswerStore;
    let reset: () => Promise<void>;
    beforeAll(async () => {
      ({ store, reset } = await make());
    });
    beforeEach(() => reset());

    describe('record', () => {
      it('should record a first answer', async () => {
        const a = newAnswer(learnerId());
        expect(await store.record(a)).toBe('recorded');
        expect(await store.listByLearner(a.learnerId, a.cohortId)).toEqual([a]);
      });

      it('should say recorded again for the same update (its own retry) and keep one copy', async () => {
        const a = newAnswer(learnerId());
        await store.record(a);
        expect(await store.record({ ...a })).toBe('recorded');
        expect(await store.listByLearner(a.learnerId, a.cohortId)).toHaveLength(1);
      });

      it('should refuse a second update answering the same question slot', async () => {
        const a = newAnswer(learnerId());
        await store.record(a);
        expect(await store.record({ ...a, updateId: `${a.updateId}-2`, chosenIndex: 3, correct: false })).toBe('duplicate');
        expect(await store.listByLearner(a.learnerId, a.cohortId)).toEqual([a]);
      });

      it('should refuse an update already recorded for another question', async () => {
        const a = newAnswer(learnerId());
        await store.record(a);
        expect(await store.record({ ...a, questionId: 't1-l01-q2' })).toBe('duplicate');
        expect(await store.listByLearner(a.learnerId, a.cohortId)).toEqual([a]);
      });

      it('should treat the same update id on two channels as two updates', async () => {
        const id = learnerId();
        const a = newAnswer(id, { channel: 'telegram', updateId: '1001' });
        expect(await store.record(a)).toBe('recorded');
        expect(await store.record(newAnswer(id, { channel: 'zalo', updateId: '1001', questionId: 't1-l01-q2' }))).toBe('recorded');
      });

      it('should count lesson and final answers, and each final attempt, as separate slots', async () => {
        const id = learnerId();
        const q = 't2-f05';
        expect(await store.record(newAnswer(id, { questionId: q, context: 'lesson' }))).toBe('recorded');
        expect(await store.record(newAnswer(id, { questionId: q, context: 'final', attempt: 1 }))).toBe('recorded');
        expect(await store.record(newAnswer(id, { questionId: q, context: 'final', attempt: 2 }))).toBe('recorded');
        expect(await store.record(newAnswer(id, { questionId: q, context: 'final', attempt: 2 }))).toBe('duplicate');
        expect(await store.record(newAnswer(id, { questionId: q, context: 'lesson', cohortId: 'autumn' }))).toBe('recorded');
      });

      it('should record exactly one of racing answers to one slot', async () => {
        const id = learnerId();
        const results = await together(6, (i) => store.record(newAnswer(id, { updateId: `race-${i}`, chosenIndex: i })));
        expect(results.filter((r) => r === 'recorded')).toHaveLength(1);
        expect(await store.listByLearner(id, 'spring')).toHaveLength(1);
      });
    });

    describe('listByLearner', () => {
      it('should list the learner\u2019s answers in the cohort in time order', async () => {
        const id = learnerId();
        const times = ['2026-03-05T10:00:00.000Z', '2026-03-02T10:00:00.000Z', '2026-03-04T10:00:00.000Z', '2026-03-03T10:00:00.000Z'];
        const answers = times.map((t, i) => newAnswer(id, { questionId: `t1-l0${i}-q1`, at: new Date(t) }));
        for (const a of answers) await store.record(a);
        await store.record(newAnswer(learnerId(), { questionId: 't1-l09-q1' }));
        await store.record(newAnswer(id, { cohortId: 'autumn', questionId: 't1-l09-q1' }));
        const listed = await store.listByLearner(id, 'spring');
        expect(listed).toEqual([...answers].sort((x, y) => x.at.getTime() - y.at.getTime()));
      });

      it('should return an empty list for a learner without answers', async () => {
        expect(await store.listByLearner(learnerId(), 'spring')).toEqual([]);
      });
    });
  });
}
