import { describe, expect, it } from 'vitest';
import { DateTime } from 'luxon';
import { FsrsMemory } from '../../src/memory/fsrs.js';
import { DAILY_MAX, dueItems, emptyDeck, gradeReview, noteAnswer, type AnswerAt, type ReviewDeck } from '../../src/core/review.js';
import { nextReviewAt, reviewDaysLeft, type ReviewWindow } from '../../src/core/review-schedule.js';
import { inQuietHours, localDate } from '../../src/core/schedule.js';

const TZ = 'Asia/Ho_Chi_Minh';
const memory = new FsrsMemory();
/** The 2022 commune-leader cohort: 6 May 00:00 to 22 May 23:59, quiet hours 21:00–07:00, lessons at 08:00. */
const WINDOW: ReviewWindow = {
  closesAt: new Date('2022-05-22T23:59:00+07:00'),
  quietHours: { start: 21 * 60, end: 7 * 60 },
  hour: 8,
  timezone: TZ,
};

function at(iso: string): Date {
  return DateTime.fromISO(iso, { zone: TZ }).toJSDate();
}

function answerAt(now: Date, window = WINDOW): AnswerAt {
  return { now, today: localDate(now, TZ), window, memory };
}

interface Asked {
  questionId: string;
  at: Date;
}

/**
 * A learner who studies every day: at each day's review slot (the lesson hour) they take the
 * day's review round, `perDay` questions at most (the daily push's three, or all due on demand),
 * answering as `recalls` says, until the cohort closes.
 */
function studyDaily(deck: ReviewDeck, from: Date, opts: { perDay: number; recalls: (questionId: string, n: number) => boolean; window?: ReviewWindow }): Asked[] {
  const window = opts.window ?? WINDOW;
  const asked: Asked[] = [];
  let day = DateTime.fromJSDate(from, { zone: TZ }).startOf('day').plus({ days: 1 });
  for (;;) {
    const now = day.set({ hour: window.hour }).toJSDate();
    if (now.getTime() >= window.closesAt.getTime()) break;
    for (const item of dueItems(deck, now, localDate(now, TZ)).slice(0, opts.perDay)) {
      asked.push({ questionId: item.questionId, at: now });
      gradeReview(item, opts.recalls(item.questionId, item.reviews), answerAt(now, window));
    }
    day = day.plus({ days: 1 });
  }
  return asked;
}

function deckMissing(ids: string[], missed: (id: string) => boolean, when: Date, window = WINDOW): ReviewDeck {
  const deck = emptyDeck('learner', 'cds-2022');
  for (const id of ids) noteAnswer(deck, id, 'check', !missed(id), answerAt(when, window));
  return deck;
}

const SIX = ['q1', 'q2', 'q3', 'q4', 'q5', 'q6'];

describe('deadline-aware review scheduling (FSRS, capped by the closing)', () => {
  describe('a learner who misses 6 questions on day 1 of the 17-day cohort and studies daily', () => {
    const firstDay = at('2022-05-06T09:30');
    const deck = deckMissing(SIX, () => true, firstDay);
    // Reviews answered right, except each item's first review of q1 and q2 (forgotten once).
    const asked = studyDaily(deck, firstDay, { perDay: DAILY_MAX, recalls: (id, n) => !(n === 0 && (id === 'q1' || id === 'q2')) });

    it('should bring each of them back at least twice before closing', () => {
      for (const id of SIX) expect(asked.filter((a) => a.questionId === id).length, id).toBeGreaterThanOrEqual(2);
    });

    it('should never ask one question twice on the same day, counting the day it was missed', () => {
      for (const id of SIX) {
        const days = [localDate(firstDay, TZ), ...asked.filter((a) => a.questionId === id).map((a) => localDate(a.at, TZ))];
        expect(new Set(days).size, `${id} on ${days.join(', ')}`).toBe(days.length);
      }
    });

    it('should never ask inside quiet hours or after closing, nor set a due date there', () => {
      for (const a of asked) {
        expect(inQuietHours(a.at, WINDOW.quietHours, TZ)).toBe(false);
        expect(a.at.getTime()).toBeLessThan(WINDOW.closesAt.getTime());
      }
      for (const item of deck.items) {
        if (!item.due) continue;
        expect(inQuietHours(item.due, WINDOW.quietHours, TZ)).toBe(false);
        expect(item.due.getTime()).toBeLessThan(WINDOW.closesAt.getTime());
      }
    });

    it('should bring a missed question back the next day and space the later reviews out', () => {
      const q3 = asked.filter((a) => a.questionId === 'q3').map((a) => localDate(a.at, TZ));
      expect(q3[0]).toBe('2022-05-07');
      const gaps = q3.slice(1).map((d, i) => DateTime.fromISO(d).diff(DateTime.fromISO(q3[i]!), 'days').days);
      expect(gaps.length).toBeGreaterThan(0);
      expect(gaps.at(-1)).toBeGreaterThan(1);
    });

    it('should ask at most three review questions a day in the daily push', () => {
      const perDay = new Map<string, number>();
      for (const a of asked) perDay.set(localDate(a.at, TZ), (perDay.get(localDate(a.at, TZ)) ?? 0) + 1);
      expect(Math.max(...perDay.values())).toBeLessThanOrEqual(DAILY_MAX);
    });
  });

  describe('a learner with 3 days left', () => {
    const late = at('2022-05-20T10:00');

    it('should get a compressed schedule: each missed question on each of the remaining days', () => {
      const deck = deckMissing(SIX, () => true, late);
      expect(reviewDaysLeft(late, WINDOW)).toBe(2);
      const asked = studyDaily(deck, late, { perDay: Infinity, recalls: () => true });
      for (const id of SIX) {
        expect(asked.filter((a) => a.questionId === id).map((a) => localDate(a.at, TZ)), id).toEqual(['2022-05-21', '2022-05-22']);
      }
      expect(asked.every((a) => a.at.getTime() < WINDOW.closesAt.getTime())).toBe(true);
    });

    it('should cap an interval FSRS would set past closing (a question right first time) to the days left', () => {
      const fsrsDue = memory.grade(null, late, true).due;
      const due = nextReviewAt({ fsrsDue, reviews: 0, missed: false, now: late }, WINDOW);
      expect(fsrsDue.getTime()).toBeGreaterThan(at('2022-05-22T08:00').getTime());
      expect(localDate(due!, TZ)).toBe('2022-05-22');
      const early = nextReviewAt({ fsrsDue: memory.grade(null, at('2022-05-06T09:30'), true).due, reviews: 0, missed: false, now: at('2022-05-06T09:30') }, WINDOW);
      expect(localDate(early!, TZ)).toBe('2022-05-09');
    });

    it('should schedule nothing once no slot is left before closing', () => {
      const lastEvening = at('2022-05-22T20:00');
      expect(nextReviewAt({ fsrsDue: lastEvening, reviews: 0, missed: true, now: lastEvening }, WINDOW)).toBeNull();
    });
  });

  it('should give a learner who answers everything right fewer reviews than one who misses', () => {
    const day1 = at('2022-05-06T09:30');
    const right = studyDaily(deckMissing(SIX, () => false, day1), day1, { perDay: DAILY_MAX, recalls: () => true });
    const wrong = studyDaily(deckMissing(SIX, () => true, day1), day1, { perDay: DAILY_MAX, recalls: () => true });
    expect(right.length).toBeGreaterThan(0);
    expect(right.length).toBeLessThan(wrong.length);
    for (const id of SIX) expect(right.filter((a) => a.questionId === id).length).toBeGreaterThanOrEqual(1);
  });

  it('should retire (master) a question once it owes no review and FSRS keeps it above 90 % until closing', () => {
    const day1 = at('2022-05-06T09:30');
    const deck = deckMissing(['q1'], () => false, day1);
    studyDaily(deck, day1, { perDay: DAILY_MAX, recalls: () => true });
    expect(deck.items[0]!.due).toBeNull();
    expect(memory.recall(deck.items[0]!.card, WINDOW.closesAt)).toBeGreaterThan(0.9);
  });

  it('should move the slot of a learner whose hour falls in quiet hours to the end of them', () => {
    const window = { ...WINDOW, hour: 6 };
    const due = nextReviewAt({ fsrsDue: at('2022-05-07T06:00'), reviews: 0, missed: true, now: at('2022-05-06T09:30') }, window)!;
    expect(DateTime.fromJSDate(due, { zone: TZ }).toFormat('yyyy-MM-dd HH:mm')).toBe('2022-05-07 07:00');
  });
});
