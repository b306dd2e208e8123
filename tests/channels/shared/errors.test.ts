import { TelegramError } from 'telegraf';
import { describe, expect, it } from 'vitest';
import { toSendError as fromTelegram } from '../../../src/channels/telegram/errors.js';
import { toSendError as fromZalo } from '../../../src/channels/zalo/errors.js';
import { ZaloApiError, ZaloNetworkError } from '../../../src/channels/zalo/client.js';
import { SendError } from '../../../src/channels/shared/errors.js';

const telegram = (code: number) => fromTelegram(new TelegramError({ error_code: code, description: `status ${code}` }, { method: 'sendMessage', payload: {} }));
const zalo = (code: number) => fromZalo(new ZaloApiError('sendMessage', code, `status ${code}`, code));

describe('the platform errors of both channels', () => {
  it('should map the same answers to the same kinds on Telegram and Zalo', () => {
    const expected: [number, SendError['kind']][] = [
      [400, 'rejected'],
      [401, 'network'],
      [403, 'blocked'],
      [404, 'rejected'],
      [429, 'rate_limited'],
      [500, 'network'],
      [502, 'network'],
    ];
    for (const [code, kind] of expected) {
      expect(telegram(code).kind, `telegram ${code}`).toBe(kind);
      expect(zalo(code).kind, `zalo ${code}`).toBe(kind);
    }
  });

  it('should name the variable to fix when the platform refuses the token', () => {
    expect(telegram(401)).toMatchObject({ kind: 'network', configVariable: 'TELEGRAM_BOT_TOKEN' });
    expect(telegram(401).message).toContain('TELEGRAM_BOT_TOKEN');
    expect(zalo(401)).toMatchObject({ kind: 'network', configVariable: 'ZALO_BOT_TOKEN' });
    expect(zalo(401).message).toContain('ZALO_BOT_TOKEN');
    expect(telegram(400).configVariable).toBeUndefined();
  });

  it('should retry what it does not know, on both channels', () => {
    for (const odd of [new TypeError('x is undefined'), 'a string', undefined, { weird: true }]) {
      expect(fromTelegram(odd)).toBeInstanceOf(SendError);
      expect(fromTelegram(odd).kind).toBe('network');
      expect(fromZalo(odd)).toBeInstanceOf(SendError);
      expect(fromZalo(odd).kind).toBe('network');
    }
    expect(fromZalo(new ZaloNetworkError('sendMessage', 'ECONNRESET', false, false)).kind).toBe('network');
    expect(fromZalo(new ZaloApiError('getUpdates', 408, 'Request timeout', 200)).kind).toBe('network');
  });

  it('should keep a token out of the message', () => {
    const token = '123456:AAbbCCddEEffGGhhIIjjKKllMMnn';
    const e = fromTelegram(new Error(`request to https://api.telegram.org/bot${token}/sendMessage failed`), token);
    expect(e.message).not.toContain(token);
  });
});
