import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { application } from '../../support/env.js';
import { FakeTelegram } from '../../support/fake-telegram.js';
import { FakeZalo } from '../../support/fake-zalo.js';
import { TelegramUser } from '../../support/telegram.js';
import { freePort, ZaloUser } from '../../support/zalo-chat.js';
import { ZaloAdapter } from '../../../src/channels/zalo/adapter.js';
import { ZaloBotClient } from '../../../src/channels/zalo/client.js';
import { ContentCatalog } from '../../../src/content/catalog.js';
import { MongoCohortStore } from '../../../src/storage/stores.js';
import { findImport, importRoster, importRows } from '../../../src/admin/roster/import.js';
import { csv, principal } from './rig.js';

let telegram: FakeTelegram;
let zalo: FakeZalo;
let app: Awaited<ReturnType<typeof application>>;
const codes: Record<string, string> = {};

beforeAll(async () => {
  telegram = await new FakeTelegram().listen();
  zalo = new FakeZalo();
  await zalo.start();
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const adapter = new ZaloAdapter({
    client: new ZaloBotClient(zalo.token, { baseApiUrl: zalo.url }),
    mode: 'webhook',
    publicBaseUrl: base,
    webhookSecret: 'roster-zalo-secret',
    logger: pino({ level: 'silent' }),
  });
  app = await application(
    [adapter],
    {
      TELEGRAM_BOT_TOKEN: telegram.token,
      TELEGRAM_API_ROOT: telegram.url,
      TELEGRAM_MODE: 'webhook',
      TELEGRAM_WEBHOOK_SECRET: 'roster_tg_secret',
      ZALO_BOT_TOKEN: zalo.token,
      ZALO_MODE: 'webhook',
      ZALO_WEBHOOK_SECRET: 'roster-zalo-secret',
      ZALO_API_BASE: zalo.url,
      HTTP_PORT: String(port),
      PUBLIC_BASE_URL: base,
    },
    { listen: true },
  );
  const report = await importRoster(
    { conn: app.db.conn, cohorts: new MongoCohortStore(app.db.models), catalog: new ContentCatalog(app.content), i18n: app.i18n, clock: { now: () => new Date() } },
    {
      bytes: csv(['Họ tên;Chức vụ;Tỉnh;Xã', 'Nguyễn Văn An;Chủ tịch UBND xã;Nghệ An;Nghi Lộc', 'Hồ Thị Yến;Phó Chủ tịch UBND xã;Quảng Trị;Xã Gio Linh']),
      cohortId: 'demo',
      principal: principal('province:Nghệ An'),
      from: 'cli',
    },
  );
  expect(report.imported).toBe(1);
  const again = await importRoster(
    { conn: app.db.conn, cohorts: new MongoCohortStore(app.db.models), catalog: new ContentCatalog(app.content), i18n: app.i18n, clock: { now: () => new Date() } },
    { bytes: csv(['Họ tên;Chức vụ;Tỉnh;Xã', 'Hồ Thị Yến;Phó Chủ tịch UBND xã;Quảng Trị;Xã Gio Linh']), cohortId: 'demo', principal: principal('ministry'), from: 'cli' },
  );
  for (const id of [report.importId, again.importId]) {
    for await (const r of importRows(app.db.conn, (await findImport(app.db.conn, id))!)) if (r.code) codes[r.fullName!] = r.code;
  }
}, 40_000);
afterAll(async () => {
  await app?.dispose();
  await telegram?.close();
  await zalo?.stop();
});

describe('an invitation on the real channels', () => {
  it('should confirm the pre-filled profile after the Telegram deep link /start CODE, with buttons', async () => {
    const user = new TelegramUser(telegram, app);
    const replies = await user.say(`/start ${codes['Nguyễn Văn An']}`);
    expect(replies.map((m) => m.text).join('\n')).toContain('Bạn là Nguyễn Văn An, Chủ tịch UBND xã Nghi Lộc, Nghệ An?');
    expect(user.buttons().map((b) => [b.text, b.callback_data])).toEqual([
      ['Đúng', 'invite:yes'],
      ['Sửa thông tin', 'invite:edit'],
    ]);
    await user.press('invite:yes');
    expect(user.buttons().map((b) => b.callback_data)).toEqual(['consent:yes', 'consent:no']);
    const learner = await app.learners.findByConversation(`telegram:${user.chatId}`);
    expect(learner).toMatchObject({ cohortId: 'demo', profile: { fullName: 'Nguyễn Văn An', province: 'Nghệ An', commune: 'Nghi Lộc', role: 'chair' } });
  });

  it('should confirm the pre-filled profile when the code is the first Zalo message, answered by number', async () => {
    const user = new ZaloUser(zalo, app, `roster${Date.now().toString(16)}`, 'webhook');
    const texts = await user.say(codes['Hồ Thị Yến']!);
    const last = texts.at(-1)!;
    expect(last).toContain('Bạn là Hồ Thị Yến, Phó Chủ tịch UBND xã Gio Linh, Quảng Trị?');
    expect(last).toMatch(/\n\s*1\. Đúng\n\s*2\. Sửa thông tin/);
    const next = await user.say('1');
    expect(next.join('\n')).toContain('đồng ý');
  });
});
