import { describe, expect, it } from 'vitest';
import { loadConfig, ConfigError } from '../src/config.js';

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
