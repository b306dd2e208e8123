import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { application } from '../support/env.js';
import { FakeTelegram } from '../support/fake-telegram.js';
import { TelegramUser } from '../support/telegram.js';
import { composedPush, reply } from '../support/jobs.js';
import { jobId } from '../../src/scheduler/jobs.js';
import type { App } from '../../src/app/index.js';

const BOOT = 'bootstrap-token-for-learner-messages-0123';
let fake: FakeTelegram;
let app: App & { dispose(): Promise<void> };

beforeAll(async () => {
  fake = await new FakeTelegram().listen();
  app = await application([], { TELEGRAM_BOT_TOKEN: fake.token, TELEGRAM_API_ROOT: fake.url, TELEGRAM_MODE: 'polling', ADMIN_TOKEN: BOOT }, { listen: true });
});
afterAll(async () => {
  await app?.dispose();
  await fake?.close();
});

async function view(learnerId: string) {
  const res = await app.server!.inject({ method: 'GET', url: `/admin/api/learners/${learnerId}`, headers: { authorization: `Bearer ${BOOT}` } });
  expect(res.statusCode).toBe(200);
  return res.json();
}

describe("a learner's messages in GET /admin/api/learners/:id", () => {
  it('should list a reply Telegram refused for good as failed, with why and what was not received, and count it', async () => {
    const user = new TelegramUser(fake, app);
    await user.say('/start');
    const learner = (await app.learners.findByConversation(`telegram:${user.chatId}`))!;
    const before = await view(learner.id);
    expect(before.failedMessages).toEqual([]);
    expect(before.messages).toEqual({ sent: 0, held: 0, failed: 0 });

    // A permanent refusal: not retried, the job fails at once.
    fake.fail('sendMessage', { error_code: 400, description: 'Bad Request: message text is empty' });
    const refused = await user.press('lang:vi');
    expect(refused).toHaveLength(0);

    const after = await view(learner.id);
    expect(after.failedMessages).toHaveLength(1);
    expect(after.failedMessages[0]).toMatchObject({
      id: expect.stringMatching(/^send-telegram\|/),
      conversation: `telegram:${user.chatId}`,
      learnerId: learner.id,
      reason: 'reply',
      kind: 'rejected',
      attempts: 1,
    });
    expect(after.failedMessages[0].error).toContain('message text is empty');
    expect(after.failedMessages[0].previews.join('\n')).toContain('Họ và tên');
    expect(after.messages).toMatchObject({ failed: 1, held: 0 });
  });

  it('should list a push to a learner who blocked the bot as failed, under that learner only', async () => {
    const user = new TelegramUser(fake, app);
    await user.say('/start');
    const learner = (await app.learners.findByConversation(`telegram:${user.chatId}`))!;
    fake.block(user.chatId);
    const push = composedPush(`telegram:${user.chatId}`, 'Bài học hôm nay: dữ liệu mở');
    push.push.learnerId = learner.id;
    const job = await app.queues.send.telegram.add('push', push, { jobId: jobId('test-failed-push', user.chatId) });
    await expect.poll(async () => (await job.isFailed()) || (await app.queues.send.telegram.getJob(job.id!))?.failedReason, { timeout: 20_000 }).toBeTruthy();
    await expect.poll(async () => (await view(learner.id)).failedMessages.length, { timeout: 10_000 }).toBe(1);
    const { failedMessages } = await view(learner.id);
    expect(failedMessages[0]).toMatchObject({ learnerId: learner.id, reason: 'lesson', kind: 'blocked', previews: ['Bài học hôm nay: dữ liệu mở'] });
    // Seen by the other learner's view: nothing of this one.
    const other = new TelegramUser(fake, app);
    await other.say('/start');
    const otherLearner = (await app.learners.findByConversation(`telegram:${other.chatId}`))!;
    expect((await view(otherLearner.id)).failedMessages).toEqual([]);
  });

  it('should record a message that ran out of retries once, after its last attempt, and none that a retry delivered', async () => {
    const user = new TelegramUser(fake, app);
    await user.say('/start');
    const learner = (await app.learners.findByConversation(`telegram:${user.chatId}`))!;
    const queue = app.queues.send.telegram;
    const opts = { attempts: 2, backoff: { type: 'fixed', delay: 50 } };
    // A server error: retried; the second try succeeds.
    fake.fail('sendMessage', { error_code: 502, description: 'Bad Gateway' }, { times: 1 });
    const saved = await queue.add('reply', reply(`telegram:${user.chatId}`, 'Lần này thì tới'), { ...opts, jobId: jobId('test-retried', user.chatId) });
    await expect.poll(() => saved.isCompleted(), { timeout: 20_000 }).toBe(true);
    // Two server errors: both tries fail, the job fails for good.
    fake.fail('sendMessage', { error_code: 502, description: 'Bad Gateway' }, { times: 2 });
    const lost = await queue.add('reply', reply(`telegram:${user.chatId}`, 'Lần này thì không'), { ...opts, jobId: jobId('test-lost', user.chatId) });
    await expect.poll(() => lost.isFailed(), { timeout: 20_000 }).toBe(true);
    const { failedMessages } = await view(learner.id);
    expect(failedMessages).toHaveLength(1);
    expect(failedMessages[0]).toMatchObject({ id: `send-telegram|${lost.id}`, learnerId: learner.id, reason: 'reply', kind: 'network', attempts: 2, previews: ['Lần này thì không'] });
  });
});
