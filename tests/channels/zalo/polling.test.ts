import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { application, eventually } from '../../support/env.js';
import { FakeZalo, zaloEvent, zaloText } from '../../support/fake-zalo.js';
import { ZaloUser } from '../../support/zalo-chat.js';
import { ZaloAdapter } from '../../../src/channels/zalo/adapter.js';
import { ZaloBotClient } from '../../../src/channels/zalo/client.js';
import type { InboundEvent } from '../../../src/core/messages.js';
import { lessonsOf, type Course } from '../../../src/core/course.js';

const silent = pino({ level: 'silent' });
let fake: FakeZalo;
let app: Awaited<ReturnType<typeof application>>;
let course: Course;

function pollingAdapter(server: FakeZalo): ZaloAdapter {
  return new ZaloAdapter({
    client: new ZaloBotClient(server.token, { baseApiUrl: server.url }),
    mode: 'polling',
    publicBaseUrl: 'https://bot.example.vn',
    logger: silent,
    pollTimeoutSec: 1,
    pollBackoffMs: 20,
  });
}

beforeAll(async () => {
  fake = new FakeZalo(undefined, 1_000);
  await fake.start();
  fake.webhook = { url: 'https://old.example.vn/webhooks/zalo', secret: 'old-secret-123' };
  app = await application([pollingAdapter(fake)], { ZALO_BOT_TOKEN: fake.token, ZALO_API_BASE: fake.url });
  course = app.content.courses.get('cds-xa')!;
}, 30_000);
afterAll(async () => {
  await app.dispose();
  await fake.stop();
});

describe('the Zalo channel over polling', () => {
  it('should delete the webhook before polling, since getUpdates does not work while one is set', async () => {
    await eventually(() => fake.callsOf('getUpdates').length > 0, 'a first poll');
    expect(fake.webhook).toBeNull();
    const first = fake.calls.findIndex((c) => c.method === 'getUpdates');
    expect(fake.calls.findIndex((c) => c.method === 'deleteWebhook')).toBeLessThan(first);
  });

  it('should take a learner through the whole journey in English', async () => {
    const u = new ZaloUser(fake, app, 'e1e2e3e4e5e6e7e8e9e0', 'polling');
    let r = await u.say('/start');
    expect(r.at(-1)).toContain('2. English');
    r = await u.say('english');
    expect(r.join('\n')).toContain('full name');
    await u.say('Lê Minh');
    await u.say('1');
    await u.say('Hà Nội');
    await u.say('Phường Ba Đình');
    await u.say('1');
    r = await u.say('7h');
    expect(r.join('\n')).toContain('Topic 1 · Lesson 1/');
    await u.studyEverything(course);
    const total = lessonsOf(course).length;
    r = await u.say('/progress');
    expect(r.join('\n')).toContain(`${total}/${total} lessons done`);
    r = await u.takeFinal(course, false);
    expect(r.join('\n')).toContain('0/30');
    expect(r.join('\n')).toContain('2 attempts left');
    r = await u.takeFinal(course, true);
    expect(r.join('\n')).toContain('100%');
    expect(await u.enrolment()).toMatchObject({ status: 'certified' });
    // English learner: the caption in English, the PDF's link after it.
    expect(r.join('\n')).toMatch(/Verification code: \S+[\s\S]*PDF: \S+\/certificates\/\w+\.pdf/);
  }, 240_000);

  it('should keep polling through empty 408 polls and network errors, losing no event', async () => {
    const u = new ZaloUser(fake, app, 'f1f2f3f4f5f6', 'polling');
    const polls = fake.callsOf('getUpdates').length;
    // At least one poll ends in 408 with nothing new, and the poller asks again.
    await eventually(() => fake.callsOf('getUpdates').length >= polls + 2, 'two more polls');
    fake.dropNext('getUpdates');
    fake.failNext('getUpdates', { error_code: 502, description: 'Bad Gateway', status: 502 });
    fake.dropNext('getUpdates');
    const r = await u.say('Xin chào');
    expect(r.at(-1)).toContain('1. Tiếng Việt');
  });

  it('should handle the same message polled twice once', async () => {
    const u = new ZaloUser(fake, app, 'f9f8f7f6f5f4', 'polling');
    await u.say('Xin chào');
    const event = zaloText(u.userId, '2', { messageId: 'poll-dup-0001' });
    await u.deliver(event);
    const count = fake.textsTo(u.userId).length;
    fake.push(event);
    // Events are polled and queued in order: once /help is answered, the duplicate was handled too.
    const help = await u.say('/help');
    expect(fake.textsTo(u.userId).slice(count)).toEqual(help);
    expect(help[0]).toContain('/learn');
  });

  it('should answer a sticker politely', async () => {
    const u = new ZaloUser(fake, app, 'stick0000001', 'polling');
    await u.say('Xin chào');
    const r = await u.deliver(zaloEvent('webhook-sticker', u.userId));
    expect(r[0]).toBe('Tôi chỉ đọc được tin nhắn chữ. Bạn trả lời bằng chữ giúp tôi nhé.');
  });
});

describe('ZaloPoller shutdown', () => {
  it('should abort the poll in flight on stop and leave later events for the next poller', async () => {
    const server = new FakeZalo(undefined, 60_000);
    await server.start();
    const seen: InboundEvent[] = [];
    const adapter = new ZaloAdapter({
      client: new ZaloBotClient(server.token, { baseApiUrl: server.url }),
      mode: 'polling',
      publicBaseUrl: 'https://bot.example.vn',
      logger: silent,
      pollTimeoutSec: 50,
    });
    await adapter.start(async (e) => void seen.push(e));
    server.push(zaloText('s1', 'một'));
    await eventually(() => seen.length === 1, 'the first event');
    await eventually(() => server.callsOf('getUpdates').length === 2, 'the next long poll');
    // The server would hold this poll for 50 s; stop must not wait for it.
    await adapter.stop();
    await eventually(() => server.abandonedPolls === 1, 'the server to see the poll end');
    server.push(zaloText('s1', 'hai'));
    expect(seen.map((e) => e.text)).toEqual(['một']);
    const next = new ZaloBotClient(server.token, { baseApiUrl: server.url });
    const left = await next.getUpdates({ timeout: 1 });
    expect(left[0]?.message?.text).toBe('hai');
    await server.stop();
  }, 20_000);
});
