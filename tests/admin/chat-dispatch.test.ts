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
import { ROOT, testConfig, uniqueName } from '../support/env.js';
import { deleteKeys, dropRun } from '../support/cleanup.js';
import { FakeTelegram } from '../support/fake-telegram.js';
import { TelegramUser } from '../support/telegram.js';

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

describe('admin chat commands in the running application', () => {
  let fake: FakeTelegram;
  let app: App;
  const appRef = {} as App;
  const appPrefix = uniqueName('adminchatapp');
  const appConfig = testConfig();
  let admin: TelegramUser;
  let learner: TelegramUser;
  const appSeen: AdminChatContext[] = [];

  beforeAll(async () => {
    fake = await new FakeTelegram().listen();
    admin = new TelegramUser(fake, appRef);
    learner = new TelegramUser(fake, appRef);
    const cfg = testConfig({ CHAT_GAP_MS: '0', TELEGRAM_BOT_TOKEN: fake.token, TELEGRAM_API_ROOT: fake.url, TELEGRAM_MODE: 'polling', ADMIN_TELEGRAM_IDS: `1, ${admin.chatId}`, MONGODB_URL: appConfig.MONGODB_URL });
    // As the composition root is given the real commands (/thongke, /thongbao) by the integrator.
    app = await createApp({ config: cfg, role: 'all', root: ROOT, listen: false, queuePrefix: appPrefix, logger: pino({ level: 'silent' }), adminCommands: [testCommand(appSeen)] });
    Object.assign(appRef, app);
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
});
