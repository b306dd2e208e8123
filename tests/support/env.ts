/** Test wiring: a fresh database and queue prefix per test file, on the real Redis and MongoDB-compatible server. */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import { dirname, join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { loadConfig, type Config } from '../../src/config.js';
import { buildTutorDeps, createApp, type App } from '../../src/app/index.js';
import { Tutor } from '../../src/core/tutor.js';
import { createTranslator } from '../../src/i18n/index.js';
import { RecordCopies } from '../../src/storage/record-copies.js';
import { MongoReachability } from '../../src/storage/reachability.js';
import { loadContent, type LoadedContent } from '../../src/content/load.js';
import { connectDatabase, type Database } from '../../src/storage/mongo.js';
import { syncContentCohorts } from '../../src/storage/cohorts.js';
import type { Course } from '../../src/core/course.js';
import type { Clock, Leases, Random } from '../../src/core/ports.js';
import type { ChannelAdapter } from '../../src/channels/types.js';
import { deleteKeys, dropRun } from './cleanup.js';
import { Redis } from 'ioredis';
import { RedisLeases } from '../../src/scheduler/leases.js';
import { seededRandom } from '../../src/core/random.js';
import { StatsCounters } from '../../src/admin/stats/counters.js';
export { seededRandom };

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
}

/**
 * A fixed-offset time zone (`Etc/GMT±N`) in which it is about noon now: for a test that sends a
 * broadcast through the running app, whose quiet hours (21:00–07:00 in TIMEZONE) would otherwise
 * hold it whenever the suite runs in the Vietnamese evening. (IANA's `Etc/GMT` signs are inverted:
 * `Etc/GMT-7` is UTC+7.)
 */
export function daytimeZone(now = new Date()): string {
  let offset = 12 - now.getUTCHours();
  if (offset > 14) offset -= 24;
  if (offset < -12) offset += 24;
  return offset === 0 ? 'Etc/GMT' : `Etc/GMT${offset > 0 ? '-' : '+'}${Math.abs(offset)}`;
}

/** The configuration a test runs with: the environment's services, a database of its own. */
export function testConfig(overrides: Record<string, string> = {}): Config {
  const base = process.env.MONGODB_URL ?? 'mongodb://127.0.0.1:27017/cds_tutor';
  const url = new URL(base);
  url.pathname = `/${uniqueName('cds_test')}`;
  // Rendered certificates go to the system's temporary folder, not the project's.
  const certificates = join(tmpdir(), 'cds-test-certificates');
  return loadConfig({ ...process.env, LOG_LEVEL: 'silent', MONGODB_URL: url.toString(), CERTIFICATE_DIR: certificates, ...overrides });
}

/** A clock tests can move. */
export class TestClock implements Clock {
  constructor(public current: Date) {}
  now(): Date {
    return new Date(this.current);
  }
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}


let shippedContent: LoadedContent | undefined;
export function shipped(): LoadedContent {
  shippedContent ??= loadContent(resolve(ROOT, 'content'));
  return shippedContent;
}

export interface EngineHarness {
  tutor: Tutor;
  db: Database;
  config: Config;
  clock: TestClock;
  content: LoadedContent;
  /** The stats counters the tutor's saves count with (Redis, flushed to the database). */
  counters: StatsCounters;
  redis: Redis;
  /**
   * The tutor's Redis copies (src/storage/record-copies.ts): a test that changes a learner, an
   * enrolment or a deck itself does it through stores built with this, as the app's own code does.
   */
  cache: { redis: Redis; prefix: string };
  close(): Promise<void>;
}

/** A test file's database (its own, from testConfig) and Redis connection: `beforeAll(async () => ({ db, redis } = await openServices()))`. */
export async function openServices(): Promise<{ db: Database; redis: Redis }> {
  const config = testConfig();
  const db = await connectDatabase(config.MONGODB_URL);
  return { db, redis: new Redis(config.REDIS_URL, { maxRetriesPerRequest: null }) };
}

/** Removes what openServices gave a test file: its Redis keys under `prefix`, then its database. */
export async function closeServices({ db, redis }: { db: Database; redis: Redis }, prefix: string): Promise<void> {
  await deleteKeys(redis, prefix);
  await redis.quit();
  await db.conn.dropDatabase();
  await db.close();
}

/** The tutor over a fresh MongoDB database, with the shipped content and cohorts. */
export async function engine(opts: { clock?: TestClock; content?: LoadedContent; config?: Record<string, string> } = {}): Promise<EngineHarness> {
  const config = testConfig(opts.config);
  const content = opts.content ?? shipped();
  const clock = opts.clock ?? new TestClock(new Date());
  const db = await connectDatabase(config.MONGODB_URL);
  await syncContentCohorts(db.models, content.cohorts, clock.now());
  const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: null });
  const prefix = uniqueName('cdsengine');
  const counters = new StatsCounters({ conn: db.conn, redis, prefix, clock, timezone: config.TIMEZONE });
  const tutor = new Tutor(await tutorDeps({ db, content, config, clock, leases: new RedisLeases(redis, prefix), counters, cache: { redis, prefix } }));
  return {
    tutor,
    db,
    config,
    clock,
    content,
    counters,
    redis,
    cache: { redis, prefix },
    async close() {
      await counters.close();
      await deleteKeys(redis, prefix);
      await redis.quit();
      await db.conn.dropDatabase();
      await db.close();
    },
  };
}

/** The tutor's ports over the MongoDB stores, as the composition root builds them. */
export async function tutorDeps(p: { db: Database; content: LoadedContent; config: Config; clock: Clock; random?: Random; leases: Leases; counters: StatsCounters; cache: { redis: Redis; prefix: string } }) {
  const i18n = await createTranslator(resolve(ROOT, 'locales'), p.config.DEFAULT_LOCALE);
  return buildTutorDeps({ ...p, random: p.random ?? seededRandom(), i18n, reachability: new MongoReachability(p.db.models, undefined, new RecordCopies(p.cache.redis, p.cache.prefix)) });
}

/** The whole application (queues and workers included) with a fresh database and Redis key prefix. */
export async function application(
  channels: ChannelAdapter[],
  overrides: Record<string, string> = {},
  opts: { listen?: boolean; clock?: Clock } = {},
): Promise<App & { dispose(): Promise<void> }> {
  // Whole journeys run hundreds of replies to one chat: no one-second gap between them here
  // (pacing has its own tests in send-queue.test.ts).
  const config = testConfig({ CHAT_GAP_MS: '0', ...(opts.listen ? { HTTP_PORT: '0' } : {}), ...overrides });
  const prefix = uniqueName('cdstest');
  const app = await createApp({
    config,
    role: 'all',
    root: ROOT,
    channels,
    listen: opts.listen ?? false,
    clock: opts.clock,
    queuePrefix: prefix,
    logger: pino({ level: 'silent' }),
  });
  return Object.assign(app, {
    async dispose() {
      await app.stop().catch(() => undefined);
      await dropRun(config, prefix);
    },
  });
}

/** Waits until `check` holds, polling; fails with `what` after `ms`. */
export async function eventually(check: () => Promise<boolean> | boolean, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for: ${what}`);
}

/** An engine harness that fills in when the file's tests start, with the shipped course at hand. */
export type UsedEngine = EngineHarness & { course: Course };

/**
 * The tutor over a fresh database for one test file: started before its tests, dropped after
 * them. Read its fields inside tests (they are filled in by then).
 */
export function useEngine(opts: Parameters<typeof engine>[0] & { courseId?: string } = {}): UsedEngine {
  const used = {} as UsedEngine;
  beforeAll(async () => {
    const h = await engine(opts);
    const course = h.content.courses.get(opts.courseId ?? 'cds-xa');
    if (!course) throw new Error(`no course ${opts.courseId ?? 'cds-xa'} in the content`);
    Object.assign(used, h, { course });
  }, 30_000);
  afterAll(async () => {
    await used.close?.();
  });
  return used;
}
