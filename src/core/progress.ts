/** /tiendo: where the learner stands, topic by topic. */
import { lessonsOf, topicsOf } from './course.js';
import type { Enrolment } from './model.js';
import { bestScore, finishedAttempts } from './attempts.js';
import type { Session } from './session.js';

export interface ProgressNumbers {
  lessonsDone: number;
  lessonsTotal: number;
  topicsDone: number;
  topicsTotal: number;
  checkCorrect: number;
  checkAnswered: number;
  attemptsUsed: number;
  bestScore: number;
  passed: boolean;
}

export function progressNumbers(s: Session, e: Enrolment | null): ProgressNumbers {
  const done = new Set(e?.completedLessons ?? []);
  const topics = topicsOf(s.course);
  const results = Object.values(e?.checkResults ?? {});
  const finished = e ? finishedAttempts(e) : [];
  return {
    lessonsDone: lessonsOf(s.course).filter((l) => done.has(l.id)).length,
    lessonsTotal: lessonsOf(s.course).length,
    topicsDone: topics.filter((t) => t.lessons.every((l) => done.has(l.id))).length,
    topicsTotal: topics.length,
    checkCorrect: results.filter(Boolean).length,
    checkAnswered: results.length,
    attemptsUsed: finished.length,
    bestScore: e ? bestScore(e) : 0,
    passed: finished.some((a) => a.passed),
  };
}

/** `review`: the review line (items due and mastered), when the learner has review items. */
export function showProgress(s: Session, e: Enrolment | null, review?: string): void {
  const n = progressNumbers(s, e);
  const next = nextStep(s, e, n);
  const done = new Set(e?.completedLessons ?? []);
  const lines = topicsOf(s.course).map((t, i) => {
    const d = t.lessons.filter((l) => done.has(l.id)).length;
    const mark = d === t.lessons.length ? '✅' : d > 0 ? '▶️' : '⬜';
    return `${mark} ${i + 1}. ${s.text(t.title)}: ${d}/${t.lessons.length}`;
  });
  const final = n.passed
    ? s.t('progress.finalPassed', { score: n.bestScore })
    : n.attemptsUsed > 0
      ? s.t('progress.finalTried', { used: n.attemptsUsed, attempts: s.course.final.attempts, score: n.bestScore })
      : s.t('progress.finalNotYet');
  s.say(
    [
      s.t('progress.title', { course: s.text(s.course.title) }),
      s.t('progress.lessons', { done: n.lessonsDone, total: n.lessonsTotal, topicsDone: n.topicsDone, topics: n.topicsTotal }),
      ...lines,
      s.t('progress.checks', { correct: n.checkCorrect, answered: n.checkAnswered }),
      final,
      ...(review ? [review] : []),
      s.t(`status.${e?.status ?? 'not_started'}`),
      s.t('progress.closes', { date: s.formatDate(s.cohort.closesAt) }),
      ...(next ? [next] : []),
    ].join('\n'),
  );
}

/**
 * What to type next, as the last line of a message that offers nothing itself (the progress, the
 * new lesson hour, thanks for feedback): on Zalo, where nothing is a button, such a message would
 * otherwise end the conversation. (What was offered before is still offered.)
 */
export function nextStep(s: Session, e: Enrolment | null, n: ProgressNumbers = progressNumbers(s, e)): string | undefined {
  if (n.passed) return s.t('progress.nextCertificate');
  if (s.windowState() !== 'open') return undefined;
  if (e?.cursor.at !== 'final' && n.lessonsDone === n.lessonsTotal) return n.attemptsUsed < s.course.final.attempts ? s.t('progress.nextExam') : undefined;
  return s.t('progress.nextLearn');
}

/** A message that offers nothing, with what to type next on its last line (see `nextStep`). */
export function withNextStep(s: Session, text: string, e: Enrolment | null = s.enrolment): string {
  const next = nextStep(s, e);
  return next ? `${text}\n${next}` : text;
}
