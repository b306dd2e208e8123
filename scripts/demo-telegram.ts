/**
 * Try the Telegram channel without a token: starts the fake Bot API server from the tests and
 * the tutor (long polling) pointed at it, then sends each line you type as a Telegram message
 * from one private chat and prints what the bot sends back. `#2` presses the second button of
 * the last keyboard (a callback_query, as tapping it in Telegram would). Ctrl-D quits.
 * Uses the database cds_tutor_demo and the Redis prefix cds-demo unless MONGODB_URL says otherwise.
 * With `--admin` the chat is also an admin's (added to ADMIN_TELEGRAM_IDS): try `/thongbao`, `/thongke`.
 */
import { createInterface } from 'node:readline';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { loadConfig } from '../src/config.js';
import { createApp } from '../src/app/index.js';
import { jobId } from '../src/scheduler/jobs.js';
import { FakeTelegram } from '../tests/support/fake-telegram.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

interface Button {
  text: string;
  callback_data: string;
}

/** Telegram HTML as a terminal shows it. */
function plain(html: string): string {
  return html
    .replace(/<a href="([^"]*)">([^<]*)<\/a>/g, '$2 ($1)')
    .replace(/<\/?(b|i)>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&');
}

/** An uploaded document (the certificate): kept in the temporary folder so you can open it. */
function documentLine(document: unknown): string {
  const d = document as { file?: string; bytes?: Buffer } | undefined;
  if (!d?.bytes) return '[document]\n';
  const path = join(tmpdir(), `cds-demo-${Date.now()}-${basename(d.file ?? 'document.pdf')}`);
  writeFileSync(path, d.bytes);
  return `[document: ${d.file}, ${Math.round(d.bytes.length / 1024)} KB, saved as ${path}]\n`;
}

async function main(): Promise<void> {
  const fake = await new FakeTelegram({ token: '123456789:demo-token' }).listen();
  const chatId = 500_000_000 + Math.floor(Math.random() * 400_000_000);
  const admin = process.argv.slice(2).includes('--admin');
  const config = loadConfig({
    ...process.env,
    MONGODB_URL: process.env.MONGODB_URL ?? 'mongodb://127.0.0.1:27017/cds_tutor_demo',
    TELEGRAM_BOT_TOKEN: fake.token,
    TELEGRAM_API_ROOT: fake.url,
    TELEGRAM_MODE: 'polling',
    ...(admin ? { ADMIN_TELEGRAM_IDS: [process.env.ADMIN_TELEGRAM_IDS, String(chatId)].filter(Boolean).join(',') } : {}),
  });
  const from = { id: chatId, is_bot: false, first_name: 'Demo', language_code: config.DEFAULT_LOCALE };
  let buttons: Button[] = [];
  let messageId = 1;

  fake.onSent = (m) => {
    if (m.chatId !== String(chatId)) return;
    const markup = m.body.reply_markup as { inline_keyboard: Button[][] } | undefined;
    const keys = markup?.inline_keyboard.flat() ?? [];
    if (keys.length > 0) buttons = keys;
    const photo = m.method === 'sendPhoto' ? `[photo: ${JSON.stringify(m.body.photo)}]\n` : m.method === 'sendDocument' ? documentLine(m.body.document) : '';
    const row = keys.map((b, i) => `[#${i + 1} ${b.text}]`).join(' ');
    process.stdout.write(`\n🤖 ${(photo + plain(m.text)).replace(/\n/g, '\n   ')}${row ? `\n   ${row}` : ''}\n`);
  };

  const app = await createApp({
    config,
    role: 'all',
    root,
    // The web role too, so the certificate's links (/verify, /certificates) open in a browser.
    listen: 'optional',
    queuePrefix: 'cds-demo',
    logger: pino({ level: process.env.LOG_LEVEL ?? 'warn' }, pino.destination(2)),
  });
  process.stdout.write(`Fake Bot API at ${fake.url}; you are Telegram chat ${chatId}${admin ? ', an admin (/thongbao, /thongke)' : ''}. Type /start (or a deep link payload: /start CODE). #N presses button N; Ctrl-D quits.\n${process.stdin.isTTY ? '> ' : ''}`);

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await app.stop();
    await fake.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());

  /** Until the update was polled, handled and every reply sent: lines are taken one at a time, so `#N` means the keyboard you saw. */
  const settled = async (updateId: number) => {
    for (;;) {
      await new Promise((r) => setTimeout(r, 50));
      if (fake.unconfirmed > 0) continue;
      const job = await app.queues.inbound.getJob(jobId('in', 'telegram', String(updateId)));
      if (job && !(await job.isCompleted()) && !(await job.isFailed())) continue;
      if (await app.idle()) return;
    }
  };

  for await (const line of createInterface({ input: process.stdin, terminal: false })) {
    const update_id = fake.updateId();
    const date = Math.floor(Date.now() / 1000);
    const chat = { id: chatId, first_name: 'Demo', type: 'private' };
    const press = /^#(\d+)$/.exec(line.trim());
    const button = press ? buttons[Number(press[1]) - 1] : undefined;
    if (press && !button) {
      process.stdout.write(`(no button #${press[1]})\n`);
      continue;
    }
    if (!process.stdin.isTTY) process.stdout.write(`\n> ${button ? `[${button.text}]` : line}\n`);
    await fake.push(
      button
        ? { update_id, callback_query: { id: String(update_id), from, message: { message_id: messageId, chat, date }, chat_instance: '1', data: button.callback_data } }
        : { update_id, message: { message_id: messageId++, from, chat, date, text: line } },
    );
    await settled(update_id);
    if (process.stdin.isTTY) process.stdout.write('\n> ');
  }
  await stop();
}

main().catch((err: unknown) => {
  process.stderr.write(`demo failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
