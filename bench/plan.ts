/**
 * Benchmark: plan one deadline reminder for N learners, the sweep of this tree beside the one it
 * replaced (the merge of two sorted streams), in one run.
 *   node --import tsx bench/plan.ts --learners 100000 [--runs old,new,new-window] [--window 7500] [--batch 1000] [--baseline <commit>] [--keep-data]
 * Runs: `old` the sorted planner of <commit> (exported with `git archive` to a temporary folder and
 * run from there), `new` this tree's planner with no window (everything due queued at once),
 * `new-window` this tree's planner with a send window of --window jobs, while a no-op BullMQ
 * worker in this process drains the send queue (a stand-in for channels far faster than real).
 * Each planner runs in a child process: its peak RSS is its own. This process samples FerretDB's
 * RSS and Redis's used_memory (both shared with whatever else runs on the machine) and the jobs
 * waiting in the run's queue. Seeds learners and enrolments in bulk into its own database, kept
 * with --keep-data and reused when present; Redis keys are removed after each run.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Types } from 'mongoose';
import { Redis } from 'ioredis';
import { Worker } from 'bullmq';
import { loadConfig } from '../src/config.js';
import { connectDatabase } from '../src/storage/mongo.js';
import { upsertCohort } from '../src/storage/cohorts.js';
import { enrolmentId } from '../src/storage/stores.js';
import { learnerFacts } from '../src/storage/learner-facts.js';
import { deleteKeys } from '../tests/support/cleanup.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '../..');
const { values } = parseArgs({
  options: {
    learners: { type: 'string', default: '100000' },
    runs: { type: 'string', default: 'old,new,new-window' },
    window: { type: 'string', default: '7500' },
    batch: { type: 'string', default: '1000' },
    baseline: { type: 'string', default: 'a15463c' },
    'keep-data': { type: 'boolean', default: false },
    // Internal: run one planner in this process.
    child: { type: 'string' },
    prefix: { type: 'string' },
    root: { type: 'string' },
  },
});
const N = Number(values.learners);
const BATCH = Number(values.batch);
const config = loadConfig();
const url = new URL(config.MONGODB_URL);
url.pathname = `/cds_bench_plan_${N}`;
const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);
const now = new Date();

if (values.child) await child(values.child, values.root!, values.prefix!);
else await main();

/** One planner run in this process; prints its figures as JSON. */
async function child(run: string, root: string, prefix: string): Promise<void> {
  const src = (path: string) => import(join(root, 'src', path));
  const { connectDatabase } = await src('storage/mongo.ts');
  const { MongoScheduleSource, MongoSweepStates } = await src('storage/schedule.ts');
  const { loadContent } = await src('content/load.ts');
  const { ContentCatalog } = await src('content/catalog.ts');
  const { Queues } = await src('scheduler/queues.ts');
  const { Planner } = await src('scheduler/planner.ts');
  const { ChatPacing } = await src('scheduler/pacing.ts');
  const { Outbox } = await src('scheduler/outbox.ts');
  const window = run === 'new-window' ? (await src('scheduler/window.ts')).SendWindow : undefined;
  const db = await connectDatabase(url.toString());
  await db.models.SweepState.deleteMany({});
  const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: null });
  const queues = new Queues({ connection: redis, prefix });
  let peakRss = process.memoryUsage().rss;
  const rssAtStart = peakRss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
  const planner = new Planner({
    queues,
    outbox: new Outbox(queues, new ChatPacing(redis, prefix)),
    source: new MongoScheduleSource(db.models),
    states: new MongoSweepStates(db.models),
    catalog: new ContentCatalog(loadContent(join(ROOT, 'content'))),
    clock: { now: () => new Date() },
    timezone: config.TIMEZONE,
    nudgeAfterDays: 2,
    batchSize: BATCH,
    ...(window ? { window: new window(queues, { limits: { telegram: Number(values.window) }, pollMs: 200, maxWaitMs: 3600_000 }) } : {}),
  });
  const t = performance.now();
  const queued = await planner.planReminders();
  const seconds = (performance.now() - t) / 1000;
  clearInterval(sampler);
  process.stdout.write(`${JSON.stringify({ queued, seconds, rssAtStartMB: mb(rssAtStart), peakRssMB: mb(Math.max(peakRss, process.memoryUsage().rss)) })}\n`);
  await queues.close();
  await redis.quit();
  await db.close();
}

async function seed(): Promise<number> {
  const db = await connectDatabase(url.toString());
  const m = db.models;
  let seconds = 0;
  if ((await m.Enrolment.estimatedDocumentCount()) !== N) {
    await db.conn.dropDatabase();
    await (await connectDatabase(url.toString())).close();
    const t0 = performance.now();
    const STEP = 10_000;
    for (let i = 0; i < N; i += STEP) {
      const learners = [];
      const enrolments = [];
      for (let j = i; j < Math.min(N, i + STEP); j++) {
        const _id = new Types.ObjectId();
        const learner = { conversations: [`telegram:${1_000_000_000 + j}` as const], unreachable: [], consent: true, lessonHour: 8, stopped: false, onboarded: true };
        learners.push({ _id, ...learner, profile: { fullName: `Học viên ${j}` }, locale: 'vi', cohortId: 'bench', createdAt: now, version: 0 });
        // One in five has completed: the planner must skip them.
        const status = j % 5 === 0 ? 'completed' : 'in_progress';
        enrolments.push({
          _id: enrolmentId(String(_id), 'bench'),
          learnerId: String(_id),
          cohortId: 'bench',
          courseId: 'cds-xa',
          status,
          cursor: { at: 'idle' },
          completedLessons: [],
          checkResults: {},
          finalAttempts: [],
          lastActivityAt: now,
          version: 0,
          learnerFacts: learnerFacts({ id: String(_id), ...learner }),
        });
      }
      await m.Learner.collection.insertMany(learners, { ordered: false });
      await m.Enrolment.collection.insertMany(enrolments as never[], { ordered: false });
      process.stderr.write(`inserted ${i + learners.length}/${N}\r`);
    }
    seconds = (performance.now() - t0) / 1000;
    process.stderr.write('\n');
  }
  // Closes in a day less a minute: the P1D reminder is due now.
  await upsertCohort(m, { id: 'bench', courseId: 'cds-xa', opensAt: new Date(now.getTime() - 10 * 86400_000), closesAt: new Date(now.getTime() + 86400_000 - 60_000), reminders: ['P1D'], quietHours: null, lessonHour: 8 });
  await db.close();
  return seconds;
}

/** This tree's src, or the baseline commit's exported to a temporary folder beside a link to node_modules. */
function rootFor(run: string): { root: string; cleanup(): void } {
  if (run !== 'old') return { root: ROOT, cleanup: () => {} };
  const dir = mkdtempSync(join(tmpdir(), 'cds-plan-baseline-'));
  execFileSync('sh', ['-c', `git -C "${ROOT}" archive ${values.baseline} src content | tar -x -C "${dir}"`]);
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  symlinkSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
  return { root: dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

function ferretRss(): number {
  try {
    const pid = execFileSync('pgrep', ['-o', 'ferretdb']).toString().trim();
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
  } catch {
    return 0;
  }
}

async function main(): Promise<void> {
  const insertSeconds = await seed();
  const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: null });
  const used = async () => Number(/used_memory:(\d+)/.exec(await redis.info('memory'))![1]);
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  process.stdout.write(`${JSON.stringify({ learners: N, insertSeconds: insertSeconds ? Number(insertSeconds.toFixed(1)) : 'reused', loadAverage: load })}\n`);
  for (const run of String(values.runs).split(',')) {
    const prefix = `cdsbenchplan${Date.now().toString(36)}`;
    const { root, cleanup } = rootFor(run);
    const queueKey = `${prefix}:send-telegram`;
    const redisBefore = await used();
    let redisPeak = redisBefore;
    let ferretPeak = ferretRss();
    const ferretStart = ferretPeak;
    let waitingPeak = 0;
    const drainConnection = redis.duplicate();
    const drainer = run === 'new-window' ? new Worker('send-telegram', async () => {}, { connection: drainConnection, prefix, concurrency: 50 }) : undefined;
    const sampler = setInterval(async () => {
      redisPeak = Math.max(redisPeak, await used());
      ferretPeak = Math.max(ferretPeak, ferretRss());
      const waiting = (await redis.llen(`${queueKey}:wait`)) + (await redis.zcard(`${queueKey}:prioritized`)) + (await redis.zcard(`${queueKey}:delayed`));
      waitingPeak = Math.max(waitingPeak, waiting);
    }, 200);
    const out = await new Promise<string>((ok, fail) => {
      const p = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', run, '--root', root, '--prefix', prefix, '--learners', String(N), '--batch', String(BATCH), '--window', String(values.window)], { stdio: ['ignore', 'pipe', 'inherit'], cwd: root });
      let text = '';
      p.stdout.on('data', (d) => (text += d));
      p.on('exit', (code) => (code === 0 ? ok(text) : fail(new Error(`${run} exited with ${code}`))));
    });
    clearInterval(sampler);
    await drainer?.close();
    drainConnection.disconnect();
    cleanup();
    const r = JSON.parse(out.trim().split('\n').at(-1)!);
    process.stdout.write(
      `${JSON.stringify({
        run,
        ...(run === 'old' ? { baseline: values.baseline } : {}),
        ...(run === 'new-window' ? { window: Number(values.window) } : {}),
        planSeconds: Number(r.seconds.toFixed(1)),
        queued: r.queued,
        jobsPerSecond: Math.round(r.queued / r.seconds),
        plannerRssMB: `${r.rssAtStartMB} → ${r.peakRssMB}`,
        jobsWaitingPeak: waitingPeak,
        redisPeakMB: mb(redisPeak - redisBefore),
        ferretRssMB: `${mb(ferretStart)} → ${mb(ferretPeak)}`,
      })}\n`,
    );
    await deleteKeys(redis, prefix);
  }
  await redis.quit();
  if (!values['keep-data']) {
    const db = await connectDatabase(url.toString());
    await db.conn.dropDatabase();
    await db.close();
  }
}
