/**
 * Property-based fuzzing of POST /webhooks/telegram through the whole web role: whatever the
 * body, the answer is 200, 400, 401 or 413 (never a 5xx, so Telegram never redelivers a poison
 * update forever), and whatever was queued is a well-formed inbound event.
 */
import fc from 'fast-check';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app/index.js';
import { jobId } from '../../src/scheduler/jobs.js';
import { dropRun } from '../support/cleanup.js';
import { ROOT, testConfig, uniqueName } from '../support/env.js';
import { FakeTelegram } from '../support/fake-telegram.js';
import { ALLOWED, anyBody, expectWellFormed, field, wildNumber, wildString } from './fuzz-support.js';

const SECRET = 'fuzz_Secret-123';
const config = testConfig({ TELEGRAM_MODE: 'webhook', TELEGRAM_WEBHOOK_SECRET: SECRET, HTTP_PORT: '0', CHAT_GAP_MS: '0' });
const prefix = uniqueName('cdsfuzz');
let fake: FakeTelegram;
let app: App;
const statuses = new Map<number, number>();
let queued = 0;

beforeAll(async () => {
  fake = await new FakeTelegram().listen();
  const cfg = { ...config, TELEGRAM_BOT_TOKEN: fake.token, TELEGRAM_API_ROOT: fake.url };
  // The web role only: updates are queued, not handled, so thousands of cases stay fast.
  app = await createApp({ config: cfg, role: 'web', root: ROOT, listen: true, queuePrefix: prefix, logger: pino({ level: 'silent' }) });
});
afterAll(async () => {
  await app?.stop();
  await fake?.close();
  await dropRun(config, prefix);
  console.log(`telegram webhook fuzz: ${[...statuses].map(([s, n]) => `${s}×${n}`).join(', ')}; ${queued} events checked in the queue`);
});

const now = () => Math.floor(Date.now() / 1000);
const date = field(fc.oneof({ weight: 4, arbitrary: fc.integer({ min: now() - 86_400 * 400, max: now() }) }, { weight: 1, arbitrary: wildNumber }, { weight: 1, arbitrary: fc.integer({ min: -(2 ** 40), max: 0 }) }));
const user = fc.record(
  { id: field(fc.integer({ min: 1, max: 2 ** 40 })), is_bot: field(fc.boolean()), first_name: field(wildString), last_name: field(wildString), language_code: field(fc.oneof(fc.constantFrom('vi', 'en', 'en-US'), wildString)) },
  { requiredKeys: ['id'] },
);
const chat = fc.record({
  id: field(fc.oneof({ weight: 6, arbitrary: fc.integer({ min: -(2 ** 45), max: 2 ** 45 }) }, { weight: 1, arbitrary: wildNumber })),
  type: field(fc.oneof({ weight: 4, arbitrary: fc.constant('private') }, { weight: 1, arbitrary: fc.constantFrom('group', 'supergroup', 'channel') })),
});
const message = fc.record(
  { message_id: field(fc.nat()), date, chat: field(chat), from: field(user), text: field(wildString), caption: field(wildString) },
  { requiredKeys: ['message_id', 'chat', 'date'] },
);
const callbackQuery = fc.record(
  { id: field(fc.oneof(fc.stringMatching(/^\d{1,19}$/), wildString)), from: field(user), message: field(fc.record({ message_id: fc.nat(), chat, date: fc.constant(0) })), data: field(wildString), chat_instance: fc.string() },
  { requiredKeys: ['id', 'from'] },
);
const chatMember = fc.record({ chat: field(chat), new_chat_member: field(fc.record({ status: field(fc.constantFrom('kicked', 'member', 'left')) })) });
const updateId = field(fc.nat({ max: 2 ** 31 }));
/** Mostly one update type, as Telegram sends; sometimes several, or one we do not read. */
const update = fc.oneof(
  { weight: 5, arbitrary: fc.record({ update_id: updateId, message: field(message) }) },
  { weight: 3, arbitrary: fc.record({ update_id: updateId, callback_query: field(callbackQuery) }) },
  { weight: 1, arbitrary: fc.record({ update_id: updateId, my_chat_member: field(chatMember) }) },
  {
    weight: 1,
    arbitrary: fc.record(
      { update_id: updateId, message: field(message), edited_message: message, callback_query: field(callbackQuery), my_chat_member: field(chatMember), poll_answer: fc.jsonValue({ maxDepth: 2 }) },
      { requiredKeys: ['update_id'] },
    ),
  },
);
const headers = fc.oneof(
  { weight: 9, arbitrary: fc.constant<Record<string, string>>({ 'x-telegram-bot-api-secret-token': SECRET }) },
  { weight: 1, arbitrary: fc.oneof(fc.constant<Record<string, string>>({}), fc.string({ maxLength: 300 }).filter((s) => s !== SECRET).map((s) => ({ 'x-telegram-bot-api-secret-token': s.replace(/[^\x20-\x7e]/g, '') }))) },
);

async function post(body: string, secret: Record<string, string>) {
  const res = await app.server!.inject({ method: 'POST', url: '/webhooks/telegram', headers: { 'content-type': 'application/json', ...secret }, payload: body });
  statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
  return res.statusCode;
}

/** The job an update_id would have been queued under, checked when there is one. */
async function checkQueued(body: unknown): Promise<void> {
  const id = (body as { update_id?: unknown } | null)?.update_id;
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0) return;
  const job = await app.queues.inbound.getJob(jobId('in', 'telegram', String(id)));
  if (!job) return;
  queued++;
  expectWellFormed(job.data.event as unknown as Record<string, unknown>, 'telegram');
}

describe('the Telegram webhook under fuzzing', () => {
  it('should answer 200, 400, 401 or 413 to any body, never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(anyBody, headers, async (body, secret) => {
        const status = await post(body, secret);
        if (!secret['x-telegram-bot-api-secret-token'] || secret['x-telegram-bot-api-secret-token'] !== SECRET) expect(status).toBe(401);
        expect(ALLOWED).toContain(status);
      }),
      { numRuns: 800 },
    );
  });

  it('should answer Telegram-shaped updates with wrong types, huge numbers, odd dates and long strings without a 5xx, and queue only well-formed events', async () => {
    await fc.assert(
      fc.asyncProperty(update, headers, async (u, secret) => {
        const body = JSON.stringify(u);
        const status = await post(body, secret);
        expect(ALLOWED).toContain(status);
        if (status === 200) await checkQueued(u);
        if (Buffer.byteLength(body) <= 1024 * 1024 && secret['x-telegram-bot-api-secret-token'] === SECRET) expect(status).not.toBe(413);
      }),
      { numRuns: 2000 },
    );
  });
});
