import { describe, expect, it } from 'vitest';
import { useEngine } from '../support/env.js';
import { ChatLearner, askedQuestion, letter } from '../support/chat.js';
import { MongoEnrolmentStore, MongoLearnerStore } from '../../src/storage/stores.js';
import type { ConversationId } from '../../src/core/model.js';

const h = useEngine();

const learnerOf = (c: ConversationId) => new MongoLearnerStore(h.db.models, h.cache).findByConversation(c);

/** Reads one card and answers its questions correctly. */
async function studyOneLesson(l: ChatLearner): Promise<void> {
  await l.press('next');
  let q = askedQuestion(h.course, l.last.at(-1));
  while (q) {
    await l.say(letter(q.correctIndex));
    q = askedQuestion(h.course, l.last.at(-1));
  }
  if (l.lastChoices().includes('next')) await l.press('next');
}

async function codeFrom(l: ChatLearner, command = '/lienket'): Promise<string> {
  await l.say(command);
  const m = /\/(?:lienket|link) ([A-Z0-9]{6})/.exec(l.text());
  expect(m, l.text()).not.toBeNull();
  return m![1]!;
}

describe('linking a second channel with /lienket', () => {
  it('should join a new Zalo conversation to the console learner and share progress both ways', async () => {
    const onConsole = new ChatLearner(h.tutor, 'console');
    await onConsole.onboard({ name: 'Phạm Văn Đức' });
    await studyOneLesson(onConsole);
    const code = await codeFrom(onConsole);
    expect(onConsole.text()).toContain('Mã liên kết của bạn');
    expect(code).toMatch(/^[A-HJ-NP-Z2-9]{6}$/);

    const onZalo = new ChatLearner(h.tutor, 'zalo');
    await onZalo.say(`/lienket ${code.toLowerCase().slice(0, 3)} ${code.slice(3)}`);
    expect(onZalo.text()).toContain('Đã liên kết');
    // It carries on where the learner is: the second lesson's card.
    expect(onZalo.text()).toContain('Bài 2/');
    const a = await learnerOf(onConsole.conversation);
    const z = await learnerOf(onZalo.conversation);
    expect(z!.id).toBe(a!.id);
    expect(z!.conversations).toEqual([onConsole.conversation, onZalo.conversation]);

    await onZalo.say('/tiendo');
    expect(onZalo.text()).toContain('Đã học 1/');
    await studyOneLesson(onZalo);
    await onConsole.say('/tiendo');
    expect(onConsole.text()).toContain('Đã học 2/');
    const e = await new MongoEnrolmentStore(h.db.models, h.cache).find(a!.id, 'demo');
    expect(e!.completedLessons).toHaveLength(2);
  });

  it('should accept a code once, and not after it expires', async () => {
    const owner = new ChatLearner(h.tutor, 'console');
    await owner.onboard();
    const code = await codeFrom(owner, '/link');
    const first = new ChatLearner(h.tutor, 'zalo');
    await first.say(`/link ${code}`);
    expect(first.text()).toContain('Đã liên kết');
    const second = new ChatLearner(h.tutor, 'zalo');
    await second.say(`/link ${code}`);
    expect(second.text()).toContain('không đúng hoặc đã hết hạn');
    expect(await learnerOf(second.conversation)).toBeNull();

    const late = await codeFrom(owner);
    h.clock.advance(31 * 60_000);
    const third = new ChatLearner(h.tutor, 'zalo');
    await third.say(`/lienket ${late}`);
    expect(third.text()).toContain('không đúng hoặc đã hết hạn');
    h.clock.advance(-31 * 60_000);
  });

  it('should move a conversation that only started onboarding, keeping its old record detached', async () => {
    const owner = new ChatLearner(h.tutor, 'console');
    await owner.onboard();
    const code = await codeFrom(owner);
    const started = new ChatLearner(h.tutor, 'zalo');
    await started.say('Xin chào');
    await started.say('1');
    const before = await learnerOf(started.conversation);
    await started.say(`/lienket ${code}`);
    expect(started.text()).toContain('Đã liên kết');
    expect((await learnerOf(started.conversation))!.id).toBe((await learnerOf(owner.conversation))!.id);
    const detached = await new MongoLearnerStore(h.db.models, h.cache).findById(before!.id);
    expect(detached!.conversations).toEqual([]);
  });

  it('should refuse to move a conversation with its own progress and say how to link the other way', async () => {
    const owner = new ChatLearner(h.tutor, 'console');
    await owner.onboard();
    const code = await codeFrom(owner);
    const busy = new ChatLearner(h.tutor, 'zalo');
    await busy.onboard();
    await studyOneLesson(busy);
    const mine = await learnerOf(busy.conversation);
    await busy.say(`/lienket ${code}`);
    expect(busy.text()).toContain('đã có tiến độ học riêng');
    expect((await learnerOf(busy.conversation))!.id).toBe(mine!.id);

    // The other way round works: the code from the busy conversation moves the fresh one.
    const reverse = await codeFrom(busy);
    await owner.say(`/lienket ${reverse}`);
    expect(owner.text()).toContain('Đã liên kết');
    expect((await learnerOf(owner.conversation))!.id).toBe(mine!.id);
  });

  it('should say so when the code is malformed or already this learner\'s own', async () => {
    const owner = new ChatLearner(h.tutor, 'zalo', undefined, { languageCode: 'en' });
    await owner.onboard({ lang: '2' });
    await owner.say('/link 12');
    expect(owner.text()).toContain('not valid or has expired');
    const code = await codeFrom(owner, '/link');
    expect(owner.text()).toContain('Your link code');
    await owner.say(`/link ${code}`);
    expect(owner.text()).toContain('already linked');
  });
});
