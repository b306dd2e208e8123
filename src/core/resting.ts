/**
 * What the learner sees between steps (no card, question or prompt open): the end of a lesson,
 * of a topic, of the course, or of a final attempt, each with what can be done next. One
 * function, so the message said at that moment and the one shown again later are the same.
 */
import { lessonsOf, topicsOf } from './course.js';
import type { Choice, OutboundMessage } from './messages.js';
import type { Enrolment } from './model.js';
import { bestScore, finishedAttempts } from './attempts.js';
import type { Session } from './session.js';

const RATINGS = [1, 2, 3, 4, 5] as const;

/** The choice that moves on in the course; its label says where to ("Bài tiếp theo ▶"). */
export function nextChoice(s: Session, key = 'lesson.next'): Choice {
  return { label: s.t(key), value: 'next' };
}

function progressChoice(s: Session): Choice {
  return { label: s.t('progress.button'), value: 'progress' };
}

function ratingChoices(s: Session, topicId: string): Choice[] {
  return RATINGS.map((n) => ({ label: s.t(`rating.choice${n}`), value: `rate:${topicId}:${n}` }));
}

/** The message for a learner at rest in the course, computed from the enrolment alone. */
export function restingMessage(s: Session, e: Enrolment | null): OutboundMessage {
  const done = new Set(e?.completedLessons ?? []);
  const all = lessonsOf(s.course);
  if (all.some((l) => !done.has(l.id))) {
    const last = e?.completedLessons.at(-1);
    const lastLesson = last ? all.find((l) => l.id === last) : undefined;
    if (!lastLesson) return { text: s.t('lesson.ready'), choices: [nextChoice(s, 'lesson.start')] };
    const topic = topicsOf(s.course).find((t) => t.id === lastLesson.topicId)!;
    if (topic.lessons.every((l) => done.has(l.id))) {
      const text = s.t('lesson.topicDone', { topic: s.text(topic.title) });
      if (!s.deps.ratings) return { text, choices: [nextChoice(s, 'lesson.nextTopic')] };
      // Rated 1–5 by number or words, or skipped by going on to the next topic.
      return { text: `${text}\n\n${s.t('rating.ask')}`, choices: [...ratingChoices(s, topic.id), nextChoice(s, 'lesson.nextTopic')] };
    }
    const count = all.filter((l) => done.has(l.id)).length;
    return { text: s.t('lesson.lessonDone', { done: count, total: all.length }), choices: [nextChoice(s, 'lesson.nextLesson')] };
  }
  const finished = e ? finishedAttempts(e) : [];
  const offered = e?.cursor.at === 'idle' ? e.cursor.rating : undefined;
  const lastTopic = offered && s.deps.ratings && finished.length === 0 ? topicsOf(s.course).find((t) => t.id === offered) : undefined;
  if (lastTopic) {
    // The last topic's rating, before the course end: skipping it ("next") leads to the final test's offer.
    const text = s.t('lesson.topicDone', { topic: s.text(lastTopic.title) });
    return { text: `${text}\n\n${s.t('rating.askLast')}`, choices: [...ratingChoices(s, lastTopic.id), nextChoice(s, 'rating.skipLast')] };
  }
  const rules = s.course.final;
  const passed = finished.filter((a) => a.passed).at(-1);
  const last = passed ?? finished.at(-1);
  if (!last) return { text: s.t('lesson.allDone'), choices: [{ label: s.t('final.goButton'), value: 'exam' }] };
  const total = last.questionIds.length;
  const vars = { correct: last.correct, total, score: last.scorePercent ?? 0, pass: rules.passPercent };
  if (passed) {
    return { text: s.t('final.passed', vars), choices: [progressChoice(s), { label: s.t('certificate.button'), value: 'certificate' }] };
  }
  const left = rules.attempts - finished.length;
  if (left <= 0) {
    return { text: s.t('final.noAttemptsLeft', { attempts: rules.attempts, score: bestScore(e!) }), choices: [progressChoice(s)] };
  }
  return { text: s.t('final.failed', { ...vars, left }), choices: [{ label: s.t('final.retryButton'), value: 'exam' }, progressChoice(s)] };
}
