import { describe, expect, it } from 'vitest';
import { useEngine } from '../support/env.js';
import { ChatLearner, askedQuestion, letter } from '../support/chat.js';
import { findFinalQuestion, lessonsOf, topicsOf } from '../../src/core/course.js';
import type { OutboundMessage } from '../../src/core/messages.js';
import { MongoEnrolmentStore, MongoLearnerStore } from '../../src/storage/stores.js';

const h = useEngine();

async function stored(a: ChatLearner) {
  const l = await new MongoLearnerStore(h.db.models, h.cache).findByConversation(a.conversation);
  const e = await new MongoEnrolmentStore(h.db.models, h.cache).find(l!.id, 'demo');
  return { learner: l!, enrolment: e! };
}

/** Marks the lessons before `lessonId` done and puts the learner on its card. */
async function jumpTo(a: ChatLearner, lessonId: string): Promise<void> {
  const all = lessonsOf(h.course);
  const { enrolment } = await stored(a);
  enrolment.completedLessons = all.slice(0, all.findIndex((l) => l.id === lessonId)).map((l) => l.id);
  enrolment.cursor = { at: 'card', lessonId };
  await new MongoEnrolmentStore(h.db.models, h.cache).save(enrolment);
  await a.say('/hoc');
}

/** From a card, reads it and answers its questions right; returns what the last reply offered. */
async function finishLesson(a: ChatLearner): Promise<OutboundMessage> {
  await a.say('1');
  for (let q = askedQuestion(h.course, a.last.at(-1)); q; q = askedQuestion(h.course, a.last.at(-1))) {
    await a.say(letter(q.correctIndex));
    expect(a.last[0]!.text).toContain('✅');
  }
  return a.last.at(-1)!;
}

/** The letter of the shown option that is (or is not) the right answer to the current final question. */
async function finalLetter(a: ChatLearner, right: boolean): Promise<string> {
  const message = a.last.at(-1)!;
  const { enrolment } = await stored(a);
  const attempt = enrolment.finalAttempts.at(-1)!;
  const cursor = enrolment.cursor as { index: number };
  const q = findFinalQuestion(h.course, attempt.questionIds[cursor.index]!)!;
  const shown = message.choices!.findIndex((c) => (Number(c.value.split(':').pop()) === q.correctIndex) === right);
  return letter(shown);
}

async function onboarded(): Promise<ChatLearner> {
  const a = new ChatLearner(h.tutor);
  await a.onboard();
  return a;
}

/** A learner who has studied every lesson, skipped the last topic's rating, and is offered the final test. */
async function atCourseEnd(): Promise<ChatLearner> {
  const a = await onboarded();
  await jumpTo(a, lessonsOf(h.course).at(-1)!.id);
  await finishLesson(a);
  await a.say('Tiếp tục');
  return a;
}

async function takeFinal(a: ChatLearner, right: boolean): Promise<void> {
  await a.say('/kiemtra');
  await a.say('1');
  for (let i = 0; i < h.course.final.questions; i++) await a.say(await finalLetter(a, right));
}

describe('what the bot offers', () => {
  describe('at the end of a lesson', () => {
    it('should take the number 1 for "Bài tiếp theo ▶" and show the next card', async () => {
      const a = await onboarded();
      const end = await finishLesson(a);
      expect(end.choices).toEqual([{ label: 'Bài tiếp theo ▶', value: 'next' }]);
      await a.say('1');
      expect(a.text()).not.toContain('chưa hiểu');
      expect(a.last.at(-1)!.text).toContain('Chuyên đề 1 · Bài 2/');
    });

    it("should take the option's own words, with and without diacritics", async () => {
      const a = await onboarded();
      await finishLesson(a);
      await a.say('Bài tiếp theo');
      expect(a.last.at(-1)!.text).toContain('Bài 2/');
      await finishLesson(a);
      await a.say('bai tiep theo');
      expect(a.last.at(-1)!.text).toContain('Bài 3/');
    });

    it('should show the same message and choices again, after a help line, for input it does not understand', async () => {
      const a = await onboarded();
      const end = await finishLesson(a);
      await a.say('hôm nay trời đẹp');
      expect(a.last).toHaveLength(2);
      expect(a.last[0]!.text).toContain('/trogiup');
      expect(a.last[1]).toEqual(end);
      await a.say('1');
      expect(a.last.at(-1)!.text).toContain('Bài 2/');
    });
  });

  describe('at the end of a topic', () => {
    it('should offer a 1–5 rating of the topic, skipped by 6 for "Sang chuyên đề tiếp theo ▶", which opens the next topic', async () => {
      const a = await onboarded();
      const [t1, t2] = topicsOf(h.course);
      await jumpTo(a, t1!.lessons.at(-1)!.id);
      const end = await finishLesson(a);
      expect(end.text).toContain('Bạn đã hoàn thành chuyên đề');
      expect(end.text).toContain('Chuyên đề này hữu ích với công việc của bạn không?');
      expect(end.choices?.map((c) => c.label)).toEqual(['Không hữu ích', 'Ít hữu ích', 'Bình thường', 'Hữu ích', 'Rất hữu ích', 'Sang chuyên đề tiếp theo ▶']);
      await a.say('6');
      expect(a.last.at(-1)!.text).toContain(t2!.lessons[0]!.title.vi);
      expect(await h.db.conn.collection('topic_ratings').countDocuments({ topicId: t1!.id })).toBe(0);
    });

    it('should take 4 as the rating 4 of the topic, thank, and open the next topic', async () => {
      const a = await onboarded();
      const [t1, t2] = topicsOf(h.course);
      await jumpTo(a, t1!.lessons.at(-1)!.id);
      await finishLesson(a);
      await a.say('4');
      expect(a.last[0]!.text).toContain('Cảm ơn bạn đã đánh giá');
      expect(a.last.at(-1)!.text).toContain(t2!.lessons[0]!.title.vi);
      expect(await h.db.conn.collection('topic_ratings').countDocuments({ topicId: t1!.id, rating: 4 })).toBe(1);
    });
  });

  describe('at the end of the last topic', () => {
    const ratingLabels = ['Không hữu ích', 'Ít hữu ích', 'Bình thường', 'Hữu ích', 'Rất hữu ích'];

    it('should offer its 1–5 rating, walking there lesson by lesson, take 5, thank, and then offer the final test', async () => {
      const a = await onboarded();
      const last = topicsOf(h.course).at(-1)!;
      await jumpTo(a, last.lessons[0]!.id);
      let end = await finishLesson(a);
      for (const _ of last.lessons.slice(1)) {
        expect(end.choices).toEqual([{ label: 'Bài tiếp theo ▶', value: 'next' }]);
        await a.say('1');
        end = await finishLesson(a);
      }
      expect(end.text).toContain(`Bạn đã hoàn thành chuyên đề`);
      expect(end.text).toContain(last.title.vi);
      expect(end.text).toContain('Chuyên đề này hữu ích với công việc của bạn không?');
      expect(end.choices?.map((c) => c.label)).toEqual([...ratingLabels, 'Tiếp tục ▶']);
      await a.say('5');
      expect(a.last[0]!.text).toContain('Cảm ơn bạn đã đánh giá');
      expect(a.last.at(-1)!.choices).toEqual([{ label: 'Làm bài kiểm tra', value: 'exam' }]);
      const { learner } = await stored(a);
      expect(await h.db.conn.collection('topic_ratings').find({ learnerId: learner.id }).toArray()).toMatchObject([{ topicId: last.id, rating: 5 }]);
      // Offered once: asking for the current step again shows the test, not the rating.
      await a.say('/hoc');
      expect(a.text()).not.toContain('hữu ích với công việc');
      await a.say('1');
      expect(a.lastChoices()).toEqual(['final:start', 'final:later']);
    });

    it('should keep offering it until it is rated or skipped, and skip it by "Tiếp tục" without a rating', async () => {
      const a = await onboarded();
      await jumpTo(a, lessonsOf(h.course).at(-1)!.id);
      const end = await finishLesson(a);
      await a.say('hôm nay trời đẹp');
      expect(a.last.at(-1)).toEqual(end);
      await a.say('6');
      expect(a.text()).not.toContain('Cảm ơn bạn đã đánh giá');
      expect(a.last.at(-1)!.choices).toEqual([{ label: 'Làm bài kiểm tra', value: 'exam' }]);
      const { learner } = await stored(a);
      expect(await h.db.conn.collection('topic_ratings').countDocuments({ learnerId: learner.id })).toBe(0);
    });
  });

  describe('at the end of the course', () => {
    it('should take 1 for "Làm bài kiểm tra", then 1 for "Bắt đầu làm bài"', async () => {
      const a = await atCourseEnd();
      expect(a.last.at(-1)!.choices).toEqual([{ label: 'Làm bài kiểm tra', value: 'exam' }]);
      await a.say('1');
      expect(a.lastChoices()).toEqual(['final:start', 'final:later']);
      await a.say('1');
      expect(a.last.at(-1)!.text).toContain(`Câu 1/${h.course.final.questions}`);
    });

    it('should take the words of the choices: "lam bai kiem tra", then "Bắt đầu làm bài"', async () => {
      const a = await atCourseEnd();
      await a.say('lam bai kiem tra');
      expect(a.lastChoices()).toEqual(['final:start', 'final:later']);
      await a.say('Bắt đầu làm bài');
      expect(a.last.at(-1)!.text).toContain('Câu 1/');
    });

    it('should take "để sau" at the start of the test and offer the test again afterwards', async () => {
      const a = await atCourseEnd();
      await a.say('1');
      await a.say('để sau');
      expect(a.text()).toContain('/kiemtra');
      await a.say('1');
      expect(a.lastChoices()).toEqual(['final:start', 'final:later']);
    });
  });

  describe('during the final test', () => {
    it('should answer input it does not understand with a help line and the same question', async () => {
      const a = await atCourseEnd();
      await a.say('1');
      await a.say('1');
      const question = a.last.at(-1)!;
      await a.say('không biết');
      expect(a.last[0]!.text).toContain('Hãy trả lời bằng một chữ cái');
      expect(a.last[1]).toEqual(question);
    });
  });

  describe('after a final attempt', () => {
    it('should offer a retry after a failed attempt and take 1 for it', async () => {
      const a = await atCourseEnd();
      await takeFinal(a, false);
      expect(a.text()).toContain('chưa đạt');
      expect(a.lastChoices()).toEqual(['exam', 'progress']);
      await a.say('1');
      expect(a.text()).toContain(`lần làm thứ 2/${h.course.final.attempts}`);
      expect(a.lastChoices()).toEqual(['final:start', 'final:later']);
    });

    it('should offer progress and the certificate after a pass, by number and by words', async () => {
      const a = await atCourseEnd();
      await takeFinal(a, true);
      expect(a.text()).toContain('100%');
      // The score with its choices, then the certificate itself.
      expect(a.last.at(-2)!.choices?.map((c) => c.value)).toEqual(['progress', 'certificate']);
      const code = a.last.at(-1)!.document?.certificate;
      expect(code).toBeDefined();
      await a.say('1');
      expect(a.text()).toContain('Tiến độ');
      await a.say('chung nhan');
      expect(a.last.at(-1)!.document?.certificate).toBe(code);
    });
  });

  describe('/kiemtra before every lesson is done', () => {
    it('should say what is missing and show the current step, whose choice 1 goes on', async () => {
      const a = await onboarded();
      await finishLesson(a);
      await a.say('/kiemtra');
      expect(a.last[0]!.text).toContain('Bạn cần học xong tất cả các bài');
      expect(a.last.at(-1)!.choices).toEqual([{ label: 'Bài tiếp theo ▶', value: 'next' }]);
      await a.say('1');
      expect(a.last.at(-1)!.text).toContain('Bài 2/');
    });
  });

  describe('during onboarding', () => {
    it('should take every choice by its words and the consent by its number', async () => {
      const a = new ChatLearner(h.tutor);
      await a.say('/start');
      await a.say('English');
      await a.say('Lê Văn Tám');
      await a.say('Chair of the commune People’s Committee');
      expect(a.text()).not.toContain('did not understand');
      await a.say('Nghệ An');
      await a.say('Xã Nghi Lộc');
      await a.say('2');
      await a.say('08:00');
      const { learner } = await stored(a);
      expect(learner).toMatchObject({ locale: 'en', consent: false, lessonHour: 8, profile: { role: 'chair' } });
    });
  });
});

describe('buttons pressed after their message has passed', () => {
  it('should say so, show the current question again and record nothing', async () => {
    const a = await onboarded();
    await a.press('next');
    const question = a.last.at(-1)!;
    await a.press('next');
    expect(a.last[0]!.text).toContain('đã qua');
    expect(a.last[1]).toEqual(question);
    const answers = await h.db.models.Answer.countDocuments({ learnerId: (await stored(a)).learner.id });
    expect(answers).toBe(0);
  });

  it('should still take the exam button from an old message', async () => {
    const a = await onboarded();
    await a.press('exam');
    expect(a.last[0]!.text).toContain('Bạn cần học xong tất cả các bài');
  });
});
