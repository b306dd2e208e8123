import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { application, eventually, shipped } from '../../support/env.js';
import { FakeTelegram } from '../../support/fake-telegram.js';
import { TelegramUser, fixture, settled } from '../../support/telegram.js';
import { jobId } from '../../../src/scheduler/jobs.js';
import { fullJourney } from '../../support/telegram-journey.js';
import type { App } from '../../../src/app/index.js';
import { composedPush } from '../../support/jobs.js';

const jobIdOf = (updateId: number) => jobId('in', 'telegram', String(updateId));

let fake: FakeTelegram;
let app: App & { dispose(): Promise<void> };

beforeAll(async () => {
  fake = await new FakeTelegram().listen();
  app = await application([], { TELEGRAM_BOT_TOKEN: fake.token, TELEGRAM_API_ROOT: fake.url, TELEGRAM_MODE: 'polling' });
});
afterAll(async () => {
  await app?.dispose();
  await fake?.close();
});

describe('the Telegram channel over long polling', () => {
  it('should take a learner through onboarding, every lesson, progress and the final test', async () => {
    const user = new TelegramUser(fake, app);
    await fullJourney(app, user, shipped().courses.get('cds-xa')!);
    const presses = fake.callsOf('answerCallbackQuery').length;
    expect(presses).toBeGreaterThan(10);
    // The whole course, as the conformance journeys (240 s): about 55 s on a loaded 2-core machine.
  }, 180_000);
});

describe('a learner in English', () => {
  it('should be onboarded in English and understand the English commands', async () => {
    const user = new TelegramUser(fake, app, { first_name: 'Minh', last_name: 'Lê', language_code: 'en' });
    await user.say('/start');
    expect(user.all()[0]!.text).toContain('Hello!');
    await user.press('lang:en');
    expect(user.lastText()).toContain('What is your full name?');
    const help = await user.say('/help');
    expect(help[0]!.text).toContain('/progress – see your progress');
    expect(help[0]!.text).toContain('/exam');
  });
});

describe('sending to Telegram', () => {
  it('should pause on a 429 for its retry_after and then deliver every message exactly once', async () => {
    const user = new TelegramUser(fake, app);
    // The second message of the reply is refused: the first must not be sent again.
    fake.fail('sendMessage', { error_code: 429, description: 'Too Many Requests: retry after 2', parameters: { retry_after: 2 } }, { skip: 1 });
    const update = user.textUpdate('/start');
    await fake.push(update);
    await eventually(() => fake.calls.some((c) => c.refused === 429), 'the 429');
    // The whole Telegram send queue is paused, not just this job.
    // Longer than the 1 s window of the regular limiter: this is the retry_after pause. The worker sets
    // it once the refusal has reached it, a moment after the fake recorded it: waited for, not read at once.
    await eventually(async () => (await app.queues.send.telegram.getRateLimitTtl()) > 1000, 'the queue paused for retry_after');
    await settled(fake, app, update.update_id);
    const replies = user.fresh();
    const texts = replies.map((m) => m.text);
    expect(texts).toHaveLength(2);
    expect(new Set(texts).size).toBe(2);
    const attempts = fake.callsOf('sendMessage').filter((c) => String(c.body.chat_id) === String(user.chatId));
    expect(attempts).toHaveLength(3);
  });
});

describe('a learner who blocks the bot', () => {
  /** Queues an unprompted message (a daily lesson) for the learner and waits until the worker has taken it. */
  async function pushLesson(chatId: number, n: number): Promise<unknown> {
    const job = await app.queues.send.telegram.add(
      'push',
      composedPush(`telegram:${chatId}`, `Bài học ${n}`),
      { jobId: jobId('test-lesson', chatId, n) },
    );
    await eventually(async () => (await job.isCompleted()) || (await job.isFailed()), 'the lesson job to finish');
    return (await app.queues.send.telegram.getJob(job.id!))?.returnvalue;
  }

  it('should be marked unreachable on a 403, get no unprompted messages and no retries, until /start', async () => {
    const user = new TelegramUser(fake, app);
    await user.say('/start');
    fake.block(user.chatId);
    const refused = await user.press('lang:vi');
    expect(refused).toHaveLength(0);
    expect(await app.reachability.blockedSince(`telegram:${user.chatId}`)).not.toBeNull();
    const attempts = () => fake.callsOf('sendMessage').filter((c) => String(c.body.chat_id) === String(user.chatId)).length;
    const before = attempts();
    expect(await pushLesson(user.chatId, 1)).toBe('dropped: unreachable');
    expect(attempts()).toBe(before);

    fake.unblock(user.chatId);
    const back = await user.say('/start');
    expect(back.length).toBeGreaterThan(0);
    expect(await app.reachability.blockedSince(`telegram:${user.chatId}`)).toBeNull();
    expect(await pushLesson(user.chatId, 2)).toBe('sent');
  });

  it('should be marked unreachable on my_chat_member kicked, and reachable again after /start', async () => {
    const user = new TelegramUser(fake, app);
    await user.say('/start');
    await user.deliver(fixture('my-chat-member-kicked', { updateId: fake.updateId(), chatId: user.chatId }));
    expect(await app.reachability.blockedSince(`telegram:${user.chatId}`)).not.toBeNull();
    expect(await pushLesson(user.chatId, 3)).toBe('dropped: unreachable');
    expect((await user.say('/start')).length).toBeGreaterThan(0);
    expect(await app.reachability.blockedSince(`telegram:${user.chatId}`)).toBeNull();
  });
});

describe('updates that are not a learner talking privately', () => {
  it('should answer a command in a group with one pointer to the private chat and create no learner', async () => {
    const before = await app.db.models.Learner.countDocuments();
    await new TelegramUser(fake, app).deliver(fixture('group-message', { updateId: fake.updateId() }));
    await eventually(() => fake.sentTo(-1001234567890).length === 1, 'the group reply');
    expect(fake.sentTo(-1001234567890)[0]!.text).toContain('https://t.me/cds_tutor_bot');
    expect(fake.sentTo(-1001234567890)[0]!.text).toContain('trò chuyện riêng');
    expect(await app.db.models.Learner.countDocuments()).toBe(before);
    expect(await app.db.models.Conversation.countDocuments({ _id: /^telegram:-/ })).toBe(0);
  });

  it('should ignore channel posts, edited messages and poll answers without a word', async () => {
    const sentBefore = fake.sent.length;
    const learnersBefore = await app.db.models.Learner.countDocuments();
    const user = new TelegramUser(fake, app);
    for (const name of ['channel-post', 'edited-message', 'poll-answer']) {
      await user.deliver(fixture(name, { updateId: fake.updateId(), chatId: user.chatId }));
    }
    expect(fake.sent.length).toBe(sentBefore);
    expect(await app.db.models.Learner.countDocuments()).toBe(learnersBefore);
    expect(await app.queues.inbound.getJobCountByTypes('failed')).toBe(0);
  });
});

describe('stopping', () => {
  it('should end a pending long poll, lose no update, and confirm the offset', async () => {
    const own = await new FakeTelegram().listen();
    const other = await application([], { TELEGRAM_BOT_TOKEN: own.token, TELEGRAM_API_ROOT: own.url, TELEGRAM_MODE: 'polling' });
    try {
      const user = new TelegramUser(own, other);
      await user.say('/start');
      const update = user.textUpdate('/hoc');
      await own.push(update);
      const polls = own.callsOf('getUpdates').length;
      await other.stop();
      const inbound = new Queue('inbound', { connection: { url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' }, prefix: other.queues.settings.prefix });
      const queued = await inbound.getJob(jobIdOf(update.update_id));
      await inbound.close();
      // Either the poller queued it before stopping, or Telegram still holds it for the next poller.
      expect(Boolean(queued) || own.unconfirmed > 0).toBe(true);
      const last = own.callsOf('getUpdates').at(-1)!;
      expect(own.callsOf('getUpdates').length).toBeGreaterThan(polls);
      expect(last.body).toMatchObject({ limit: 1 });
    } finally {
      await other.dispose();
      await own.close();
    }
  });
});
