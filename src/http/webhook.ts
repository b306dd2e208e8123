/**
 * The one way a platform's webhook is served, whatever the channel (the path, secret header and
 * handling are the channel's, see ChannelWebhook):
 * - a wrong or missing secret is 401, checked in onRequest, before the body is read;
 * - a body over the server's 1 MiB limit is 413, malformed JSON is 400;
 * - a body that is not a JSON object (an array, a string, a number, null, or nothing at all) is
 *   400. That includes the empty body Zalo has been seen probing with: it used to get 200 and now
 *   gets 400, which is what the Telegram route always answered;
 * - otherwise the channel's `receive` decides: 200 once the update is queued or deliberately
 *   dropped (so a poison update is never redelivered), 400 when the object is no update of that
 *   platform, and 500 when it could not be queued (the platform delivers it again).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ChannelWebhook, WebhookOutcome } from '../channels/types.js';
import { secretMatches } from './secret.js';

function isJsonObject(body: unknown): body is Record<string, unknown> {
  return typeof body === 'object' && body !== null && !Array.isArray(body);
}

export async function registerWebhook(app: FastifyInstance, hook: ChannelWebhook): Promise<void> {
  await app.register(async (scope) => {
    // Whatever the content type says, the body must be JSON (Fastify's parser: 400 when malformed
    // or empty, and it refuses __proto__ and constructor keys).
    const json = scope.getDefaultJsonParser('error', 'error');
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'string' }, json);

    scope.post(hook.path, {
      onRequest: async (req: FastifyRequest, reply: FastifyReply) => {
        if (!secretMatches(req.headers[hook.secretHeader], hook.secret)) {
          return reply.code(401).send({ ok: false, error: 'wrong or missing secret token' });
        }
      },
      handler: async (req: FastifyRequest, reply: FastifyReply) => {
        if (!isJsonObject(req.body)) return reply.code(400).send({ ok: false, error: 'the body must be a JSON object' });
        let outcome: WebhookOutcome;
        try {
          outcome = await hook.receive(req.body);
        } catch (err) {
          req.log.error({ err, path: hook.path }, 'webhook update not queued');
          return reply.code(500).send({ ok: false, error: 'not queued; please retry' });
        }
        if (outcome === 'not_an_update') return reply.code(400).send({ ok: false, error: 'not an update' });
        return reply.code(200).send({ ok: true });
      },
    });
  });
}
