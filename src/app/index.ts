/**
 * The composition root: the only place that knows every part. `createApp` builds one process
 * of a role — web (HTTP intake), worker (queues), or all — from the shared services.
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { LoadedContent } from '../content/load.js';
import { Tutor } from '../core/tutor.js';
import type { Clock, Random, Reachability, Translator, UpdateLog } from '../core/ports.js';
import type { ChannelAdapter, Ingress } from '../channels/types.js';
import type { Database } from '../storage/mongo.js';
import { MongoLearnerStore } from '../storage/stores.js';
import { RecordCopies } from '../storage/record-copies.js';
import { moveLegacyKeys } from '../storage/legacy-keys.js';
import { MongoReachability } from '../storage/reachability.js';
import { MongoConversationDirectory, MongoHeldMessages } from '../storage/held-messages.js';
import type { Queues } from '../scheduler/queues.js';
import { inboundIngress, inboundOrder } from '../scheduler/inbound-worker.js';
import { UnpromptedGate } from '../scheduler/unprompted.js';
import { blockedConversationsKey } from '../scheduler/pacing.js';
import { RedisLeases } from '../scheduler/leases.js';
import type { Metrics } from '../metrics.js';
import type { Redis } from 'ioredis';
import { buildServices, type Services } from './services.js';
import { buildTutorDeps } from './tutor.js';
import { buildChannels } from './channels.js';
import { startWorkers, type AnyWorker } from './workers.js';
import { buildWeb } from './web.js';
import { buildAdmin, buildAdminChat } from './admin.js';
import { buildStats, StatsCounters } from '../admin/stats/index.js';
import { rosterRoutes } from '../admin/roster/routes.js';
import { broadcastRoutes } from '../broadcasts/http.js';
import { announceCommand } from '../broadcasts/chat.js';
import type { AdminRoutes } from '../admin/http-types.js';
import type { AdminChatCommand } from '../admin/chat-types.js';
import { buildBroadcasts, type BroadcastParts } from './broadcasts.js';

export { buildServices, contentDirOf, projectRoot, type Services, type ServiceOptions } from './services.js';
export { buildTutorDeps, type TutorParts } from './tutor.js';

export type Role = 'all' | 'web' | 'worker';

export interface AppOptions {
  config: Config;
  role: Role;
  /** Project root: where content/ and locales/ are resolved from. */
  root: string;
  logger?: Logger;
  clock?: Clock;
  random?: Random;
  /** Redis key prefix for the queues (tests use one per run). @defaultValue config.QUEUE_PREFIX */
  queuePrefix?: string;
  /** Channel adapters besides those the configuration turns on (Telegram and Zalo tokens): the console, test doubles. */
  channels?: ChannelAdapter[];
  /** Admin chat commands (`/thongke`, `/thongbao`, …) for the chats linked to admin accounts and those in ADMIN_TELEGRAM_IDS / ADMIN_ZALO_IDS. */
  adminCommands?: AdminChatCommand[];
  /** Listen for HTTP (web role); tests pass false when they need no server; 'optional' only warns when the port is taken. */
  listen?: boolean | 'optional';
}

export interface App {
  tutor: Tutor;
  db: Database;
  redis: Redis;
  queues: Queues;
  content: LoadedContent;
  learners: MongoLearnerStore;
  /** Each inbound update's decision, then its done mark (src/storage/update-log.ts). */
  updates: UpdateLog;
  reachability: Reachability;
  metrics: Metrics;
  /** Unprompted-message budgets, held messages and their count. */
  unprompted: UnpromptedGate;
  /** Announcements: the service the admin surfaces use (broadcastRoutes, the CLI, /thongbao). */
  broadcasts: BroadcastParts;
  server?: FastifyInstance;
  ingress: Ingress;
  logger: Logger;
  i18n: Translator;
  /** Resolves true when no inbound job, and no outbound job of this process's channels, is waiting or running. */
  idle(): Promise<boolean>;
  stop(): Promise<void>;
}

export async function createApp(opts: AppOptions): Promise<App> {
  const s: Services = await buildServices(opts.config, { ...opts, defaultMetrics: opts.listen !== false });
  const { config, db, queues, logger } = s;
  // Database state kept under the bare queue prefix by earlier versions moves under the database's name (once).
  try {
    const cohorts = await db.models.Cohort.find({}, { _id: 1 }).lean<{ _id: string }[]>();
    const moved = await moveLegacyKeys(s.redis, queues.settings.prefix, s.recordsPrefix, cohorts.map((c) => String(c._id)));
    if (moved > 0) logger.info({ moved, to: s.recordsPrefix }, 'moved sweep marks and blocked conversations under the database name');
  } catch (err) {
    logger.warn({ err: (err as Error).message }, 'could not move keys kept under the queue prefix; continuing');
  }
  // The stats counters, counted in Redis and flushed to MongoDB (closed last, after the workers).
  const counters = new StatsCounters({ conn: db.conn, redis: s.redis, prefix: queues.settings.prefix, clock: s.clock, timezone: config.TIMEZONE, onError: (err) => logger.warn({ err: (err as Error).message }, 'stats counters not flushed; retried') });
  const tutorDeps = buildTutorDeps({
    ...s,
    counters,
    reachability: new MongoReachability(db.models, { redis: s.redis, key: blockedConversationsKey(s.recordsPrefix) }, new RecordCopies(s.redis, s.recordsPrefix)),
    leases: new RedisLeases(s.redis, queues.settings.prefix),
    cache: { redis: s.redis, prefix: s.recordsPrefix },
    queuePrefix: queues.settings.prefix,
  });
  const tutor = new Tutor(tutorDeps);
  const reachability = tutorDeps.reachability;
  const order = inboundOrder(queues, s.redis);
  const ingress = inboundIngress(queues, order);
  s.metrics.trackQueues(() => queues.depths());

  const channels = buildChannels(s, opts.role, opts.channels ?? [], (c) => reachability.markBlocked(c, new Date()));
  const unprompted = new UnpromptedGate({
    redis: s.redis,
    prefix: queues.settings.prefix,
    held: new MongoHeldMessages(db.models),
    directory: new MongoConversationDirectory(db.models),
    queues,
    metrics: s.metrics,
    clock: s.clock,
    timezone: config.TIMEZONE,
    perDay: { zalo: config.ZALO_UNPROMPTED_PER_DAY },
    channels: channels.map((c) => c.name),
  });

  // Administration: the audit log, the stats counters, broadcasts, and what the API and the admins' chats reach.
  const admin = buildAdmin(s);
  const stats = buildStats({ db, counters, redis: s.redis, prefix: queues.settings.prefix, clock: s.clock, catalog: tutorDeps.catalog, i18n: s.i18n, timezone: config.TIMEZONE, defaultLocale: config.DEFAULT_LOCALE, defaultCohort: config.DEFAULT_COHORT });
  const broadcasts = buildBroadcasts(s, { channels: channels.map((c) => c.name), audit: admin.audit });
  const adminCommands: AdminChatCommand[] = [
    stats.chat,
    announceCommand({ service: broadcasts.service, i18n: s.i18n, redis: s.redis, prefix: queues.settings.prefix }),
    ...(opts.adminCommands ?? []),
  ];
  const adminModules: AdminRoutes[] = [
    stats.routes,
    rosterRoutes({ conn: db.conn, cohorts: stats.cohorts, catalog: tutorDeps.catalog, i18n: s.i18n, clock: s.clock, audit: admin.audit, onInvited: (e) => stats.counters.invited(e), ...(config.TELEGRAM_BOT_USERNAME ? { telegramBot: config.TELEGRAM_BOT_USERNAME } : {}) }),
    broadcastRoutes({ service: broadcasts.service }),
  ];

  let stopped = false;
  const workers: AnyWorker[] =
    opts.role === 'web' ? [] : await startWorkers(s, { tutor, tutorDeps, channels, reachability, unprompted, order, adminChat: buildAdminChat(s, tutorDeps, adminCommands, admin.accounts), stopping: () => stopped, broadcasts });

  let server: FastifyInstance | undefined;
  if (opts.role !== 'worker' && opts.listen !== false) {
    server = await buildWeb(s, channels, adminModules);
    try {
      await server.listen({ port: config.HTTP_PORT, host: '0.0.0.0' });
    } catch (err) {
      if (opts.listen !== 'optional') throw err;
      logger.warn({ port: config.HTTP_PORT, err: (err as Error).message }, 'HTTP server not started; the chat works without it');
      server = undefined;
    }
  }

  // Intake (polling, webhook registration, stdin) belongs to the web role; workers only send.
  if (opts.role !== 'worker') for (const adapter of channels) await adapter.start(ingress);

  return {
    tutor,
    db,
    redis: s.redis,
    queues,
    content: s.content,
    learners: tutorDeps.learners as MongoLearnerStore,
    updates: tutorDeps.updates,
    reachability,
    metrics: s.metrics,
    unprompted,
    broadcasts,
    server,
    ingress,
    logger,
    i18n: s.i18n,
    // Jobs of a channel this process does not serve (another deployment's, an old demo's) never finish here.
    idle: () => queues.idle(channels.map((c) => c.name)),
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const adapter of channels) await adapter.stop();
      await server?.close();
      await Promise.all(workers.map((w) => w.close()));
      await broadcasts.close();
      await counters.close().catch((err) => logger.warn({ err: (err as Error).message }, 'stats counters not flushed at stop; the next flush or recount writes them'));
      await s.close();
    },
  };
}
