/**
 * The reports part of the administration, built from the app's parts: counters (kept by the
 * tracked stores of src/app/tutor.ts), the route module, the question analysis, `/thongke`.
 */
import type { Locale } from '../../core/course.js';
import type { Redis } from 'ioredis';
import type { Clock, CohortStore, CourseCatalog, Translator } from '../../core/ports.js';
import type { Database } from '../../storage/mongo.js';
import { MongoCohortStore } from '../../storage/stores.js';
import type { AdminRoutes } from '../http-types.js';
import { StatsCounters } from './counters.js';
import { StatsTracker } from './tracking.js';
import { QuestionAnalysis } from './questions.js';
import { statsRoutes } from './routes.js';
import { StatsChatCommand } from './chat.js';

export { StatsCounters, type InvitedPlace } from './counters.js';
export { statsRoutes, type StatsRouteDeps } from './routes.js';
export { StatsChatCommand } from './chat.js';
export { recount } from './recount.js';

export interface StatsParts {
  db: Database;
  /** The app's counters (those the tutor's tracked stores count with); else new ones over `redis` and `prefix`. */
  counters?: StatsCounters;
  redis: Redis;
  /** The queues' Redis prefix (the counters' keys live under it). */
  prefix: string;
  clock: Clock;
  catalog: CourseCatalog;
  i18n: Translator;
  timezone: string;
  defaultLocale: Locale;
  defaultCohort: string;
  cohorts?: CohortStore;
  /** See StatsRouteDeps.statsCacheMs. */
  statsCacheMs?: number;
}

export interface Stats {
  counters: StatsCounters;
  tracker: StatsTracker;
  questions: QuestionAnalysis;
  cohorts: CohortStore;
  routes: AdminRoutes;
  chat: StatsChatCommand;
}

export function buildStats(p: StatsParts): Stats {
  const counters = p.counters ?? new StatsCounters({ conn: p.db.conn, redis: p.redis, prefix: p.prefix, clock: p.clock, timezone: p.timezone });
  const cohorts = p.cohorts ?? new MongoCohortStore(p.db.models);
  const questions = new QuestionAnalysis({ models: p.db.models, cohorts, catalog: p.catalog, clock: p.clock });
  return {
    counters,
    tracker: new StatsTracker(p.db.conn, counters, p.catalog),
    questions,
    cohorts,
    routes: statsRoutes({ models: p.db.models, counters, cohorts, catalog: p.catalog, i18n: p.i18n, clock: p.clock, questions, defaultLocale: p.defaultLocale, ...(p.statsCacheMs !== undefined ? { statsCacheMs: p.statsCacheMs } : {}) }),
    chat: new StatsChatCommand({ counters, cohorts, catalog: p.catalog, i18n: p.i18n, clock: p.clock, defaultCohort: p.defaultCohort }),
  };
}
