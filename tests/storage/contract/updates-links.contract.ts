/** The UpdateLog, LinkCodeStore, CohortStore and FeedbackStore contracts. */
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Cohort } from '../../../src/core/model.js';
import type { CohortStore, FeedbackStore, LinkCodeStore, UpdateLog } from '../../../src/core/ports.js';
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

    it('should say true for the first claim of a key and false after', async () => {
      expect(await store.claim('telegram:101')).toBe(true);
      expect(await store.claim('telegram:101')).toBe(false);
      expect(await store.claim('telegram:101')).toBe(false);
      expect(await store.claim('zalo:101')).toBe(true);
    });

    it('should give exactly one of racing claims the key', async () => {
      for (let round = 0; round < 3; round++) {
        const results = await together(8, () => store.claim(`telegram:race-${round}`));
        expect(results.filter(Boolean), `round ${round}`).toHaveLength(1);
      }
    });

    it('should let a released key be claimed again, once', async () => {
      await store.claim('telegram:7');
      await store.release('telegram:7');
      expect(await store.claim('telegram:7')).toBe(true);
      expect(await store.claim('telegram:7')).toBe(false);
    });

    it('should release only the key given', async () => {
      await store.claim('telegram:1');
      await store.claim('telegram:2');
      await store.release('telegram:1');
      await store.release('telegram:never-claimed');
      expect(await store.claim('telegram:2')).toBe(false);
    });

    it('should release nothing else for an operator-shaped key', async () => {
      await store.claim('telegram:1');
      for (const hostile of [...HOSTILE_STRINGS, ...HOSTILE_OBJECTS]) await settle(store.release(hostile));
      expect(await store.claim('telegram:1')).toBe(false);
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
