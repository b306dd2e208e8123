/** The web role's HTTP server: health, readiness, metrics, lesson images and the channels' webhooks. */
import type { FastifyInstance } from 'fastify';
import { createServer } from '../http/server.js';
import { registerContentMedia } from '../http/content-media.js';
import { registerTelegramWebhook } from '../http/telegram-webhook.js';
import { zaloWebhookRoutes } from '../http/zalo-webhook.js';
import type { Ingress } from '../channels/types.js';
import type { ChannelSet } from './channels.js';
import type { Services } from './services.js';

export async function buildWeb(s: Services, channels: ChannelSet, ingress: Ingress): Promise<FastifyInstance> {
  const { config, db, redis } = s;
  const server = createServer({
    metrics: s.metrics,
    ready: async () => {
      await db.conn.db!.admin().ping();
      await redis.ping();
    },
  });
  await registerContentMedia(server, s.contentDir);
  if (config.ZALO_BOT_TOKEN && config.ZALO_MODE === 'webhook') {
    await server.register(zaloWebhookRoutes, { secret: config.ZALO_WEBHOOK_SECRET!, ingress, logger: s.logger });
  }
  const telegram = channels.telegram;
  if (telegram && config.TELEGRAM_MODE === 'webhook' && config.TELEGRAM_WEBHOOK_SECRET) {
    registerTelegramWebhook(server, { secret: config.TELEGRAM_WEBHOOK_SECRET, receive: (update) => telegram.receive(update) });
  }
  return server;
}
