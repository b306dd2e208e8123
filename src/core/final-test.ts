/** The final test: questions drawn at random across topics in proportion, one at a time, score and pass/fail at the end. */
import { findFinalQuestion, lessonsOf, topicsOf, type Course, type Question } from './course.js';
import type { OutboundMessage } from './messages.js';
import type { Enrolment, FinalAttempt } from './model.js';
import { letterOf, resolveChoice } from './parse.js';
import type { Random } from './ports.js';
import type { Session } from './session.js';
import { questionChoices } from './learning.js';

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

function shuffle<T>(items: T[], random: Random): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random.next() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

export function finishedAttempts(e: Enrolment): FinalAttempt[] {
  return e.finalAttempts.filter((a) => a.finishedAt);
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
    s.say(s.t('final.alreadyPassed', { score: bestScore(e) }));
    return false;
  }
  const done = new Set(e.completedLessons);
  const missing = topicsOf(s.course).filter((t) => t.lessons.some((l) => !done.has(l.id)));
  if (missing.length > 0) {
    const remaining = lessonsOf(s.course).filter((l) => !done.has(l.id)).length;
    s.say({
      text: s.t('final.notReady', { topics: missing.map((t) => s.text(t.title)).join('; '), remaining }),
      choices: [{ label: s.t('lesson.next'), value: 'next' }],
    });
    return false;
  }
  if (finishedAttempts(e).length >= s.course.final.attempts) {
    s.say(s.t('final.noAttemptsLeft', { attempts: s.course.final.attempts, score: bestScore(e) }));
    return false;
  }
  return true;
}

export function bestScore(e: Enrolment): number {
  return Math.max(0, ...finishedAttempts(e).map((a) => a.scorePercent ?? 0));
}

export function startFinalTest(s: Session, e: Enrolment): void {
  const n = e.finalAttempts.length + 1;
  e.finalAttempts.push({ n, questionIds: drawFinalQuestions(s.course, s.deps.random), correct: 0, answered: 0, startedAt: s.now });
  e.cursor = { at: 'final', attempt: n, index: 0 };
  if (e.status === 'not_started') e.status = 'in_progress';
  s.say(finalQuestionMessage(s, e));
}

function currentQuestion(s: Session, e: Enrolment): { attempt: FinalAttempt; q: Question } | undefined {
  if (e.cursor.at !== 'final') return undefined;
  const attempt = e.finalAttempts.find((a) => a.n === (e.cursor as { attempt: number }).attempt);
  const id = attempt?.questionIds[e.cursor.index];
  const q = id ? findFinalQuestion(s.course, id) : undefined;
  return attempt && q ? { attempt, q } : undefined;
}

export function finalQuestionMessage(s: Session, e: Enrolment): OutboundMessage {
  const cur = currentQuestion(s, e);
  if (!cur || e.cursor.at !== 'final') return { text: s.t('final.inProgress') };
  return {
    text: `${s.t('final.questionHeader', { n: e.cursor.index + 1, total: cur.attempt.questionIds.length })}\n${s.text(cur.q.text)}`,
    choices: questionChoices(cur.q, s, `fin:${cur.attempt.n}:${e.cursor.index}`),
    lettered: true,
    hint: s.t('hint.letter'),
  };
}

/** An answer typed or pressed during the final test. */
export async function handleFinalInput(s: Session, e: Enrolment, input: string): Promise<void> {
  const cur = currentQuestion(s, e);
  if (!cur || e.cursor.at !== 'final') return;
  if (s.windowState() === 'closed') {
    s.say(s.t('course.closed', { date: s.formatDate(s.cohort.closesAt) }));
    return;
  }
  const { attempt, q } = cur;
  const chosen = resolveChoice(input, questionChoices(q, s, `fin:${attempt.n}:${e.cursor.index}`));
  if (!chosen) {
    if (input.startsWith('fin:') || input.startsWith('ans:')) s.say(s.t('lesson.stale'));
    else s.say(s.t('invalid.answer', { letters: q.options.map((_, i) => letterOf(i)).join(', ') }));
    return;
  }
  const index = Number(chosen.value.split(':').pop());
  const correct = index === q.correctIndex;
  const result = await s.recordAnswer(e.cohortId, q.id, index, correct, 'final', attempt.n);
  if (result === 'duplicate') {
    s.say(s.t('lesson.alreadyAnswered'));
    return;
  }
  attempt.answered += 1;
  if (correct) attempt.correct += 1;
  const nextIndex = e.cursor.index + 1;
  if (nextIndex < attempt.questionIds.length) {
    e.cursor = { at: 'final', attempt: attempt.n, index: nextIndex };
    s.say(finalQuestionMessage(s, e));
    return;
  }
  finishAttempt(s, e, attempt);
}

function finishAttempt(s: Session, e: Enrolment, attempt: FinalAttempt): void {
  const total = attempt.questionIds.length;
  attempt.finishedAt = s.now;
  attempt.scorePercent = total === 0 ? 0 : Math.round((attempt.correct * 1000) / total) / 10;
  attempt.passed = attempt.scorePercent >= s.course.final.passPercent;
  e.cursor = { at: 'idle' };
  const vars = { correct: attempt.correct, total, score: attempt.scorePercent, pass: s.course.final.passPercent };
  if (attempt.passed) {
    if (e.status !== 'certified') e.status = 'completed';
    s.say(s.t('final.passed', vars));
    return;
  }
  const left = s.course.final.attempts - finishedAttempts(e).length;
  s.say(s.t('final.failed', { ...vars, left }));
}
