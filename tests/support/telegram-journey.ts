/** SPEC §4 steps 1–3 and 5 as a Telegram learner does them: buttons where the bot offers them, typing elsewhere. */
import { expect } from 'vitest';
import type { App } from '../../src/app/index.js';
import { findFinalQuestion, lessonsOf, topicsOf, type Course } from '../../src/core/course.js';
import type { TelegramUser } from './telegram.js';
import { shownAt } from './final-answers.js';

function correctAnswer(course: Course, data: string): string {
  const [, qid] = data.split(':');
  for (const l of lessonsOf(course)) {
    const q = l.questions.find((x) => x.id === qid);
    if (q) return `ans:${qid}:${q.correctIndex}`;
  }
  throw new Error(`no question ${qid}`);
}

/** Onboards by buttons, studies every lesson answering correctly, checks progress, passes the final test. */
export async function fullJourney(app: App, user: TelegramUser, course: Course): Promise<void> {
  let replies = await user.say('/start');
  expect(replies.map((m) => m.text).join('\n')).toContain('Xin chào');
  expect(user.buttons().map((b) => b.callback_data)).toEqual(['lang:vi', 'lang:en']);
  await user.press('lang:vi');
  expect(user.lastText()).toContain('Họ và tên');
  await user.say('Nguyễn Thị Hoa');
  expect(user.buttons().map((b) => b.callback_data)).toEqual(['role:chair', 'role:vice_chair', 'role:core_staff', 'role:other']);
  await user.press('role:chair');
  await user.say('Nghệ An');
  await user.say('Xã Diễn Châu');
  expect(user.buttons().map((b) => b.callback_data)).toEqual(['consent:yes', 'consent:no']);
  await user.press('consent:yes');
  expect(user.buttons().map((b) => b.callback_data)).toContain('hour:8');
  replies = await user.press('hour:8');
  const card = replies.at(-1)!;
  expect(card.body.parse_mode).toBe('HTML');
  expect(card.text).toMatch(/Chuyên đề 1 · Bài 1\/\d+\n<b>[^<]+<\/b>/);
  expect(user.buttons().map((b) => b.callback_data)).toEqual(['next']);

  const total = lessonsOf(course).length;
  for (let done = 0; done < total; ) {
    const values = user.buttons().map((b) => b.callback_data);
    if (values.includes('next')) {
      await user.press('next');
    } else if (values[0]?.startsWith('ans:')) {
      // Options are listed in the text; the buttons carry their letters.
      expect(user.buttons().map((b) => b.text)).toEqual(values.map((_, i) => String.fromCharCode(65 + i)));
      replies = await user.press(correctAnswer(course, values[0]));
      expect(replies[0]!.text).toContain('✅');
      if (!user.buttons()[0]?.callback_data.startsWith('ans:')) done += 1;
    } else {
      break;
    }
  }
  // The last topic's rating comes before the final test.
  const lastTopic = topicsOf(course).at(-1)!.id;
  expect(user.buttons().map((b) => b.callback_data)).toEqual([1, 2, 3, 4, 5].map((n) => `rate:${lastTopic}:${n}`).concat('next'));
  await user.press(`rate:${lastTopic}:4`);
  expect(user.buttons().map((b) => b.callback_data)).toEqual(['exam']);
  await user.say('/tiendo');
  expect(user.lastText()).toContain(`Đã học ${total}/${total} bài`);

  await user.press('exam');
  expect(user.buttons().map((b) => b.callback_data)).toEqual(['final:start', 'final:later']);
  replies = await user.press('final:start');
  for (let i = 0; i < course.final.questions; i++) {
    expect(user.lastText()).toContain(`${i + 1}/${course.final.questions}`);
    const learner = await app.learners.findByConversation(`telegram:${user.chatId}`);
    const e = await app.db.models.Enrolment.findOne({ learnerId: learner!.id }).lean<{ finalAttempts: { questionIds: string[]; orders?: string[] }[] }>();
    const attempt = e!.finalAttempts.at(-1)!;
    const q = findFinalQuestion(course, attempt.questionIds[i]!)!;
    const data = user.buttons()[shownAt(attempt, i, q)]!.callback_data;
    expect(data).toMatch(/^fin:/);
    await user.press(data);
  }
  // The score, then the certificate as a document.
  const [score, certificate] = user.all().slice(-2);
  expect(score!.text).toContain('100%');
  expect(certificate!.method).toBe('sendDocument');
  const learner = await app.learners.findByConversation(`telegram:${user.chatId}`);
  const e = await app.db.models.Enrolment.findOne({ learnerId: learner!.id }).lean<{ status: string }>();
  expect(e!.status).toBe('certified');
}
