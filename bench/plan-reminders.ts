/**
 * Benchmark: plan one deadline reminder for N learners stored in MongoDB, through the current
 * reminder path: Planner.planReminders() (src/scheduler/planner.ts) reading the unsorted stream of
 * the cohort's sweep buckets (enrolments with their learner copies packed ~100 to a document,
 * src/storage/sweep-buckets.ts; seeded with the enrolments, as the app's fold writes them) through
 * MongoScheduleSource.enrolments, checkpointed
 * after each batch, and queueing through the Outbox only while the channel's SendWindow has room.
 *   node --import tsx bench/plan-reminders.ts --learners 100000 --seed-only     # seed (kept)
 *   node --import tsx bench/plan-reminders.ts --learners 100000 [--keep-data]   # plan (seeds if missing)
 * --window: jobs allowed waiting on the channel (the app: PLAN_WINDOW_SECONDS × TELEGRAM_RATE_PER_SEC,
 *          300 × 25 = 7,500). 0: no window (everything due queued at once, the first design's shape).
 * --drain / --no-drain: a bare worker in a child process (bench/drain.ts) completes each send job at
 *          once, so the window paces the planner only as much as Redis and the queue do. @defaultValue on
 * --no-facts: seed enrolments without their learner copy (`learnerFacts`), as written before the copy
 *          existed: the first sweep then reads each learner by _id and writes the copy (once).
 * --seeded: trust that --seed-only filled the database with N learners (skips the count, which FerretDB
 *          1.24 answers by counting: minutes at a million).
 * --db: the database (shared with bench/broadcast.ts --db: its learners are a broadcast's segment).
 * Prints planning wall time split into reading (MongoDB), waiting for the window, queueing (Redis)
 * and checkpoints; peak RSS of this process (the planner alone: no seeding, no worker); Redis
 * used_memory above the start (peak, sampled every 100 ms); the FerretDB process's RSS (start, peak).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { Types } from 'mongoose';
import { Redis } from 'ioredis';
import { loadConfig } from '../src/config.js';
import { connectDatabase } from '../src/storage/mongo.js';
import { upsertCohort } from '../src/storage/cohorts.js';
import { MongoScheduleSource, MongoSweepStates } from '../src/storage/schedule.js';
import { enrolmentId } from '../src/storage/stores.js';
import { learnerFacts } from '../src/storage/learner-facts.js';
import { bucketId, bucketOf, markBuilt, sweepEntry, SweepBuckets } from '../src/storage/sweep-buckets.js';
import { loadContent } from '../src/content/load.js';
import { ContentCatalog } from '../src/content/catalog.js';
import { Queues } from '../src/scheduler/queues.js';
import { Planner } from '../src/scheduler/planner.js';
import { ChatPacing } from '../src/scheduler/pacing.js';
import { Outbox } from '../src/scheduler/outbox.js';
import { SendWindow, windowLimits } from '../src/scheduler/window.js';
import { deleteKeys } from '../tests/support/cleanup.js';
import { cpuSecondsOf, redisCpuSeconds, rssSampler, serverPid, timed } from './proc.js';

const { values } = parseArgs({
  options: {
    learners: { type: 'string', default: '100000' },
    batch: { type: 'string', default: '1000' },
    'keep-data': { type: 'boolean', default: false },
    'seed-only': { type: 'boolean', default: false },
    window: { type: 'string' },
    drain: { type: 'boolean', default: true },
    'no-drain': { type: 'boolean', default: false },
    'no-facts': { type: 'boolean', default: false },
    seeded: { type: 'boolean', default: false },
    db: { type: 'string' },
  },
});
const N = Number(values.learners);
const BATCH = Number(values.batch);
const config = loadConfig();
const WINDOW = values.window !== undefined ? Number(values.window) : windowLimits({ telegram: config.TELEGRAM_RATE_PER_SEC }, config.PLAN_WINDOW_SECONDS).telegram!;
const DRAIN = values.drain && !values['no-drain'];
const url = new URL(config.MONGODB_URL);
url.pathname = `/${values.db ?? `cds_bench_plan_${N}`}`;
const ferretdbPid = serverPid(Number(url.port || 27017));
const ferretdb = rssSampler(ferretdbPid);

const mb = (bytes: number) => Math.round(bytes / 1e6);
const db = await connectDatabase(url.toString());
const m = db.models;
const now = new Date();

let insertSeconds = 0;
const existing = values.seeded ? N : await m.Learner.estimatedDocumentCount();
if (existing !== N) {
  await db.conn.dropDatabase();
  await (await connectDatabase(url.toString())).close();
  const t0 = performance.now();
  // 16 documents a command (FerretDB 1.24 hangs on large batches), 8 commands in flight.
  let next = 0;
  // Each sweep bucket's entries (`"<enrolment id>":<entry JSON>`), written after the enrolments.
  const packed = new Map<number, string[]>();
  const insertSome = async () => {
    for (let i = (next += 16) - 16; i < N; i = (next += 16) - 16) {
      const learners = [];
      const enrolments: Record<string, unknown>[] = [];
      for (let j = i; j < Math.min(N, i + 16); j++) {
        const _id = new Types.ObjectId();
        const learner = {
          _id,
          conversations: [`telegram:${4_000_000_000 + j}` as const],
          unreachable: [],
          profile: { fullName: `Học viên ${j}`, province: j % 3 === 0 ? 'Hà Tĩnh' : 'Nghệ An', role: 'chair' },
          locale: 'vi',
          cohortId: 'bench',
          consent: true,
          lessonHour: 8,
          stopped: false,
          onboarded: true,
          createdAt: now,
          version: 0,
        };
        learners.push(learner);
        // One in five has completed: the planner must skip them.
        const status = j % 5 === 0 ? 'completed' : 'in_progress';
        enrolments.push({
          _id: enrolmentId(String(_id), 'bench'), learnerId: String(_id), cohortId: 'bench', courseId: 'cds-xa', status, cursor: { at: 'idle' }, completedLessons: [], checkResults: {}, finalAttempts: [], lastActivityAt: now, version: 0,
          ...(values['no-facts'] ? {} : { learnerFacts: learnerFacts({ ...learner, id: String(_id) }) }),
        });
      }
      for (const e of enrolments) {
        const n = bucketOf(String(e._id));
        if (!packed.has(n)) packed.set(n, []);
        packed.get(n)!.push(`${JSON.stringify(String(e._id))}:${JSON.stringify(sweepEntry(e))}`);
      }
      await m.Learner.collection.insertMany(learners, { ordered: false });
      await m.Enrolment.collection.insertMany(enrolments as never[], { ordered: false });
      if (i % 100_000 === 0 && i) process.stderr.write(`inserted ${i}/${N} (${((performance.now() - t0) / 1000).toFixed(0)} s)\n`);
    }
  };
  await Promise.all(Array.from({ length: 8 }, insertSome));
  // The sweep buckets, as the app's fold writes them (src/storage/sweep-buckets.ts), then the marker that they are built.
  const ids = [...packed.keys()];
  let nextBucket = 0;
  const insertBuckets = async () => {
    for (let i = (nextBucket += 16) - 16; i < ids.length; i = (nextBucket += 16) - 16) {
      const docs = ids.slice(i, i + 16).map((n) => ({ _id: bucketId('bench', n), cohortId: 'bench', rows: `{${packed.get(n)!.join(',')}}` }));
      await m.SweepBucket.collection.insertMany(docs as never[], { ordered: false });
    }
  };
  await Promise.all(Array.from({ length: 4 }, insertBuckets));
  await markBuilt(m, 'bench');
  packed.clear();
  insertSeconds = (performance.now() - t0) / 1000;
  process.stderr.write(`inserted ${N} learners and enrolments in ${insertSeconds.toFixed(1)} s\n`);
}
// Closes in a day less a minute: the P1D reminder is due now.
await upsertCohort(m, { id: 'bench', courseId: 'cds-xa', opensAt: new Date(now.getTime() - 10 * 86400_000), closesAt: new Date(now.getTime() + 86400_000 - 60_000), reminders: ['P1D'], quietHours: null, lessonHour: 8 });
if (values['seed-only']) {
  process.stdout.write(`${JSON.stringify({ learners: N, insertSeconds: insertSeconds ? Number(insertSeconds.toFixed(1)) : 'already there' })}\n`);
  ferretdb.stop();
  await db.close();
  process.exit(0);
}
await m.SweepState.deleteMany({});

const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: null });
const prefix = `cdsbench${Date.now().toString(36)}`;
const buckets = new SweepBuckets(m, { redis, prefix });
// Data seeded before the buckets existed: built once here, outside the timing (the app does it at the cohort's first sweep).
let bucketBuildSeconds: number | undefined;
if (!(await buckets.isBuilt('bench'))) {
  const tb = performance.now();
  await buckets.prepare('bench');
  bucketBuildSeconds = Number(((performance.now() - tb) / 1000).toFixed(1));
  process.stderr.write(`built the sweep buckets in ${bucketBuildSeconds} s\n`);
}
const queues = new Queues({ connection: redis, prefix });
const content = loadContent(new URL('../content', import.meta.url).pathname);
const usedMemory = async () => Number(/used_memory:(\d+)/.exec(await redis.info('memory'))![1]);

let drainer: ReturnType<typeof spawn> | undefined;
let drainOut = '';
if (DRAIN) {
  drainer = spawn(process.execPath, ['--import', 'tsx', new URL('./drain.ts', import.meta.url).pathname, '--prefix', prefix], { stdio: ['ignore', 'pipe', 'inherit'] });
  drainer.stdout!.on('data', (d: Buffer) => (drainOut += d.toString()));
  while (!drainOut.includes('ready')) await new Promise((r) => setTimeout(r, 100));
}

const memStart = await usedMemory();
let memPeak = 0;
const rssAtStart = process.memoryUsage().rss;
let peakRss = rssAtStart;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  void usedMemory().then((u) => (memPeak = Math.max(memPeak, u - memStart)));
}, 100);
const ferretdbAtPlan = ferretdb.peak();
const cpuAtPlan = { planner: process.cpuUsage(), ferretdb: cpuSecondsOf(ferretdbPid), redis: await redisCpuSeconds(redis) };

// Where the time goes: queueing (Redis: the chats' order and addBulk), waiting for the window, checkpoints (MongoDB writes); the rest is reading.
const queueing = { ms: 0, n: 0 };
const waiting = { ms: 0, n: 0 };
const checkpoints = { ms: 0, n: 0 };
const outbox = new Outbox(queues, new ChatPacing(redis, prefix));
timed(outbox, 'add', queueing);
const window = WINDOW > 0 ? new SendWindow(queues, { limits: { telegram: WINDOW } }) : undefined;
if (window) timed(window, 'room', waiting);
const states = new MongoSweepStates(m);
timed(states, 'save', checkpoints);
const planner = new Planner({
  queues,
  outbox,
  source: new MongoScheduleSource(m, buckets),
  states,
  catalog: new ContentCatalog(content),
  clock: { now: () => new Date() },
  timezone: config.TIMEZONE,
  nudgeAfterDays: 2,
  batchSize: BATCH,
  window,
});
const t1 = performance.now();
let queued = 0;
let sweeps = 0;
// As the plan worker does: a sweep the window stopped is taken again at the next tick, from its checkpoint.
for (;;) {
  sweeps += 1;
  queued += await planner.planReminders();
  const state = await states.get(`reminder|bench|P1D`);
  if (state.done) break;
}
const planSeconds = (performance.now() - t1) / 1000;
clearInterval(sampler);
const plannerCpu = process.cpuUsage(cpuAtPlan.planner);
// CPU seconds each side used while planning: what bounds the sweep when the machine is shared (2 cores, other sessions).
const cpuSeconds = {
  planner: Number(((plannerCpu.user + plannerCpu.system) / 1e6).toFixed(1)),
  ferretdb: Number((cpuSecondsOf(ferretdbPid) - cpuAtPlan.ferretdb).toFixed(1)),
  redis: Number(((await redisCpuSeconds(redis)) - cpuAtPlan.redis).toFixed(1)),
};
peakRss = Math.max(peakRss, process.memoryUsage().rss);
memPeak = Math.max(memPeak, (await usedMemory()) - memStart);
ferretdb.stop();

const jobsLeft = await queues.send.telegram.getJobCounts('waiting', 'prioritized', 'delayed', 'active', 'completed');
if (drainer) {
  drainer.kill('SIGTERM');
  await once(drainer, 'exit');
}
const s = (ms: number) => Number((ms / 1000).toFixed(1));
const result = {
  learners: N,
  batch: BATCH,
  window: WINDOW || 'none',
  drain: DRAIN,
  insertSeconds: insertSeconds ? Number(insertSeconds.toFixed(1)) : 'reused',
  ...(bucketBuildSeconds !== undefined ? { bucketBuildSeconds } : {}),
  planSeconds: Number(planSeconds.toFixed(1)),
  sweeps,
  queued,
  jobsPerSecond: Math.round(queued / planSeconds),
  readingSeconds: s(planSeconds * 1000 - queueing.ms - waiting.ms - checkpoints.ms),
  windowWaitSeconds: s(waiting.ms),
  queueingSeconds: s(queueing.ms),
  checkpointSeconds: s(checkpoints.ms),
  cpuSeconds,
  loadAverage: (await import('node:os')).loadavg().map((l) => Number(l.toFixed(1))),
  plannerRssStartMB: mb(rssAtStart),
  plannerRssPeakMB: mb(peakRss),
  redisPeakMB: Number((memPeak / 1e6).toFixed(1)),
  ferretdbRssMB: { atStart: mb(ferretdb.first), atPlan: mb(ferretdbAtPlan), peak: mb(ferretdb.peak()) },
  jobsLeft,
  drainer: drainOut.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l))[0],
};
process.stdout.write(`${JSON.stringify(result)}\n`);

// Clean up: the queued jobs and pacing keys (SCAN, not KEYS, on a shared Redis), then the data unless kept.
await deleteKeys(redis, prefix);
await queues.close();
await redis.quit();
if (!values['keep-data']) await db.conn.dropDatabase();
await db.close();
