/**
 * Benchmark: plan one deadline reminder for N synthetic learners stored in MongoDB.
 *   node --import tsx bench/plan-reminders.ts --learners 100000 [--batch 1000] [--keep-data]
 * Prints insertion time, planning wall time, jobs queued, peak RSS of this process while
 * planning, and Redis memory per queued job. Uses its own database and Redis key prefix,
 * both removed at the end (the learners are kept with --keep-data, and reused if present).
 */
import { parseArgs } from 'node:util';
import { Types } from 'mongoose';
import { Redis } from 'ioredis';
import { loadConfig } from '../src/config.js';
import { connectDatabase } from '../src/storage/mongo.js';
import { upsertCohort } from '../src/storage/cohorts.js';
import { MongoScheduleSource, MongoSweepStates } from '../src/storage/schedule.js';
import { enrolmentId } from '../src/storage/stores.js';
import { loadContent } from '../src/content/load.js';
import { ContentCatalog } from '../src/content/catalog.js';
import { Queues } from '../src/scheduler/queues.js';
import { Planner } from '../src/scheduler/planner.js';
import { ChatPacing } from '../src/scheduler/pacing.js';
import { Outbox } from '../src/scheduler/outbox.js';
import { deleteKeys } from '../tests/support/cleanup.js';

const { values } = parseArgs({
  options: { learners: { type: 'string', default: '100000' }, batch: { type: 'string', default: '1000' }, 'keep-data': { type: 'boolean', default: false } },
});
const N = Number(values.learners);
const BATCH = Number(values.batch);
const INSERT_BATCH = 10_000;
const config = loadConfig();
const url = new URL(config.MONGODB_URL);
url.pathname = `/cds_bench_${N}`;

const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);
const db = await connectDatabase(url.toString());
const m = db.models;
const now = new Date();

let insertSeconds = 0;
const existing = await m.Learner.estimatedDocumentCount();
if (existing !== N) {
  await db.conn.dropDatabase();
  await (await connectDatabase(url.toString())).close();
  const t0 = performance.now();
  for (let i = 0; i < N; i += INSERT_BATCH) {
    const learners = [];
    const enrolments: Record<string, unknown>[] = [];
    for (let j = i; j < Math.min(N, i + INSERT_BATCH); j++) {
      const _id = new Types.ObjectId();
      learners.push({
        _id,
        conversations: [`telegram:${1_000_000_000 + j}`],
        unreachable: [],
        profile: { fullName: `Học viên ${j}` },
        locale: 'vi',
        cohortId: 'bench',
        consent: true,
        lessonHour: 8,
        stopped: false,
        onboarded: true,
        createdAt: now,
        version: 0,
      });
      // One in five has completed: the planner must skip them.
      const status = j % 5 === 0 ? 'completed' : 'in_progress';
      enrolments.push({ _id: enrolmentId(String(_id), 'bench'), learnerId: String(_id), cohortId: 'bench', courseId: 'cds-xa', status, cursor: { at: 'idle' }, completedLessons: [], checkResults: {}, finalAttempts: [], lastActivityAt: now, version: 0 });
    }
    await m.Learner.collection.insertMany(learners, { ordered: false });
    await m.Enrolment.collection.insertMany(enrolments as never[], { ordered: false });
    if ((i / INSERT_BATCH) % 10 === 0) process.stderr.write(`inserted ${i + learners.length}/${N}\r`);
  }
  insertSeconds = (performance.now() - t0) / 1000;
  process.stderr.write('\n');
}
// Closes in a day less a minute: the P1D reminder is due now.
await upsertCohort(m, { id: 'bench', courseId: 'cds-xa', opensAt: new Date(now.getTime() - 10 * 86400_000), closesAt: new Date(now.getTime() + 86400_000 - 60_000), reminders: ['P1D'], quietHours: null, lessonHour: 8 });
await m.SweepState.deleteMany({});

const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: null });
const prefix = `cdsbench${Date.now().toString(36)}`;
const queues = new Queues({ connection: redis, prefix });
const content = loadContent(new URL('../content', import.meta.url).pathname);
const usedBefore = Number(/used_memory:(\d+)/.exec(await redis.info('memory'))![1]);

let peakRss = process.memoryUsage().rss;
const rssAtStart = peakRss;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
// Time spent queueing (Redis) apart from streaming (MongoDB), to tell which side bounds the sweep.
const outbox = new Outbox(queues, new ChatPacing(redis, prefix));
let queueMs = 0;
const add = outbox.add.bind(outbox);
outbox.add = async (jobs) => {
  const t = performance.now();
  try {
    return await add(jobs);
  } finally {
    queueMs += performance.now() - t;
  }
};
const planner = new Planner({
  queues,
  outbox,
  source: new MongoScheduleSource(m),
  states: new MongoSweepStates(m),
  catalog: new ContentCatalog(content),
  clock: { now: () => new Date() },
  timezone: config.TIMEZONE,
  nudgeAfterDays: 2,
  batchSize: BATCH,
});
const t1 = performance.now();
const queued = await planner.planReminders();
const planSeconds = (performance.now() - t1) / 1000;
clearInterval(sampler);
peakRss = Math.max(peakRss, process.memoryUsage().rss);

const jobs = await queues.send.telegram.count();
const usedAfter = Number(/used_memory:(\d+)/.exec(await redis.info('memory'))![1]);
const result = {
  learners: N,
  batch: BATCH,
  insertSeconds: insertSeconds ? Number(insertSeconds.toFixed(1)) : 'reused',
  planSeconds: Number(planSeconds.toFixed(1)),
  queued,
  jobsInQueue: jobs,
  jobsPerSecond: Math.round(queued / planSeconds),
  queueingSeconds: Number((queueMs / 1000).toFixed(1)),
  streamingSeconds: Number((planSeconds - queueMs / 1000).toFixed(1)),
  rssAtStartMB: mb(rssAtStart),
  peakRssMB: mb(peakRss),
  redisBytesPerJob: Math.round((usedAfter - usedBefore) / Math.max(1, jobs)),
};
process.stdout.write(`${JSON.stringify(result)}\n`);

// Clean up: the queued jobs and pacing keys (SCAN, not KEYS, on a shared Redis), then the data unless kept.
await deleteKeys(redis, prefix);
await queues.close();
await redis.quit();
if (!values['keep-data']) await db.conn.dropDatabase();
await db.close();
