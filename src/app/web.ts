/** The web role's HTTP server: health, readiness, metrics, lesson images and every channel's webhook. */
import type { FastifyInstance } from 'fastify';
import { createServer } from '../http/server.js';
import { registerContentMedia } from '../http/content-media.js';
import { registerWebhook } from '../http/webhook.js';
import type { ChannelAdapter } from '../channels/types.js';
import type { Services } from './services.js';
import { registerVerifyRoutes } from '../http/verify.js';
import { buildCertificates } from './certificates.js';
import type { AdminRoutes } from '../admin/http-types.js';
import { registerAdminApi } from '../http/admin/api.js';
import { adminApiDeps } from './admin.js';

/** `adminModules`: the admin API's route modules beside its own (accounts, audit, learners, cohorts). */
export async function buildWeb(s: Services, channels: ChannelAdapter[], adminModules: AdminRoutes[] = []): Promise<FastifyInstance> {
  const { config, db, redis } = s;
  const server = createServer({
    metrics: s.metrics,
    logger: s.logger,
    metricsToken: config.METRICS_TOKEN,
    checks: { mongodb: () => db.conn.db!.admin().ping(), redis: () => redis.ping() },
  });
  await registerContentMedia(server, s.contentDir);
  const certificates = buildCertificates(s);
  await registerVerifyRoutes(server, { ...certificates, redis, prefix: s.queues.settings.prefix, perMinute: config.VERIFY_RATE_PER_MIN, timezone: config.TIMEZONE });
  await registerAdminApi(server, adminApiDeps(s), adminModules);
  for (const adapter of channels) if (adapter.webhook) await registerWebhook(server, adapter.webhook);
  return server;
}
