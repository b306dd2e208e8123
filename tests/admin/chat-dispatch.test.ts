import { resolve } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminChatDispatcher, commandOf } from '../../src/admin/chat-dispatch.js';
import type { AdminChatCommand, AdminChatContext } from '../../src/admin/chat-types.js';
import type { InboundEvent } from '../../src/core/messages.js';
import type { App } from '../../src/app/index.js';
import { createTranslator } from '../../src/i18n/index.js';
import { pino } from 'pino';
import { createApp } from '../../src/app/index.js';
import { daytimeZone, ROOT, testConfig, uniqueName } from '../support/env.js';
import { deleteKeys, dropRun } from '../support/cleanup.js';
import { FakeTelegram } from '../support/fake-telegram.js';
import { TelegramUser } from '../support/telegram.js';
import { AdminAccounts } from '../../src/admin/accounts.js';
import { MongoAuditLog } from '../../src/admin/audit.js';
import { connectDatabase, type Database } from '../../src/storage/mongo.js';
import { seed } from '../broadcasts/population.js';

/** A tiny admin command: `/thu [hoi]` answers, and with `hoi` asks a question whose answer comes back to it. */
function testCommand(seen: AdminChatContext[]): AdminChatCommand {
  return {
    names: ['thu', 'try'],
    async handle(ctx) {
      seen.push(ctx);
      if (ctx.args === 'loi') throw new Error('không có dữ liệu');
      if (ctx.command) return { reply: [{ text: `thu:${ctx.args}:${ctx.principal.scope.kind}` }], open: ctx.args === 'hoi' };
      return { reply: [{ text: `tra loi:${ctx.text}` }] };
    },
  };
}

const config = testConfig();
const prefix = uniqueName('adminchat');
let redis: Redis;
let dispatcher: AdminChatDispatcher;
const seen: AdminChatContext[] = [];
let n = 0;
const event = (conversation: string, text: string): InboundEvent => ({ conversation: conversation as never, channel: conversation.split(':')[0] as never, updateId: `u${++n}`, kind: 'text', text, at: new Date() });

beforeAll(async () => {
  redis = new Redis(config.REDIS_URL);
  dispatcher = new AdminChatDispatcher({
    redis,
    prefix,
    admins: { telegram: ['111'], zalo: ['z9'] },
    commands: [testCommand(seen)],
    i18n: await createTranslator(resolve(ROOT, 'locales'), 'vi'),
    localeOf: async () => 'vi',
    now: () => new Date(),
  });
});
afterAll(async () => {
  await deleteKeys(redis, prefix);
  await redis.quit();
});

describe('the admin chat dispatcher', () => {
  it('should read a command name with its arguments, with or without a bot name', () => {
    expect(commandOf('/thongke@cds_bot  Nghệ An ')).toEqual({ name: 'thongke', args: 'Nghệ An' });
    expect(commandOf('/THU')).toEqual({ name: 'thu', args: '' });
    expect(commandOf('thu')).toBeNull();
  });

  it("should route an admin's command to it with ministry scope, and leave the rest to the tutor", async () => {
    expect(await dispatcher.handle(event('telegram:111', '/thu abc'))).toEqual([{ text: 'thu:abc:ministry' }]);
    expect(seen.at(-1)).toMatchObject({ conversation: 'telegram:111', command: true, args: 'abc', principal: { id: 'chat:telegram:111' } });
    expect(await dispatcher.handle(event('zalo:z9', '/try'))).toEqual([{ text: 'thu::ministry' }]);
    expect(await dispatcher.handle(event('telegram:111', 'xin chào'))).toBeNull();
    expect(await dispatcher.handle(event('telegram:111', '/tiendo'))).toBeNull();
    // Someone else's /thu is the tutor's (an unknown command to them).
    expect(await dispatcher.handle(event('telegram:222', '/thu abc'))).toBeNull();
    expect(await dispatcher.handle(event('zalo:111', '/thu abc'))).toBeNull();
  });

  it('should bring the next message back to an open dialogue until it closes, and let /huy cancel one', async () => {
    await dispatcher.handle(event('telegram:111', '/thu hoi'));
    expect(await redis.ttl(`${prefix}:adminchat:telegram:111`)).toBeGreaterThan(14 * 60);
    expect(await dispatcher.handle(event('telegram:111', 'Nghệ An'))).toEqual([{ text: 'tra loi:Nghệ An' }]);
    expect(seen.at(-1)).toMatchObject({ command: false, args: '' });
    expect(await dispatcher.handle(event('telegram:111', 'Nghệ An'))).toBeNull();
    await dispatcher.handle(event('telegram:111', '/thu hoi'));
    expect((await dispatcher.handle(event('telegram:111', '/huy')))![0]!.text).toBe('Đã huỷ lệnh quản trị.');
    expect(await dispatcher.handle(event('telegram:111', 'Nghệ An'))).toBeNull();
    // With nothing open, /huy is the tutor's.
    expect(await dispatcher.handle(event('telegram:111', '/huy'))).toBeNull();
  });

  it('should answer a failing command with the reason, and answer a redelivered update without running it again', async () => {
    expect((await dispatcher.handle(event('telegram:111', '/thu loi')))![0]!.text).toContain('không có dữ liệu');
    const again = event('telegram:111', '/thu once');
    const count = seen.length;
    const first = await dispatcher.handle(again);
    expect(await dispatcher.handle(again)).toEqual(first);
    expect(seen.length).toBe(count + 1);
  });
});

describe('chats linked to admin accounts', () => {
  const linkConfig = testConfig();
  let db: Database;
  let accounts: AdminAccounts;
  let linked: AdminChatDispatcher;
  let provinceId: string;

  beforeAll(async () => {
    db = await connectDatabase(linkConfig.MONGODB_URL);
    accounts = new AdminAccounts(db.conn, { provinces: ['Nghệ An', 'Hà Tĩnh'] });
    provinceId = (await accounts.add({ name: 'Sở Hà Tĩnh', scope: 'province:Hà Tĩnh' })).account.id;
    await accounts.linkChat(provinceId, 'telegram:333');
    // Listed in ADMIN_TELEGRAM_IDS and linked: the account decides.
    await accounts.linkChat(provinceId, 'telegram:111');
    linked = new AdminChatDispatcher({
      redis,
      prefix: `${prefix}:linked`,
      admins: { telegram: ['111', '444'], zalo: [] },
      directory: accounts,
      linkedRefreshMs: 0,
      commands: [testCommand(seen)],
      i18n: await createTranslator(resolve(ROOT, 'locales'), 'vi'),
      localeOf: async () => 'vi',
      now: () => new Date(),
    });
  });
  afterAll(async () => {
    await db.conn.dropDatabase();
    await db.close();
  });

  it("should run a linked chat's command as its account, with the account's province scope, listed or not", async () => {
    expect(await linked.handle(event('telegram:333', '/thu'))).toEqual([{ text: 'thu::province' }]);
    expect(seen.at(-1)!.principal).toEqual({ id: provinceId, name: 'Sở Hà Tĩnh', scope: { kind: 'province', province: 'Hà Tĩnh' } });
    expect(await linked.handle(event('telegram:111', '/thu'))).toEqual([{ text: 'thu::province' }]);
    // Listed and linked to no account: ministry scope as chat:<conversation>.
    expect(await linked.handle(event('telegram:444', '/thu'))).toEqual([{ text: 'thu::ministry' }]);
    expect(seen.at(-1)!.principal).toMatchObject({ id: 'chat:telegram:444', scope: { kind: 'ministry' } });
    expect(await linked.handle(event('telegram:555', '/thu'))).toBeNull();
  });

  it('should take the rights away at once when the chat is unlinked or its account revoked, even mid-dialogue', async () => {
    await linked.handle(event('telegram:333', '/thu hoi'));
    await accounts.unlinkChat('telegram:333');
    expect(await linked.handle(event('telegram:333', 'Hà Tĩnh'))).toBeNull();
    expect(await linked.handle(event('telegram:333', '/thu'))).toBeNull();
    await accounts.revoke(provinceId);
    // Linked to a revoked account: no admin, though ADMIN_TELEGRAM_IDS lists it.
    expect(await linked.handle(event('telegram:111', '/thu'))).toBeNull();
  });
});

describe('admin chat commands in the running application', () => {
  let fake: FakeTelegram;
  let app: App;
  const appRef = {} as App;
  const appPrefix = uniqueName('adminchatapp');
  const appConfig = testConfig();
  let admin: TelegramUser;
  let learner: TelegramUser;
  let provincial: TelegramUser;
  let provinceAccount: string;
  const appSeen: AdminChatContext[] = [];

  beforeAll(async () => {
    fake = await new FakeTelegram().listen();
    admin = new TelegramUser(fake, appRef);
    learner = new TelegramUser(fake, appRef);
    provincial = new TelegramUser(fake, appRef);
    const cfg = testConfig({ CHAT_GAP_MS: '0', TELEGRAM_BOT_TOKEN: fake.token, TELEGRAM_API_ROOT: fake.url, TELEGRAM_MODE: 'polling', ADMIN_TELEGRAM_IDS: `1, ${admin.chatId}`, MONGODB_URL: appConfig.MONGODB_URL, TIMEZONE: daytimeZone() });
    // As the composition root is given the real commands (/thongke, /thongbao) by the integrator.
    app = await createApp({ config: cfg, role: 'all', root: ROOT, listen: false, queuePrefix: appPrefix, logger: pino({ level: 'silent' }), adminCommands: [testCommand(appSeen)] });
    Object.assign(appRef, app);
    // The operator's `admin add` and `admin link`: a province account whose official writes from Telegram (not listed in ADMIN_TELEGRAM_IDS).
    const accounts = new AdminAccounts(app.db.conn, { provinces: [...app.content.provinces.values()].flat() });
    provinceAccount = (await accounts.add({ name: 'Sở KH&CN Hà Tĩnh', scope: 'province:Hà Tĩnh' })).account.id;
    await accounts.linkChat(provinceAccount, `telegram:${provincial.chatId}`);
    await seed(
      app.db.conn,
      [
        { conversations: ['telegram:880001'], province: 'Nghệ An' },
        { conversations: ['telegram:880002'], province: 'Hà Tĩnh' },
        { conversations: ['telegram:880003'], province: 'Hà Tĩnh', role: 'vice_chair' },
      ],
      new Date(),
    );
  }, 30_000);
  afterAll(async () => {
    await app?.stop().catch(() => undefined);
    await dropRun(appConfig, appPrefix);
    await fake?.close();
  });

  it("should answer an admin's command through the Telegram send queue, and give a learner's the tutor", async () => {
    const mine = await admin.say('/thu hoi');
    expect(mine.map((m) => m.text)).toEqual(['thu:hoi:ministry']);
    expect((await admin.say('Hà Tĩnh')).map((m) => m.text)).toEqual(['tra loi:Hà Tĩnh']);
    // Back to the tutor once the dialogue closed: its greeting, not the command.
    const start = await admin.say('/start');
    expect(start[0]!.text).not.toMatch(/^thu:|^tra loi:/);
    const theirs = await learner.say('/thu abc');
    expect(theirs.map((m) => m.text).join('\n')).not.toContain('thu:abc');
    expect(appSeen).toHaveLength(2);
    expect((await app.queues.send.telegram.getJobCounts('completed')).completed).toBeGreaterThanOrEqual(3);
  });

  it("should keep a linked province admin's /thongbao to their province: preview, choices, the send and the audit", async () => {
    const menu = await provincial.say('/thongbao Họp giao ban tỉnh lúc 14:00');
    expect(menu[0]!.text).toContain('Số người nhận: 2');
    expect(menu[0]!.text).toContain('Nhóm nhận: Hà Tĩnh');
    const labels = JSON.stringify(menu[1]!.body.reply_markup);
    expect(labels).not.toContain('Chọn tỉnh/thành');
    expect(labels).toContain('Chọn vai trò');
    const sent = await provincial.say('1');
    expect(sent[0]!.text).toMatch(/^Đã tạo thông báo \w+\. Đang gửi tới 2 người\.$/);
    const id = /thông báo (\w+)\./.exec(sent[0]!.text)![1]!;
    for (let i = 0; i < 200 && fake.sentTo(880003).length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 500));
    expect(fake.sentTo(880002).map((m) => m.text)).toEqual([expect.stringContaining('Họp giao ban tỉnh lúc 14:00')]);
    expect(fake.sentTo(880003)).toHaveLength(1);
    expect(fake.sentTo(880001)).toHaveLength(0);
    const broadcast = await app.broadcasts.store.get(id);
    expect(broadcast).toMatchObject({ segment: { province: 'Hà Tĩnh' }, createdBy: { id: provinceAccount, name: 'Sở KH&CN Hà Tĩnh' } });
    const { entries } = await new MongoAuditLog(app.db.conn).list({ limit: 20 });
    expect(entries.find((e) => e.action === 'broadcast.create' && e.target === id)).toMatchObject({ actor: { id: provinceAccount, name: 'Sở KH&CN Hà Tĩnh' }, from: `chat:telegram:${provincial.chatId}` });
  }, 60_000);
});
