/**
 * A local Zalo Bot Platform API server speaking the real protocol (POST /bot<token>/<method>,
 * JSON body, `{ ok, result | error_code, description }`), for tests and the demo. It records every
 * call, hands out queued events to getUpdates one per call (408 when none arrives in time),
 * can deliver events to a registered webhook, and answers errors or hangs on demand.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const FIXTURES = resolve(dirname(fileURLToPath(import.meta.url)), '../fixtures/zalo');

/** A payload from tests/fixtures/zalo, parsed afresh each time. */
export function zaloFixture<T = any>(name: string): T {
  return JSON.parse(readFileSync(resolve(FIXTURES, `${name}.json`), 'utf8')) as T;
}

export interface FakeCall {
  method: string;
  token: string;
  body: Record<string, any>;
  httpMethod: string;
  /** Whether the server answered `ok: true` (undefined while unanswered or dropped). */
  ok?: boolean;
}

export interface Failure {
  error_code: number;
  description: string;
  /** HTTP status of the answer; Zalo's is unconfirmed, so the default is 200 with `ok: false`. */
  status?: number;
}

type Planned = { kind: 'fail'; failure: Failure } | { kind: 'drop' } | { kind: 'hang'; ms: number };

let seq = 0;

/** A text event as Zalo delivers it (unwrapped by default; `wrapped` gives `{ ok, result }`). */
export function zaloText(userId: string, text: string, opts: { messageId?: string; wrapped?: boolean; group?: string } = {}) {
  const base = zaloFixture('webhook-text-unwrapped');
  base.message.from.id = userId;
  base.message.chat = opts.group ? { id: opts.group, chat_type: 'GROUP' } : { id: userId, chat_type: 'PRIVATE' };
  base.message.text = text;
  base.message.message_id = opts.messageId ?? `m${Date.now().toString(16)}${(++seq).toString(16)}`;
  base.message.date = Date.now();
  return opts.wrapped ? { ok: true, result: base } : base;
}

/** Any fixture event re-addressed to one user with a fresh message id. */
export function zaloEvent(fixture: string, userId: string, messageId = `m${Date.now().toString(16)}${(++seq).toString(16)}`) {
  const body = zaloFixture(fixture);
  const update = body.ok === true ? body.result : body;
  update.message.from.id = userId;
  update.message.chat.id = userId;
  update.message.message_id = messageId;
  return body;
}

export class FakeZalo extends EventEmitter {
  readonly calls: FakeCall[] = [];
  webhook: { url: string; secret: string } | null = null;
  /** getUpdates calls whose client hung up before an answer (a poller stopping). */
  abandonedPolls = 0;
  private server?: Server;
  private readonly updates: unknown[] = [];
  private readonly waiters: (() => void)[] = [];
  private readonly planned = new Map<string, Planned[]>();
  private nextId = 1;

  /** @param maxPollMs caps how long getUpdates holds a request, whatever `timeout` asks. */
  constructor(
    readonly token = '1459232241454765289:fake-secret-token',
    private readonly maxPollMs = 30_000,
  ) {
    super();
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    return this.url;
  }

  get url(): string {
    const { port } = this.server!.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  async stop(): Promise<void> {
    for (const w of this.waiters.splice(0)) w();
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  /** Queues an event for getUpdates. */
  push(update: unknown): void {
    this.updates.push(update);
    this.waiters.shift()?.();
  }

  /** The next `times` calls of `method` answer with this error. */
  failNext(method: string, failure: Failure, times = 1): void {
    for (let i = 0; i < times; i++) this.plan(method, { kind: 'fail', failure });
  }

  /** The next call of `method` has its connection destroyed without an answer. */
  dropNext(method: string): void {
    this.plan(method, { kind: 'drop' });
  }

  /** The next call of `method` is answered only after `ms`. */
  hangNext(method: string, ms: number): void {
    this.plan(method, { kind: 'hang', ms });
  }

  /** POSTs an event to the registered webhook as Zalo does; resolves the HTTP status. */
  async deliver(body: unknown, opts: { secret?: string | null; raw?: string } = {}): Promise<number> {
    if (!this.webhook) throw new Error('no webhook set');
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    const secret = opts.secret === undefined ? this.webhook.secret : opts.secret;
    if (secret !== null) headers['x-bot-api-secret-token'] = secret;
    const res = await fetch(this.webhook.url, { method: 'POST', headers, body: opts.raw ?? JSON.stringify(body) });
    await res.arrayBuffer();
    return res.status;
  }

  callsOf(method: string): FakeCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  /** Texts delivered to one chat (answered ok), in order. */
  textsTo(chatId: string): string[] {
    return this.callsOf('sendMessage').filter((c) => c.ok && c.body.chat_id === chatId).map((c) => String(c.body.text));
  }

  private plan(method: string, p: Planned): void {
    const list = this.planned.get(method) ?? [];
    list.push(p);
    this.planned.set(method, list);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const m = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(req.url ?? '');
    let body: Record<string, any> = {};
    try {
      const raw = Buffer.concat(chunks).toString('utf8');
      body = raw ? JSON.parse(raw) : {};
    } catch {
      return this.answer(res, 400, { ok: false, error_code: 400, description: 'Bad Request: invalid JSON' });
    }
    if (!m) return this.answer(res, 404, { ok: false, error_code: 404, description: 'Not Found' });
    const [, token, method] = m as unknown as [string, string, string];
    const call: FakeCall = { method, token, body, httpMethod: req.method ?? '' };
    this.calls.push(call);
    res.on('finish', () => {
      this.emit('call', call);
    });
    const answer = (status: number, payload: { ok: boolean } & Record<string, unknown>) => {
      call.ok = payload.ok;
      this.answer(res, status, payload);
    };
    if (token !== this.token) return answer(401, { ok: false, error_code: 401, description: 'Unauthorized' });

    const planned = this.planned.get(method)?.shift();
    if (planned?.kind === 'drop') return void req.socket.destroy();
    if (planned?.kind === 'hang') await new Promise((r) => setTimeout(r, planned.ms));
    if (planned?.kind === 'fail') {
      const f = planned.failure;
      return answer(f.status ?? 200, { ok: false, error_code: f.error_code, description: f.description });
    }
    let gone = false;
    const onGone = new EventEmitter();
    res.on('close', () => {
      if (res.writableFinished) return;
      gone = true;
      if (method === 'getUpdates') this.abandonedPolls++;
      onGone.emit('gone');
    });
    const result = await this.result(method, body, () => gone, onGone);
    if ('error' in result) {
      const { status, ...error } = result.error;
      return answer(status ?? 200, { ok: false, ...error });
    }
    answer(200, result.value === undefined ? { ok: true } : { ok: true, result: result.value });
  }

  private async result(method: string, body: Record<string, any>, gone: () => boolean, onGone: EventEmitter): Promise<{ ok: true; value?: unknown } | { error: Failure }> {
    const bad = (description: string) => ({ error: { error_code: 400, description } });
    const sent = () => ({ ok: true as const, value: { message_id: `${(this.nextId++).toString(16).padStart(20, '0')}`, date: Date.now() } });
    switch (method) {
      case 'getMe':
        return { ok: true, value: zaloFixture('get-me').result };
      case 'getUpdates': {
        const waitMs = Math.min(Number(body.timeout ?? 30) * 1000, this.maxPollMs);
        if (this.updates.length === 0) await this.waitForUpdate(waitMs, onGone);
        // A poller that hung up (shutdown) must not take an event with it.
        if (gone()) return { error: { error_code: 408, description: 'Request timeout' } };
        const next = this.updates.shift();
        if (next === undefined) return { error: { error_code: 408, description: 'Request timeout' } };
        const update = (next as { ok?: boolean; result?: unknown }).ok === true ? (next as { result: unknown }).result : next;
        return { ok: true, value: update };
      }
      case 'setWebhook': {
        const secret = String(body.secret_token ?? '');
        if (typeof body.url !== 'string' || !/^https?:\/\//.test(body.url)) return bad('Bad Request: url is invalid');
        if (secret.length < 8 || secret.length > 256) return bad('Bad Request: secret_token must be 8-256 characters');
        this.webhook = { url: body.url, secret };
        return { ok: true, value: { url: body.url, updated_at: Date.now() } };
      }
      case 'deleteWebhook':
        this.webhook = null;
        return { ok: true, value: { url: '', updated_at: Date.now() } };
      case 'getWebhookInfo':
        return { ok: true, value: { url: this.webhook?.url ?? '', updated_at: Date.now() } };
      case 'sendMessage': {
        const text = body.text;
        if (!body.chat_id) return bad('Bad Request: chat_id is required');
        if (typeof text !== 'string' || text.length < 1 || text.length > 2000) return bad('Bad Request: text must be 1-2000 characters');
        return sent();
      }
      case 'sendPhoto':
        if (!body.chat_id) return bad('Bad Request: chat_id is required');
        if (typeof body.photo !== 'string' || !/^https?:\/\//.test(body.photo)) return bad('Bad Request: photo must be a URL');
        if (body.caption !== undefined && (String(body.caption).length < 1 || String(body.caption).length > 2000)) return bad('Bad Request: caption too long');
        return sent();
      case 'sendSticker':
        if (!body.chat_id || !body.sticker) return bad('Bad Request: chat_id and sticker are required');
        return sent();
      case 'sendChatAction':
        if (!body.chat_id || !['typing', 'upload_photo'].includes(body.action)) return bad('Bad Request: invalid action');
        return { ok: true };
      default:
        return bad('Bad Request: invalid API name');
    }
  }

  private waitForUpdate(ms: number, onGone: EventEmitter): Promise<void> {
    return new Promise((resolveWait) => {
      onGone.once('gone', () => done());
      const done = () => {
        clearTimeout(timer);
        const i = this.waiters.indexOf(done);
        if (i >= 0) this.waiters.splice(i, 1);
        resolveWait();
      };
      const timer = setTimeout(done, ms);
      this.waiters.push(done);
    });
  }

  private answer(res: ServerResponse, status: number, body: unknown): void {
    if (res.destroyed) return;
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }
}
