import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { application, eventually, ROOT, shipped, testConfig, uniqueName } from '../../support/env.js';
import { FakeTelegram } from '../../support/fake-telegram.js';
import { TelegramUser, fixture, freePort } from '../../support/telegram.js';
import { fullJourney } from '../../support/telegram-journey.js';
import { createApp, type App } from '../../../src/app/index.js';
import { jobId } from '../../../src/scheduler/jobs.js';
import { dropRun } from '../../support/cleanup.js';

const SECRET = 'webhook_Secret-123';
let fake: FakeTelegram;
let app: App & { dispose(): Promise<void> };
let base: string;

function webhookEnv(port: number, token: string, apiRoot: string): Record<string, string> {
  return {
    TELEGRAM_BOT_TOKEN: token,
    TELEGRAM_API_ROOT: apiRoot,
    TELEGRAM_MODE: 'webhook',
    TELEGRAM_WEBHOOK_SECRET: SECRET,
    HTTP_PORT: String(port),
    PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
  };
}

beforeAll(async () => {
  fake = await new FakeTelegram().listen();
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  app = await application([], webhookEnv(port, fake.token, fake.url), { listen: true });
});
afterAll(async () => {
  await app?.dispose();
  await fake?.close();
});

function post(body: string, headers: Record<string, string> = { 'x-telegram-bot-api-secret-token': SECRET }) {
  return fetch(`${base}/webhooks/telegram`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
}

describe('the Telegram webhook', () => {
  it('should register itself with its URL, secret and the update types it reads, and a menu per language', () => {
    const hook = fake.callsOf('setWebhook').at(-1)!;
    expect(hook.body).toMatchObject({
      url: `${base}/webhooks/telegram`,
      secret_token: SECRET,
      allowed_updates: ['message', 'callback_query', 'my_chat_member'],
    });
    const menus = fake.callsOf('setMyCommands');
    const byLanguage = Object.fromEntries(menus.map((c) => [String(c.body.language_code ?? 'default'), c.body.commands as { command: string; description: string }[]]));
    expect(byLanguage.vi!.map((c) => c.command)).toContain('tiendo');
    expect(byLanguage.en!.map((c) => c.command)).toContain('progress');
    expect(byLanguage.vi!.find((c) => c.command === 'tiendo')!.description).toBe('Xem tiến độ học tập');
    expect(byLanguage.en!.find((c) => c.command === 'progress')!.description).toBe('See your progress');
    expect(byLanguage.default).toEqual(byLanguage.vi);
  });

  it('should take a learner through onboarding, every lesson, progress and the final test', async () => {
    const user = new TelegramUser(fake, app);
    await fullJourney(app, user, shipped().courses.get('cds-xa')!);
    // The whole course, as the conformance journeys (240 s): about 55 s on a loaded 2-core machine.
  }, 180_000);

  it('should refuse a wrong or missing secret with 401 and store nothing', async () => {
    const user = new TelegramUser(fake, app);
    const update = user.textUpdate('/start');
    const attempts: Record<string, string>[] = [{ 'x-telegram-bot-api-secret-token': 'wrong' }, { 'x-telegram-bot-api-secret-token': `${SECRET}x` }, {}];
    for (const headers of attempts) {
      const res = await post(JSON.stringify(update), headers);
      expect(res.status).toBe(401);
    }
    // Not even a bad body is read before the secret is checked.
    expect((await post('{not json', {})).status).toBe(401);
    expect(await app.queues.inbound.getJob(jobId('in', 'telegram', String(update.update_id)))).toBeUndefined();
    expect(await app.updates.find(`telegram:${update.update_id}`)).toBeNull();
    expect(await app.learners.findByConversation(`telegram:${user.chatId}`)).toBeNull();
    expect(fake.sentTo(user.chatId)).toHaveLength(0);
  });

  it('should answer malformed JSON with 400, a body over 1 MiB with 413 and a non-update with 400', async () => {
    expect((await post('{"update_id": 1, "message": ')).status).toBe(400);
    expect((await post(`{"update_id": 1, "pad": "${"x".repeat(1024 * 1024)}"}`)).status).toBe(413);
    expect((await post(JSON.stringify({ hello: 'world' }))).status).toBe(400);
    for (const body of ['', '  ', '[]', JSON.stringify([1, 2]), '"update"', '7', 'null']) expect((await post(body)).status, JSON.stringify(body)).toBe(400);
    expect((await post(JSON.stringify({ update_id: -1 }))).status).toBe(400);
    expect((await post(JSON.stringify({ update_id: 1.5 }))).status).toBe(400);
  });

  it('should acknowledge and drop an update whose date is out of range, never answering 500', async () => {
    const user = new TelegramUser(fake, app);
    for (const date of [1e20, -86400, 0, 4102444800 * 10]) {
      const update = user.textUpdate('/start');
      (update.message as { date: number }).date = date;
      expect((await post(JSON.stringify(update))).status, String(date)).toBe(200);
      expect(await app.queues.inbound.getJob(jobId('in', 'telegram', String(update.update_id)))).toBeUndefined();
    }
    expect(fake.sentTo(user.chatId)).toHaveLength(0);
  });

  it('should answer a text of about 1 MiB once, with "too long", and queue only its first 4,096 characters', async () => {
    const named = new TelegramUser(fake, app, { first_name: 'Đ'.repeat(100_000), last_name: 'x'.repeat(50_000), language_code: 'vi' });
    const start = named.textUpdate('/start');
    await named.deliver(start);
    const startJob = await app.queues.inbound.getJob(jobId('in', 'telegram', String(start.update_id)));
    expect(startJob!.data.event.sender!.displayName!.length).toBeLessThanOrEqual(100);

    const user = new TelegramUser(fake, app);
    await user.say('/start');
    const update = user.textUpdate('a'.repeat(1024 * 1024 - 2048));
    const replies = await user.deliver(update);
    expect(replies.some((r) => r.text.includes('quá dài'))).toBe(true);
    expect(replies.filter((r) => r.text.includes('quá dài'))).toHaveLength(1);
    const job = await app.queues.inbound.getJob(jobId('in', 'telegram', String(update.update_id)));
    expect(job!.data.event.text).toHaveLength(4096);
  });

  it('should handle the same update delivered twice once', async () => {
    const user = new TelegramUser(fake, app);
    const update = user.textUpdate('/start');
    expect((await user.deliver(update)).length).toBe(2);
    expect(await user.deliver(update)).toHaveLength(0);
    // Even when the queue has forgotten it (jobs are removed after a day), the tutor has not.
    await (await app.queues.inbound.getJob(jobId('in', 'telegram', String(update.update_id))))!.remove();
    expect(await user.deliver(update)).toHaveLength(0);
  });

  it('should answer every kind of update Telegram sends with 200 and reply only to private messages', async () => {
    const user = new TelegramUser(fake, app);
    await user.say('/start');
    await user.press('lang:vi');
    const expectations: [string, (replies: { text: string }[]) => void][] = [
      // Taken as the full name the bot asked for; the next question is the position.
      ['private-text', (r) => expect(r.at(-1)!.text).toContain('Chức vụ')],
      // Not one of the positions offered: asked again, diacritics intact.
      ['vietnamese-text', (r) => expect(r.at(-1)!.text).toContain('Chức vụ')],
      ['sticker', (r) => expect(r[0]!.text).toContain('chỉ đọc được tin nhắn chữ')],
      ['contact', (r) => expect(r[0]!.text).toContain('chỉ đọc được tin nhắn chữ')],
      ['photo-caption', (r) => expect(r.length).toBeGreaterThan(0)],
      ['help-botname', (r) => expect(r[0]!.text).toContain('/tiendo')],
      ['callback-query', (r) => expect(r.length).toBeGreaterThan(0)],
      ['start-payload', (r) => expect(r.length).toBeGreaterThan(0)],
      ['edited-message', (r) => expect(r).toHaveLength(0)],
      ['poll-answer', (r) => expect(r).toHaveLength(0)],
      ['channel-post', (r) => expect(r).toHaveLength(0)],
      ['group-message', (r) => expect(r).toHaveLength(0)],
      ['my-chat-member-kicked', (r) => expect(r).toHaveLength(0)],
    ];
    for (const [name, check] of expectations) {
      const replies = await user.deliver(fixture(name, { updateId: fake.updateId(), chatId: user.chatId }));
      check(replies);
    }
    expect(await app.reachability.blockedSince(`telegram:${user.chatId}`)).not.toBeNull();
    expect(await app.queues.inbound.getJobCountByTypes('failed')).toBe(0);
    expect(await app.queues.send.telegram.getJobCountByTypes('failed')).toBe(0);
  });

  it('should answer every button press so the spinner stops', async () => {
    const user = new TelegramUser(fake, app);
    await user.say('/start');
    const update = user.pressUpdate('lang:en');
    await user.deliver(update);
    const query = (update.callback_query as { id: string }).id;
    await eventually(() => fake.callsOf('answerCallbackQuery').some((c) => c.body.callback_query_id === query), 'answerCallbackQuery');
    // Also a press on an old message whose data means nothing any more.
    const stale = user.pressUpdate('ans:nope:9');
    await user.deliver(stale);
    const staleId = (stale.callback_query as { id: string }).id;
    await eventually(() => fake.callsOf('answerCallbackQuery').some((c) => c.body.callback_query_id === staleId), 'answerCallbackQuery for a stale button');
  });
});

describe('an update acknowledged by a web process that then dies', () => {
  it('should still be handled by a worker process afterwards', async () => {
    const own = await new FakeTelegram().listen();
    const port = await freePort();
    const config = testConfig(webhookEnv(port, own.token, own.url));
    const prefix = uniqueName('cdstest');
    const logger = pino({ level: 'silent' });
    const web = await createApp({ config, role: 'web', root: ROOT, listen: true, queuePrefix: prefix, logger });
    const user = new TelegramUser(own, web);
    const update = user.textUpdate('/start');
    expect(await own.push(update)).toBe(200);
    // Acknowledged means stored: the job is in Redis before the 200.
    expect(await web.queues.inbound.getJob(jobId('in', 'telegram', String(update.update_id)))).toBeDefined();
    await web.stop();
    expect(own.sentTo(user.chatId)).toHaveLength(0);

    const worker = await createApp({ config, role: 'worker', root: ROOT, listen: false, queuePrefix: prefix, logger });
    try {
      await eventually(() => own.sentTo(user.chatId).length === 2, 'the reply sent by the worker');
      expect(own.callsOf('setWebhook')).toHaveLength(1);
    } finally {
      await worker.stop();
      await own.close();
      await dropRun(config, prefix);
    }
  });
});
