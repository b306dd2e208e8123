/** The ReviewStore contract, and how review answers are recorded: any implementation (MongoDB, in-memory) must pass it. */
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AnswerStore, ReviewStore } from '../../../src/core/ports.js';
import type { ReviewDeck, ReviewItem } from '../../../src/core/review.js';
import { HOSTILE_OBJECTS, HOSTILE_STRINGS, newAnswer, settle, together, type Make } from '../../support/store-contract.js';

let seq = 0;
function learnerId(): string {
  seq += 1;
  return `${Date.now().toString(16)}${String(seq).padStart(6, '0')}`.padEnd(24, '0').slice(0, 24);
}

function item(questionId: string, over: Partial<ReviewItem> = {}): ReviewItem {
  return {
    questionId,
    source: 'check',
    missed: true,
    card: {
      state: 'review',
      stability: 1.89,
      difficulty: 6.4,
      reps: 2,
      lapses: 1,
      due: new Date('2026-03-05T01:00:00.000Z'),
      lastReview: new Date('2026-03-02T01:00:00.000Z'),
      scheduledDays: 3,
      learningSteps: 0,
    },
    due: new Date('2026-03-05T01:00:00.000Z'),
    reviews: 1,
    lastSeen: '2026-03-02',
    history: [
      { at: new Date('2026-03-01T02:00:00.000Z'), correct: false, context: 'check' },
      { at: new Date('2026-03-02T01:00:00.000Z'), correct: true, context: 'review' },
    ],
    ...over,
  };
}

function deck(learner: string, over: Partial<ReviewDeck> = {}): ReviewDeck {
  return { learnerId: learner, cohortId: 'spring', items: [item('t1-l01-q1'), item('t2-f03', { source: 'final', due: null, missed: false })], version: 0, ...over };
}

export function describeReviewStore(name: string, make: Make<{ store: ReviewStore }>): void {
  describe(`ReviewStore (${name})`, () => {
    let store: ReviewStore;
    let reset: () => Promise<void>;
    beforeAll(async () => {
      ({ store, reset } = await make());
    });
    beforeEach(() => reset());

    it('should find nothing for a learner without a deck', async () => {
      expect(await store.find(learnerId(), 'spring')).toBeNull();
    });

    it('should give back a saved deck as it was, dates, retired items, round and offer included, one version on', async () => {
      const d = deck(learnerId(), { round: { kind: 'daily', questionIds: ['t1-l01-q1'], index: 0, correct: 0 }, offer: { kind: 'weak', questionIds: ['t2-f03'], topics: ['Chủ đề 2'] }, dailyDate: '2026-03-02' });
      const saved = await store.save(d);
      expect(saved.version).toBe(1);
      const found = await store.find(d.learnerId, 'spring');
      expect(found).toEqual(saved);
      expect(found!.items[0]!.card.due).toBeInstanceOf(Date);
      expect(found!.items[1]!.due).toBeNull();
    });

    it('should replace the deck on save: a round that ended is gone, items follow', async () => {
      const id = learnerId();
      const first = await store.save(deck(id, { round: { kind: 'demand', questionIds: ['t1-l01-q1'], index: 0, correct: 0 } }));
      const { round: _r, ...rest } = first;
      const second = await store.save({ ...rest, items: [...first.items, item('t3-l02-q2')] });
      const found = await store.find(id, 'spring');
      expect(found).toEqual(second);
      expect(found!.round).toBeUndefined();
      expect(found!.items.map((i) => i.questionId)).toEqual(['t1-l01-q1', 't2-f03', 't3-l02-q2']);
      expect(found!.version).toBe(2);
    });

    it('should keep a learner\u2019s decks in two cohorts, and two learners\u2019 decks, apart', async () => {
      const a = learnerId();
      const b = learnerId();
      await store.save(deck(a));
      await store.save(deck(a, { cohortId: 'autumn', items: [item('x')] }));
      await store.save(deck(b, { items: [] }));
      expect((await store.find(a, 'spring'))!.items).toHaveLength(2);
      expect((await store.find(a, 'autumn'))!.items.map((i) => i.questionId)).toEqual(['x']);
      expect((await store.find(b, 'spring'))!.items).toEqual([]);
    });

    it('should hold a full deck of 100 items', async () => {
      const id = learnerId();
      const items = Array.from({ length: 100 }, (_, i) => item(`t${i % 5}-l${i}-q1`));
      await store.save(deck(id, { items }));
      expect((await store.find(id, 'spring'))!.items).toHaveLength(100);
    });

    it('should end with one deck when first saves race', async () => {
      const id = learnerId();
      const results = await together(6, (i) => store.save(deck(id, { items: [item(`q${i}`)] })));
      expect(results.every((r) => r.version === 1)).toBe(true);
      const found = await store.find(id, 'spring');
      expect(found!.items).toHaveLength(1);
    });

    it('should never match a stored deck with a hostile learner or cohort id', async () => {
      await store.save(deck(learnerId()));
      for (const bad of [...HOSTILE_STRINGS, ...HOSTILE_OBJECTS]) {
        expect([null, 'rejected']).toContain(await settle(store.find(bad, 'spring')));
        expect([null, 'rejected']).toContain(await settle(store.find(learnerId(), bad)));
      }
    });
  });
}

export function describeReviewAnswers(name: string, make: Make<{ store: AnswerStore }>): void {
  describe(`AnswerStore with review answers (${name})`, () => {
    let store: AnswerStore;
    let reset: () => Promise<void>;
    beforeAll(async () => {
      ({ store, reset } = await make());
    });
    beforeEach(() => reset());

    it('should record each review of a question once, apart from its lesson answer', async () => {
      const id = learnerId();
      expect(await store.record(newAnswer(id, { context: 'lesson', correct: false }))).toBe('recorded');
      expect(await store.record(newAnswer(id, { context: 'review', attempt: 1 }))).toBe('recorded');
      expect(await store.record(newAnswer(id, { context: 'review', attempt: 2 }))).toBe('recorded');
      expect(await store.record(newAnswer(id, { context: 'review', attempt: 2 }))).toBe('duplicate');
      const answers = await store.listByLearner(id, 'spring');
      expect(answers.map((a) => [a.context, a.attempt ?? null])).toEqual([
        ['lesson', null],
        ['review', 1],
        ['review', 2],
      ]);
    });

    it('should take a redelivered review answer (same update) as recorded once', async () => {
      const id = learnerId();
      const answer = newAnswer(id, { context: 'review', attempt: 1, updateId: 'review-u1' });
      expect(await store.record(answer)).toBe('recorded');
      expect(await store.record({ ...answer })).toBe('recorded');
      expect(await store.listByLearner(id, 'spring')).toHaveLength(1);
    });
  });
}
