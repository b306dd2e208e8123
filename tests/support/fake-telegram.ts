/**
 * A local Bot API server speaking Telegram's HTTP protocol (POST /bot<token>/<method>, the
 * {ok,result} / {ok:false,error_code,description,parameters} envelope) for tests and the demo.
 * It records every call, long-polls getUpdates, delivers to the webhook set with setWebhook
 * (with its secret header, as Telegram does), and answers 429 or 403 on demand.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedCall {
  method: string;
  body: Record<string, unknown>;
  /** The error code answered, when the call was refused. */
  refused?: number;
}

export interface ApiError {
  error_code: number;
  description: string;
  parameters?: { retry_after?: number; migrate_to_chat_id?: number };
}

export type Update = { update_id: number } & Record<string, unknown>;

const SEND_METHODS = new Set(['sendMessage', 'sendPhoto', 'sendPoll', 'sendDocument']);
export const FAKE_BOT = { id: 7000000001, is_bot: true, first_name: 'Trợ lý CĐS', username: 'cds_tutor_bot', can_join_groups: true, can_read_all_group_messages: false, supports_inline_queries: false };

interface Failure {
  method: string;
  error: ApiError;
  skip: number;
  times: number;
}

interface Waiter {
  offset: number;
  limit: number;
  res: ServerResponse;
  timer: NodeJS.Timeout;
}

export class FakeTelegram {
  readonly calls: RecordedCall[] = [];
  /** Messages the bot sent, as the chat would show them. */
  readonly sent: { chatId: string; method: string; text: string; body: Record<string, unknown> }[] = [];
  private readonly server: Server;
  private readonly pending: Update[] = [];
  private waiters: Waiter[] = [];
  private failures: Failure[] = [];
  private readonly blocked = new Set<string>();
  private webhook?: { url: string; secret?: string };
  private nextId: number;
  private messageId = 1;
  url = '';

  constructor(opts: { token?: string; firstUpdateId?: number } = {}) {
    this.token = opts.token ?? 'TEST:fake-token';
    this.nextId = opts.firstUpdateId ?? 100_000_000 + Math.floor(Math.random() * 800_000_000);
    this.server = createServer((req, res) => void this.route(req, res));
  }

  readonly token: string;

  async listen(port = 0): Promise<this> {
    await new Promise<void>((r) => this.server.listen(port, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    for (const w of this.waiters) this.answer(w, []);
    this.waiters = [];
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  /** A fresh update id, as Telegram would number the next update. */
  updateId(): number {
    return this.nextId++;
  }

  /** Telegram receives an update for the bot: webhook delivery when one is set (returns the HTTP status), else queued for getUpdates. */
  async push(update: Update): Promise<number> {
    if (this.webhook) {
      const res = await fetch(this.webhook.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(this.webhook.secret ? { 'x-telegram-bot-api-secret-token': this.webhook.secret } : {}) },
        body: JSON.stringify(update),
      });
      await res.arrayBuffer();
      return res.status;
    }
    this.pending.push(update);
    this.flush();
    return 200;
  }

  /** Answers the next `times` calls of `method` (after `skip` successful ones) with an error. */
  fail(method: string, error: ApiError, opts: { skip?: number; times?: number } = {}): void {
    this.failures.push({ method, error, skip: opts.skip ?? 0, times: opts.times ?? 1 });
  }

  /** From now on every send to this chat answers 403, as when the user blocked the bot. */
  block(chatId: number | string): void {
    this.blocked.add(String(chatId));
  }

  unblock(chatId: number | string): void {
    this.blocked.delete(String(chatId));
  }

  callsOf(method: string): RecordedCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  sentTo(chatId: number | string): { method: string; text: string; body: Record<string, unknown> }[] {
    return this.sent.filter((m) => m.chatId === String(chatId));
  }

  /** Updates not yet confirmed by a getUpdates offset. */
  get unconfirmed(): number {
    return this.pending.length;
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const m = /^\/bot([^/]+)\/(\w+)$/.exec(req.url ?? '');
    if (!m || req.method !== 'POST' && req.method !== 'GET') return this.reply(res, 404, { ok: false, error_code: 404, description: 'Not Found' });
    if (m[1] !== this.token) return this.reply(res, 401, { ok: false, error_code: 401, description: 'Unauthorized' });
    const method = m[2]!;
    const body = await readBody(req);
    const call: RecordedCall = { method, body };
    this.calls.push(call);

    const failure = this.failures.find((f) => f.method === method);
    if (failure) {
      if (failure.skip > 0) failure.skip -= 1;
      else {
        failure.times -= 1;
        if (failure.times <= 0) this.failures = this.failures.filter((f) => f !== failure);
        call.refused = failure.error.error_code;
        return this.reply(res, failure.error.error_code, { ok: false, ...failure.error });
      }
    }
    if (SEND_METHODS.has(method) && this.blocked.has(String(body.chat_id))) {
      call.refused = 403;
      return this.reply(res, 403, { ok: false, error_code: 403, description: 'Forbidden: bot was blocked by the user' });
    }
    switch (method) {
      case 'getMe':
        return this.ok(res, FAKE_BOT);
      case 'getUpdates':
        return this.getUpdates(body, res);
      case 'setWebhook':
        this.webhook = { url: String(body.url), secret: body.secret_token as string | undefined };
        return this.ok(res, true);
      case 'deleteWebhook':
        this.webhook = undefined;
        return this.ok(res, true);
      case 'setMyCommands':
      case 'answerCallbackQuery':
      case 'editMessageReplyMarkup':
        return this.ok(res, true);
      default:
        if (SEND_METHODS.has(method)) return this.ok(res, this.record(method, body));
        return this.reply(res, 404, { ok: false, error_code: 404, description: 'Not Found: method not found' });
    }
  }

  /** Called with every message the bot sends (the demo prints them). */
  onSent?: (message: { chatId: string; method: string; text: string; body: Record<string, unknown> }) => void;

  private record(method: string, body: Record<string, unknown>) {
    const chatId = String(body.chat_id);
    const text = String(body.text ?? body.caption ?? body.question ?? '');
    const message = { chatId, method, text, body };
    this.sent.push(message);
    this.onSent?.(message);
    return { message_id: this.messageId++, date: Math.floor(Date.now() / 1000), chat: { id: Number(chatId), type: 'private' }, text };
  }

  private getUpdates(body: Record<string, unknown>, res: ServerResponse): void {
    if (this.webhook) return this.reply(res, 409, { ok: false, error_code: 409, description: "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first" });
    const offset = Number(body.offset ?? 0);
    const limit = Math.min(100, Number(body.limit ?? 100));
    const timeout = Math.min(50, Number(body.timeout ?? 0));
    // An offset confirms every update before it: Telegram forgets them.
    if (offset > 0) this.pending.splice(0, this.pending.length, ...this.pending.filter((u) => u.update_id >= offset));
    const ready = this.pending.slice(0, limit);
    if (ready.length > 0 || timeout <= 0) return this.ok(res, ready);
    const waiter: Waiter = { offset, limit, res, timer: setTimeout(() => this.answer(waiter, []), timeout * 1000) };
    res.on('close', () => {
      clearTimeout(waiter.timer);
      this.waiters = this.waiters.filter((w) => w !== waiter);
    });
    this.waiters.push(waiter);
  }

  private flush(): void {
    for (const w of [...this.waiters]) {
      const ready = this.pending.filter((u) => u.update_id >= w.offset).slice(0, w.limit);
      if (ready.length > 0) this.answer(w, ready);
    }
  }

  private answer(w: Waiter, updates: Update[]): void {
    clearTimeout(w.timer);
    this.waiters = this.waiters.filter((x) => x !== w);
    if (!w.res.writableEnded) this.ok(w.res, updates);
  }

  private ok(res: ServerResponse, result: unknown): void {
    this.reply(res, 200, { ok: true, result });
  }

  private reply(res: ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }
}

/** JSON, urlencoded or multipart (uploads: the file part is recorded with its name, size, type and bytes). */
async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const raw = Buffer.concat(chunks);
  const type = req.headers['content-type'] ?? '';
  if (raw.length === 0) return {};
  if (type.includes('application/json')) return JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
  if (type.includes('multipart/form-data') || type.includes('application/x-www-form-urlencoded')) {
    const form = await new Response(raw, { headers: { 'content-type': type } }).formData();
    const out: Record<string, unknown> = {};
    for (const [k, v] of form) {
      if (typeof v === 'string') {
        try {
          out[k] = JSON.parse(v);
        } catch {
          out[k] = v;
        }
      } else out[k] = { file: v.name, size: v.size, type: v.type, bytes: Buffer.from(await v.arrayBuffer()) };
    }
    return out;
  }
  return { raw: raw.toString('utf8') };
}
