/** Lesson cards and their check questions: card → next → question → feedback → next card. */
import { findLesson, lessonsOf, nextLesson, topicsOf, type Lesson, type Question } from './course.js';
import type { Choice, OutboundMessage } from './messages.js';
import type { Enrolment } from './model.js';
import { isNextWord, letterOf, resolveChoice } from './parse.js';
import { nextChoice, restingMessage } from './resting.js';
import type { Session } from './session.js';
import { noteCheckAnswer, startDailyRound } from './review-flow.js';

export function questionChoices(q: Question, s: Session, valuePrefix: string): Choice[] {
  return q.options.map((o, i) => ({ label: s.text(o), value: `${valuePrefix}:${i}` }));
}

function sourcesLine(s: Session, lesson: Lesson): string {
  if (lesson.sources.length === 0) return '';
  const links = lesson.sources.map((u) => {
    try {
      return `[${new URL(u).hostname.replace(/^www\./, '')}](${u})`;
    } catch {
      return u;
    }
  });
  return `\n\n_${s.t('lesson.sources')}: ${links.join(', ')}_`;
}

export function cardMessage(s: Session, lesson: Lesson): OutboundMessage {
  const topics = topicsOf(s.course);
  const topicIndex = topics.findIndex((t) => t.id === lesson.topicId);
  const topic = topics[topicIndex]!;
  const header = s.t('lesson.header', {
    topic: topicIndex + 1,
    lesson: topic.lessons.findIndex((l) => l.id === lesson.id) + 1,
    lessons: topic.lessons.length,
  });
  return {
    text: `${header}\n**${s.text(lesson.title)}**\n\n${s.text(lesson.body)}${sourcesLine(s, lesson)}`,
    image: lesson.image,
    choices: [nextChoice(s)],
  };
}

export function checkQuestionMessage(s: Session, q: Question): OutboundMessage {
  return {
    text: `${s.t('lesson.question')}\n${s.text(q.text)}`,
    choices: questionChoices(q, s, `ans:${q.id}`),
    lettered: true,
    hint: s.t('hint.letter'),
  };
}

/** The message that stands for where the learner is now, for "continue" and "where was I". */
export function currentStep(s: Session, e: Enrolment): OutboundMessage | undefined {
  const c = e.cursor;
  if (c.at === 'card') {
    const lesson = findLesson(s.course, c.lessonId);
    return lesson ? cardMessage(s, lesson) : undefined;
  }
  if (c.at === 'question') {
    const q = findLesson(s.course, c.lessonId)?.questions.find((x) => x.id === c.questionId);
    return q ? checkQuestionMessage(s, q) : undefined;
  }
  return undefined;
}

/** Shows the next unfinished lesson card, or points to the final test when every lesson is done. */
export function showNextLesson(s: Session, e: Enrolment): void {
  const lesson = nextLesson(s.course, new Set(e.completedLessons));
  if (!lesson) {
    e.cursor = { at: 'idle' };
    s.say(restingMessage(s, e));
    return;
  }
  if (e.status === 'not_started') e.status = 'in_progress';
  e.cursor = { at: 'card', lessonId: lesson.id };
  s.say(cardMessage(s, lesson));
}

/** Handles "next" on a card: its first check question, or the next card if it has none. */
function advanceFromCard(s: Session, e: Enrolment, lesson: Lesson): void {
  const first = lesson.questions[0];
  if (first) {
    e.cursor = { at: 'question', lessonId: lesson.id, questionId: first.id };
    s.say(checkQuestionMessage(s, first));
    return;
  }
  completeLesson(s, e, lesson);
}

function completeLesson(s: Session, e: Enrolment, lesson: Lesson): void {
  if (!e.completedLessons.includes(lesson.id)) e.completedLessons.push(lesson.id);
  const done = new Set(e.completedLessons);
  const topic = topicsOf(s.course).find((t) => t.id === lesson.topicId);
  // The last topic has no next topic to skip its rating to: the offer is kept on the cursor until it is rated or skipped.
  const lastTopicDone = s.deps.ratings && topic && lessonsOf(s.course).every((l) => done.has(l.id));
  e.cursor = lastTopicDone ? { at: 'idle', rating: topic.id } : { at: 'idle' };
  s.say(restingMessage(s, e));
}

/**
 * Input while the learner is in the course (no prompt open), already resolved against what is
 * offered (a typed "1" arrives as the offered choice's value). Returns false when it means
 * nothing here, so the caller can answer with help and the current step.
 */
export async function handleCourseInput(s: Session, e: Enrolment, input: string): Promise<boolean> {
  const c = e.cursor;
  if (c.at === 'card') {
    const lesson = findLesson(s.course, c.lessonId);
    if (!lesson) return false;
    if (input === 'next' || isNextWord(input)) {
      advanceFromCard(s, e, lesson);
      return true;
    }
    return false;
  }
  if (c.at === 'question') {
    const lesson = findLesson(s.course, c.lessonId);
    const q = lesson?.questions.find((x) => x.id === c.questionId);
    if (!lesson || !q) return false;
    const chosen = resolveChoice(input, questionChoices(q, s, `ans:${q.id}`));
    if (!chosen) return false;
    await answerCheckQuestion(s, e, lesson, q, Number(chosen.value.split(':').pop()));
    return true;
  }
  const rated = /^rate:([^:]{1,64}):([1-5])$/.exec(input);
  if (rated && s.deps.ratings) {
    const topic = topicsOf(s.course).find((t) => t.id === rated[1]);
    if (!topic || !topic.lessons.every((l) => e.completedLessons.includes(l.id))) return false;
    const province = s.learner.profile.province;
    await s.deps.ratings.rate({ learnerId: s.learner.id, cohortId: e.cohortId, courseId: s.course.id, topicId: topic.id, rating: Number(rated[2]) as 1 | 2 | 3 | 4 | 5, ...(province ? { province } : {}), at: s.now });
    s.say(s.t('rating.thanks'));
    showNextLesson(s, e);
    return true;
  }
  if (input === 'next' || isNextWord(input)) {
    showNextLesson(s, e);
    return true;
  }
  return false;
}

/** The short line that says how to answer the current step, when the input did not fit it. */
export function courseHelpLine(s: Session, e: Enrolment): string | undefined {
  const c = e.cursor;
  if (c.at !== 'question') return undefined;
  const q = findLesson(s.course, c.lessonId)?.questions.find((x) => x.id === c.questionId);
  return q ? s.t('invalid.answer', { letters: q.options.map((_, i) => letterOf(i)).join(', ') }) : undefined;
}

async function answerCheckQuestion(s: Session, e: Enrolment, lesson: Lesson, q: Question, index: number): Promise<void> {
  const correct = index === q.correctIndex;
  const result = await s.recordAnswer(e.cohortId, q.id, index, correct, 'lesson');
  if (result === 'duplicate') {
    s.say(s.t('lesson.alreadyAnswered'));
    return;
  }
  e.checkResults[q.id] = correct;
  await noteCheckAnswer(s, q.id, correct);
  const right = `${letterOf(q.correctIndex)}. ${s.text(q.options[q.correctIndex]!)}`;
  const verdict = correct ? s.t('lesson.correct') : s.t('lesson.wrong', { answer: right });
  s.say(`${verdict}\n${s.text(q.explanation)}`);
  const nextQ = lesson.questions[lesson.questions.indexOf(q) + 1];
  if (nextQ) {
    e.cursor = { at: 'question', lessonId: lesson.id, questionId: nextQ.id };
    s.say(checkQuestionMessage(s, nextQ));
    return;
  }
  completeLesson(s, e, lesson);
  // The day's review questions come after the day's lesson.
  await startDailyRound(s, 'review.afterLesson');
}
