/** The channel set-ups the conformance suite runs on: each starts the whole application with one channel and one person on it. */
import { PassThrough } from 'node:stream';
import { pino } from 'pino';
import { TestClock, application, eventually } from '../../support/env.js';
import { FakeTelegram } from '../../support/fake-telegram.js';
import { FakeZalo } from '../../support/fake-zalo.js';
import { TelegramUser, freePort } from '../../support/telegram.js';
import { ZaloUser } from '../../support/zalo-chat.js';
import { ConsoleAdapter } from '../../../src/channels/console/adapter.js';
import { readFile } from 'node:fs/promises';
import { ZaloAdapter } from '../../../src/channels/zalo/adapter.js';
import { ZaloBotClient } from '../../../src/channels/zalo/client.js';
import type { ChannelSetup, Rig, Seen } from './driver.js';

const silent = pino({ level: 'silent' });

/**
 * Each rig runs on a clock the journey can move (to come back the day review is due), and its
 * planning sweeps wait a day, so no scheduled push cuts into the journey once the clock moves.
 */
const QUIET_SWEEPS = { SCHEDULER_SWEEP_SECONDS: '86400' };
function movableClock(): { clock: TestClock; advance(ms: number): void } {
  const clock = new TestClock(new Date());
  return { clock, advance: (ms) => clock.advance(ms) };
}
const COURSE = 'cds-xa';

/** Bot API limits, counted after entity parsing. */
const TELEGRAM = { text: 4096, caption: 1024 };
/** Zalo Bot API: text and caption. */
const ZALO = { text: 2000, caption: 2000 };

function courseOf(app: Awaited<ReturnType<typeof application>>) {
  const course = app.content.courses.get(COURSE);
  if (!course) throw new Error(`no course ${COURSE}`);
  return course;
}

/** The console chat on in-memory streams, as `main.ts all` runs it with no token set. */
export const consoleSetup: ChannelSetup = {
  name: 'console',
  opening: '/start',
  async start(): Promise<Rig> {
    const input = new PassThrough();
    const output = new PassThrough();
    let printed = '';
    output.on('data', (chunk: Buffer) => {
      printed += chunk.toString('utf8');
    });
    const time = movableClock();
    const app = await application([new ConsoleAdapter({ input, output, sessionId: `conf${Date.now().toString(36)}` })], QUIET_SWEEPS, { clock: time.clock });
    /** Each reply is printed as "\n🤖 " then its lines, indented by three spaces. */
    const messages = (): Seen[] =>
      printed
        .split('\n🤖 ')
        .slice(1)
        .map((block) => ({ text: block.replace(/\n\[(image|document): [^\]]*\]\n?$/, '').replace(/\n {3}/g, '\n').trimEnd(), buttons: [] }));
    return {
      course: courseOf(app),
      advance: time.advance,
      limits: { text: Number.POSITIVE_INFINITY },
      person: {
        async type(text) {
          const before = messages().length;
          input.write(`${text}\n`);
          await eventually(async () => messages().length > before && (await app.idle()), `a reply to "${text}" on the console`);
          return messages().slice(before);
        },
      },
      sizes: () => messages().map((m) => ({ kind: 'text' as const, length: m.text.length, preview: m.text.slice(0, 80) })),
      problems: async () => [],
      async certificate() {
        // The console prints the PDF's path under the message that names the code.
        const m = /Mã xác minh: (\S+)[\s\S]*?\n\[document: ([^\]]+)\]/.exec(printed);
        if (!m) throw new Error('no certificate document printed on the console');
        return { how: 'file', code: m[1]!, pdf: await readFile(m[2]!) };
      },
      async close() {
        input.end();
        await app.dispose();
      },
    };
  },
};

/** HTML as Telegram shows it: tags gone, entities decoded (limits are counted on this). */
function telegramText(html: string): string {
  return html
    .replace(/<[^>]+>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&');
}

function telegramSetup(mode: 'webhook' | 'polling'): ChannelSetup {
  return {
    name: `Telegram (${mode})`,
    opening: '/start',
    async start(): Promise<Rig> {
      const fake = await new FakeTelegram().listen();
      const env: Record<string, string> = { TELEGRAM_BOT_TOKEN: fake.token, TELEGRAM_API_ROOT: fake.url, TELEGRAM_MODE: mode };
      if (mode === 'webhook') {
        const port = await freePort();
        Object.assign(env, { TELEGRAM_WEBHOOK_SECRET: 'conformance_Secret-1', HTTP_PORT: String(port), PUBLIC_BASE_URL: `http://127.0.0.1:${port}` });
      }
      const time = movableClock();
      const app = await application([], { ...env, ...QUIET_SWEEPS }, { listen: mode === 'webhook', clock: time.clock });
      const user = new TelegramUser(fake, app);
      const pressed: string[] = [];
      const seen = (sent: ReturnType<TelegramUser['fresh']>): Seen[] =>
        sent.map((m) => {
          const markup = m.body.reply_markup as { inline_keyboard?: { text: string; callback_data: string }[][] } | undefined;
          return {
            text: telegramText(m.text),
            buttons: (markup?.inline_keyboard ?? []).flat().map((b) => ({ label: b.text, data: b.callback_data })),
          };
        });
      return {
        course: courseOf(app),
      advance: time.advance,
        limits: TELEGRAM,
        person: {
          type: async (text) => seen(await user.say(text)),
          async tap(data) {
            const update = user.pressUpdate(data);
            pressed.push(String((update.callback_query as { id: string }).id));
            return seen(await user.deliver(update));
          },
        },
        sizes: () =>
          user.all().map((m) => ({
            kind: m.method === 'sendPhoto' ? ('caption' as const) : ('text' as const),
            length: telegramText(m.text).length,
            preview: m.text.slice(0, 80),
          })),
        async problems() {
          const answered = () => new Set(fake.callsOf('answerCallbackQuery').map((c) => String(c.body.callback_query_id)));
          // The adapter answers a press without waiting for it: give the last ones a moment.
          await eventually(() => pressed.every((id) => answered().has(id)), 'every callback query answered', 5_000).catch(() => undefined);
          const unanswered = pressed.filter((id) => !answered().has(id)).map((id) => `callback query ${id} was never answered`);
          const refused = fake.calls.filter((c) => c.refused).map((c) => `${c.method} refused with ${c.refused}`);
          const none = pressed.length === 0 ? ['no button was tapped'] : [];
          return [...none, ...unanswered, ...refused];
        },
        async certificate() {
          await eventually(() => fake.callsOf('sendDocument').length > 0, 'a sendDocument call', 10_000);
          const call = fake.callsOf('sendDocument').at(-1)!;
          const doc = call.body.document as { file: string; bytes: Buffer };
          const code = /Mã xác minh: (\S+)/.exec(String(call.body.caption ?? ''))?.[1] ?? '';
          return { how: `document ${doc.file}`, code, pdf: doc.bytes };
        },
        async close() {
          await app.dispose();
          await fake.close();
        },
      };
    },
  };
}

function zaloSetup(mode: 'webhook' | 'polling'): ChannelSetup {
  return {
    name: `Zalo (${mode})`,
    opening: 'Xin chào',
    async start(): Promise<Rig> {
      const fake = new FakeZalo(undefined, 1_000);
      await fake.start();
      const port = mode === 'webhook' ? await freePort() : 0;
      const base = mode === 'webhook' ? `http://127.0.0.1:${port}` : 'https://bot.example.vn';
      const secret = 'conformance-secret-01';
      const adapter = new ZaloAdapter({
        client: new ZaloBotClient(fake.token, { baseApiUrl: fake.url }),
        mode,
        publicBaseUrl: base,
        ...(mode === 'webhook' ? { webhookSecret: secret } : { pollTimeoutSec: 1, pollBackoffMs: 20 }),
        logger: silent,
      });
      const env: Record<string, string> = { ZALO_BOT_TOKEN: fake.token, ZALO_API_BASE: fake.url, ZALO_MODE: mode };
      if (mode === 'webhook') Object.assign(env, { ZALO_WEBHOOK_SECRET: secret, HTTP_PORT: String(port), PUBLIC_BASE_URL: base });
      const time = movableClock();
      const app = await application([adapter], { ...env, ...QUIET_SWEEPS }, { listen: mode === 'webhook', clock: time.clock });
      const userId = `conf${Date.now().toString(16)}${Math.floor(Math.random() * 1e6).toString(16)}`;
      const user = new ZaloUser(fake, app, userId, mode);
      const mine = () => fake.calls.filter((c) => c.body.chat_id === userId);
      return {
        course: courseOf(app),
      advance: time.advance,
        limits: ZALO,
        person: {
          type: async (text) => (await user.say(text)).map((t) => ({ text: t, buttons: [] })),
        },
        sizes: () =>
          mine()
            .filter((c) => c.method === 'sendMessage' || c.method === 'sendPhoto')
            .map((c) => {
              const text = String(c.body.text ?? c.body.caption ?? '');
              return { kind: c.method === 'sendPhoto' ? ('caption' as const) : ('text' as const), length: text.length, preview: text.slice(0, 80) };
            }),
        problems: async () => mine().filter((c) => c.ok === false).map((c) => `${c.method} refused: ${String(c.body.text ?? '').slice(0, 60)}`),
        async certificate() {
          const photo = mine().find((c) => c.method === 'sendPhoto' && /\/certificates\/\w+\.png$/.test(String(c.body.photo)));
          if (!photo) throw new Error('no certificate photo sent on Zalo');
          const raw = /\/certificates\/(\w+)\.png$/.exec(String(photo.body.photo))![1]!;
          const link = mine().find((c) => c.method === 'sendMessage' && String(c.body.text).includes(`/certificates/${raw}.pdf`));
          if (!link) throw new Error('no link to the certificate PDF sent on Zalo');
          const code = /Mã xác minh: (\S+)/.exec(String(link.body.text))?.[1] ?? '';
          // In webhook mode PUBLIC_BASE_URL is this application: fetch what Zalo would fetch.
          if (mode !== 'webhook') return { how: 'photo and link', code };
          const png = await fetch(String(photo.body.photo));
          if (png.status !== 200 || png.headers.get('content-type') !== 'image/png') throw new Error(`the certificate PNG answered ${png.status}`);
          const pdf = await fetch(`${base}/certificates/${raw}.pdf`);
          return { how: 'photo and link', code, pdf: Buffer.from(await pdf.arrayBuffer()) };
        },
        async close() {
          await app.dispose();
          await fake.stop();
        },
      };
    },
  };
}

export const telegramWebhook = telegramSetup('webhook');
export const telegramPolling = telegramSetup('polling');
export const zaloWebhook = zaloSetup('webhook');
export const zaloPolling = zaloSetup('polling');
