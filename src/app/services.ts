/**
 * The shared services every role, the CLI and the tests run on: configuration, logger, clock,
 * content, MongoDB, Redis, queues, translations and metrics. Built once per process.
 */
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { pino, type Logger } from 'pino';
import type { Config } from '../config.js';
import { loadContent, type LoadedContent } from '../content/load.js';
import { assertNoErrors } from '../content/problems.js';
import { createTranslator } from '../i18n/index.js';
import type { Clock, Random, Translator } from '../core/ports.js';
import { connectDatabase, type Database } from '../storage/mongo.js';
import { recordsKeyPrefix } from '../storage/record-copies.js';
import { syncContentCohorts } from '../storage/cohorts.js';
import { Queues } from '../scheduler/queues.js';
import { Metrics } from '../metrics.js';

export interface ServiceOptions {
  /** Project root: where content/ and locales/ are resolved from. */
  root: string;
  logger?: Logger;
  clock?: Clock;
  random?: Random;
  /** Redis key prefix of the queues. @defaultValue config.QUEUE_PREFIX */
  queuePrefix?: string;
  /** Default Node.js metrics (event loop, heap), for processes that serve /metrics. @defaultValue false */
  defaultMetrics?: boolean;
}

export interface Services {
  config: Config;
  root: string;
  logger: Logger;
  clock: Clock;
  random: Random;
  contentDir: string;
  content: LoadedContent;
  db: Database;
  redis: Redis;
  queues: Queues;
  /**
   * Where Redis keeps copies of this database's records (the queues' prefix and the database's
   * name, `recordsKeyPrefix`): the records and links the inbound path reads, the blocked
   * conversations the send gate reads, the sweeps' dirty marks.
   */
  recordsPrefix: string;
  i18n: Translator;
  metrics: Metrics;
  close(): Promise<void>;
}

/** The project root (where package.json, content/ and locales/ are), from a module's URL: the same from src/ under tsx and from dist/ in the image. */
export function projectRoot(moduleUrl: string): string {
  let dir = dirname(fileURLToPath(moduleUrl));
  while (!existsSync(resolve(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cds-tutor: no package.json above ' + fileURLToPath(moduleUrl));
    dir = parent;
  }
  return dir;
}

/** The content folder: CONTENT_DIR, relative to the project root unless absolute. */
export function contentDirOf(config: Config, root: string): string {
  return isAbsolute(config.CONTENT_DIR) ? config.CONTENT_DIR : resolve(root, config.CONTENT_DIR);
}

/** Loads and checks the content, connects MongoDB and Redis, and stores the content's cohorts. */
export async function buildServices(config: Config, opts: ServiceOptions): Promise<Services> {
  const logger = opts.logger ?? pino({ level: config.LOG_LEVEL }, pino.destination(2));
  const clock = opts.clock ?? { now: () => new Date() };
  const random = opts.random ?? { next: Math.random };
  const contentDir = contentDirOf(config, opts.root);
  const content = loadContent(contentDir);
  assertNoErrors(content.problems);

  const db = await connectDatabase(config.MONGODB_URL);
  const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: null });
  try {
    await syncContentCohorts(db.models, content.cohorts, clock.now(), config.TIMEZONE);
    const i18n = await createTranslator(resolve(opts.root, 'locales'), config.DEFAULT_LOCALE);
    const queues = new Queues({ connection: redis, prefix: opts.queuePrefix ?? config.QUEUE_PREFIX });
    const metrics = new Metrics(opts.defaultMetrics ?? false);
    return {
      config,
      root: opts.root,
      logger,
      clock,
      random,
      contentDir,
      content,
      db,
      redis,
      queues,
      recordsPrefix: recordsKeyPrefix(queues.settings.prefix, db.conn.name),
      i18n,
      metrics,
      async close() {
        await queues.close();
        await redis.quit().catch(() => undefined);
        await db.close();
      },
    };
  } catch (err) {
    redis.disconnect();
    await db.close();
    throw err;
  }
}
