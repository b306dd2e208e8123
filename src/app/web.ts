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
import { registerAdminApi, resourceModules } from '../http/admin/api.js';
import { adminApiDeps } from './admin.js';
import { createHash } from 'node:crypto';
import { registerDashboard } from '../web/dashboard/index.js';

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
  const apiDeps = adminApiDeps(s);
  await registerAdminApi(server, apiDeps, adminModules);
  // The dashboard at /admin: the same accounts and route modules, called in-process (off with the API, without ADMIN_TOKEN).
  if (config.ADMIN_TOKEN !== undefined) {
    await registerDashboard(server, {
      redis,
      prefix: s.queues.settings.prefix,
      accounts: apiDeps.accounts,
      audit: apiDeps.audit,
      i18n: s.i18n,
      clock: s.clock,
      timezone: config.TIMEZONE,
      defaultCohort: config.DEFAULT_COHORT,
      apiModules: resourceModules(apiDeps, adminModules),
      certificates: certificates.store,
      queues: [...s.queues.all(), s.queues.plan],
      root: s.root,
      cookieSecret: createHash('sha256').update(`cds-dashboard-cookie\0${config.ADMIN_TOKEN}`).digest('hex'),
    });
  }
  for (const adapter of channels) if (adapter.webhook) await registerWebhook(server, adapter.webhook);
  return server;
}
