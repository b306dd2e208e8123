import { describe, expect, it } from 'vitest';
import { lessonsOf, topicsOf, type Question } from '../../src/core/course.js';
import { TestClock, useEngine } from '../support/env.js';
import { ChatLearner, askedQuestion, letter } from '../support/chat.js';
import { shownAt } from '../support/final-answers.js';
import { MongoEnrolmentStore, MongoLearnerStore } from '../../src/storage/stores.js';
import { MongoReviewStore } from '../../src/storage/review.js';

const DAY = 24 * 3600 * 1000;
/** 09:00 in Hanoi today: the demo cohort opens when its content is first loaded, and lasts 17 days. */
const start = new Date(`${new Date().toISOString().slice(0, 10)}T09:00:00+07:00`);
const h = useEngine({ clock: new TestClock(start) });

async function ids(learner: ChatLearner) {
  const l = await new MongoLearnerStore(h.db.models, h.cache).findByConversation(learner.conversation);
  return { learnerId: l!.id, cohortId: l!.cohortId };
}

async function enrolment(learner: ChatLearner) {
  const { learnerId, cohortId } = await ids(learner);
  return (await new MongoEnrolmentStore(h.db.models, h.cache).find(learnerId, cohortId))!;
}

async function deck(learner: ChatLearner) {
  const { learnerId, cohortId } = await ids(learner);
  return new MongoReviewStore(h.db.models, h.cache).find(learnerId, cohortId);
}

/** A learner on the first check question of lesson 1, who answers it wrong and the lesson's others right. */
async function missFirstQuestion(): Promise<{ learner: ChatLearner; missed: Question }> {
  h.clock.current = start;
  const learner = new ChatLearner(h.tutor);
  await learner.onboard();
  await learner.press('next');
  const missed = askedQuestion(h.course, learner.last.at(-1))!;
  await learner.say(letter((missed.correctIndex + 1) % missed.options.length));
  expect(learner.last[0]!.text).toContain('❌');
  let q = askedQuestion(h.course, learner.last.at(-1));
  while (q) {
    await learner.say(letter(q.correctIndex));
    q = askedQuestion(h.course, learner.last.at(-1));
  }
  return { learner, missed };
}

/** Every lesson marked done, as after a learner studied them all. */
async function finishLessons(learner: ChatLearner): Promise<void> {
  const enrolments = new MongoEnrolmentStore(h.db.models, h.cache);
  const { learnerId, cohortId } = await ids(learner);
  const e = (await enrolments.find(learnerId, cohortId))!;
  await enrolments.save({ ...e, completedLessons: lessonsOf(h.course).map((l) => l.id), cursor: { at: 'idle' } });
}

describe('review in the conversation', () => {
  it('should put every answered check question in the deck, the missed one due the next day', async () => {
    const { learner, missed } = await missFirstQuestion();
    const d = await deck(learner);
    const lesson1 = lessonsOf(h.course)[0]!;
    expect(d!.items.map((i) => i.questionId).sort()).toEqual(lesson1.questions.map((q) => q.id).sort());
    const item = d!.items.find((i) => i.questionId === missed.id)!;
    expect(item).toMatchObject({ missed: true, source: 'check', reviews: 0 });
    expect(item.due!.getTime() - start.getTime()).toBeGreaterThan(12 * 3600 * 1000);
    expect(item.due!.getTime() - start.getTime()).toBeLessThan(DAY + 12 * 3600 * 1000);
    expect((await enrolment(learner)).reviewDueAt).toEqual(item.due);
  });

  it('should answer /onlai with nothing due the same day, then ask the missed question the next day', async () => {
    const { learner, missed } = await missFirstQuestion();
    const offerBefore = learner.last.at(-1);
    await learner.say('/onlai');
    expect(learner.text()).toContain('Hiện chưa có câu nào đến hạn ôn');
    expect(learner.text()).toContain('Lần ôn tiếp theo');
    // …and what was offered is offered again.
    expect(learner.last.at(-1)).toEqual(offerBefore);

    h.clock.current = new Date(start.getTime() + DAY);
    await learner.say('/review');
    expect(learner.text()).toContain('Bạn có 1 câu đến hạn ôn tập');
    const asked = learner.last.at(-1)!;
    expect(asked.text).toContain('🔁 Ôn tập 1/1');
    expect(asked.text).toContain(missed.text.vi);
    expect(asked.choices!.map((c) => c.value)).toEqual(missed.options.map((_, i) => `rev:${missed.id}:${i}`));
    // Something else first: a help line and the question again.
    await learner.say('hôm nay trời đẹp quá');
    expect(learner.last.at(-1)).toEqual(asked);
    // The right option by its words, without diacritics.
    await learner.say(missed.options[missed.correctIndex]!.vi.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/đ/g, 'd'));
    expect(learner.last[0]!.text).toContain('✅');
    expect(learner.text()).toContain('Ôn xong: đúng 1/1 câu');

    const item = (await deck(learner))!.items.find((i) => i.questionId === missed.id)!;
    expect(item.reviews).toBe(1);
    expect(item.history.map((e) => [e.context, e.correct])).toEqual([
      ['check', false],
      ['review', true],
    ]);
    const review = await h.db.models.Answer.find({ questionId: missed.id, context: 'review' }).lean();
    expect(review).toHaveLength(1);
    expect(review[0]).toMatchObject({ correct: true, attempt: 1 });

    // Asked once today: not again the same day.
    await learner.say('/onlai');
    expect(learner.text()).toContain('Hiện chưa có câu nào đến hạn ôn');
    await learner.say('/tiendo');
    expect(learner.text()).toMatch(/🔁 Ôn tập: 0 câu đến hạn, đã thuộc \d+\/\d+ câu\./);
  });

  it('should take a stale review button as stale once the round is over', async () => {
    const { learner, missed } = await missFirstQuestion();
    h.clock.current = new Date(start.getTime() + DAY);
    await learner.say('/onlai');
    await learner.press(`rev:${missed.id}:${missed.correctIndex}`);
    expect(learner.text()).toContain('Ôn xong');
    await learner.press(`rev:${missed.id}:${missed.correctIndex}`);
    expect(learner.text()).toContain('Câu hỏi đó đã qua rồi');
    expect(await h.db.models.Answer.countDocuments({ questionId: missed.id, context: 'review' })).toBeGreaterThanOrEqual(1);
  });

  it('should ask the day\u2019s review after the lesson the learner finishes', async () => {
    const { learner } = await missFirstQuestion();
    h.clock.current = new Date(start.getTime() + DAY);
    // The next lesson's card, then its questions.
    await learner.press('next');
    await learner.press('next');
    let q = askedQuestion(h.course, learner.last.at(-1));
    expect(q).toBeDefined();
    while (q) {
      await learner.say(letter(q.correctIndex));
      q = askedQuestion(h.course, learner.last.at(-1));
    }
    expect(learner.text()).toContain('Ôn nhanh 1 câu');
    expect(learner.last.at(-1)!.text).toContain('🔁 Ôn tập 1/1');
    await learner.say('A');
    expect(learner.text()).toContain('Ôn xong');
    // Back to the course: the next lesson is offered.
    expect(learner.lastChoices()).toEqual(['next']);
  });

  it('should offer a short review before the final test, not force it', async () => {
    const { learner } = await missFirstQuestion();
    await finishLessons(learner);
    h.clock.current = new Date(start.getTime() + DAY);
    await learner.say('/kiemtra');
    expect(learner.text()).toContain('1 câu ôn nhanh trước khi thi?');
    expect(learner.lastChoices()).toEqual(['review:yes', 'review:skip']);
    await learner.say('vao thi luon');
    expect(learner.text()).toContain('Bài kiểm tra cuối khóa');
    expect(learner.lastChoices()).toEqual(['final:start', 'final:later']);
    await learner.say('2');

    // Again, and this time take the review: the test's own offer follows it.
    await learner.say('/kiemtra');
    await learner.say('1');
    expect(learner.last.at(-1)!.text).toContain('🔁 Ôn tập 1/1');
    await learner.say('b');
    expect(learner.text()).toContain('Ôn xong');
    expect(learner.lastChoices()).toEqual(['final:start', 'final:later']);
  });

  it('should name the weakest topics after a failed attempt and offer a review of them', async () => {
    const { learner } = await missFirstQuestion();
    await finishLessons(learner);
    h.clock.current = new Date(start.getTime() + DAY);
    await learner.say('/kiemtra');
    await learner.say('2');
    await learner.say('1');
    const [t1, t2] = topicsOf(h.course);
    for (let i = 0; i < h.course.final.questions; i++) {
      const attempt = (await enrolment(learner)).finalAttempts.at(-1)!;
      const q = topicsOf(h.course).flatMap((t) => t.finalBank).find((x) => x.id === attempt.questionIds[i])!;
      const wrong = q.topicId === t1!.id || q.topicId === t2!.id;
      await learner.say(letter(shownAt(attempt, i, q, wrong ? (q.correctIndex + 1) % q.options.length : q.correctIndex)));
    }
    const e = await enrolment(learner);
    expect(e.finalAttempts[0]!.passed).toBe(false);
    expect(e.finalAttempts[0]!.results).toMatch(/^[01]+$/);
    expect(learner.text()).toContain('Các chủ đề bạn còn yếu nhất');
    expect(learner.text()).toContain(t1!.title.vi);
    expect(learner.text()).toContain(t2!.title.vi);
    expect(learner.lastChoices()).toEqual(['review:yes', 'review:skip']);
    // The failed attempt's questions are in the deck, due from tomorrow.
    const d = (await deck(learner))!;
    expect(d.items.filter((i) => i.source === 'final')).toHaveLength(h.course.final.questions);
    await learner.say('on tap');
    // Topic 1's check questions, answered yesterday (the attempt's own questions wait until tomorrow).
    expect(learner.last.at(-1)!.text).toMatch(/🔁 Ôn tập 1\/\d/);
    const asked = learner.last.at(-1)!.choices![0]!.value.split(':')[1]!;
    expect(lessonsOf(h.course).flatMap((l) => l.questions).find((q) => q.id === asked)?.topicId).toBe(t1!.id);
  });

  it('should speak English to an English learner', async () => {
    h.clock.current = start;
    const learner = new ChatLearner(h.tutor, 'console', undefined, { languageCode: 'en' });
    await learner.onboard({ lang: '2' });
    await learner.say('/review');
    expect(learner.text()).toContain('You have nothing to review yet');
    await learner.say('/help');
    expect(learner.text()).toContain('/review');
  });
});
