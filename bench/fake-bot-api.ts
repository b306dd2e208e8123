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
