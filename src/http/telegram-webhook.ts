/**
 * POST /webhooks/telegram. The secret header is checked before the body is read (wrong or
 * missing → 401, nothing parsed or queued); Fastify answers 400 to malformed JSON and 413 to
 * bodies over its 1 MiB limit. The update is queued before the 200, so a crash right after
 * answering loses nothing; a failure to queue answers 500 and Telegram delivers it again.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export const TELEGRAM_WEBHOOK_PATH = '/webhooks/telegram';
const SECRET_HEADER = 'x-telegram-bot-api-secret-token';

export interface TelegramWebhookOptions {
  secret: string;
  /** Queues the update; resolves once it is safe to acknowledge. */
  receive(update: unknown): Promise<void>;
}

/** Hashing both sides gives equal-length buffers, so the comparison leaks neither content nor length. */
function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

export function registerTelegramWebhook(app: FastifyInstance, opts: TelegramWebhookOptions): void {
  const expected = digest(opts.secret);
  const authorised = (req: FastifyRequest): boolean => {
    const given = req.headers[SECRET_HEADER];
    const ok = timingSafeEqual(digest(typeof given === 'string' ? given : ''), expected);
    return ok && typeof given === 'string';
  };

  app.post(TELEGRAM_WEBHOOK_PATH, {
    onRequest: async (req: FastifyRequest, reply: FastifyReply) => {
      if (!authorised(req)) return reply.code(401).send({ ok: false, error: 'wrong or missing secret token' });
    },
    handler: async (req: FastifyRequest, reply: FastifyReply) => {
      const body = req.body as { update_id?: unknown } | null;
      if (typeof body !== 'object' || body === null || !Number.isSafeInteger(body.update_id)) {
        return reply.code(400).send({ ok: false, error: 'not a Telegram update' });
      }
      try {
        await opts.receive(body);
      } catch (err) {
        req.log.error({ err: (err as Error).message }, 'telegram update not queued');
        return reply.code(500).send({ ok: false, error: 'not queued; please retry' });
      }
      return reply.code(200).send({ ok: true });
    },
  });
}
