import { describe, expect, it } from 'vitest';
import { seededRandom, useEngine } from '../support/env.js';
import { ChatLearner, letter } from '../support/chat.js';
import { findFinalQuestion, lessonsOf, pick } from '../../src/core/course.js';
import { drawFinalQuestions, drawOptionOrders, optionOrder } from '../../src/core/final-test.js';
import type { FinalAttempt } from '../../src/core/model.js';
import { MongoEnrolmentStore, MongoLearnerStore } from '../../src/storage/stores.js';

const h = useEngine();

async function stored(a: ChatLearner) {
  const l = await new MongoLearnerStore(h.db.models, h.cache).findByConversation(a.conversation);
  return (await new MongoEnrolmentStore(h.db.models, h.cache).find(l!.id, 'demo'))!;
}

/** A learner with every lesson done, at question 1 of a final attempt. */
async function inFinal(): Promise<ChatLearner> {
  const a = new ChatLearner(h.tutor);
  await a.onboard();
  const e = await stored(a);
  e.completedLessons = lessonsOf(h.course).map((l) => l.id);
  e.cursor = { at: 'idle' };
  await new MongoEnrolmentStore(h.db.models, h.cache).save(e);
  await a.say('/kiemtra');
  await a.say('1');
  return a;
}

function isPermutation(order: string, n: number): boolean {
  return order.length === n && [...order].map(Number).sort((x, y) => x - y).every((x, i) => x === i);
}

/** The stored order of question `i` as indexes. */
const orderOf = (attempt: FinalAttempt, i: number): number[] => [...attempt.orders![i]!].map(Number);

describe('the final test', () => {
  describe('when an attempt is drawn', () => {
    it('should store one option order per question, a permutation of its options', async () => {
      const a = await inFinal();
      const attempt = (await stored(a)).finalAttempts.at(-1)!;
      expect(attempt.orders).toHaveLength(attempt.questionIds.length);
      attempt.questionIds.forEach((id, i) => {
        expect(isPermutation(attempt.orders![i]!, findFinalQuestion(h.course, id)!.options.length)).toBe(true);
      });
    });

    it('should show the options in that order, lettered from A', async () => {
      const a = await inFinal();
      const attempt = (await stored(a)).finalAttempts.at(-1)!;
      const q = findFinalQuestion(h.course, attempt.questionIds[0]!)!;
      const message = a.last.at(-1)!;
      expect(message.lettered).toBe(true);
      expect(message.choices!.map((c) => c.label)).toEqual(orderOf(attempt, 0).map((k) => pick(q.options[k]!, 'vi')));
    });

    it('should not leave the right answer at its place in the content file', () => {
      // Over many draws the right option lands on every letter.
      const course = h.course;
      const random = seededRandom(7);
      const ids = drawFinalQuestions(course, random);
      const orders = drawOptionOrders(course, ids, random);
      const positions = new Set(ids.map((id, i) => orders[i]!.indexOf(String(findFinalQuestion(course, id)!.correctIndex))));
      expect(positions.size).toBeGreaterThan(2);
      const moved = ids.filter((id, i) => orders[i]!.indexOf(String(findFinalQuestion(course, id)!.correctIndex)) !== findFinalQuestion(course, id)!.correctIndex);
      expect(moved.length).toBeGreaterThan(ids.length / 3);
    });
  });

  describe('when a question is answered', () => {
    it("should record the chosen option's index in the content file, not its letter", async () => {
      const a = await inFinal();
      const attempt = (await stored(a)).finalAttempts.at(-1)!;
      const q = findFinalQuestion(h.course, attempt.questionIds[0]!)!;
      const shown = 1;
      await a.say(letter(shown));
      const answer = await h.db.models.Answer.findOne({ learnerId: (await stored(a)).learnerId, context: 'final' }).lean<{ chosenIndex: number; correct: boolean }>();
      expect(answer!.chosenIndex).toBe(orderOf(attempt, 0)[shown]);
      expect(answer!.correct).toBe(orderOf(attempt, 0)[shown] === q.correctIndex);
    });

    it('should count the right option as right at whatever letter it is shown', async () => {
      const a = await inFinal();
      const attempt = (await stored(a)).finalAttempts.at(-1)!;
      const q = findFinalQuestion(h.course, attempt.questionIds[0]!)!;
      await a.say(letter(orderOf(attempt, 0).indexOf(q.correctIndex)));
      expect((await stored(a)).finalAttempts.at(-1)!.correct).toBe(1);
    });
  });

  describe('when a question is shown again', () => {
    it('should show the same order after /hoc and after input it does not understand', async () => {
      const a = await inFinal();
      const first = a.last.at(-1)!;
      await a.say('/hoc');
      expect(a.last.at(-1)).toEqual(first);
      await a.say('???');
      expect(a.last.at(-1)).toEqual(first);
    });
  });

  describe('an attempt stored before options were shuffled', () => {
    it('should show the options in the content order and take their letters as before', async () => {
      const a = await inFinal();
      const e = await stored(a);
      delete e.finalAttempts.at(-1)!.orders;
      await new MongoEnrolmentStore(h.db.models, h.cache).save(e);
      const q = findFinalQuestion(h.course, e.finalAttempts.at(-1)!.questionIds[0]!)!;
      await a.say('/hoc');
      expect(a.last.at(-1)!.choices!.map((c) => c.label)).toEqual(q.options.map((o) => pick(o, 'vi')));
      await a.say(letter(q.correctIndex));
      const after = await stored(a);
      expect(after.finalAttempts.at(-1)).toMatchObject({ correct: 1, answered: 1 });
      expect(after.finalAttempts.at(-1)!.orders).toBeUndefined();
    });
  });
});

describe('optionOrder', () => {
  const q = { id: 'q', topicId: 't', text: { vi: 'q' }, options: [{ vi: 'a' }, { vi: 'b' }, { vi: 'c' }], correctIndex: 0, explanation: { vi: '' } };
  const attempt = (orders?: string[]): FinalAttempt => ({ n: 1, questionIds: ['q'], orders, correct: 0, answered: 0, startedAt: new Date() });

  it('should use the stored order', () => {
    expect(optionOrder(attempt(['201']), 0, q)).toEqual([2, 0, 1]);
  });

  it('should fall back to the content order when none is stored or it does not fit the question', () => {
    expect(optionOrder(attempt(), 0, q)).toEqual([0, 1, 2]);
    expect(optionOrder(attempt(['10']), 0, q)).toEqual([0, 1, 2]);
    expect(optionOrder(attempt(['110']), 0, q)).toEqual([0, 1, 2]);
    expect(optionOrder(attempt(['2x1']), 0, q)).toEqual([0, 1, 2]);
  });
});
