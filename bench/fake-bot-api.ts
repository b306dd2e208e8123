/**
 * The benches' fake Telegram Bot API: `sendMessage` only, a token bucket of `limit` per second (0:
 * none) answering 429 with `retry_after` beyond it, and a count of deliveries per chat.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeBotApi {
  /** `http://127.0.0.1:<port>`: the Bot API's root, before `/bot<token>/…`. */
  base: string;
  /** Deliveries per chat id: more than one is a duplicate. */
  delivered: Map<string, number>;
  /** 429s answered. */
  tooMany(): number;
  /** `performance.now()` of the first and last delivery (0 before any). */
  first(): number;
  last(): number;
  close(): Promise<void>;
}

const body = (req: IncomingMessage) =>
  new Promise<string>((resolve) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => resolve(data));
  });

export async function startFakeBotApi(o: {
  token: string;
  limit: number;
  /** Called on every accepted message (the benches time replies with it). */
  onDelivered?: (chatId: string, text: string, at: number) => void;
}): Promise<FakeBotApi> {
  const delivered = new Map<string, number>();
  let tooMany = 0;
  let first = 0;
  let last = 0;
  let tokens = o.limit;
  let refilled = performance.now();
  const server = createServer(async (req, res) => {
    const payload = JSON.parse(await body(req)) as { chat_id: string; text: string };
    res.setHeader('content-type', 'application/json');
    if (req.url !== `/bot${o.token}/sendMessage`) {
      res.statusCode = 404;
      res.end(JSON.stringify({ ok: false, error_code: 404, description: 'Not Found' }));
      return;
    }
    if (o.limit > 0) {
      const t = performance.now();
      tokens = Math.min(o.limit, tokens + ((t - refilled) / 1000) * o.limit);
      refilled = t;
      if (tokens < 1) {
        tooMany += 1;
        res.statusCode = 429;
        res.end(JSON.stringify({ ok: false, error_code: 429, description: 'Too Many Requests: retry after 1', parameters: { retry_after: 1 } }));
        return;
      }
      tokens -= 1;
    }
    const now = performance.now();
    if (!first) first = now;
    last = now;
    delivered.set(payload.chat_id, (delivered.get(payload.chat_id) ?? 0) + 1);
    o.onDelivered?.(String(payload.chat_id), payload.text, now);
    res.end(JSON.stringify({ ok: true, result: { message_id: delivered.size, chat: { id: Number(payload.chat_id), type: 'private' }, date: Math.floor(Date.now() / 1000), text: payload.text } }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    delivered,
    tooMany: () => tooMany,
    first: () => first,
    last: () => last,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** What a fake running in another process reports (`startFakeBotApiProcess`). */
export interface FakeBotApiStats {
  /** Chats that got at least one message. */
  chats: number;
  /** Messages beyond the first to one chat. */
  duplicates: number;
  tooMany: number;
  /** The child's `performance.now()` of the first and last delivery: only their difference means anything here. */
  first: number;
  last: number;
}

export interface RemoteFakeBotApi {
  base: string;
  stats(): Promise<FakeBotApiStats>;
  close(): Promise<void>;
}

/**
 * The same fake in a child Node process, so that its HTTP server's CPU is not charged to the
 * process under test (on a real platform the server is someone else's machine). Talks over IPC.
 */
export async function startFakeBotApiProcess(o: { token: string; limit: number }): Promise<RemoteFakeBotApi> {
  const { fork } = await import('node:child_process');
  const child = fork(new URL(import.meta.url).pathname, ['--serve', o.token, String(o.limit)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const pending: ((m: FakeBotApiStats) => void)[] = [];
  const base = await new Promise<string>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the fake Bot API exited (${code})`)));
    child.once('message', (m) => resolve((m as { base: string }).base));
  });
  child.on('message', (m) => pending.shift()?.(m as FakeBotApiStats));
  return {
    base,
    stats: () =>
      new Promise<FakeBotApiStats>((resolve) => {
        pending.push(resolve);
        child.send('stats');
      }),
    close: () =>
      new Promise<void>((resolve) => {
        child.removeAllListeners('exit');
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

// The child's side: `--serve <token> <limit>`.
if (process.argv[2] === '--serve' && process.send) {
  const fake = await startFakeBotApi({ token: process.argv[3]!, limit: Number(process.argv[4]) });
  process.on('message', () => {
    let duplicates = 0;
    for (const n of fake.delivered.values()) duplicates += n - 1;
    process.send!({ chats: fake.delivered.size, duplicates, tooMany: fake.tooMany(), first: fake.first(), last: fake.last() } satisfies FakeBotApiStats);
  });
  process.on('SIGTERM', () => void fake.close().then(() => process.exit(0)));
  process.on('disconnect', () => process.exit(0));
  process.send({ base: fake.base });
}
