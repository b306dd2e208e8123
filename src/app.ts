/** The composition root: the only place that knows every part. Used by main.ts and by the tests. */
import { Redis } from 'ioredis';
import type { Worker } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { pino, type Logger } from 'pino';
import type { Config } from './config.js';
import { loadContent, type LoadedContent } from './content/load.js';
import { assertNoErrors } from './content/problems.js';
import { ContentCatalog } from './content/catalog.js';
import { createTranslator } from './i18n/index.js';
import { Tutor } from './core/tutor.js';
import type { Clock, Random, TutorDeps } from './core/ports.js';
import { Pushes } from './core/push.js';
import type { InboundEvent } from './core/messages.js';
import type { ConversationId } from './core/model.js';
import { connectDatabase, type Database } from './storage/mongo.js';
import {
  MongoAnswerStore,
  MongoCohortStore,
  MongoEnrolmentStore,
  MongoFeedbackStore,
  MongoLearnerStore,
  MongoLinkCodeStore,
  MongoUpdateLog,
} from './storage/stores.js';
import { syncContentCohorts } from './storage/cohorts.js';
import { Queues } from './scheduler/queues.js';
import { jobId } from './scheduler/jobs.js';
import { createInboundWorker } from './scheduler/inbound-worker.js';
import { createSendWorker } from './scheduler/send-worker.js';
import { UnpromptedGate } from './scheduler/unprompted.js';
import { createPlanWorker, scheduleSweeps } from './scheduler/plan-worker.js';
import { ChatPacing } from './scheduler/pacing.js';
import { Outbox } from './scheduler/outbox.js';
import { BlockedLog } from './scheduler/blocked-log.js';
import { PushDelivery } from './scheduler/push-delivery.js';
import { ScheduledSendLog, ScheduleSource, SweepStates } from './storage/schedule.js';
import type { ChannelAdapter, Ingress } from './channels/types.js';
import { createServer } from './http/server.js';
import { registerContentMedia } from './http/content-media.js';
import { registerWebhook } from './http/webhook.js';
import { TelegramAdapter } from './channels/telegram/adapter.js';
import { ZaloAdapter } from './channels/zalo/adapter.js';
import { ZaloBotClient } from './channels/zalo/client.js';
import { Metrics } from './metrics.js';

export type Role = 'all' | 'web' | 'worker';

export interface AppOptions {
  config: Config;
  role: Role;
  /** Project root: where content/ and locales/ are resolved from. */
  root: string;
  logger?: Logger;
  clock?: Clock;
  random?: Random;
  /** Redis key prefix for the queues (tests use one per run). */
  queuePrefix?: string;
  /** Channel adapters besides those the configuration turns on (Telegram and Zalo tokens): the console, test doubles. */
  channels?: ChannelAdapter[];
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
  metrics: Metrics;
  /** Unprompted-message budgets, held messages and their count. */
  unprompted: UnpromptedGate;
  server?: FastifyInstance;
  ingress: Ingress;
  logger: Logger;
  /** Resolves when no inbound or outbound job is waiting or running. */
  idle(): Promise<boolean>;
  stop(): Promise<void>;
}

interface TutorParts {
  db: Database;
  content: Pick<LoadedContent, 'courses' | 'provinces'>;
  config: Config;
  clock: Clock;
  random: Random;
  root: string;
}

/** The tutor over the MongoDB stores. */
export async function buildTutor(p: TutorParts): Promise<Tutor> {
  return new Tutor(await buildTutorDeps(p));
}

/** What the tutor and the scheduled pushes run on: the MongoDB stores, content, clock and translations. */
export async function buildTutorDeps(p: TutorParts): Promise<TutorDeps> {
  const m = p.db.models;
  return {
    learners: new MongoLearnerStore(m),
    enrolments: new MongoEnrolmentStore(m),
    answers: new MongoAnswerStore(m),
    cohorts: new MongoCohortStore(m),
    feedback: new MongoFeedbackStore(m),
    links: new MongoLinkCodeStore(m),
    updates: new MongoUpdateLog(m),
    catalog: new ContentCatalog(p.content),
    clock: p.clock,
    random: p.random,
    i18n: await createTranslator(`${p.root}/locales`, p.config.DEFAULT_LOCALE),
    defaultLocale: p.config.DEFAULT_LOCALE,
    defaultCohort: p.config.DEFAULT_COHORT,
    timezone: p.config.TIMEZONE,
  };
}

export async function createApp(opts: AppOptions): Promise<App> {
  const { config } = opts;
  const logger = opts.logger ?? pino({ level: config.LOG_LEVEL }, pino.destination(2));
  const clock = opts.clock ?? { now: () => new Date() };
  const random = opts.random ?? { next: Math.random };

  const contentDir = config.CONTENT_DIR.startsWith('/') ? config.CONTENT_DIR : `${opts.root}/${config.CONTENT_DIR}`;
  const content = loadContent(contentDir);
  assertNoErrors(content.problems);

  const db = await connectDatabase(config.MONGODB_URL);
  const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: null, lazyConnect: false });
  await syncContentCohorts(db.models, content.cohorts, clock.now());
  const learners = new MongoLearnerStore(db.models);
  const tutorDeps = await buildTutorDeps({ db, content, config, clock, random, root: opts.root });
  const tutor = new Tutor(tutorDeps);

  const metrics = new Metrics(opts.listen !== false);
  const queues = new Queues({ connection: redis, prefix: opts.queuePrefix ?? config.QUEUE_PREFIX });
  const ingress: Ingress = async (event: InboundEvent) => {
    await queues.inbound.add('handle', { event: { ...event, at: event.at.toISOString() } }, { jobId: jobId('in', event.channel, event.updateId) });
  };

  metrics.trackQueues(async () => {
    const rows = [];
    for (const q of [...queues.all(), queues.plan]) {
      const counts = await q.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'failed');
      for (const [state, count] of Object.entries(counts)) rows.push({ queue: q.name, state, count });
    }
    return rows;
  });

  const workers: Worker[] = [];
  const channels = [...(opts.channels ?? [])];
  let telegram: TelegramAdapter | undefined;
  if (config.TELEGRAM_BOT_TOKEN && !channels.some((c) => c.name === 'telegram')) {
    telegram = new TelegramAdapter({
      token: config.TELEGRAM_BOT_TOKEN,
      apiRoot: config.TELEGRAM_API_ROOT,
      mode: config.TELEGRAM_MODE,
      // Updates are taken in by web processes (webhook route or the one poller); workers only send.
      receive: opts.role !== 'worker',
      webhook: config.TELEGRAM_WEBHOOK_SECRET ? { publicBaseUrl: config.PUBLIC_BASE_URL, secret: config.TELEGRAM_WEBHOOK_SECRET } : undefined,
      contentDir,
      i18n: tutorDeps.i18n,
      defaultLocale: config.DEFAULT_LOCALE,
      logger,
      onBlocked: (c) => learners.markUnreachable(c),
    });
    channels.push(telegram);
  }
  if (config.ZALO_BOT_TOKEN && !channels.some((c) => c.name === 'zalo')) {
    channels.push(
      new ZaloAdapter({
        client: new ZaloBotClient(config.ZALO_BOT_TOKEN, { baseApiUrl: config.ZALO_API_BASE }),
        mode: config.ZALO_MODE,
        publicBaseUrl: config.PUBLIC_BASE_URL,
        webhookSecret: config.ZALO_WEBHOOK_SECRET,
        logger: logger.child({ channel: 'zalo' }),
      }),
    );
  }
  const unprompted = new UnpromptedGate({
    redis,
    prefix: opts.queuePrefix ?? config.QUEUE_PREFIX,
    models: db.models,
    queues,
    metrics,
    clock,
    timezone: config.TIMEZONE,
    perDay: { zalo: config.ZALO_UNPROMPTED_PER_DAY },
    channels: channels.map((c) => c.name),
  });
  let stopped = false;
  if (opts.role !== 'web') {
    const pacing = new ChatPacing(redis, queues.settings.prefix, config.CHAT_GAP_MS);
    const blocked = new BlockedLog(redis, queues.settings.prefix);
    const outbox = new Outbox(queues, pacing);
    workers.push(createInboundWorker(queues, tutor, metrics, 1, outbox, unprompted));
    workers.push(
      createPlanWorker(
        queues,
        redis,
        {
          queues,
          outbox,
          source: new ScheduleSource(db.models),
          states: new SweepStates(db.models),
          catalog: tutorDeps.catalog,
          clock,
          timezone: config.TIMEZONE,
          nudgeAfterDays: config.NUDGE_AFTER_DAYS,
          metrics,
        },
        () => stopped,
      ),
    );
    await scheduleSweeps(queues, config.SCHEDULER_SWEEP_SECONDS * 1000);
    const pushes = new PushDelivery(new ScheduledSendLog(db.models), new Pushes(tutorDeps), clock);
    for (const adapter of channels) {
      const rate = adapter.name === 'telegram' ? config.TELEGRAM_RATE_PER_SEC : adapter.name === 'zalo' ? config.ZALO_RATE_PER_SEC : undefined;
      workers.push(
        createSendWorker(queues, adapter, metrics, {
          ratePerSec: rate,
          concurrency: config.SEND_CONCURRENCY,
          // Order always; the one-second gap per chat only where a platform imposes it.
          pacing: adapter.name === 'console' ? new ChatPacing(redis, queues.settings.prefix, 0) : pacing,
          pushes,
          onBlocked: (c: ConversationId) => learners.markUnreachable(c),
          isUnreachable: (c: ConversationId) => learners.isUnreachable(c),
          unprompted: unprompted.policyFor(adapter.name),
          blocked,
        }),
      );
    }
    for (const w of workers) w.on('failed', (job, err) => logger.warn({ queue: w.name, jobId: job?.id, err: err.message }, 'job failed'));
  }

  let server: FastifyInstance | undefined;
  if (opts.role !== 'worker' && opts.listen !== false) {
    server = createServer({
      metrics,
      logger,
      metricsToken: config.METRICS_TOKEN,
      checks: { mongodb: () => db.conn.db!.admin().ping(), redis: () => redis.ping() },
    });
    await registerContentMedia(server, contentDir);
    for (const adapter of channels) if (adapter.webhook) await registerWebhook(server, adapter.webhook);
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
    redis,
    queues,
    content,
    learners,
    metrics,
    unprompted,
    server,
    ingress,
    logger,
    async idle() {
      for (const q of queues.all()) {
        const c = await q.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children');
        if (Object.values(c).some((n) => n > 0)) return false;
      }
      return true;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const adapter of channels) await adapter.stop();
      await server?.close();
      await Promise.all(workers.map((w) => w.close()));
      await queues.close();
      await redis.quit().catch(() => undefined);
      await db.close();
    },
  };
}
