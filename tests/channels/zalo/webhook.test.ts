import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { application, eventually } from '../../support/env.js';
import { FakeZalo, zaloEvent, zaloFixture, zaloText } from '../../support/fake-zalo.js';
import { freePort, ZaloUser } from '../../support/zalo-chat.js';
import { ZaloAdapter } from '../../../src/channels/zalo/adapter.js';
import { ZaloBotClient } from '../../../src/channels/zalo/client.js';
import { lessonsOf, type Course } from '../../../src/core/course.js';
import { jobId } from '../../../src/scheduler/jobs.js';

const SECRET = 'webhook-secret-0123';
let fake: FakeZalo;
let app: Awaited<ReturnType<typeof application>>;
let base: string;
let course: Course;

beforeAll(async () => {
  fake = new FakeZalo();
  await fake.start();
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const adapter = new ZaloAdapter({
    client: new ZaloBotClient(fake.token, { baseApiUrl: fake.url }),
    mode: 'webhook',
    publicBaseUrl: base,
    webhookSecret: SECRET,
    logger: pino({ level: 'silent' }),
  });
  app = await application(
    [adapter],
    { ZALO_BOT_TOKEN: fake.token, ZALO_MODE: 'webhook', ZALO_WEBHOOK_SECRET: SECRET, ZALO_API_BASE: fake.url, HTTP_PORT: String(port), PUBLIC_BASE_URL: base },
    { listen: true },
  );
  course = app.content.courses.get('cds-xa')!;
}, 30_000);
afterAll(async () => {
  await app.dispose();
  await fake.stop();
});

async function post(body: string, headers: Record<string, string>): Promise<number> {
  const res = await fetch(`${base}/webhooks/zalo`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  await res.arrayBuffer();
  return res.status;
}

describe('the Zalo channel over the webhook', () => {
  it('should register PUBLIC_BASE_URL/webhooks/zalo with the secret at start', () => {
    expect(fake.webhook).toEqual({ url: `${base}/webhooks/zalo`, secret: SECRET });
  });

  it('should take a learner through the whole journey in Vietnamese with typed answers', async () => {
    const u = new ZaloUser(fake, app, 'a1b2c3d4e5f6a7b8c9d0', 'webhook');
    let r = await u.say('Xin chào');
    expect(r.join('\n')).toContain('Xin chào');
    expect(r.at(-1)).toContain('1. Tiếng Việt');
    expect(r.at(-1)).toContain('2. English');
    r = await u.say('1');
    expect(r.join('\n')).toContain('Họ và tên');
    await u.say('Nguyễn Thị Hoa');
    await u.say('b.');
    await u.say('nghe an');
    await u.say('Xã Diễn Châu');
    await u.say('Đồng ý');
    r = await u.say('8');
    const card = r.join('\n');
    expect(card).toContain('8:00');
    expect(card).toContain('Chuyên đề 1 · Bài 1/');
    expect(card).not.toContain('**');
    const learner = await app.learners.findByConversation(u.conversation);
    expect(learner).toMatchObject({ onboarded: true, profile: { fullName: 'Nguyễn Thị Hoa', role: 'vice_chair', province: 'Nghệ An' } });

    // A question is offered as a lettered list with a hint on how to answer.
    r = await u.say('tiếp tục');
    expect(r.at(-1)).toMatch(/\n {2}A\. .+\n {2}B\. /);
    expect(r.at(-1)).toContain('Trả lời bằng chữ cái');

    await u.studyEverything(course);
    r = await u.say('/tiendo');
    const total = lessonsOf(course).length;
    expect(r.join('\n')).toContain(`Đã học ${total}/${total} bài`);

    r = await u.takeFinal(course);
    expect(r.join('\n')).toContain('100%');
    const e = await u.enrolment();
    expect(e).toMatchObject({ status: 'certified' });
    r = await u.say('/chungnhan');
    expect(r.join('\n')).toMatch(/Mã xác minh: \S+[\s\S]*PDF: \S+\/certificates\/\w+\.pdf/);
    const photos = fake.callsOf('sendPhoto').filter((c) => c.body.chat_id === u.userId).map((c) => String(c.body.photo));
    expect(photos.filter((p) => /\/certificates\/\w+\.png$/.test(p))).toHaveLength(2);
    for (const c of fake.callsOf('sendMessage')) expect(String(c.body.text).length).toBeLessThanOrEqual(2000);
  }, 180_000);

  it('should answer 401 to a wrong or missing secret and touch nothing', async () => {
    const event = zaloText('intruder0001', 'Xin chào', { messageId: 'intruder-msg-1' });
    expect(await fake.deliver(event, { secret: 'wrong-secret-0123' })).toBe(401);
    expect(await fake.deliver(event, { secret: null })).toBe(401);
    expect(await fake.deliver(event, { secret: SECRET.slice(0, -1) })).toBe(401);
    expect(await fake.deliver(event, { secret: '', raw: '{not json' })).toBe(401);
    expect(await app.queues.inbound.getJob(jobId('in', 'zalo', 'intruder-msg-1'))).toBeUndefined();
    expect(await app.learners.findByConversation('zalo:intruder0001')).toBeNull();
  });

  it('should answer 400 to malformed JSON, 413 to a body over 1 MiB, 400 to anything but a JSON object and 200 to an object without a message', async () => {
    const auth = { 'x-bot-api-secret-token': SECRET };
    expect(await post('{"event_name": "message.text.received", ', auth)).toBe(400);
    const big = JSON.stringify(zaloText('big000000001', 'x'.repeat(1024 * 1024 + 10)));
    expect(await post(big, auth)).toBe(413);
    // An empty probe is 400 now, as on Telegram: it is not a JSON object.
    for (const body of ['', '   ', '[]', '[{"event_name":"message.text.received"}]', '"text"', '42', 'null', 'true']) {
      expect(await post(body, auth), JSON.stringify(body)).toBe(400);
    }
    expect(await post('{}', auth)).toBe(200);
    expect(await post('{"ok":true,"result":{}}', auth)).toBe(200);
    expect(await app.learners.findByConversation('zalo:big000000001')).toBeNull();
  });

  it('should acknowledge and drop an event whose date is out of range, and clip long text and names', async () => {
    for (const date of [1e20, -1, 'yesterday']) {
      const event = zaloText('baddate00001', 'Xin chào', { messageId: `bad-date-${String(date)}` });
      (event as { message: { date: unknown } }).message.date = date;
      expect(await fake.deliver(event), String(date)).toBe(200);
      expect(await app.queues.inbound.getJob(jobId('in', 'zalo', `bad-date-${String(date)}`))).toBeUndefined();
    }
    const long = zaloText('longtext0001', 'a'.repeat(700_000), { messageId: 'long-text-0001' });
    (long as { message: { from: { display_name: string } } }).message.from.display_name = 'N'.repeat(200_000);
    const u = new ZaloUser(fake, app, 'longtext0001', 'webhook');
    await u.say('Xin chào');
    const r = await u.deliver(long);
    expect(r.join('\n')).toContain('quá dài');
    const job = await app.queues.inbound.getJob(jobId('in', 'zalo', 'long-text-0001'));
    expect(job!.data.event.text).toHaveLength(4096);
    expect(job!.data.event.sender!.displayName).toHaveLength(100);
  });

  it('should accept both the wrapped and the unwrapped body', async () => {
    const wrapped = zaloFixture('webhook-text-wrapped');
    const r1 = await new ZaloUser(fake, app, wrapped.result.message.chat.id, 'webhook').deliver(wrapped);
    expect(r1.join('\n')).toContain('Tiếng Việt');
    const unwrapped = zaloText('unwrapped0001', 'Xin chào');
    const r2 = await new ZaloUser(fake, app, 'unwrapped0001', 'webhook').deliver(unwrapped);
    expect(r2.join('\n')).toContain('Tiếng Việt');
  });

  it('should handle the same message delivered twice once', async () => {
    const u = new ZaloUser(fake, app, 'twice0000001', 'webhook');
    await u.say('Xin chào');
    const event = zaloText(u.userId, '1', { messageId: 'dup-message-0001' });
    const first = await u.deliver(event);
    expect(first.join('\n')).toContain('Họ và tên');
    const count = fake.textsTo(u.userId).length;
    expect(await fake.deliver(event)).toBe(200);
    expect(await fake.deliver({ ok: true, result: event })).toBe(200);
    await eventually(() => app.idle(), 'quiet');
    expect(fake.textsTo(u.userId)).toHaveLength(count);
    expect(await app.updates.find('zalo:dup-message-0001')).toEqual({ reply: [], done: true });
  });

  it('should answer every image, sticker, voice and unsupported message politely and repeat the question', async () => {
    const u = new ZaloUser(fake, app, 'media0000001', 'webhook');
    await u.say('Xin chào');
    for (const fixture of ['webhook-image', 'webhook-sticker', 'webhook-voice', 'webhook-unsupported']) {
      const r = await u.deliver(zaloEvent(fixture, u.userId));
      expect(r[0], fixture).toBe('Tôi chỉ đọc được tin nhắn chữ. Bạn trả lời bằng chữ giúp tôi nhé.');
      expect(r.at(-1), fixture).toContain('1. Tiếng Việt');
    }
  });

  it('should ignore group chats without creating a learner', async () => {
    const group = zaloFixture('webhook-group-text');
    expect(await fake.deliver(group)).toBe(200);
    await eventually(() => app.idle(), 'quiet');
    expect(await app.learners.findByConversation(`zalo:${group.message.chat.id}`)).toBeNull();
    expect(fake.textsTo(group.message.chat.id)).toEqual([]);
  });
});
