import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { application, eventually, shipped } from './support/env.js';
import { FakeTelegram } from './support/fake-telegram.js';
import { TelegramUser, settled } from './support/telegram.js';
import { fullJourney } from './support/telegram-journey.js';
import type { App } from '../src/app.js';

let fake: FakeTelegram;
let app: App & { dispose(): Promise<void> };

beforeAll(async () => {
  fake = await new FakeTelegram().listen();
  app = await application([], { TELEGRAM_BOT_TOKEN: fake.token, TELEGRAM_API_ROOT: fake.url, TELEGRAM_MODE: 'polling' });
});
afterAll(async () => {
  await app?.dispose();
  await fake?.close();
});

describe('the Telegram channel over long polling', () => {
  it('should take a learner through onboarding, every lesson, progress and the final test', async () => {
    const user = new TelegramUser(fake, app);
    await fullJourney(app, user, shipped().courses.get('cds-xa')!);
    const presses = fake.callsOf('answerCallbackQuery').length;
    expect(presses).toBeGreaterThan(10);
  });
});
