/** The UpdateLog, LinkCodeStore, CohortStore and FeedbackStore contracts. */
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Cohort } from '../../../src/core/model.js';
import type { CohortStore, FeedbackStore, HandledUpdate, LinkCodeStore, UpdateLog } from '../../../src/core/ports.js';
import { HOSTILE_OBJECTS, HOSTILE_STRINGS, newCohort, settle, together, type Make } from '../../support/store-contract.js';

const NOW = new Date('2026-03-02T09:00:00.000Z');
const LATER = new Date('2026-03-02T09:10:00.000Z');

export function describeUpdateLog(name: string, make: Make<{ store: UpdateLog }>): void {
  describe(`UpdateLog (${name})`, () => {
    let store: UpdateLog;
    let reset: () => Promise<void>;
    beforeAll(async () => {
      ({ store, reset } = await make());
    });
    beforeEach(() => reset());

    const decision = (text: string): HandledUpdate => ({ reply: [{ text, choices: [{ label: 'Tiếp tục', value: 'next' }] }] });

    it('should find nothing for an update never recorded', async () => {
      expect(await store.find('telegram:101')).toBeNull();
    });

    it('should keep the decision of an update, not done until told', async () => {
      expect(await store.record('telegram:101', decision('Xin chào'), NOW)).toEqual(decision('Xin chào'));
      expect(await store.find('telegram:101')).toEqual({ ...decision('Xin chào'), done: false });
      expect(await store.find('zalo:101')).toBeNull();
      await store.done('telegram:101');
      expect(await store.find('telegram:101')).toEqual({ reply: [], done: true });
    });

    it('should keep the records of a decision until it is done, with their dates', async () => {
      const learner = { id: 'l1', conversations: ['telegram:1' as const], unreachable: [], profile: { fullName: 'Nguyễn Thị Hoà' }, locale: 'vi' as const, cohortId: 'spring', stopped: false, onboarded: true, createdAt: NOW, version: 3 };
      await store.record('telegram:102', { ...decision('A'), learner }, NOW);
      const found = await store.find('telegram:102');
      expect(found?.learner).toEqual(learner);
      expect(found?.learner).not.toHaveProperty('prompt');
      await store.done('telegram:102');
      expect((await store.find('telegram:102'))?.learner).toBeUndefined();
    });

    it('should give back the fields a decision left undefined, so that applying it again unsets them too', async () => {
      const learner = { id: 'l2', conversations: ['telegram:2' as const], unreachable: [], profile: {}, locale: 'vi' as const, cohortId: 'spring', stopped: false, onboarded: true, prompt: undefined, lessonHour: 6, createdAt: NOW, version: 4 };
      const enrolment = { id: 'l2|spring', learnerId: 'l2', cohortId: 'spring', courseId: 'c', status: 'in_progress' as const, cursor: { at: 'idle' as const }, completedLessons: [], checkResults: {}, finalAttempts: [], lastActivityAt: NOW, reviewDueAt: undefined, version: 1 };
      await store.record('telegram:103', { ...decision('B'), learner, enrolment }, NOW);
      const found = await store.find('telegram:103');
      expect(found?.learner).toEqual(learner);
      expect(Object.keys(found!.learner!)).toContain('prompt');
      expect(Object.keys(found!.enrolment!)).toContain('reviewDueAt');
      expect(Object.keys(found!.learner!)).not.toContain('inviteCode');
      await store.done('telegram:103');
      expect(await store.find('telegram:103')).toEqual({ reply: [], done: true });
    });

    it('should let the first of racing decisions stand, and give it to every other', async () => {
      for (let round = 0; round < 3; round++) {
        const results = await together(8, (i) => store.record(`telegram:race-${round}`, decision(`reply ${i}`), NOW));
        const stored = await store.find(`telegram:race-${round}`);
        expect(results.every((r) => JSON.stringify(r.reply) === JSON.stringify(stored?.reply)), `round ${round}`).toBe(true);
      }
    });

    it('should find nothing for an operator-shaped key', async () => {
      await store.record('telegram:1', decision('x'), NOW);
      for (const hostile of [...HOSTILE_STRINGS, ...HOSTILE_OBJECTS]) expect(await settle(store.find(hostile))).not.toEqual(expect.objectContaining({ reply: decision('x').reply }));
    });
  });
}

export function describeLinkCodeStore(name: string, make: Make<{ store: LinkCodeStore }>): void {
  describe(`LinkCodeStore (${name})`, () => {
    let store: LinkCodeStore;
    let reset: () => Promise<void>;
    beforeAll(async () => {
      ({ store, reset } = await make());
    });
    beforeEach(() => reset());

    it('should find an issued code with its learner and expiry', async () => {
      expect(await store.issue('482913', 'learner-a', LATER, NOW)).toBe(true);
      expect(await store.find('482913')).toEqual({ learnerId: 'learner-a', expiresAt: LATER });
      expect(await store.find('482914')).toBeNull();
    });

    it('should let a code be consumed once', async () => {
      await store.issue('482913', 'learner-a', LATER, NOW);
      expect(await store.consume('482913')).toBe(true);
      expect(await store.consume('482913')).toBe(false);
      expect(await store.find('482913')).toBeNull();
    });

    it('should say true to exactly one of racing consumers', async () => {
      for (let round = 0; round < 3; round++) {
        await store.issue(`code-${round}`, 'learner-a', LATER, NOW);
        const results = await together(8, () => store.consume(`code-${round}`));
        expect(results.filter(Boolean), `round ${round}`).toHaveLength(1);
      }
    });

    it('should say false for consuming an unknown code', async () => {
      expect(await store.consume('000000')).toBe(false);
    });

    it('should replace the learner\u2019s earlier code when a new one is issued', async () => {
      await store.issue('111111', 'learner-a', LATER, NOW);
      await store.issue('222222', 'learner-b', LATER, NOW);
      expect(await store.issue('333333', 'learner-a', LATER, NOW)).toBe(true);
      expect(await store.find('111111')).toBeNull();
      expect(await store.consume('111111')).toBe(false);
      expect(await store.find('333333')).toEqual({ learnerId: 'learner-a', expiresAt: LATER });
      expect(await store.find('222222')).toEqual({ learnerId: 'learner-b', expiresAt: LATER });
    });

    it('should say false for a code another learner holds, and leave it theirs', async () => {
      await store.issue('555555', 'learner-a', LATER, NOW);
      expect(await store.issue('555555', 'learner-b', LATER, NOW)).toBe(false);
      expect(await store.find('555555')).toEqual({ learnerId: 'learner-a', expiresAt: LATER });
    });

    it('should match nothing, and consume nothing, with operator-shaped codes', async () => {
      await store.issue('777777', 'learner-a', LATER, NOW);
      for (const hostile of [...HOSTILE_STRINGS, ...HOSTILE_OBJECTS]) {
        expect([null, 'rejected']).toContain(await settle(store.find(hostile)));
        expect([false, 'rejected']).toContain(await settle(store.consume(hostile)));
      }
      expect(await store.find('777777')).toEqual({ learnerId: 'learner-a', expiresAt: LATER });
    });
  });
}

/** `seed` stores a cohort the way content sync does: the port itself only reads. */
export function describeCohortStore(name: string, make: Make<{ store: CohortStore; seed(c: Cohort): Promise<void> }>): void {
  describe(`CohortStore (${name})`, () => {
    let h: Awaited<ReturnType<typeof make>>;
    beforeAll(async () => {
      h = await make();
    });
    beforeEach(() => h.reset());

    it('should return a stored cohort with every field', async () => {
      const spring = newCohort('spring');
      const night = newCohort('night', { title: undefined, quietHours: null, reminders: [], usesDistrict: true, provinceList: 'pre-2025', lessonHour: 20 });
      await h.seed(spring);
      await h.seed(night);
      expect(await h.store.get('spring')).toEqual(spring);
      expect(await h.store.get('night')).toEqual(night);
    });

    it('should return null for an unknown or operator-shaped id', async () => {
      await h.seed(newCohort('spring'));
      expect(await h.store.get('autumn')).toBeNull();
      for (const hostile of [...HOSTILE_STRINGS, ...HOSTILE_OBJECTS]) expect([null, 'rejected']).toContain(await settle(h.store.get(hostile)));
    });
  });
}

type FeedbackEntry = { learnerId: string; text: string; channel: string; at: Date };

/**
 * `entries` reads back what was stored (the port only writes). `maxText` is the implementation's
 * limit on stored text, if it has one: longer text is kept as its beginning.
 */
export function describeFeedbackStore(
  name: string,
  make: Make<{ store: FeedbackStore; entries(): Promise<FeedbackEntry[]> }>,
  opts: { maxText?: number } = {},
): void {
  describe(`FeedbackStore (${name})`, () => {
    let h: Awaited<ReturnType<typeof make>>;
    beforeAll(async () => {
      h = await make();
    });
    beforeEach(() => h.reset());

    it('should store each entry as given', async () => {
      const a = { learnerId: 'learner-a', text: 'Bài học rất hay 👍', channel: 'zalo', at: NOW };
      const b = { learnerId: 'learner-a', text: 'Thêm ví dụ nữa', channel: 'telegram', at: LATER };
      await h.store.add(a);
      await h.store.add(b);
      const stored = await h.entries();
      expect(stored).toHaveLength(2);
      expect(stored).toEqual(expect.arrayContaining([a, b]));
    });

    if (opts.maxText !== undefined) {
      const max = opts.maxText;

      it(`should keep text of ${max} characters whole and cut longer text to its first ${max}`, async () => {
        const exact = 'a'.repeat(max);
        const long = 'b'.repeat(max) + 'tail that is cut';
        await h.store.add({ learnerId: 'l1', text: exact, channel: 'zalo', at: NOW });
        await h.store.add({ learnerId: 'l2', text: long, channel: 'zalo', at: NOW });
        const stored = await h.entries();
        expect(stored.find((e) => e.learnerId === 'l1')?.text).toBe(exact);
        expect(stored.find((e) => e.learnerId === 'l2')?.text).toBe('b'.repeat(max));
      });

      it('should never cut a character in two at the limit', async () => {
        // An emoji is two UTF-16 units; one straddling the limit must go whole, not leave half a character.
        const text = 'c'.repeat(max - 1) + '😀' + 'rest';
        await h.store.add({ learnerId: 'l3', text, channel: 'telegram', at: NOW });
        const [stored] = await h.entries();
        expect(stored?.text.length).toBeLessThanOrEqual(max);
        expect(text.startsWith(stored!.text)).toBe(true);
        expect(stored?.text).not.toContain('\uFFFD');
        expect(stored?.text.length).toBeGreaterThanOrEqual(max - 1);
      });
    }
  });
}
