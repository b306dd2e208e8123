import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { TelegramAdapter } from '../../../src/channels/telegram/adapter.js';
import { SendError } from '../../../src/channels/shared/errors.js';
import { FakeTelegram } from '../../support/fake-telegram.js';
import { captureLog } from '../../support/log-capture.js';

let fake: FakeTelegram;
let adapter: TelegramAdapter;
const content = mkdtempSync(join(tmpdir(), 'cds-content-'));

/** A sending-only adapter (no polling) against the Bot API at `apiRoot`, with keys for texts. */
function adapterAt(apiRoot: string, logger = pino({ level: 'silent' })): TelegramAdapter {
  return new TelegramAdapter({
    token: fake.token,
    apiRoot,
    mode: 'polling',
    receive: false,
    contentDir: content,
    i18n: { t: (_l, key) => key },
    defaultLocale: 'vi',
    logger,
    onBlocked: async () => undefined,
  });
}

beforeAll(async () => {
  fake = await new FakeTelegram().listen();
  mkdirSync(join(content, 'img'));
  writeFileSync(join(content, 'img', 'map.png'), Buffer.from('89504e470d0a1a0a', 'hex'));
  adapter = adapterAt(fake.url);
});
afterAll(() => fake.close());

describe('sending through the Telegram adapter', () => {
  it('should send a long message as several HTML messages in order', async () => {
    const paragraph = (n: number) => `Đoạn ${n}: ${'chuyển đổi số '.repeat(142).trim()}`;
    const text = [1, 2, 3].map(paragraph).join('\n\n');
    await adapter.send('101', [{ text, choices: [{ label: 'Tiếp', value: 'next' }] }]);
    const sent = fake.sentTo(101);
    expect(sent.map((m) => m.text)).toEqual([`${paragraph(1)}\n\n${paragraph(2)}`, paragraph(3)]);
    expect(sent.every((m) => m.body.parse_mode === 'HTML')).toBe(true);
    expect(sent.map((m) => Boolean(m.body.reply_markup))).toEqual([false, true]);
  });

  it('should upload an image from the content folder and pass an https image by URL', async () => {
    await adapter.send('102', [{ text: '**Bản đồ**', image: 'img/map.png' }, { text: 'Ảnh', image: 'https://example.vn/a.png' }]);
    const [local, remote] = fake.sentTo(102);
    expect(local).toMatchObject({ method: 'sendPhoto', text: '<b>Bản đồ</b>', body: { photo: { file: 'map.png' } } });
    expect(remote).toMatchObject({ method: 'sendPhoto', body: { photo: 'https://example.vn/a.png', caption: 'Ảnh' } });
  });

  it('should refuse an image path that leaves the content folder', async () => {
    await expect(adapter.send('103', [{ text: 'x', image: '../../etc/passwd' }])).rejects.toMatchObject({ kind: 'rejected' });
    expect(fake.sentTo(103)).toHaveLength(0);
  });

  it('should throw the shared SendError kinds for 403, 429 and 400', async () => {
    fake.block(104);
    await expect(adapter.send('104', [{ text: 'x' }])).rejects.toMatchObject({ kind: 'blocked' });
    fake.fail('sendMessage', { error_code: 429, description: 'Too Many Requests: retry after 3', parameters: { retry_after: 3 } });
    await expect(adapter.send('105', [{ text: 'x' }])).rejects.toMatchObject({ kind: 'rate_limited', retryAfterMs: 3000 });
    fake.fail('sendMessage', { error_code: 400, description: "Bad Request: can't parse entities" });
    const err = await adapter.send('105', [{ text: 'x' }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SendError);
    expect(err).toMatchObject({ kind: 'rejected' });
  });

  it('should never put the token in an error message', async () => {
    fake.fail('sendMessage', { error_code: 400, description: 'Bad Request: chat not found' });
    const err = (await adapter.send('106', [{ text: 'x' }]).catch((e: unknown) => e)) as Error;
    expect(err.message).not.toContain(fake.token);
    expect(err.message).not.toContain('fake-token');
  });

  it('should retry a refused token (401) and log an error naming TELEGRAM_BOT_TOKEN, never the token', async () => {
    const log = captureLog();
    const own = adapterAt(fake.url, log.logger);
    fake.fail('sendMessage', { error_code: 401, description: 'Unauthorized' });
    const err = await own.send('108', [{ text: 'x' }]).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'network', configVariable: 'TELEGRAM_BOT_TOKEN' });
    const errors = log.lines().filter((l) => l.level === 50);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.msg).toContain('TELEGRAM_BOT_TOKEN');
    expect(log.text()).not.toContain('fake-token');
  });

  it('should report a failed connection as network without the token', async () => {
    const offline = adapterAt('http://127.0.0.1:1');
    const err = (await offline.send('107', [{ text: 'x' }]).catch((e: unknown) => e)) as SendError;
    expect(err.kind).toBe('network');
    expect(err.message).not.toContain('fake-token');
  });
});
