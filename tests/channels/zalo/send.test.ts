import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { application, eventually } from '../../support/env.js';
import { FakeZalo, zaloText } from '../../support/fake-zalo.js';
import { ZaloUser } from '../../support/zalo-chat.js';
import { mediaUrl, ZaloAdapter } from '../../../src/channels/zalo/adapter.js';
import { ZaloBotClient } from '../../../src/channels/zalo/client.js';
import { SendError } from '../../../src/channels/shared/errors.js';
import { composedPush } from '../../support/jobs.js';
import { captureLog } from '../../support/log-capture.js';

const silent = pino({ level: 'silent' });
let fake: FakeZalo;

function adapter(mode: 'polling' | 'webhook' = 'polling'): ZaloAdapter {
  return new ZaloAdapter({
    client: new ZaloBotClient(fake.token, { baseApiUrl: fake.url, requestTimeoutMs: 2_000 }),
    mode,
    publicBaseUrl: 'https://bot.example.vn/',
    logger: silent,
    pollTimeoutSec: 1,
    pollBackoffMs: 20,
    rateLimitPauseMs: 300,
  });
}

beforeAll(async () => {
  fake = new FakeZalo(undefined, 1_000);
  await fake.start();
});
afterAll(() => fake.stop());

describe('ZaloAdapter.send', () => {
  it('should split a long message at paragraph boundaries into pieces of at most 2,000 characters', async () => {
    const para = (c: string) => `${c.repeat(700)} ${c.repeat(799)}`;
    await adapter().send('split01', [{ text: [para('a'), para('b'), para('c')].join('\n\n') }]);
    const texts = fake.textsTo('split01');
    expect(texts).toEqual([para('a'), para('b'), para('c')]);
  });

  it('should send plain text with lettered choices and the hint, since Zalo has no buttons or formatting', async () => {
    await adapter().send('plain01', [
      { text: '**Câu hỏi**: _chọn_ một [nguồn](https://example.vn/a)', choices: [{ label: 'Có', value: 'x:0' }, { label: 'Không', value: 'x:1' }], lettered: true, hint: 'Trả lời bằng chữ cái.' },
      { text: 'Ngôn ngữ?', choices: [{ label: 'Tiếng Việt', value: 'lang:vi' }, { label: 'English', value: 'lang:en' }] },
    ]);
    expect(fake.textsTo('plain01')).toEqual([
      'Câu hỏi: chọn một nguồn (https://example.vn/a)\n  A. Có\n  B. Không\nTrả lời bằng chữ cái.',
      'Ngôn ngữ?\n  1. Tiếng Việt\n  2. English',
    ]);
  });

  it('should send images by absolute URL, content paths under PUBLIC_BASE_URL/content', async () => {
    await adapter().send('photo01', [
      { text: 'Thẻ bài học', image: 'cds-xa/images/bản đồ.png' },
      { text: 'Ảnh ngoài', image: 'https://cdn.example.vn/x.jpg' },
    ]);
    const sent = fake.calls.filter((c) => c.body.chat_id === 'photo01').map((c) => [c.method, c.body.photo ?? c.body.text]);
    expect(sent).toEqual([
      ['sendPhoto', 'https://bot.example.vn/content/cds-xa/images/b%E1%BA%A3n%20%C4%91%E1%BB%93.png'],
      ['sendMessage', 'Thẻ bài học'],
      ['sendPhoto', 'https://cdn.example.vn/x.jpg'],
      ['sendMessage', 'Ảnh ngoài'],
    ]);
    expect(mediaUrl('/a/b.png', 'http://h:1')).toBe('http://h:1/content/a/b.png');
  });

  it('should map Zalo answers onto the shared send errors', async () => {
    const cases: [() => void, string, number?][] = [
      [() => fake.failNext('sendMessage', { error_code: 429, description: 'Quota exceeded' }), 'rate_limited', 300],
      [() => fake.failNext('sendMessage', { error_code: 403, description: 'Forbidden' }), 'blocked'],
      [() => fake.failNext('sendMessage', { error_code: 404, description: 'Not Found' }), 'rejected'],
      [() => fake.failNext('sendMessage', { error_code: 401, description: 'Unauthorized', status: 401 }), 'network'],
      [() => fake.failNext('sendMessage', { error_code: 400, description: 'Bad Request' }), 'rejected'],
      [() => fake.failNext('sendMessage', { error_code: 408, description: 'Request timeout' }), 'network'],
      [() => fake.failNext('sendMessage', { error_code: 500, description: 'Internal', status: 500 }), 'network'],
      [() => fake.dropNext('sendMessage'), 'network'],
    ];
    for (const [arrange, kind, retryAfterMs] of cases) {
      arrange();
      const err = await adapter().send('err01', [{ text: 'hi' }]).catch((e: unknown) => e);
      expect(err, kind).toBeInstanceOf(SendError);
      expect(err, kind).toMatchObject({ kind, ...(retryAfterMs ? { retryAfterMs } : {}) });
      expect((err as Error).message).not.toContain(fake.token);
    }
  });

  it('should log a refused token as an error naming ZALO_BOT_TOKEN, without the token, and leave the send to be retried', async () => {
    const log = captureLog();
    const a = new ZaloAdapter({ client: new ZaloBotClient(fake.token, { baseApiUrl: fake.url, requestTimeoutMs: 2_000 }), mode: 'polling', publicBaseUrl: 'https://bot.example.vn/', logger: log.logger });
    fake.failNext('sendMessage', { error_code: 401, description: 'Unauthorized', status: 401 });
    const err = await a.send('token01', [{ text: 'hi' }]).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'network', configVariable: 'ZALO_BOT_TOKEN' });
    const errors = log.lines().filter((l) => l.level === 50);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.msg).toContain('ZALO_BOT_TOKEN');
    expect(log.text()).not.toContain(fake.token);
  });
});

describe('sending Zalo replies through the queue', () => {
  let app: Awaited<ReturnType<typeof application>>;

  beforeAll(async () => {
    app = await application([adapter()], { ZALO_BOT_TOKEN: fake.token, ZALO_API_BASE: fake.url });
  }, 30_000);
  afterAll(() => app.dispose());

  it('should pause the queue on 429 and resend the reply', async () => {
    fake.failNext('sendMessage', { error_code: 429, description: 'Quota exceeded' });
    const u = new ZaloUser(fake, app, 'rate000001', 'polling');
    const before = fake.callsOf('sendMessage').length;
    const r = await u.say('Xin chào');
    expect(r.join('\n')).toContain('Tiếng Việt');
    // One refused attempt, then the whole reply.
    expect(fake.callsOf('sendMessage').length - before).toBe(r.length + 1);
  });

  it('should retry a reply after a server error with back-off', async () => {
    fake.failNext('sendMessage', { error_code: 500, description: 'Internal', status: 500 });
    const u = new ZaloUser(fake, app, 'retry00001', 'polling');
    const r = await u.say('Xin chào');
    expect(r.join('\n')).toContain('Tiếng Việt');
  });

  it('should record a refused message as failed without retrying it', async () => {
    fake.failNext('sendMessage', { error_code: 400, description: 'Bad Request' });
    const u = new ZaloUser(fake, app, 'reject0001', 'polling');
    fake.push(zaloText(u.userId, 'Xin chào'));
    await eventually(async () => (await app.queues.send.zalo.getFailedCount()) === 1, 'a failed send job');
    const [job] = await app.queues.send.zalo.getFailed();
    expect(job!.attemptsMade).toBe(1);
    expect(job!.failedReason).toContain('rejected');
    expect(fake.textsTo(u.userId)).toEqual([]);
  });

  it('should mark a conversation that answers 403 unreachable, skip pushes to it, and still answer when the learner writes', async () => {
    const u = new ZaloUser(fake, app, 'blocked001', 'polling');
    await u.say('Xin chào');
    fake.failNext('sendMessage', { error_code: 403, description: 'Forbidden' });
    await app.queues.send.zalo.add('push', composedPush(u.conversation, 'Bài học hôm nay'));
    await eventually(async () => (await app.reachability.blockedSince(u.conversation)) !== null, 'marked unreachable');
    const job = await app.queues.send.zalo.add('push', composedPush(u.conversation, 'Nhắc nhở', 'reminder'));
    await eventually(async () => (await job.getState()) === 'completed', 'the reminder job done');
    expect((await app.queues.send.zalo.getJob(job.id!))!.returnvalue).toBe('dropped: unreachable');
    expect(fake.textsTo(u.userId)).not.toContain('Nhắc nhở');
    const r = await u.say('1');
    expect(r.join('\n')).toContain('Họ và tên');
  });
});
