import { describe, expect, it } from 'vitest';
import { useEngine } from '../support/env.js';
import { ChatLearner, askedQuestion, letter } from '../support/chat.js';
import { MongoEnrolmentStore, MongoLearnerStore } from '../../src/storage/stores.js';

const h = useEngine();

async function stored(learner: ChatLearner) {
  const l = await new MongoLearnerStore(h.db.models, h.cache).findByConversation(learner.conversation);
  const e = l ? await new MongoEnrolmentStore(h.db.models, h.cache).find(l.id, 'demo') : null;
  const answers = l ? await h.db.models.Answer.countDocuments({ learnerId: l.id }) : 0;
  return { learner: l, enrolment: e, answers };
}

/** A learner who is looking at the first check question. */
async function atFirstQuestion(): Promise<ChatLearner> {
  const a = new ChatLearner(h.tutor);
  await a.onboard();
  await a.press('next');
  expect(askedQuestion(h.course, a.last.at(-1))).toBeDefined();
  return a;
}

describe('redelivered and racing updates', () => {
  it('should record one answer when the same update is delivered twice', async () => {
    const a = await atFirstQuestion();
    const q = askedQuestion(h.course, a.last.at(-1))!;
    const event = a.event(letter(q.correctIndex), 'text', 'same-update-1');
    const first = await a.send(event);
    const second = await a.send(event);
    expect(first.length).toBeGreaterThan(0);
    expect(second).toEqual([]);
    expect((await stored(a)).answers).toBe(1);
  });

  it('should record one answer when two answers to the same question race', async () => {
    // Two button presses (each names its question) handled at the same time, e.g. by two workers.
    const a = await atFirstQuestion();
    const q = askedQuestion(h.course, a.last.at(-1))!;
    const [r1, r2] = await Promise.all([
      a.send(a.event(`ans:${q.id}:${q.correctIndex}`, 'choice', 'race-a')),
      a.send(a.event(`ans:${q.id}:${(q.correctIndex + 1) % q.options.length}`, 'choice', 'race-b')),
    ]);
    const s = await stored(a);
    expect(s.answers).toBe(1);
    expect(Object.keys(s.enrolment!.checkResults)).toEqual([q.id]);
    // Exactly one of the two got the verdict; the other was told the question had passed.
    const verdicts = [r1, r2].filter((r) => /✅|❌/.test(r[0]?.text ?? ''));
    expect(verdicts).toHaveLength(1);
  });

  it('should keep one learner when two first messages from one conversation race', async () => {
    const a = new ChatLearner(h.tutor);
    await Promise.all([a.send(a.event('Xin chào', 'text', 'hello-1')), a.send(a.event('Alo', 'text', 'hello-2'))]);
    const ids = await h.db.models.Conversation.find({ _id: a.conversation }).lean();
    expect(ids).toHaveLength(1);
    const learners = await h.db.models.Learner.countDocuments({ conversations: a.conversation });
    expect(learners).toBe(1);
  });
});

describe('bad input', () => {
  it('should answer an empty message and store nothing new', async () => {
    const a = await atFirstQuestion();
    const before = await stored(a);
    await a.say('   ');
    expect(a.text()).toContain('Tin nhắn trống');
    const after = await stored(a);
    expect(after.answers).toBe(before.answers);
    expect(after.enrolment!.cursor).toEqual(before.enrolment!.cursor);
  });

  it('should refuse a 10,000-character message without storing it', async () => {
    const a = await atFirstQuestion();
    await a.say('A'.repeat(10_000));
    expect(a.text()).toContain('quá dài');
    expect((await stored(a)).answers).toBe(0);
    // The question is asked again, so the learner can go on.
    expect(askedQuestion(h.course, a.last.at(-1))).toBeDefined();
  });

  it('should answer emoji only with a hint instead of taking it as an answer', async () => {
    const a = await atFirstQuestion();
    await a.say('👍🎉');
    expect(a.text()).toContain('Hãy trả lời bằng một chữ cái');
    expect((await stored(a)).answers).toBe(0);
  });

  it('should answer a press on a question that is no longer current without recording it', async () => {
    const a = await atFirstQuestion();
    const q = askedQuestion(h.course, a.last.at(-1))!;
    await a.say(letter(q.correctIndex));
    await a.press(`ans:${q.id}:${q.correctIndex}`);
    expect(a.text()).toMatch(/đã qua|đã được ghi nhận/);
    expect((await stored(a)).answers).toBe(1);
  });

  it('should answer an unknown command with help', async () => {
    const a = await atFirstQuestion();
    await a.say('/xyz');
    expect(a.text()).toContain('Tôi không biết lệnh /xyz');
    expect(a.text()).toContain('/tiendo');
  });

  it('should answer unknown text with help and the current step, never silence', async () => {
    const a = new ChatLearner(h.tutor);
    await a.onboard();
    await a.say('hôm nay trời đẹp');
    expect(a.text()).toContain('/trogiup');
    expect(a.last.at(-1)!.choices?.[0]?.value).toBe('next');
  });

  it('should answer a sticker or photo politely', async () => {
    const a = new ChatLearner(h.tutor);
    await a.onboard();
    await a.send(a.event('', 'unsupported'));
    expect(a.text()).toContain('tin nhắn chữ');
  });

  it('should treat operator-shaped text as plain text, never as a query', async () => {
    const a = new ChatLearner(h.tutor);
    await a.say('/start');
    await a.say('1');
    await a.say('{"$gt": ""}');
    // Not a name (no letters besides "gt"? it has letters) — whatever the reply, it is stored as text only.
    const s = await stored(a);
    expect(s.learner!.profile.fullName === undefined || s.learner!.profile.fullName === '{"$gt": ""}').toBe(true);
    // An operator object reaching a store never matches anything: it is refused.
    const lookup = new MongoLearnerStore(h.db.models, h.cache).findByInviteCode({ $ne: null } as unknown as string);
    await expect(lookup).rejects.toThrow();
  });

  it('should accept answers typed as a, B., (c), 2 and words without diacritics', async () => {
    const a = new ChatLearner(h.tutor);
    await a.say('/start');
    await a.say('tieng viet');
    expect(a.text()).toContain('Họ và tên');
    await a.say('Phạm Văn Cường');
    await a.say('pho chu tich ubnd xa');
    await a.say('ha noi');
    await a.say('Phường Hoàn Kiếm');
    await a.say('b.');
    await a.say('(1)');
    const s = await stored(a);
    expect(s.learner).toMatchObject({ consent: false, lessonHour: 6, profile: { role: 'vice_chair', province: 'Hà Nội' } });
    await a.say('tiep tuc');
    expect(askedQuestion(h.course, a.last.at(-1))).toBeDefined();
  });
});

describe('invite codes', () => {
  it('should attach a /start CODE conversation to the pre-filled learner and skip known questions', async () => {
    await h.db.models.Learner.create({
      conversations: [],
      unreachable: [],
      profile: { fullName: 'Đỗ Thị Mai', role: 'chair', province: 'Cà Mau', commune: 'Xã Tân Thành' },
      locale: 'vi',
      cohortId: 'demo',
      inviteCode: 'INV-MAI-01',
      stopped: false,
      onboarded: false,
      createdAt: new Date(),
      version: 0,
    });
    const a = new ChatLearner(h.tutor, 'telegram', '777001');
    await a.say('/start INV-MAI-01');
    expect(a.text()).toContain('Xin chào Đỗ Thị Mai');
    await a.say('1');
    expect(a.text()).toContain('đồng ý');
    await a.say('1');
    await a.say('8');
    expect(a.last.at(-1)!.text).toContain('Chuyên đề 1 · Bài 1/');
    const s = await stored(a);
    expect(s.learner!.inviteCode).toBe('INV-MAI-01');
    expect(s.learner!.conversations).toEqual(['telegram:777001']);
  });
});
