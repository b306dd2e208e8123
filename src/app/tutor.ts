/** The tutor and what it runs on: the MongoDB stores behind the core's ports, content, clock, translations. */
import type { Config } from '../config.js';
import type { LoadedContent } from '../content/load.js';
import { ContentCatalog } from '../content/catalog.js';
import type { Clock, Leases, Random, Translator, TutorDeps } from '../core/ports.js';
import type { Database } from '../storage/mongo.js';
import {
  MongoAnswerStore,
  MongoCohortStore,
  MongoEnrolmentStore,
  MongoFeedbackStore,
  MongoLearnerStore,
  MongoLinkCodeStore,
  type RedisCopies,
} from '../storage/stores.js';
import { RedisUpdateLog } from '../storage/update-log.js';
import { MongoCertificateStore } from '../storage/certificates.js';
import { MongoReviewStore } from '../storage/review.js';
import { FsrsMemory } from '../memory/fsrs.js';
import { MongoInvitationStore } from '../storage/invitations.js';
import type { StatsCounters } from '../admin/stats/counters.js';
import { StatsTracker, TrackedEnrolmentStore, TrackedLearnerStore, TrackedReachability } from '../admin/stats/tracking.js';
import type { MongoReachability } from '../storage/reachability.js';
import { MongoTopicRatingStore } from '../admin/stats/ratings.js';

export interface TutorParts {
  config: Config;
  db: Database;
  content: Pick<LoadedContent, 'courses' | 'provinces'>;
  clock: Clock;
  random: Random;
  i18n: Translator;
  /** Wrapped so that the learner's kept row follows each change (TrackedReachability). */
  reachability: MongoReachability;
  leases: Leases;
  /** The stats counters the tracked stores count with (one per process: it flushes them; see src/admin/stats/counters.ts). */
  counters: StatsCounters;
  /**
   * Redis, under the records prefix (the queues' prefix and the database's name, `recordsKeyPrefix`):
   * the copies that spare database round trips on every update (links, learners, enrolments, decks).
   */
  cache: RedisCopies;
  /**
   * The queues' prefix, for the update log (each update's decision, src/storage/update-log.ts): it
   * belongs beside the update's own job, not to the database. @defaultValue the cache's prefix
   */
  queuePrefix?: string;
}

export function buildTutorDeps(p: TutorParts): TutorDeps {
  const m = p.db.models;
  const catalog = new ContentCatalog(p.content);
  // The stats counters follow every learner and enrolment save (src/admin/stats/tracking.ts).
  const tracker = new StatsTracker(p.db.conn, p.counters, catalog);
  const learners = new TrackedLearnerStore(new MongoLearnerStore(m, p.cache), tracker);
  return {
    learners,
    enrolments: new TrackedEnrolmentStore(new MongoEnrolmentStore(m, p.cache), tracker),
    answers: new MongoAnswerStore(m),
    cohorts: new MongoCohortStore(m),
    feedback: new MongoFeedbackStore(m),
    ratings: new MongoTopicRatingStore(p.db.conn),
    links: new MongoLinkCodeStore(m),
    certificates: new MongoCertificateStore(p.db.conn, { serialPrefix: p.config.CERTIFICATE_SERIAL_PREFIX, timezone: p.config.TIMEZONE }),
    reachability: new TrackedReachability(p.reachability, learners),
    leases: p.leases,
    updates: new RedisUpdateLog(p.cache.redis, p.queuePrefix ?? p.cache.prefix, { decisionTtlSeconds: p.config.RETAIN_UPDATES_DAYS * 86_400 }),
    catalog,
    reviews: new MongoReviewStore(m, p.cache),
    invitations: new MongoInvitationStore(p.db.conn),
    memory: new FsrsMemory(),
    clock: p.clock,
    random: p.random,
    i18n: p.i18n,
    defaultLocale: p.config.DEFAULT_LOCALE,
    defaultCohort: p.config.DEFAULT_COHORT,
    timezone: p.config.TIMEZONE,
  };
}
