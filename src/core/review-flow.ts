/**
 * Review in the conversation: items enter as the learner answers, rounds of review questions
 * are asked one at a time (after the day's lesson, in the daily push, with /onlai), a short
 * round is offered before the final test and after a failed attempt, and /tiendo counts them.
 * The deck is read once per update when needed and saved with the update's decision.
 */
import { topicsOf, type Question } from './course.js';
import type { Choice, OutboundMessage } from './messages.js';
import type { Enrolment, FinalAttempt } from './model.js';
import { letterOf, resolveChoice } from './parse.js';
import { inQuietHours, localDate } from './schedule.js';
import type { ReviewWindow } from './review-schedule.js';
import {
  DAILY_MAX,
  DEMAND_MAX,
  EXAM_MAX,
  deckSummary,
  dueItems,
  earliestDue,
  emptyDeck,
  findQuestion,
  gradeReview,
  noteAnswer,
  type AnswerAt,
  type ReviewDeck,
  type ReviewOffer,
  type RoundKind,
} from './review.js';
import type { Session } from './session.js';

/** The learner's deck in this cohort, read once per update (an empty one when they have none). */
export async function deckOf(s: Session): Promise<ReviewDeck> {
  s.reviewDeck ??= (await s.deps.reviews.find(s.learner.id, s.cohort.id)) ?? emptyDeck(s.learner.id, s.cohort.id);
  return s.reviewDeck;
}

function today(s: Session): string {
  return localDate(s.now, s.deps.timezone);
}

export function reviewWindow(s: Session): ReviewWindow {
  return { closesAt: s.cohort.closesAt, quietHours: s.cohort.quietHours, hour: s.learner.lessonHour ?? s.cohort.lessonHour, timezone: s.deps.timezone };
}

function answerAt(s: Session): AnswerAt {
  return { now: s.now, today: today(s), window: reviewWindow(s), memory: s.deps.memory };
}

/** The deck changed: it is saved with the decision, and the enrolment carries its earliest due date for the sweep. */
function touched(s: Session): void {
  s.reviewChanged = true;
  if (s.enrolment && s.reviewDeck) s.enrolment.reviewDueAt = earliestDue(s.reviewDeck);
}

/** A check question was answered (once, its first try): it enters the deck. */
export async function noteCheckAnswer(s: Session, questionId: string, correct: boolean): Promise<void> {
  noteAnswer(await deckOf(s), questionId, 'check', correct, answerAt(s));
  touched(s);
}

/**
 * A final attempt failed: its questions enter the deck (or are graded again), the weakest topics
 * are named, and a round on them is offered when some of their items can be asked today.
 */
export async function afterFailedAttempt(s: Session, attempt: FinalAttempt): Promise<void> {
  const deck = await deckOf(s);
  const at = answerAt(s);
  attempt.questionIds.forEach((id, i) => {
    const result = attempt.results?.[i];
    if (result === '0' || result === '1') noteAnswer(deck, id, 'final', result === '1', at);
  });
  const weak = weakestTopics(s, attempt);
  touched(s);
  if (weak.length === 0) return;
  const names = weak.map((t) => s.text(t.title));
  const ids = new Set(weak.flatMap((t) => [...t.lessons.flatMap((l) => l.questions), ...t.finalBank].map((q) => q.id)));
  const askable = deck.items
    .filter((i) => ids.has(i.questionId) && i.lastSeen !== at.today)
    .sort((a, b) => Number(b.missed) - Number(a.missed) || s.deps.memory.recall(a.card, at.now) - s.deps.memory.recall(b.card, at.now))
    .slice(0, EXAM_MAX);
  if (askable.length === 0) {
    // Before the attempt's own message, whose choices (retry, progress) stay the last offered.
    s.out.splice(Math.max(0, s.out.length - 1), 0, { text: s.t('review.weakTopicsLater', { topics: names.join('; ') }) });
    return;
  }
  offer(s, { kind: 'weak', questionIds: askable.map((i) => i.questionId), topics: names });
}

/** The topics with the most wrong answers in the attempt (at most two), worst first. */
function weakestTopics(s: Session, attempt: FinalAttempt) {
  const wrong = new Map<string, number>();
  attempt.questionIds.forEach((id, i) => {
    if (attempt.results?.[i] !== '0') return;
    const topicId = findQuestion(s.course, id)?.topicId;
    if (topicId) wrong.set(topicId, (wrong.get(topicId) ?? 0) + 1);
  });
  return topicsOf(s.course)
    .filter((t) => wrong.has(t.id))
    .sort((a, b) => wrong.get(b.id)! - wrong.get(a.id)!)
    .slice(0, 2);
}

function offer(s: Session, o: ReviewOffer): void {
  s.reviewDeck!.offer = o;
  s.learner.prompt = 'review_offer';
  touched(s);
  s.say(offerMessage(s));
}

/** /kiemtra with items due: "5 questions before the test?", offered, not forced. True when offered. */
export async function offerExamReview(s: Session): Promise<boolean> {
  const due = dueItems(await deckOf(s), s.now, today(s)).slice(0, EXAM_MAX);
  if (due.length === 0) return false;
  offer(s, { kind: 'exam', questionIds: due.map((i) => i.questionId) });
  return true;
}

/** /onlai: how many are due, then the first of them; or why there is nothing to ask now. */
export async function startDemandReview(s: Session): Promise<void> {
  const deck = await deckOf(s);
  const sum = deckSummary(deck, s.now, today(s));
  if (sum.due === 0) {
    s.say(
      [
        s.t(sum.total === 0 ? 'review.empty' : 'review.nothingDue', { total: sum.total, mastered: sum.mastered }),
        ...(sum.next ? [s.t('review.next', { date: s.formatDate(sum.next) })] : []),
      ].join('\n'),
    );
    return;
  }
  const ids = dueItems(deck, s.now, today(s))
    .slice(0, DEMAND_MAX)
    .map((i) => i.questionId);
  s.say(s.t('review.due', { count: sum.due, asked: ids.length }));
  startRound(s, 'demand', ids);
}

/**
 * The day's review round, once a day, at most DAILY_MAX questions, outside quiet hours: after
 * the lesson the learner just finished (`intro` 'review.afterLesson') or in the daily push.
 * True when a round started.
 */
export async function startDailyRound(s: Session, intro: 'review.afterLesson' | 'review.push'): Promise<boolean> {
  if (s.windowState() !== 'open' || inQuietHours(s.now, s.cohort.quietHours, s.deps.timezone)) return false;
  if (s.learner.prompt && s.learner.prompt !== 'review') return false;
  const deck = await deckOf(s);
  if (deck.dailyDate === today(s)) return false;
  const ids = dueItems(deck, s.now, today(s))
    .slice(0, DAILY_MAX)
    .map((i) => i.questionId);
  if (ids.length === 0) return false;
  deck.dailyDate = today(s);
  s.say(s.t(intro, { count: ids.length }));
  startRound(s, 'daily', ids);
  return true;
}

/** How many items are due for the push line "after today's lesson, N review questions". */
export async function dueCount(s: Session): Promise<number> {
  return Math.min(DAILY_MAX, dueItems(await deckOf(s), s.now, today(s)).length);
}

function startRound(s: Session, kind: RoundKind, questionIds: string[]): void {
  const deck = s.reviewDeck!;
  deck.round = { kind, questionIds, index: 0, correct: 0 };
  delete deck.offer;
  s.learner.prompt = 'review';
  touched(s);
  s.say(reviewQuestionMessage(s));
}

function currentQuestion(s: Session): Question | undefined {
  const r = s.reviewDeck?.round;
  const id = r?.questionIds[r.index];
  return id ? findQuestion(s.course, id) : undefined;
}

function reviewChoices(s: Session, q: Question): Choice[] {
  return q.options.map((o, i) => ({ label: s.text(o), value: `rev:${q.id}:${i}` }));
}

function reviewQuestionMessage(s: Session): OutboundMessage {
  const r = s.reviewDeck?.round;
  const q = currentQuestion(s);
  if (!r || !q) return { text: s.t('review.roundGone') };
  return {
    text: `${s.t('review.questionHeader', { n: r.index + 1, total: r.questionIds.length })}\n${s.text(q.text)}`,
    choices: reviewChoices(s, q),
    lettered: true,
    hint: s.t('hint.letter'),
  };
}

function offerChoices(s: Session, o: ReviewOffer): Choice[] {
  return [
    { label: s.t('review.offerYes', { count: o.questionIds.length }), value: 'review:yes' },
    { label: s.t(o.kind === 'exam' ? 'review.offerExamNo' : 'review.offerNo'), value: 'review:skip' },
  ];
}

function offerMessage(s: Session): OutboundMessage {
  const o = s.reviewDeck?.offer;
  if (!o) return { text: s.t('review.roundGone') };
  const text = o.kind === 'exam' ? s.t('review.offerExam', { count: o.questionIds.length }) : s.t('review.offerWeak', { topics: (o.topics ?? []).join('; '), count: o.questionIds.length });
  return { text, choices: offerChoices(s, o), hint: s.t('hint.number') };
}

/** What a review prompt offers now (the deck is read before: `loadForPrompt`). */
export function reviewPromptMessage(s: Session): OutboundMessage {
  return s.learner.prompt === 'review_offer' ? offerMessage(s) : reviewQuestionMessage(s);
}

/** Reads the deck when the learner's open prompt is a review one, so what it offers can be shown. */
export async function loadForPrompt(s: Session): Promise<void> {
  if (s.learner.prompt === 'review' || s.learner.prompt === 'review_offer') await deckOf(s);
}

/**
 * Input while a review prompt is open, already resolved against the offer. 'unknown' when it
 * answers nothing offered; 'exam' when the final test's own offer should follow; 'done' when the
 * prompt closed and the course's current offer should be shown again.
 */
export async function handleReviewInput(s: Session, input: string): Promise<'asked' | 'unknown' | 'exam' | 'done'> {
  const deck = await deckOf(s);
  if (s.learner.prompt === 'review_offer') {
    const o = deck.offer;
    const chosen = o ? resolveChoice(input, offerChoices(s, o)) : undefined;
    if (!o || !chosen) return o ? 'unknown' : close(s);
    if (chosen.value === 'review:yes') {
      startRound(s, o.kind, o.questionIds);
      return 'asked';
    }
    close(s);
    return o.kind === 'exam' ? 'exam' : 'done';
  }
  const round = deck.round;
  const q = currentQuestion(s);
  if (!round || !q) return close(s);
  const chosen = resolveChoice(input, reviewChoices(s, q));
  if (!chosen) return 'unknown';
  const index = Number(chosen.value.split(':').pop());
  const item = deck.items.find((i) => i.questionId === q.id);
  const correct = index === q.correctIndex;
  const recorded = await s.recordAnswer(s.cohort.id, q.id, index, correct, 'review', (item?.reviews ?? 0) + 1);
  if (recorded === 'duplicate') s.say(s.t('lesson.alreadyAnswered'));
  else {
    if (item) gradeReview(item, correct, answerAt(s));
    if (correct) round.correct += 1;
    const right = `${letterOf(q.correctIndex)}. ${s.text(q.options[q.correctIndex]!)}`;
    s.say(`${correct ? s.t('lesson.correct') : s.t('lesson.wrong', { answer: right })}\n${s.text(q.explanation)}`);
  }
  round.index += 1;
  touched(s);
  if (round.index < round.questionIds.length) {
    s.say(reviewQuestionMessage(s));
    return 'asked';
  }
  const sum = deckSummary(deck, s.now, today(s));
  s.say(
    [
      s.t('review.roundDone', { correct: round.correct, total: round.questionIds.length }),
      ...(sum.next ? [s.t('review.next', { date: s.formatDate(sum.next) })] : []),
    ].join('\n'),
  );
  const kind = round.kind;
  close(s);
  return kind === 'exam' ? 'exam' : 'done';
}

function close(s: Session): 'done' {
  const deck = s.reviewDeck!;
  delete deck.round;
  delete deck.offer;
  s.learner.prompt = undefined;
  touched(s);
  return 'done';
}

/** /tiendo's review line: due now and mastered. */
export async function reviewProgressLine(s: Session, e: Enrolment | null): Promise<string | undefined> {
  if (!e) return undefined;
  const sum = deckSummary(await deckOf(s), s.now, today(s));
  return sum.total === 0 ? undefined : s.t('review.progress', { due: sum.due, mastered: sum.mastered, total: sum.total });
}
