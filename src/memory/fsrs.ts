/**
 * The MemoryModel port over `ts-fsrs` (FSRS-6): the one place the core's review items meet the
 * library. Settings, and why:
 * - 90 % requested retention (FSRS's default): an interval ends where predicted recall falls to
 *   90 %, which is also the bar at which an item retires before closing (core/review-schedule.ts).
 * - No short-term (minute) learning steps: review comes at most once a day, in the daily push or
 *   on demand, so every interval is in whole days.
 * - No fuzz: the same answers give the same schedule (tests, support questions).
 */
import { createEmptyCard, fsrs, Rating, State, type Card } from 'ts-fsrs';
import type { MemoryModel } from '../core/ports.js';
import type { MemoryCard } from '../core/review.js';

const STATES: Record<State, MemoryCard['state']> = {
  [State.New]: 'new',
  [State.Learning]: 'learning',
  [State.Review]: 'review',
  [State.Relearning]: 'relearning',
};
const FROM_STATE: Record<MemoryCard['state'], State> = { new: State.New, learning: State.Learning, review: State.Review, relearning: State.Relearning };

function toMemory(c: Card): MemoryCard {
  return {
    state: STATES[c.state],
    stability: c.stability,
    difficulty: c.difficulty,
    reps: c.reps,
    lapses: c.lapses,
    due: c.due,
    ...(c.last_review ? { lastReview: c.last_review } : {}),
    scheduledDays: c.scheduled_days,
    learningSteps: c.learning_steps,
  };
}

function toCard(m: MemoryCard): Card {
  return {
    state: FROM_STATE[m.state],
    stability: m.stability,
    difficulty: m.difficulty,
    reps: m.reps,
    lapses: m.lapses,
    due: new Date(m.due),
    ...(m.lastReview ? { last_review: new Date(m.lastReview) } : {}),
    scheduled_days: m.scheduledDays,
    learning_steps: m.learningSteps,
    elapsed_days: 0,
  };
}

export class FsrsMemory implements MemoryModel {
  private readonly f = fsrs({ request_retention: 0.9, enable_short_term: false, enable_fuzz: false });

  grade(card: MemoryCard | null, at: Date, recalled: boolean): MemoryCard {
    const from = card ? toCard(card) : createEmptyCard(at);
    return toMemory(this.f.next(from, at, recalled ? Rating.Good : Rating.Again).card);
  }

  recall(card: MemoryCard, at: Date): number {
    return this.f.get_retrievability(toCard(card), at, false);
  }
}
