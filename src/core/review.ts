/**
 * The review model: one item per learner and question they should see again, with its memory
 * card (FSRS state, from the MemoryModel port), when it is due, and what happened to it.
 * Items come from check questions (every one answered: missed ones owe more reviews) and from
 * the questions of a failed final attempt. A learner's items in a cohort form one deck.
 */
import { findFinalQuestion, lessonsOf, type Course, type Question } from './course.js';
import type { MemoryModel } from './ports.js';
import { nextReviewAt, type ReviewWindow } from './review-schedule.js';

/** The memory model's state of one item, in the core's words (FSRS's card). */
export interface MemoryCard {
  state: 'new' | 'learning' | 'review' | 'relearning';
  stability: number;
  difficulty: number;
  reps: number;
  lapses: number;
  /** When the memory model alone would show the item again. */
  due: Date;
  lastReview?: Date;
  scheduledDays: number;
  learningSteps: number;
}

export type ReviewSource = 'check' | 'final';

/** One answer that touched the item: its first answer, a later final attempt, or a review. */
export interface ReviewEvent {
  at: Date;
  correct: boolean;
  context: 'check' | 'final' | 'review';
}

export interface ReviewItem {
  questionId: string;
  source: ReviewSource;
  /** Missed when it entered (wrong answer); right-first-time items owe fewer reviews. */
  missed: boolean;
  card: MemoryCard;
  /** When it is next asked; null once it retired (mastered) or no slot is left before closing. */
  due: Date | null;
  /** Reviews answered (its first answer not counted). */
  reviews: number;
  /** The local date it was last asked: never twice a day. */
  lastSeen: string;
  /** The last answers that touched it, oldest first (at most HISTORY_MAX). */
  history: ReviewEvent[];
}

/** Why a round of review questions is being asked. */
export type RoundKind = 'daily' | 'demand' | 'exam' | 'weak';

/** The review questions being asked now, one at a time. */
export interface ReviewRound {
  kind: RoundKind;
  questionIds: string[];
  index: number;
  correct: number;
}

/** A round offered and not yet accepted (before the final test, after a failed attempt). */
export interface ReviewOffer {
  kind: 'exam' | 'weak';
  questionIds: string[];
  /** Topic titles named in the offer (weak topics). */
  topics?: string[];
}

export interface ReviewDeck {
  learnerId: string;
  cohortId: string;
  items: ReviewItem[];
  round?: ReviewRound;
  offer?: ReviewOffer;
  /** The local date of the last daily round: at most one a day, at most DAILY_MAX questions. */
  dailyDate?: string;
  version: number;
}

const HISTORY_MAX = 12;
/** Review questions a day in the push (SPEC §4). */
export const DAILY_MAX = 3;
/** The short review offered before the final test. */
export const EXAM_MAX = 5;
/** A round asked with /onlai. */
export const DEMAND_MAX = 10;

export function emptyDeck(learnerId: string, cohortId: string): ReviewDeck {
  return { learnerId, cohortId, items: [], version: 0 };
}

/** A question of the course by id: a check question or one of the final-test bank. */
export function findQuestion(course: Course, id: string): Question | undefined {
  for (const l of lessonsOf(course)) {
    const q = l.questions.find((x) => x.id === id);
    if (q) return q;
  }
  return findFinalQuestion(course, id);
}

function remember(item: ReviewItem, event: ReviewEvent): void {
  item.history.push(event);
  if (item.history.length > HISTORY_MAX) item.history.splice(0, item.history.length - HISTORY_MAX);
}

export interface AnswerAt {
  now: Date;
  /** The learner's local date at `now`. */
  today: string;
  window: ReviewWindow;
  memory: MemoryModel;
}

/**
 * Notes an answer outside review (a check question, a final-test question): a new item enters
 * the deck; an item already there is graded again (it was retrieved), without counting a review.
 */
export function noteAnswer(deck: ReviewDeck, questionId: string, source: ReviewSource, correct: boolean, a: AnswerAt): ReviewItem {
  const existing = deck.items.find((i) => i.questionId === questionId);
  const item: ReviewItem = existing ?? { questionId, source, missed: !correct, card: a.memory.grade(null, a.now, correct), due: null, reviews: 0, lastSeen: a.today, history: [] };
  if (existing) {
    existing.card = a.memory.grade(existing.card, a.now, correct);
    existing.missed ||= !correct;
    existing.lastSeen = a.today;
  } else deck.items.push(item);
  remember(item, { at: a.now, correct, context: source });
  item.due = nextReviewAt({ fsrsDue: item.card.due, reviews: item.reviews, missed: item.missed, now: a.now }, a.window);
  return item;
}

/** Grades a review answer and schedules the item's next review. */
export function gradeReview(item: ReviewItem, correct: boolean, a: AnswerAt): void {
  item.card = a.memory.grade(item.card, a.now, correct);
  item.reviews += 1;
  item.lastSeen = a.today;
  remember(item, { at: a.now, correct, context: 'review' });
  item.due = nextReviewAt({ fsrsDue: item.card.due, reviews: item.reviews, missed: item.missed, now: a.now }, a.window);
}

/** Items due at `now` and not yet asked today, most overdue first, missed ones before the others. */
export function dueItems(deck: ReviewDeck | null, now: Date, today: string): ReviewItem[] {
  return (deck?.items ?? [])
    .filter((i) => i.due !== null && i.due.getTime() <= now.getTime() && i.lastSeen !== today)
    .sort((a, b) => a.due!.getTime() - b.due!.getTime() || Number(b.missed) - Number(a.missed));
}

/** The earliest due date of the deck's items; undefined when none will come back. */
export function earliestDue(deck: ReviewDeck): Date | undefined {
  const dues = deck.items.flatMap((i) => (i.due ? [i.due.getTime()] : []));
  return dues.length ? new Date(Math.min(...dues)) : undefined;
}

/** Retired items: answered right at their last review and not due again before closing. */
export function masteredCount(deck: ReviewDeck | null): number {
  return (deck?.items ?? []).filter((i) => i.due === null && i.history.at(-1)?.correct === true).length;
}

/** How the deck stands, for /onlai and /tiendo. */
export function deckSummary(deck: ReviewDeck | null, now: Date, today: string): { due: number; mastered: number; total: number; next?: Date } {
  const items = deck?.items ?? [];
  const upcoming = items.flatMap((i) => (i.due && i.due.getTime() > now.getTime() ? [i.due.getTime()] : []));
  return {
    due: dueItems(deck, now, today).length,
    mastered: masteredCount(deck),
    total: items.length,
    ...(upcoming.length ? { next: new Date(Math.min(...upcoming)) } : {}),
  };
}
