import { describe, expect, it } from 'vitest';
import { fold, parseCommand, resolveChoice, isNextWord } from '../src/core/parse.js';
import { matchProvince, parseHour } from '../src/core/onboarding.js';
import { durationMs, isIsoDuration } from '../src/core/durations.js';
import { loadConfig, ConfigError } from '../src/config.js';
import { renderPlain, splitText, toPlainText } from '../src/channels/shared/render.js';

const choices = [
  { label: 'Thể chế, chính sách', value: 'ans:q:0' },
  { label: 'Phần cứng máy tính', value: 'ans:q:1' },
  { label: 'Mạng viễn thông', value: 'ans:q:2' },
];

describe('reading what learners type', () => {
  it('should fold Vietnamese diacritics and đ', () => {
    expect(fold('  Tiếp Tục! ')).toBe('tiep tuc');
    expect(fold('Đồng ý')).toBe('dong y');
  });

  it('should read letters, numbers and option words as choices', () => {
    expect(resolveChoice('A', choices)?.value).toBe('ans:q:0');
    expect(resolveChoice('b.', choices)?.value).toBe('ans:q:1');
    expect(resolveChoice('(c)', choices)?.value).toBe('ans:q:2');
    expect(resolveChoice('2', choices)?.value).toBe('ans:q:1');
    expect(resolveChoice('mang vien thong', choices)?.value).toBe('ans:q:2');
    expect(resolveChoice('d', choices)).toBeUndefined();
    expect(resolveChoice('4', choices)).toBeUndefined();
    expect(resolveChoice('😀', choices)).toBeUndefined();
  });

  it('should read commands in Vietnamese and English, with a bot suffix and a payload', () => {
    expect(parseCommand('/tiendo')?.name).toBe('progress');
    expect(parseCommand('/PROGRESS@cds_bot')?.name).toBe('progress');
    expect(parseCommand('/start INV-1')).toEqual({ name: 'start', raw: 'start', payload: 'INV-1' });
    expect(parseCommand('/khongco')?.name).toBe('unknown');
    expect(parseCommand('hoc')).toBeNull();
    expect(isNextWord('Tiếp tục')).toBe(true);
    expect(isNextWord('tiep tuc')).toBe(true);
  });

  it('should match provinces without diacritics, prefixes or full names', () => {
    const list = ['Hà Nội', 'Hồ Chí Minh', 'Hà Tĩnh', 'Thanh Hóa'];
    expect(matchProvince(list, 'ha noi')).toEqual({ kind: 'one', name: 'Hà Nội' });
    expect(matchProvince(list, 'TP HCM')).toEqual({ kind: 'one', name: 'Hồ Chí Minh' });
    expect(matchProvince(list, 'Tỉnh Thanh Hoá')).toEqual({ kind: 'one', name: 'Thanh Hóa' });
    expect(matchProvince(list, 'ha')).toEqual({ kind: 'many', options: ['Hà Nội', 'Hà Tĩnh'] });
    expect(matchProvince(list, 'Paris')).toEqual({ kind: 'none' });
  });

  it('should read hours typed in several ways', () => {
    expect(parseHour('8')).toBe(8);
    expect(parseHour('20h')).toBe(20);
    expect(parseHour('07:00')).toBe(7);
    expect(parseHour('24')).toBeUndefined();
    expect(parseHour('sáng')).toBeUndefined();
  });

  it('should read ISO-8601 durations of reminders', () => {
    expect(durationMs('P7D')).toBe(7 * 24 * 3600 * 1000);
    expect(durationMs('PT3H')).toBe(3 * 3600 * 1000);
    expect(durationMs('PT30S')).toBe(30_000);
    expect(isIsoDuration('P')).toBe(false);
    expect(isIsoDuration('3 days')).toBe(false);
  });
});

describe('configuration', () => {
  it('should apply the defaults of the specification', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      MONGODB_URL: 'mongodb://127.0.0.1:27017/cds_tutor',
      REDIS_URL: 'redis://127.0.0.1:6379',
      HTTP_PORT: 3000,
      TIMEZONE: 'Asia/Ho_Chi_Minh',
      DEFAULT_LOCALE: 'vi',
      TELEGRAM_MODE: 'polling',
      TELEGRAM_RATE_PER_SEC: 25,
      ZALO_RATE_PER_SEC: 10,
      DEFAULT_COHORT: 'demo',
    });
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('should stop with a message naming each bad variable', () => {
    const bad = () => loadConfig({ HTTP_PORT: 'eighty', DEFAULT_LOCALE: 'fr', TIMEZONE: 'Mars/Olympus', REDIS_URL: 'http://x' });
    expect(bad).toThrow(ConfigError);
    try {
      bad();
    } catch (err) {
      const m = (err as Error).message;
      for (const v of ['HTTP_PORT', 'DEFAULT_LOCALE', 'TIMEZONE', 'REDIS_URL']) expect(m).toContain(v);
    }
  });

  it('should require the webhook secret in webhook mode', () => {
    expect(() => loadConfig({ TELEGRAM_BOT_TOKEN: '1:abc', TELEGRAM_MODE: 'webhook' })).toThrow(/TELEGRAM_WEBHOOK_SECRET/);
  });
});

describe('plain rendering for text channels', () => {
  it('should turn the lesson markup into plain text', () => {
    expect(toPlainText('**Đậm** và _nghiêng_ [nguồn](https://a.vn/x)')).toBe('Đậm và nghiêng nguồn (https://a.vn/x)');
  });

  it('should letter answers and number other choices', () => {
    expect(renderPlain({ text: 'Q', choices, lettered: true, hint: 'h' })).toContain('  B. Phần cứng máy tính');
    expect(renderPlain({ text: 'Q', choices, lettered: true, hint: 'h' }).endsWith('\nh')).toBe(true);
    expect(renderPlain({ text: 'Q', choices: [{ label: 'Tiếp tục', value: 'next' }] })).toContain('  1. Tiếp tục');
  });

  it('should split long text at paragraph boundaries under the limit', () => {
    const text = Array.from({ length: 10 }, (_, i) => `Đoạn ${i} ${'x'.repeat(300)}`).join('\n\n');
    const parts = splitText(text, 2000);
    expect(parts.length).toBeGreaterThan(1);
    expect(parts.every((p) => p.length <= 2000)).toBe(true);
    expect(parts.every((p) => p.startsWith('Đoạn'))).toBe(true);
    expect(parts.join('\n\n')).toBe(text);
  });
});
