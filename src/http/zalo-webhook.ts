/**
 * POST /webhooks/zalo: checks `X-Bot-Api-Secret-Token` before the body is read (401, nothing
 * touched), parses JSON (400 when malformed; the server's 1 MiB limit answers 413), accepts both
 * body shapes, and answers 200 only once the update is queued, so a crash after the answer loses
 * nothing. Redeliveries are dropped by the queue's job id and the tutor's update log.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Ingress } from '../channels/types.js';
import { unwrapUpdate, toInbound } from '../channels/zalo/updates.js';
import { ZALO_WEBHOOK_PATH } from '../channels/zalo/adapter.js';

export interface ZaloWebhookOptions {
  secret: string;
  ingress: Ingress;
  logger: Logger;
}

/** Equal-length digests, so neither the content nor the length of the secret leaks through timing. */
export function secretMatches(given: unknown, expected: string): boolean {
  if (typeof given !== 'string') return false;
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

export async function zaloWebhookRoutes(app: FastifyInstance, opts: ZaloWebhookOptions): Promise<void> {
  const jsonParser = app.getDefaultJsonParser('error', 'error');
  // Zalo has been seen probing with an empty body: that is 200, not a JSON error.
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    if (typeof body === 'string' && body.trim() === '') return done(null, undefined);
    jsonParser(req, body as string, done);
  });

  const checkSecret = async (req: FastifyRequest, reply: FastifyReply) => {
    if (!secretMatches(req.headers['x-bot-api-secret-token'], opts.secret)) {
      return reply.code(401).send({ message: 'Unauthorized' });
    }
  };

  app.post(ZALO_WEBHOOK_PATH, { onRequest: checkSecret }, async (req, reply) => {
    const update = unwrapUpdate(req.body);
    if (!update) return reply.code(200).send({ message: 'Success' });
    const inbound = toInbound(update, new Date());
    if (inbound.kind === 'ignored') {
      opts.logger.debug({ reason: inbound.reason }, 'zalo update ignored');
      return reply.code(200).send({ message: 'Success' });
    }
    await opts.ingress(inbound.event);
    return reply.code(200).send({ message: 'Success' });
  });
}
