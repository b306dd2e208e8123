import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { application, eventually, TestClock } from '../support/env.js';
import { FakeZalo } from '../support/fake-zalo.js';
import { ZaloUser } from '../support/zalo-chat.js';
import { ZaloAdapter } from '../../src/channels/zalo/adapter.js';
import { ZaloBotClient } from '../../src/channels/zalo/client.js';
import { ConsoleAdapter } from '../../src/channels/console/adapter.js';
import type { SendJob } from '../../src/scheduler/jobs.js';
import { composedPush } from '../support/jobs.js';
import type { PushKind } from '../../src/core/schedule.js';

let fake: FakeZalo;
let app: Awaited<ReturnType<typeof application>>;
const clock = new TestClock(new Date());
const consoleIn = new PassThrough();
const consoleOut = new PassThrough();
let printed = '';
consoleOut.on('data', (c: Buffer) => (printed += c.toString('utf8')));

beforeAll(async () => {
  fake = new FakeZalo(undefined, 1_000);
  await fake.start();
  const zalo = new ZaloAdapter({
    client: new ZaloBotClient(fake.token, { baseApiUrl: fake.url }),
    mode: 'polling',
    publicBaseUrl: 'https://bot.example.vn',
    logger: pino({ level: 'silent' }),
    pollTimeoutSec: 1,
    rateLimitPauseMs: 60_000,
  });
  const console = new ConsoleAdapter({ input: consoleIn, output: consoleOut, sessionId: 'unprompted' });
  app = await application([zalo, console], { ZALO_BOT_TOKEN: fake.token, ZALO_API_BASE: fake.url, ZALO_UNPROMPTED_PER_DAY: '1' }, { clock });
}, 30_000);
afterAll(async () => {
  await app.dispose();
  await fake.stop();
});

/** Queues an unprompted message as the scheduler would, and resolves what the send worker made of it. */
async function push(conversation: SendJob['conversation'], text: string, reason: PushKind = 'lesson'): Promise<string> {
  const job = await app.queues.send.zalo.add('push', composedPush(conversation, text, reason));
  await eventually(async () => (await job.getState()) === 'completed', `the ${reason} job`);
  return (await app.queues.send.zalo.getJob(job.id!))!.returnvalue as string;
}

describe('the unprompted-message budget on Zalo', () => {
  it('should send the first unprompted message of the day, hold the next, and count it', async () => {
    const u = new ZaloUser(fake, app, 'budget0001', 'polling');
    await u.say('Xin chào');
    expect(await push(u.conversation, 'Bài học hôm nay đã sẵn sàng.')).toBe('sent');
    expect(await push(u.conversation, 'Còn 3 ngày nữa khóa học kết thúc.', 'reminder')).toBe('over budget: held');
    expect(fake.textsTo(u.userId)).not.toContain('Còn 3 ngày nữa khóa học kết thúc.');
    expect(await app.unprompted.countHeld(u.conversation)).toBe(1);
    expect(await app.metrics.registry.metrics()).toContain('cds_messages_held_total{channel="zalo",reason="reminder"} 1');
  });

  it('should deliver held messages in front of the next reply, then forget them', async () => {
    const u = new ZaloUser(fake, app, 'budget0001', 'polling');
    const r = await u.say('1');
    expect(r[0]).toBe('Còn 3 ngày nữa khóa học kết thúc.');
    expect(r.join('\n')).toContain('Họ và tên');
    expect(await app.unprompted.countHeld(u.conversation)).toBe(0);
    // Replies are never counted against the budget.
    expect((await u.say('Trần Thị Lan')).join('\n')).toContain('Chức vụ của bạn');
  });

  it('should start a fresh budget the next day', async () => {
    const u = new ZaloUser(fake, app, 'budget0001', 'polling');
    expect(await push(u.conversation, 'Một bài nữa hôm nay.')).toBe('over budget: held');
    clock.advance(24 * 3600 * 1000);
    expect(await push(u.conversation, 'Bài học ngày mai.')).toBe('sent');
    expect(fake.textsTo(u.userId).at(-1)).toBe('Bài học ngày mai.');
  });

  it('should give only the newest few held messages with a reply, dropping the stale ones', async () => {
    const u = new ZaloUser(fake, app, 'budget0001', 'polling');
    for (const n of [1, 2, 3]) expect(await push(u.conversation, `Tin giữ lại số ${n}.`)).toBe('over budget: held');
    expect(await app.unprompted.countHeld(u.conversation)).toBe(4);
    const r = await u.say('1');
    expect(r.slice(0, 3)).toEqual(['Tin giữ lại số 1.', 'Tin giữ lại số 2.', 'Tin giữ lại số 3.']);
    expect(r.join('\n')).not.toContain('Một bài nữa hôm nay.');
    expect(await app.unprompted.countHeld(u.conversation)).toBe(0);
  });

  it('should hold an unprompted message that Zalo refuses with 429, without pausing the replies', async () => {
    const u = new ZaloUser(fake, app, 'quota00001', 'polling');
    await u.say('Xin chào');
    fake.failNext('sendMessage', { error_code: 429, description: 'Quota exceeded' });
    expect(await push(u.conversation, 'Tin nhắn chủ động.', 'nudge')).toBe('refused: held');
    expect(await app.unprompted.countHeld(u.conversation)).toBe(1);
    // The queue was not paused for the 60 s a reply 429 would cost: the next reply goes out at once.
    const r = await u.say('1');
    expect(r[0]).toBe('Tin nhắn chủ động.');
  });

  it('should send it on the learner\'s linked channel instead when there is one', async () => {
    consoleIn.write('/start\n');
    await eventually(() => printed.includes('Tiếng Việt'), 'the console greeting');
    consoleIn.write('/lienket\n');
    await eventually(() => /\/lienket [A-Z0-9]{6}/.test(printed), 'a link code on the console');
    const code = /\/lienket ([A-Z0-9]{6})/.exec(printed)![1]!;
    const u = new ZaloUser(fake, app, 'linked0001', 'polling');
    expect((await u.say(`/lienket ${code}`)).join('\n')).toContain('Đã liên kết');

    expect(await push(u.conversation, 'Bài học hôm nay.')).toBe('sent');
    expect(await push(u.conversation, 'Nhắc nhở: còn 1 ngày.', 'reminder')).toBe('over budget: rerouted');
    await eventually(() => printed.includes('Nhắc nhở: còn 1 ngày.'), 'the reminder on the console');
    expect(fake.textsTo(u.userId)).not.toContain('Nhắc nhở: còn 1 ngày.');
    expect(await app.unprompted.countHeld(u.conversation)).toBe(0);
    expect(await app.metrics.registry.metrics()).toContain('cds_messages_rerouted_total{from="zalo",to="console"} 1');
  });
});
