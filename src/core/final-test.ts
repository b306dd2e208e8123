/** The final test: questions drawn at random across topics in proportion, one at a time, score and pass/fail at the end. */
import { findFinalQuestion, lessonsOf, topicsOf, type Course, type Question } from './course.js';
import type { Choice, OutboundMessage } from './messages.js';
import type { Enrolment, FinalAttempt } from './model.js';
import { letterOf, resolveChoice } from './parse.js';
import type { Random } from './ports.js';
import { bestScore, finishedAttempts } from './attempts.js';
import { restingMessage } from './resting.js';
import { currentStep } from './learning.js';
import type { Session } from './session.js';
import { deliverCertificate } from './certificates.js';
import { afterFailedAttempt } from './review-flow.js';
import { withNextStep } from './progress.js';

export { bestScore, finishedAttempts };

/** Draws `count` questions, each topic's share proportional to its bank (largest remainder), shuffled. */
export function drawFinalQuestions(course: Course, random: Random): string[] {
  const topics = topicsOf(course).filter((t) => t.finalBank.length > 0);
  const total = topics.reduce((n, t) => n + t.finalBank.length, 0);
  const count = Math.min(course.final.questions, total);
  const exact = topics.map((t) => (count * t.finalBank.length) / total);
  const quota = exact.map(Math.floor);
  let left = count - quota.reduce((a, b) => a + b, 0);
  const byRemainder = exact.map((x, i) => ({ i, r: x - Math.floor(x) })).sort((a, b) => b.r - a.r);
  for (const { i } of byRemainder) {
    if (left-- <= 0) break;
    quota[i]! += 1;
  }
  const drawn = topics.flatMap((t, i) => shuffle([...t.finalBank], random).slice(0, quota[i]));
  return shuffle(drawn, random).map((q) => q.id);
}

/** One shuffled option order per question, as stored (`'2013'`: position on screen → index in the content file). */
export function drawOptionOrders(course: Course, questionIds: readonly string[], random: Random): string[] {
  return questionIds.map((id) => {
    const n = findFinalQuestion(course, id)?.options.length ?? 0;
    return shuffle(
      Array.from({ length: n }, (_, i) => i),
      random,
    ).join('');
  });
}

function shuffle<T>(items: T[], random: Random): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random.next() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

/** The option order of question `index` of an attempt; the content order when none was stored or it no longer fits. */
export function optionOrder(attempt: FinalAttempt, index: number, q: Question): number[] {
  const order = [...(attempt.orders?.[index] ?? '')].map(Number);
  const n = q.options.length;
  const valid = order.length === n && [...order].sort((a, b) => a - b).every((x, i) => x === i);
  return valid ? order : Array.from({ length: n }, (_, i) => i);
}

/** /kiemtra: explains why the test cannot start yet, or offers to start it. Returns true when it offers. */
export function offerFinalTest(s: Session, e: Enrolment): boolean {
  const state = s.windowState();
  if (state === 'closed') {
    s.say(s.t('course.closed', { date: s.formatDate(s.cohort.closesAt) }));
    return false;
  }
  if (state === 'before') {
    s.say(s.t('course.notOpen', { date: s.formatDate(s.cohort.opensAt) }));
    return false;
  }
  if (e.cursor.at === 'final') {
    s.say(s.t('final.inProgress'));
    s.say(finalQuestionMessage(s, e));
    return false;
  }
  if (finishedAttempts(e).some((a) => a.passed)) {
    s.say(withNextStep(s, s.t('final.alreadyPassed', { score: bestScore(e) }), e));
    return false;
  }
  const done = new Set(e.completedLessons);
  const missing = topicsOf(s.course).filter((t) => t.lessons.some((l) => !done.has(l.id)));
  if (missing.length > 0) {
    const remaining = lessonsOf(s.course).filter((l) => !done.has(l.id)).length;
    s.say(s.t('final.notReady', { topics: missing.map((t) => s.text(t.title)).join('; '), remaining }));
    // …and where to go on from, with its choices.
    s.say(currentStep(s, e) ?? restingMessage(s, e));
    return false;
  }
  if (finishedAttempts(e).length >= s.course.final.attempts) {
    s.say(s.t('final.noAttemptsLeft', { attempts: s.course.final.attempts, score: bestScore(e) }));
    return false;
  }
  return true;
}

export function startFinalTest(s: Session, e: Enrolment): void {
  const n = e.finalAttempts.length + 1;
  const questionIds = drawFinalQuestions(s.course, s.deps.random);
  const orders = drawOptionOrders(s.course, questionIds, s.deps.random);
  e.finalAttempts.push({ n, questionIds, orders, correct: 0, answered: 0, startedAt: s.now });
  e.cursor = { at: 'final', attempt: n, index: 0 };
  if (e.status === 'not_started') e.status = 'in_progress';
  s.say(finalQuestionMessage(s, e));
}

function currentQuestion(s: Session, e: Enrolment): { attempt: FinalAttempt; q: Question; index: number } | undefined {
  if (e.cursor.at !== 'final') return undefined;
  const { attempt: n, index } = e.cursor;
  const attempt = e.finalAttempts.find((a) => a.n === n);
  const id = attempt?.questionIds[index];
  const q = id ? findFinalQuestion(s.course, id) : undefined;
  return attempt && q ? { attempt, q, index } : undefined;
}

/** The options in the attempt's order; each value names the option by its index in the content file. */
function finalChoices(s: Session, attempt: FinalAttempt, index: number, q: Question): Choice[] {
  return optionOrder(attempt, index, q).map((k) => ({ label: s.text(q.options[k]!), value: `fin:${attempt.n}:${index}:${k}` }));
}

export function finalQuestionMessage(s: Session, e: Enrolment): OutboundMessage {
  const cur = currentQuestion(s, e);
  if (!cur) return { text: s.t('final.inProgress') };
  return {
    text: `${s.t('final.questionHeader', { n: cur.index + 1, total: cur.attempt.questionIds.length })}\n${s.text(cur.q.text)}`,
    choices: finalChoices(s, cur.attempt, cur.index, cur.q),
    lettered: true,
    hint: s.t('hint.letter'),
  };
}

/** The short line that says how to answer the current final-test question. */
export function finalHelpLine(s: Session, e: Enrolment): string {
  const cur = currentQuestion(s, e);
  const n = cur?.q.options.length ?? 0;
  return s.t('invalid.answer', { letters: Array.from({ length: n }, (_, i) => letterOf(i)).join(', ') });
}

/**
 * An answer typed or pressed during the final test, already resolved against the offer.
 * Returns false when it is not an answer to the current question.
 */
export async function handleFinalInput(s: Session, e: Enrolment, input: string): Promise<boolean> {
  const cur = currentQuestion(s, e);
  if (!cur) return false;
  const { attempt, q, index } = cur;
  const chosen = resolveChoice(input, finalChoices(s, attempt, index, q));
  if (!chosen) return false;
  const chosenIndex = Number(chosen.value.split(':').pop());
  const correct = chosenIndex === q.correctIndex;
  const result = await s.recordAnswer(e.cohortId, q.id, chosenIndex, correct, 'final', attempt.n);
  if (result === 'duplicate') {
    s.say(s.t('lesson.alreadyAnswered'));
    return true;
  }
  attempt.answered += 1;
  if (correct) attempt.correct += 1;
  attempt.results = (attempt.results ?? '').padEnd(index, '-').slice(0, index) + (correct ? '1' : '0');
  const nextIndex = index + 1;
  if (nextIndex < attempt.questionIds.length) {
    e.cursor = { at: 'final', attempt: attempt.n, index: nextIndex };
    s.say(finalQuestionMessage(s, e));
    return true;
  }
  await finishAttempt(s, e, attempt);
  if (!attempt.passed) await afterFailedAttempt(s, attempt);
  return true;
}

/** Scores the attempt; a pass issues the certificate and sends it in the same reply. */
async function finishAttempt(s: Session, e: Enrolment, attempt: FinalAttempt): Promise<void> {
  const total = attempt.questionIds.length;
  attempt.finishedAt = s.now;
  attempt.scorePercent = total === 0 ? 0 : Math.round((attempt.correct * 1000) / total) / 10;
  attempt.passed = attempt.scorePercent >= s.course.final.passPercent;
  e.cursor = { at: 'idle' };
  if (attempt.passed && e.status !== 'certified') e.status = 'completed';
  s.say(restingMessage(s, e));
  if (attempt.passed) await deliverCertificate(s, e);
}
