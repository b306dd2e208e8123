import { describe, expect, it } from 'vitest';
import { useEngine } from '../support/env.js';
import { ChatLearner, askedQuestion, letter } from '../support/chat.js';
import { shownAt } from '../support/final-answers.js';
import { lessonsOf, topicsOf } from '../../src/core/course.js';
import { MongoEnrolmentStore, MongoLearnerStore } from '../../src/storage/stores.js';

const h = useEngine();

async function enrolment(learner: ChatLearner) {
  const l = await new MongoLearnerStore(h.db.models, h.cache).findByConversation(learner.conversation);
  return new MongoEnrolmentStore(h.db.models, h.cache).find(l!.id, 'demo');
}

/** Reads each card and answers each check question correctly, until `count` lessons are done. */
async function studyLessons(learner: ChatLearner, count: number) {
  for (let i = 0; i < count; i++) {
    // On a card: press next; then answer each question correctly.
    await learner.press('next');
    let q = askedQuestion(h.course, learner.last.at(-1));
    while (q) {
      await learner.say(letter(q.correctIndex));
      expect(learner.last[0]!.text).toContain('✅');
      q = askedQuestion(h.course, learner.last.at(-1));
    }
    if (learner.lastChoices().includes('next')) await learner.press('next');
  }
}

async function takeFinal(learner: ChatLearner, answerCorrectly: boolean) {
  await learner.say('/kiemtra');
  expect(learner.lastChoices()).toEqual(['final:start', 'final:later']);
  await learner.say('1');
  for (let i = 0; i < h.course.final.questions; i++) {
    const message = learner.last.at(-1)!;
    expect(message.text).toContain(`${i + 1}/${h.course.final.questions}`);
    const value = message.choices![0]!.value; // fin:<attempt>:<index>:0
    const e = await enrolment(learner);
    const attempt = e!.finalAttempts.at(-1)!;
    const q = topicsOf(h.course).flatMap((t) => t.finalBank).find((x) => x.id === attempt.questionIds[i])!;
    expect(value.startsWith(`fin:${attempt.n}:${i}:`)).toBe(true);
    const pick = answerCorrectly ? q.correctIndex : (q.correctIndex + 1) % q.options.length;
    await learner.say(letter(shownAt(attempt, i, q, pick)).toLowerCase());
  }
}

describe('the learner journey through the engine', () => {
  it('should onboard a learner asking language, name, role, province, commune, consent and hour', async () => {
    const a = new ChatLearner(h.tutor);
    await a.say('Xin chào');
    expect(a.text()).toContain('Xin chào');
    expect(a.lastChoices()).toEqual(['lang:vi', 'lang:en']);
    await a.say('1');
    expect(a.text()).toContain('Họ và tên');
    await a.say('Trần Văn Bình');
    expect(a.lastChoices()).toEqual(['role:chair', 'role:vice_chair', 'role:core_staff', 'role:other']);
    await a.say('2');
    await a.say('thanh hoa');
    expect(a.text()).toContain('xã/phường');
    await a.say('Xã Vĩnh Hưng');
    await a.say('Đồng ý');
    await a.say('7h');
    expect(a.text()).toContain('7:00');
    expect(a.last.at(-1)!.text).toContain('Chuyên đề 1 · Bài 1/');
    const learner = await new MongoLearnerStore(h.db.models, h.cache).findByConversation(a.conversation);
    expect(learner).toMatchObject({
      onboarded: true,
      consent: true,
      lessonHour: 7,
      locale: 'vi',
      profile: { fullName: 'Trần Văn Bình', role: 'vice_chair', province: 'Thanh Hóa', commune: 'Xã Vĩnh Hưng' },
    });
    expect(learner!.prompt).toBeUndefined();
  });

  it('should write a name typed in small letters as a name, list the provinces after one it cannot find, and take a province merged in 2025 to the one it is part of now', async () => {
    const a = new ChatLearner(h.tutor);
    await a.say('/start');
    await a.say('1');
    // Typed all in small letters, written as a name (the certificate prints it).
    await a.say('trần văn bình');
    await a.say('1');
    await a.say('Quảng Namm');
    // The 34 of today, in Vietnamese alphabetical order, to type one of.
    expect(a.text()).toContain('Hãy gõ tên một trong các tỉnh, thành phố sau: An Giang, Bắc Ninh, Cà Mau, Cao Bằng, Cần Thơ, Đà Nẵng,');
    expect(a.text()).toContain(', Vĩnh Long.');
    expect(a.text()).toContain('Bạn công tác ở tỉnh/thành phố nào?');
    await a.say('Quảng Nam');
    expect(a.text()).toContain('Quảng Nam nay thuộc Đà Nẵng, nên tôi ghi tỉnh/thành phố của bạn là Đà Nẵng.');
    expect(a.text()).toContain('xã/phường');
    const learner = await new MongoLearnerStore(h.db.models, h.cache).findByConversation(a.conversation);
    expect(learner!.profile).toMatchObject({ fullName: 'Trần Văn Bình', province: 'Đà Nẵng' });
  });

  it('should take the words of a command typed without the slash, once nothing offered matches them', async () => {
    const a = new ChatLearner(h.tutor);
    await a.onboard();
    await a.say('tiến độ');
    expect(a.text()).toContain('📊 Tiến độ khóa');
    await a.say('menu');
    expect(a.text()).toContain('Các lệnh bạn có thể dùng');
    expect(a.text()).toContain('gõ cả chữ không có dấu / cũng được');
    // "Tiếp tục" on a card still goes on to its question (the card offers it), not to the /hoc command.
    await a.say('tiếp tục');
    expect(askedQuestion(h.course, a.last.at(-1))).toBeDefined();
    const question = a.text();
    await a.say('Học');
    expect(a.text()).toBe(question);
    await a.say('kiểm tra');
    expect(a.text()).toContain('Bạn cần học xong tất cả các bài');
    // A sentence around a command's word is not taken for the command.
    await a.say('tôi muốn xem tiến độ');
    expect(a.text()).not.toContain('📊 Tiến độ khóa');
  });

  it('should teach every lesson of topic 1 with progress right at each step, then pass the final test', async () => {
    const a = new ChatLearner(h.tutor);
    await a.onboard();
    const topic1 = topicsOf(h.course)[0]!;
    for (let i = 0; i < topic1.lessons.length; i++) {
      await studyLessons(a, 1);
      const e = await enrolment(a);
      expect(e!.completedLessons).toHaveLength(i + 1);
      expect(e!.status).toBe('in_progress');
      await a.say('/tiendo');
      expect(a.text()).toContain(`Đã học ${i + 1}/${lessonsOf(h.course).length} bài`);
      // On Zalo nothing is a button: the progress says what to type next.
      expect(a.text().endsWith('▶️ Gõ /hoc để học tiếp.')).toBe(true);
    }
    expect(a.transcript.some((m) => m.text.includes('Chúc mừng! Bạn đã hoàn thành chuyên đề'))).toBe(true);
    await a.say('/tiendo');
    expect(a.text()).toContain(`✅ 1. ${topic1.title.vi}: ${topic1.lessons.length}/${topic1.lessons.length}`);
    expect(a.text()).toContain('hoàn thành 1/5 chuyên đề');

    // The test is not offered before every topic is complete.
    await a.say('/kiemtra');
    expect(a.text()).toContain('Bạn cần học xong tất cả các bài');

    await a.say('/hoc');
    await studyLessons(a, lessonsOf(h.course).length - topic1.lessons.length);
    expect(a.text()).toContain('/kiemtra');
    const checks = lessonsOf(h.course).flatMap((l) => l.questions).length;
    await a.say('/tiendo');
    expect(a.text()).toContain(`đúng ${checks}/${checks}`);
    expect(a.text()).toContain('gõ /kiemtra để làm bài kiểm tra cuối khóa');
    expect(a.text()).not.toContain('/hoc để học tiếp');

    await takeFinal(a, true);
    expect(a.text()).toContain(`${h.course.final.questions}/${h.course.final.questions}`);
    expect(a.text()).toContain('100%');
    const e = await enrolment(a);
    expect(e!.status).toBe('certified');
    expect(a.last.at(-1)!.document?.certificate).toMatch(/^[0-9A-HJKMNP-TV-Z]{12}$/);
    expect(e!.finalAttempts).toHaveLength(1);
    expect(e!.finalAttempts[0]).toMatchObject({ passed: true, scorePercent: 100, correct: h.course.final.questions });
    const answers = await h.db.models.Answer.countDocuments({ learnerId: e!.learnerId });
    expect(answers).toBe(checks + h.course.final.questions);
    // Draws cover every topic in proportion (25 questions each → 6 each of 30).
    const drawnTopics = e!.finalAttempts[0]!.questionIds.map((id: string) => id.split("-")[0]!);
    for (const t of topicsOf(h.course)) expect(drawnTopics.filter((x: string) => x === t.id)).toHaveLength(6);
    await a.say('/kiemtra');
    expect(a.text()).toContain('Bạn đã đạt');
    expect(a.text()).toContain('🎓 Gõ /chungnhan để nhận chứng nhận của bạn.');
    await a.say('/tiendo');
    expect(a.text().endsWith('🎓 Gõ /chungnhan để nhận chứng nhận của bạn.')).toBe(true);
  });

  it('should fail a final test answered wrongly, count the attempt and allow the remaining ones', async () => {
    const b = new ChatLearner(h.tutor, 'console', undefined, { languageCode: 'en' });
    await b.onboard({ lang: '2', name: 'Lê Minh', role: '1', province: 'Hà Nội', commune: 'Phường Ba Đình' });
    expect(b.text()).toContain('Topic 1 · Lesson 1/');
    await studyLessons(b, lessonsOf(h.course).length);
    await takeFinal(b, false);
    expect(b.text()).toContain('0/30');
    expect(b.text()).toContain(`${h.course.final.attempts - 1} attempts left`);
    const e = await enrolment(b);
    expect(e!.status).toBe('in_progress');
    expect(e!.finalAttempts[0]).toMatchObject({ passed: false, scorePercent: 0, answered: 30 });
    await b.say('/progress');
    expect(b.text()).toContain('1/3 attempts used');
    expect(b.text()).toContain('type /exam to take the final test');
    await b.say('/exam');
    expect(b.text()).toContain('attempt 2 of 3');
  });

  it('should end each message that offers nothing with what to type next', async () => {
    const d = new ChatLearner(h.tutor);
    await d.onboard();
    await d.say('/gopy');
    await d.say('Bài học rất hay');
    expect(d.text()).toBe('Cảm ơn góp ý của bạn! Ban tổ chức sẽ đọc kỹ.\n▶️ Gõ /hoc để học tiếp.');
    await d.say('/nhacnho');
    await d.say('9h');
    expect(d.text()).toBe('Đã đổi: bạn sẽ nhận bài học lúc 9:00 hằng ngày.\n▶️ Gõ /hoc để học tiếp.');
    await d.say('/ngonngu');
    await d.say('English');
    expect(d.text()).toBe('Switched to English.\n▶️ Type /learn to continue.');
    // What was offered before is still offered: /learn shows where the learner was.
    await d.say('/learn');
    expect(d.text()).toContain('Topic 1 · Lesson 1/');
  });

  it('should say the course has closed after the cohort window', async () => {
    const c = new ChatLearner(h.tutor);
    await c.onboard();
    h.clock.advance(18 * 24 * 3600 * 1000);
    await c.say('/hoc');
    expect(c.text()).toContain('Khóa học đã kết thúc');
    await c.say('/kiemtra');
    expect(c.text()).toContain('Khóa học đã kết thúc');
    await c.say('/tiendo');
    expect(c.text()).toContain('Tiến độ');
    // Closed: nothing left to type for (no lesson, no test, no certificate).
    expect(c.text()).not.toMatch(/Gõ \/(hoc|kiemtra|chungnhan)/);
    h.clock.advance(-18 * 24 * 3600 * 1000);
  });
});
