/**
 * Broadcasts end to end: the whole application (Telegram and Zalo against their fake Bot APIs) on a
 * moved clock, learners written straight into the database, broadcasts created through the
 * service every admin surface uses, and what reached each chat counted at the fakes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DateTime } from 'luxon';
import { application, eventually, TestClock } from '../support/env.js';
import { FakeTelegram } from '../support/fake-telegram.js';
import { FakeZalo, zaloText } from '../support/fake-zalo.js';
import { TelegramUser } from '../support/telegram.js';
import type { AdminPrincipal } from '../../src/admin/scope.js';
import type { BroadcastInput, BroadcastView } from '../../src/broadcasts/service.js';
import { seed, type Seeded } from './population.js';
import { loadConfig } from '../../src/config.js';

const TZ = 'Asia/Ho_Chi_Minh';
const at = (hhmm: string, day = '2026-06-02') => DateTime.fromISO(`${day}T${hhmm}`, { zone: TZ }).toJSDate();
const clock = new TestClock(at('10:00'));
const ministry: AdminPrincipal = { id: 'm', name: 'Bộ', scope: { kind: 'ministry' } };
let tg: FakeTelegram;
let zalo: FakeZalo;
let app: Awaited<ReturnType<typeof application>>;
let chat = 710_000_000 + Math.floor(Math.random() * 1_000_000);
const tgConv = () => `telegram:${chat++}` as const;
let zid = 0;
const zaloConv = () => `zalo:bz${Date.now().toString(36)}${zid++}` as const;
const address = (c: string) => c.slice(c.indexOf(':') + 1);

beforeAll(async () => {
  tg = await new FakeTelegram().listen();
  zalo = new FakeZalo(undefined, 1_000);
  await zalo.start();
  app = await application(
    [],
    { TELEGRAM_BOT_TOKEN: tg.token, TELEGRAM_API_ROOT: tg.url, ZALO_BOT_TOKEN: zalo.token, ZALO_API_BASE: zalo.url, ZALO_UNPROMPTED_PER_DAY: '1', SCHEDULER_SWEEP_SECONDS: '86400', TELEGRAM_RATE_PER_SEC: '1000', ZALO_RATE_PER_SEC: '1000' },
    { clock },
  );
}, 60_000);
afterAll(async () => {
  await app?.dispose();
  await tg?.close();
  await zalo?.stop();
});

const texts = (conv: string) => (conv.startsWith('telegram:') ? tg.sentTo(address(conv)).map((m) => m.text) : zalo.textsTo(address(conv)));

async function send(input: Partial<BroadcastInput> & { text?: BroadcastInput['text'] }, who = ministry): Promise<BroadcastView> {
  return app.broadcasts.service.create(who, { text: { vi: 'Thông báo' }, segment: {}, ...input }, 'test');
}

async function until(id: string, check: (v: BroadcastView) => boolean, what: string): Promise<BroadcastView> {
  let v!: BroadcastView;
  await eventually(async () => {
    v = await app.broadcasts.service.show(ministry, id);
    return check(v);
  }, what);
  return v;
}

/** Each test sends to its own province, so the learners of other tests are never in its segment. */
let provinceN = 0;
const province = () => `Tỉnh thử ${++provinceN}`;

describe('a broadcast', () => {
  it('should reach every learner of the segment exactly once, a learner on both apps on their preferred one', async () => {
    const p = province();
    const people = await seed(
      app.db.conn,
      [
        ...Array.from({ length: 12 }, () => ({ conversations: [tgConv()], province: p })),
        ...Array.from({ length: 6 }, () => ({ conversations: [zaloConv()], province: p })),
        { conversations: [tgConv(), zaloConv()], province: p },
        { conversations: [zaloConv(), tgConv()], province: p },
        { conversations: [tgConv()], province: 'Hà Tĩnh' },
      ],
      clock.now(),
    );
    const text = `Hạn chót làm bài kiểm tra là 23:59 ngày 22/5 (${p}).`;
    const b = await send({ text: { vi: text }, segment: { province: p } });
    const done = await until(b.id, (v) => v.state === 'done', 'the broadcast done');
    for (const l of people.slice(0, 20)) {
      const all = l.conversations.flatMap((c) => texts(c).filter((t) => t === text));
      expect(all).toHaveLength(1);
      expect(texts(l.conversations[0]!)).toContain(text);
    }
    expect(texts(people[20]!.conversations[0]!)).not.toContain(text);
    expect(done.counts).toMatchObject({ targeted: 20, sent: 20, queued: 0, held: 0, blocked: 0, failed: 0 });
    expect(done.byProvince[p]).toMatchObject({ targeted: 20, sent: 20 });
  });

  it('should wait for the end of quiet hours, unless they are switched off', async () => {
    const p = province();
    const [l] = await seed(app.db.conn, [{ conversations: [tgConv()], province: p }], clock.now());
    clock.current = at('22:30');
    try {
      const b = await send({ text: { vi: 'Tin ban đêm' }, segment: { province: p } });
      await new Promise((r) => setTimeout(r, 1_000));
      expect(texts(l!.conversations[0]!)).not.toContain('Tin ban đêm');
      const night = await send({ text: { vi: 'Tin khẩn ban đêm' }, segment: { province: p }, quietHours: false });
      await until(night.id, (v) => v.state === 'done', 'the urgent broadcast done');
      expect(texts(l!.conversations[0]!)).toContain('Tin khẩn ban đêm');
      clock.current = at('07:01', '2026-06-03');
      await app.broadcasts.kick(b.id);
      await until(b.id, (v) => v.state === 'done', 'the broadcast done after quiet hours');
      expect(texts(l!.conversations[0]!).filter((t) => t === 'Tin ban đêm')).toHaveLength(1);
    } finally {
      clock.current = at('10:00', '2026-06-04');
    }
  });

  it('should hold it for a Zalo learner over the unprompted budget, and count it held', async () => {
    const p = province();
    const [l] = await seed(app.db.conn, [{ conversations: [zaloConv()], province: p }], clock.now());
    const preview0 = await app.broadcasts.service.preview(ministry, { province: p });
    expect(preview0).toMatchObject({ targeted: 1, heldByBudget: 0, byChannel: { zalo: 1 } });
    const first = await send({ text: { vi: 'Tin thứ nhất' }, segment: { province: p } });
    await until(first.id, (v) => v.state === 'done', 'the first done');
    expect(await app.broadcasts.service.preview(ministry, { province: p })).toMatchObject({ heldByBudget: 1 });
    const second = await send({ text: { vi: 'Tin thứ hai' }, segment: { province: p } });
    const v = await until(second.id, (x) => x.state === 'done', 'the second done');
    expect(v.counts).toMatchObject({ targeted: 1, held: 1, sent: 0 });
    expect(texts(l!.conversations[0]!)).toEqual(['Tin thứ nhất']);
  });

  it('should send nothing that had not gone when it was cancelled', async () => {
    const p = province();
    const people = await seed(app.db.conn, Array.from({ length: 5 }, () => ({ conversations: [tgConv()], province: p })), clock.now());
    await app.queues.send.telegram.pause();
    let id = '';
    try {
      const b = await send({ text: { vi: 'Tin sẽ bị huỷ' }, segment: { province: p } });
      await eventually(async () => (await app.queues.send.telegram.getJobCounts('prioritized')).prioritized! >= 5, 'the jobs queued');
      await app.broadcasts.service.cancel(ministry, b.id, 'test');
      id = b.id;
    } finally {
      await app.queues.send.telegram.resume();
    }
    await eventually(async () => app.idle(), 'the queue drained');
    for (const l of people) expect(texts(l.conversations[0]!)).not.toContain('Tin sẽ bị huỷ');
    const v = await app.broadcasts.service.show(ministry, id);
    expect(v).toMatchObject({ state: 'cancelled', counts: { targeted: 5, cancelled: 5, sent: 0 } });
  });

  it('should go to the linked Zalo chat when the learner blocked the bot on Telegram', async () => {
    const p = province();
    const [l] = await seed(app.db.conn, [{ conversations: [tgConv(), zaloConv()], province: p }], clock.now());
    tg.block(address(l!.conversations[0]!));
    const b = await send({ text: { vi: 'Tin chuyển kênh' }, segment: { province: p } });
    // The reroute is counted just after its job is queued (queued first: a crash between the two must
    // not lose the message), so the Zalo send may finish the broadcast a moment before that count lands.
    const v = await until(b.id, (x) => x.state === 'done' && x.counts.rerouted === 1, 'the broadcast done, its reroute counted');
    expect(texts(l!.conversations[1]!)).toEqual(['Tin chuyển kênh']);
    expect(v.counts).toMatchObject({ sent: 1, rerouted: 1, blocked: 0 });
  });

  it('should ride out a 429 storm: pausing for retry_after each time, losing and repeating nobody', async () => {
    const p = province();
    const people = await seed(app.db.conn, Array.from({ length: 40 }, () => ({ conversations: [tgConv()], province: p })), clock.now());
    const text = `Thông báo trong cơn 429 (${p}).`;
    // The arrival time of every call at the fake (polled; the fake keeps the calls in order).
    const seen: number[] = [];
    const stamp = setInterval(() => {
      while (seen.length < tg.calls.length) seen.push(performance.now());
    }, 2);
    const from = tg.calls.length;
    const STORM = 8;
    tg.fail('sendMessage', { error_code: 429, description: 'Too Many Requests: retry after 1', parameters: { retry_after: 1 } }, { skip: 5, times: STORM });
    try {
      const b = await send({ text: { vi: text }, segment: { province: p } });
      const v = await until(b.id, (x) => x.state === 'done', 'the broadcast done after the storm');
      expect(v.counts).toMatchObject({ targeted: 40, sent: 40, failed: 0, queued: 0 });
    } finally {
      clearInterval(stamp);
    }
    for (const l of people) expect(texts(l.conversations[0]!).filter((t) => t === text)).toHaveLength(1);
    const calls = tg.calls.slice(from).map((c, i) => ({ ...c, at: seen[from + i]! })).filter((c) => c.method === 'sendMessage');
    const refused = calls.filter((c) => c.refused === 429);
    expect(refused).toHaveLength(STORM);
    // retry_after honoured: after the first 429, at most the jobs already in flight (SEND_CONCURRENCY)
    // reach the API within the next 900 ms; without the pause all 35 left would.
    const t0 = refused[0]!.at;
    const early = calls.filter((c) => c.at > t0 && c.at < t0 + 900 && c.refused === undefined);
    expect(early.length).toBeLessThanOrEqual(loadConfig().SEND_CONCURRENCY);
    expect(calls.at(-1)!.at - t0).toBeGreaterThanOrEqual(1_000);
  });

  it('should wait for its send time on the clock, and never go if cancelled before it', async () => {
    const p = province();
    const [l] = await seed(app.db.conn, [{ conversations: [tgConv()], province: p }], clock.now());
    const conv = l!.conversations[0]!;
    clock.current = at('09:00', '2026-06-10');
    try {
      const later = await send({ text: { vi: 'Tin hẹn giờ' }, segment: { province: p }, at: at('11:00', '2026-06-10') });
      const never = await send({ text: { vi: 'Tin hẹn giờ đã huỷ' }, segment: { province: p }, at: at('11:00', '2026-06-10') });
      expect(later.state).toBe('scheduled');
      clock.current = at('10:59', '2026-06-10');
      await app.broadcasts.kick(later.id);
      await new Promise((r) => setTimeout(r, 1_000));
      expect(texts(conv)).not.toContain('Tin hẹn giờ');
      expect((await app.broadcasts.service.show(ministry, later.id)).state).toBe('scheduled');
      await app.broadcasts.service.cancel(ministry, never.id, 'test');
      clock.current = at('11:00', '2026-06-10');
      await app.broadcasts.kick(later.id);
      await app.broadcasts.kick(never.id);
      const v = await until(later.id, (x) => x.state === 'done', 'the scheduled broadcast done at its time');
      expect(v.counts).toMatchObject({ targeted: 1, sent: 1 });
      expect(texts(conv).filter((t) => t === 'Tin hẹn giờ')).toHaveLength(1);
      await new Promise((r) => setTimeout(r, 500));
      expect(texts(conv)).not.toContain('Tin hẹn giờ đã huỷ');
      expect((await app.broadcasts.service.show(ministry, never.id)).state).toBe('cancelled');
    } finally {
      clock.current = at('10:00', '2026-06-11');
    }
  });
});

describe('an acknowledgement', () => {
  let people: Seeded[];
  let id: string;
  beforeAll(async () => {
    const p = province();
    people = await seed(app.db.conn, [{ conversations: [tgConv()], province: p }, { conversations: [zaloConv()], province: p }, { conversations: [tgConv()], province: p }], clock.now());
    const b = await send({ text: { vi: 'Vui lòng xác nhận đã đọc.' }, segment: { province: p }, ack: true, remindAfter: 'PT24H' });
    id = b.id;
    await until(id, (v) => v.counts.sent === 3, 'all three sent');
  });

  it('should be recorded once from the Telegram button, pressed twice', async () => {
    const chatId = Number(address(people[0]!.conversations[0]!));
    const msg = tg.sentTo(chatId).at(-1)!;
    const markup = msg.body.reply_markup as { inline_keyboard: { text: string; callback_data: string }[][] };
    expect(markup.inline_keyboard.flat()).toEqual([{ text: 'Đã đọc ✅', callback_data: `ack:${id}` }]);
    const user = Object.assign(new TelegramUser(tg, app), { chatId });
    user.fresh();
    expect((await user.press(`ack:${id}`)).map((m) => m.text)).toContain('Cảm ơn bạn, đã ghi nhận bạn đã đọc thông báo.');
    expect((await user.press(`ack:${id}`)).map((m) => m.text)).toContain('Bạn đã xác nhận đọc thông báo này rồi, cảm ơn bạn.');
    expect(await app.broadcasts.store.ackOf(id, people[0]!.id)).not.toBeNull();
  });

  it('should be recorded from a typed 1 on Zalo, leaving the lesson as it was', async () => {
    const uid = address(people[1]!.conversations[0]!);
    expect(zalo.textsTo(uid).at(-1)).toContain('1. Đã đọc ✅');
    const before = await app.db.conn.collection('enrolments').findOne({ _id: `${people[1]!.id}|demo` as never });
    zalo.push(zaloText(uid, '1'));
    await eventually(() => zalo.textsTo(uid).some((t) => t.startsWith('Cảm ơn bạn')), 'the thanks on Zalo');
    const after = await app.db.conn.collection('enrolments').findOne({ _id: `${people[1]!.id}|demo` as never });
    expect(after).toEqual(before);
    const v = await app.broadcasts.service.show(ministry, id);
    expect(v.counts.acknowledged).toBe(2);
  });

  it('should remind those who have not acknowledged, once, after --remind-after', async () => {
    const reminder = 'Nhắc lại: bạn chưa xác nhận đã đọc thông báo dưới đây.\n\nVui lòng xác nhận đã đọc.';
    const [a, z, silent] = people.map((l) => l.conversations[0]!);
    await app.broadcasts.kick(id);
    await new Promise((r) => setTimeout(r, 500));
    expect(texts(silent!)).not.toContain(reminder);
    clock.advance(25 * 3600_000);
    await app.broadcasts.kick(id);
    await eventually(() => texts(silent!).includes(reminder), 'the reminder');
    await app.broadcasts.kick(id);
    await eventually(async () => (await app.broadcasts.service.show(ministry, id)).counts.reminded === 1, 'the reminder counted');
    await new Promise((r) => setTimeout(r, 500));
    expect(texts(silent!).filter((t) => t === reminder)).toHaveLength(1);
    expect(texts(a!)).not.toContain(reminder);
    expect(texts(z!).some((t) => t.startsWith('Nhắc lại'))).toBe(false);
  });
});
