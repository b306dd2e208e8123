/** A Telegram learner talking to the application through the fake Bot API server. */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import type { App } from '../../src/app/index.js';
import { jobId } from '../../src/scheduler/jobs.js';
import { eventually, ROOT } from './env.js';
import type { FakeTelegram, Update } from './fake-telegram.js';

/** The private chat (= user) id the fixtures were captured with. */
export const FIXTURE_CHAT = 523456789;

/** A fixture with a fresh update id and, when given, another private chat in place of the fixture's. */
export function fixture(name: string, ids: { updateId: number; chatId?: number }): Update {
  const text = readFileSync(resolve(ROOT, 'tests/fixtures/telegram', `${name}.json`), 'utf8');
  const update = JSON.parse(ids.chatId ? text.replaceAll(String(FIXTURE_CHAT), String(ids.chatId)) : text) as Update;
  update.update_id = ids.updateId;
  return update;
}

/** A port nothing listens on now, for a server whose public URL must be known before it starts. */
export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

let nextChat = 600_000_000 + Math.floor(Math.random() * 100_000_000);

interface Button {
  text: string;
  callback_data: string;
}

export class TelegramUser {
  readonly chatId = nextChat++;
  private seen = 0;

  constructor(
    private readonly fake: FakeTelegram,
    private readonly app: App,
    private readonly from: { first_name: string; last_name?: string; language_code?: string } = { first_name: 'Hoa', last_name: 'Nguyễn Thị', language_code: 'vi' },
  ) {}

  private user() {
    return { id: this.chatId, is_bot: false, ...this.from };
  }

  textUpdate(text: string, updateId = this.fake.updateId()): Update {
    const entities = text.startsWith('/') ? [{ offset: 0, length: text.split(/\s/)[0]!.length, type: 'bot_command' }] : undefined;
    return {
      update_id: updateId,
      message: { message_id: updateId % 100_000, from: this.user(), chat: { id: this.chatId, first_name: this.from.first_name, type: 'private' }, date: Math.floor(Date.now() / 1000), text, ...(entities ? { entities } : {}) },
    };
  }

  pressUpdate(data: string, updateId = this.fake.updateId()): Update {
    return {
      update_id: updateId,
      callback_query: {
        id: String(BigInt(updateId) * 7919n),
        from: this.user(),
        message: { message_id: 1, chat: { id: this.chatId, type: 'private' }, date: Math.floor(Date.now() / 1000), text: '…' },
        chat_instance: '-3815307129431451204',
        data,
      },
    };
  }

  /** Types a line and waits for every reply; returns the messages the bot sent since the last turn. */
  say(text: string) {
    return this.deliver(this.textUpdate(text));
  }

  /** Presses the button whose callback_data is `data` and waits for every reply. */
  press(data: string) {
    return this.deliver(this.pressUpdate(data));
  }

  async deliver(update: Update) {
    const status = await this.fake.push(update);
    if (status !== 200) throw new Error(`webhook answered ${status}`);
    await settled(this.fake, this.app, update.update_id);
    return this.fresh();
  }

  /** Messages sent to this chat since the last call. */
  fresh() {
    const all = this.fake.sentTo(this.chatId);
    const out = all.slice(this.seen);
    this.seen = all.length;
    return out;
  }

  all() {
    return this.fake.sentTo(this.chatId);
  }

  /** The buttons of the last message that had any. */
  buttons(): Button[] {
    const withKeyboard = this.all().filter((m) => m.body.reply_markup).at(-1);
    const markup = withKeyboard?.body.reply_markup as { inline_keyboard: Button[][] } | undefined;
    return markup?.inline_keyboard.flat() ?? [];
  }

  lastText(): string {
    return this.all().at(-1)?.text ?? '';
  }
}

/** Waits until the update was taken in, handled, and its replies sent. */
export async function settled(fake: FakeTelegram, app: App, updateId: number): Promise<void> {
  await eventually(async () => {
    if (fake.unconfirmed > 0) return false;
    const job = await app.queues.inbound.getJob(jobId('in', 'telegram', String(updateId)));
    if (job && !(await job.isCompleted())) return false;
    return app.idle();
  }, `update ${updateId} handled`);
}
