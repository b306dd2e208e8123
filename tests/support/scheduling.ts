/** Wiring for scheduler tests: the tutor, the planner and send workers on real MongoDB and Redis, with a moved clock. */
import { Redis } from 'ioredis';
import type { Worker } from 'bullmq';
import { Tutor } from '../../src/core/tutor.js';
import { Pushes } from '../../src/core/push.js';
import type { OutboundMessage } from '../../src/core/messages.js';
import type { TutorDeps } from '../../src/core/ports.js';
import type { Enrolment, Learner } from '../../src/core/model.js';
import type { ChannelAdapter } from '../../src/channels/types.js';
import { SendError } from '../../src/channels/shared/errors.js';
import { connectDatabase, type Database } from '../../src/storage/mongo.js';
import { syncContentCohorts, upsertCohort, type CohortFields } from '../../src/storage/cohorts.js';
import { MongoLearnerStore } from '../../src/storage/stores.js';
import { MongoScheduledSendLog, MongoScheduleSource, MongoSweepStates } from '../../src/storage/schedule.js';
import { SweepBuckets } from '../../src/storage/sweep-buckets.js';
import { Queues } from '../../src/scheduler/queues.js';
import { RedisLeases } from '../../src/scheduler/leases.js';
import type { SendJob, SendJobName } from '../../src/scheduler/jobs.js';
import { Planner, type PlannerDeps } from '../../src/scheduler/planner.js';
import { createSendWorker, type SendWorkerOptions } from '../../src/scheduler/send-worker.js';
import { ChatPacing } from '../../src/scheduler/pacing.js';
import { Outbox } from '../../src/scheduler/outbox.js';
import { PushDelivery } from '../../src/scheduler/push-delivery.js';
import { Metrics } from '../../src/metrics.js';
import { TestClock, eventually, shipped, testConfig, tutorDeps, uniqueName } from './env.js';
import { ChatLearner } from './chat.js';
import { deleteKeys } from './cleanup.js';
import { StatsCounters } from '../../src/admin/stats/counters.js';

/** A console-named channel that records what it was asked to send, and fails on cue. */
export class CaptureAdapter implements ChannelAdapter {
  readonly name = 'console' as const;
  readonly sent: { address: string; messages: OutboundMessage[] }[] = [];
  private readonly failures = new Map<string, SendError[]>();
  calls = 0;

  async start(): Promise<void> {}
  async stop(): Promise<void> {}

  /** The next sends to `address` throw these errors, one each. */
  failNext(address: string, ...errors: SendError[]): void {
    this.failures.set(address, [...(this.failures.get(address) ?? []), ...errors]);
  }

  async send(address: string, messages: OutboundMessage[]): Promise<void> {
    this.calls += 1;
    const failure = this.failures.get(address)?.shift();
    if (failure) throw failure;
    this.sent.push({ address, messages });
  }

  to(address: string): OutboundMessage[][] {
    return this.sent.filter((s) => s.address === address).map((s) => s.messages);
  }

  texts(address: string): string[] {
    return this.to(address).map((m) => m.map((x) => x.text).join('\n'));
  }
}

export interface SchedulingHarness {
  db: Database;
  redis: Redis;
  /** The tutor's Redis copies: stores a test writes through are built with it (see EngineHarness.cache). */
  cache: { redis: Redis; prefix: string };
  queues: Queues;
  outbox: Outbox;
  clock: TestClock;
  deps: TutorDeps;
  tutor: Tutor;
  adapter: CaptureAdapter;
  metrics: Metrics;
  cohortId: string;
  planner(extra?: Partial<PlannerDeps>): Planner;
  /** Starts a send worker for the capture channel (closed by `close`). */
  startSender(opts?: Partial<SendWorkerOptions>): Worker<SendJob, string, SendJobName>;
  /** Waits until the console send queue has nothing waiting, delayed or active. */
  drained(): Promise<void>;
  learner(name?: string): Promise<ChatLearner & { id: string; address: string }>;
  /** Changes a learner's record or their enrolment in their cohort through the app's stores, so that the copies and the sweep marks follow. */
  change(learnerId: string, c: { learner?: Partial<Learner>; enrolment?: Partial<Enrolment> }): Promise<void>;
  close(): Promise<void>;
}

/** A cohort `cohortId` (the default cohort of this harness) with the given window and rules. */
export async function schedulingHarness(cohort: Omit<CohortFields, 'id' | 'courseId'>, config: Record<string, string> = {}): Promise<SchedulingHarness> {
  const cohortId = 'spring';
  const cfg = testConfig({ DEFAULT_COHORT: cohortId, ...config });
  const clock = new TestClock(new Date(cohort.opensAt.getTime() + 3600_000));
  const db = await connectDatabase(cfg.MONGODB_URL);
  const content = shipped();
  await syncContentCohorts(db.models, content.cohorts, clock.now());
  await upsertCohort(db.models, { id: cohortId, courseId: 'cds-xa', ...cohort });
  const redis = new Redis(cfg.REDIS_URL, { maxRetriesPerRequest: null });
  const prefix = uniqueName('cdssched');
  const counters = new StatsCounters({ conn: db.conn, redis, prefix, clock, timezone: cfg.TIMEZONE });
  const deps = await tutorDeps({ db, content, config: cfg, clock, leases: new RedisLeases(redis, prefix), counters, cache: { redis, prefix } });
  const tutor = new Tutor(deps);
  const queues = new Queues({ connection: redis, prefix });
  const adapter = new CaptureAdapter();
  const metrics = new Metrics();
  const workers: Worker<SendJob, string, SendJobName>[] = [];
  const learners = new MongoLearnerStore(db.models, { redis, prefix });
  const pacing = new ChatPacing(redis, prefix, 100);
  const outbox = new Outbox(queues, pacing);
  return {
    outbox,
    db,
    redis,
    cache: { redis, prefix },
    queues,
    clock,
    deps,
    tutor,
    adapter,
    metrics,
    cohortId,
    planner: (extra = {}) =>
      new Planner({
        queues,
        outbox,
        // As the app wires it (src/app/workers.ts): the sweeps stream the packed buckets the stores mark.
        source: new MongoScheduleSource(db.models, new SweepBuckets(db.models, { redis, prefix })),
        states: new MongoSweepStates(db.models),
        catalog: deps.catalog,
        clock,
        timezone: cfg.TIMEZONE,
        nudgeAfterDays: cfg.NUDGE_AFTER_DAYS,
        metrics,
        ...extra,
      }),
    startSender(opts = {}) {
      const w = createSendWorker(queues, {
        adapter,
        metrics,
        reachability: deps.reachability,
        pacing,
        pushes: new PushDelivery(new MongoScheduledSendLog(db.models), new Pushes(deps), clock),
        ...opts,
      });
      workers.push(w);
      return w;
    },
    async drained() {
      await eventually(async () => {
        const c = await queues.send.console.getJobCounts('waiting', 'delayed', 'active', 'prioritized');
        return Object.values(c).every((n) => n === 0);
      }, 'the send queue to drain');
    },
    async change(learnerId, c) {
      const l = (await deps.learners.findById(learnerId))!;
      if (c.learner) await deps.learners.save({ ...l, ...c.learner });
      if (c.enrolment) await deps.enrolments.save({ ...(await deps.enrolments.find(learnerId, l.cohortId))!, ...c.enrolment });
    },
    async learner(name = 'Nguyễn Thị Hoa') {
      const chat = new ChatLearner(tutor, 'console');
      await chat.onboard({ name });
      const l = await learners.findByConversation(chat.conversation);
      return Object.assign(chat, { id: l!.id, address: chat.conversation.slice('console:'.length) });
    },
    async close() {
      await Promise.all(workers.map((w) => w.close()));
      await queues.close();
      await counters.close();
      await deleteKeys(redis, prefix);
      await redis.quit();
      await db.conn.dropDatabase();
      await db.close();
    },
  };
}
