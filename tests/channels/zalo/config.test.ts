import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/config.js';

describe('Zalo configuration', () => {
  it('should budget one unprompted Zalo message per learner and day unless told otherwise', () => {
    expect(loadConfig({}).ZALO_UNPROMPTED_PER_DAY).toBe(1);
    expect(loadConfig({ ZALO_UNPROMPTED_PER_DAY: '0' }).ZALO_UNPROMPTED_PER_DAY).toBe(0);
    expect(loadConfig({ ZALO_UNPROMPTED_PER_DAY: '3' }).ZALO_UNPROMPTED_PER_DAY).toBe(3);
  });

  it('should refuse a budget that is not a whole number of messages, naming the variable', () => {
    for (const bad of ['-1', '1.5', 'many']) {
      expect(() => loadConfig({ ZALO_UNPROMPTED_PER_DAY: bad })).toThrow(ConfigError);
      expect(() => loadConfig({ ZALO_UNPROMPTED_PER_DAY: bad })).toThrow(/ZALO_UNPROMPTED_PER_DAY/);
    }
  });

  it('should require a webhook secret of 8-256 characters in webhook mode', () => {
    expect(() => loadConfig({ ZALO_BOT_TOKEN: '1:x', ZALO_MODE: 'webhook' })).toThrow(/ZALO_WEBHOOK_SECRET/);
    expect(() => loadConfig({ ZALO_BOT_TOKEN: '1:x', ZALO_MODE: 'webhook', ZALO_WEBHOOK_SECRET: 'short' })).toThrow(/ZALO_WEBHOOK_SECRET/);
  });
});
