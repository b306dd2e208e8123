import { describe, expect, it } from 'vitest';
import { classifyUpdate } from '../../../src/channels/telegram/updates.js';
import { INGRESS_LIMITS } from '../../../src/channels/shared/ingress.js';

const now = new Date('2026-05-06T01:00:00Z');
const seconds = Math.floor(now.getTime() / 1000);

function text(body: string, extra: { date?: unknown; from?: Record<string, unknown> } = {}) {
  return {
    update_id: 7,
    message: { message_id: 1, date: 'date' in extra ? extra.date : seconds, chat: { id: 42, type: 'private' }, from: { id: 42, is_bot: false, first_name: 'Hoa', ...extra.from }, text: body },
  };
}

describe('reading Telegram updates at the edge', () => {
  it('should take the message date, and the receiving time when there is none', () => {
    expect(classifyUpdate(text('hi'), now)).toMatchObject({ type: 'event', event: { at: new Date(seconds * 1000) } });
    const undated = text('hi');
    delete (undated.message as { date?: unknown }).date;
    expect(classifyUpdate(undated, now)).toMatchObject({ type: 'event', event: { at: now } });
  });

  it('should drop a message whose date is out of range instead of failing on it', () => {
    for (const date of [1e20, -1, 0, -1e15, 253402300800, seconds + 3 * 86_400]) {
      const action = classifyUpdate(text('hi', { date }), now);
      expect(action, String(date)).toMatchObject({ type: 'invalid', updateId: '7' });
    }
  });

  it('should clip text to 4,096 characters, names to 100 and the language code', () => {
    const long = classifyUpdate(text('a'.repeat(1024 * 1024), { from: { first_name: 'N'.repeat(200_000), last_name: 'L'.repeat(200_000), language_code: 'vi'.repeat(1000) } }), now);
    expect(long.type).toBe('event');
    if (long.type !== 'event') return;
    expect(long.event.text).toHaveLength(INGRESS_LIMITS.textChars);
    expect(long.event.sender!.displayName!.length).toBeLessThanOrEqual(INGRESS_LIMITS.nameChars);
    expect(long.event.sender!.languageCode!.length).toBeLessThanOrEqual(INGRESS_LIMITS.languageCodeChars);
  });

  it('should clip button data to 64 bytes', () => {
    const press = {
      update_id: 8,
      callback_query: { id: '99', from: { id: 42, first_name: 'Hoa' }, message: { message_id: 1, chat: { id: 42, type: 'private' } }, data: 'đ'.repeat(10_000) },
    };
    const action = classifyUpdate(press, now);
    expect(action).toMatchObject({ type: 'event', event: { kind: 'choice' } });
    if (action.type === 'event') expect(Buffer.byteLength(action.event.text)).toBeLessThanOrEqual(64);
  });

  it('should ignore ids beyond what JavaScript counts exactly', () => {
    expect(classifyUpdate({ update_id: 1e20, message: text('x').message }, now).type).toBe('ignore');
    expect(classifyUpdate({ update_id: 1, message: { ...text('x').message, chat: { id: 2 ** 60, type: 'private' } } }, now).type).toBe('ignore');
  });
});

describe('a Telegram update with an impossible date', () => {
  it('should be dropped with a log line, not queued and not thrown', async () => {
    const { TelegramAdapter } = await import('../../../src/channels/telegram/adapter.js');
    const { captureLog } = await import('../../support/log-capture.js');
    const log = captureLog();
    const adapter = new TelegramAdapter({
      token: '1:x',
      apiRoot: 'http://127.0.0.1:1',
      mode: 'polling',
      receive: false,
      contentDir: '.',
      i18n: { t: (_l, key) => key },
      defaultLocale: 'vi',
      logger: log.logger,
      onBlocked: async () => undefined,
    });
    const queued: unknown[] = [];
    await adapter.start(async (e) => void queued.push(e));
    await adapter.receive(text('hi', { date: 1e20 }));
    expect(queued).toHaveLength(0);
    expect(log.lines().filter((l) => l.level === 40 && l.msg === 'telegram update dropped')).toHaveLength(1);
    await adapter.receive(text('hi'));
    expect(queued).toHaveLength(1);
  });
});
