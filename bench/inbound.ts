/**
 * Benchmark: inbound updates per second and their latency, webhook POST to the bot's reply, with
 * N other learners already stored; beside a minimal handler in the same run.
 *   node --import tsx bench/inbound.ts --stored 0,2000,20000 [--learners 100] [--answers 20] [--seconds 120]
 *                                     [--grace 30] [--probe-answers 6] [--keep-data] [--json FILE] [--workers N]
 * (--workers N: the web role in this process and N worker-role processes, `src/main.ts worker`, as
 * deployed; without it the whole app runs in this process. No command counting or probe then.)
 * (--probe-answers 0: no probe; it runs at the first N only, one step at a time.)
 * For each N in --stored: N learners (each with its conversation and an enrolment in the `demo`
 * cohort, shaped by the app's own models) are seeded into a database of the benchmark's own
 * (`cds_bench_inbound`), then two runs follow, each with --learners simulated Telegram users:
 *  - tutor: the real app in-process, createApp({ role: 'all', listen: true }) in webhook mode, on
 *    the fake Bot API of tests/support/fake-telegram.ts; planning sweeps paused (they would read the
 *    N learners meanwhile);
 *  - baseline: a Fastify route (secret header) → one mongoose insert into the same database → one
 *    BullMQ job → a worker POSTing sendMessage to the same kind of fake.
 * Every user does /start and onboarding (buttons where offered, typed text elsewhere); once all
 * are onboarded, each answers --answers times (a check question's option, or `next`: whatever the
 * last keyboard offered). One update at a time per user, each sent when the previous reply has
 * arrived. An update is answered when its reply job completes (BullMQ QueueEvents); its latency runs
 * from the webhook POST to the last message the fake received for that chat. After --seconds no
 * new update is sent; what is still unanswered --grace seconds later is censored: its latency is
 * only known to exceed the time it waited, and percentiles it reaches are printed as "≥ x".
 * MongoDB commands of the tutor's connection are counted (driver command monitoring): per handled
 * update over each run, and command by command for one learner alone (the probe, at the first N).
 * Redis keys are removed at the end; the database too, unless --keep-data (reused when present).
 */
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import Fastify from 'fastify';
import { Queue, QueueEvents, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { Schema, Types } from 'mongoose';
import type { CommandStartedEvent } from 'mongodb';
import { loadConfig } from '../src/config.js';
import { createApp, type App } from '../src/app/index.js';
import { enrolmentId } from '../src/storage/stores.js';
import { ONBOARDING } from '../tests/support/scripted-learner.js';
import { connectDatabase, type Database } from '../src/storage/mongo.js';
import { ensureIndexes } from '../src/storage/models.js';
import { loadContent } from '../src/content/load.js';
import { lessonsOf } from '../src/core/course.js';
import { jobId } from '../src/scheduler/jobs.js';
import { FakeTelegram, type Update } from '../tests/support/fake-telegram.js';
import { freePort, TelegramUser } from '../tests/support/telegram.js';
import { ROOT } from '../tests/support/env.js';
import { deleteKeys } from '../tests/support/cleanup.js';
import { WorkerProcess } from '../tests/support/worker-process.js';
import { cpuSecondsOf, redisCpuSeconds, serverPid } from './proc.js';

const { values } = parseArgs({
  options: {
    stored: { type: 'string', default: '0,2000,20000' },
    learners: { type: 'string', default: '100' },
    answers: { type: 'string', default: '20' },
    seconds: { type: 'string', default: '120' },
    grace: { type: 'string', default: '30' },
    'probe-answers': { type: 'string', default: '6' },
    'keep-data': { type: 'boolean', default: false },
    json: { type: 'string' },
    workers: { type: 'string', default: '0' },
    // Command monitoring (the MongoDB commands per update, and their time) costs the app's process CPU
    // (the driver builds an event per command and its reply); 'off' measures the app without it.
    monitor: { type: 'string', default: 'on' },
  },
});
const STORED = values.stored.split(',').map(Number);
const LEARNERS = Number(values.learners);
const ANSWERS = Number(values.answers);
const SECONDS = Number(values.seconds);
const GRACE = Number(values.grace);
/** 0: the whole app in this process (role all); N: the web role here and N worker-role processes (src/main.ts worker), as deployed. */
const WORKERS = Number(values.workers);
const MONITOR = values.monitor !== 'off';
if (!['on', 'off'].includes(values.monitor!)) throw new Error('--monitor is on or off');
const PROBE_ANSWERS = WORKERS > 0 || !MONITOR ? 0 : Number(values['probe-answers']);
const TOKEN = '123456:bench-inbound';
const SECRET = 'bench-inbound-secret';
const COHORT = 'demo';
const COURSE = 'cds-xa';
const SEED_CHAT = 1_000_000_000;
const INSERT_BATCH = 1_000;

const config = loadConfig();
const dbUrl = new URL(config.MONGODB_URL);
const mongoPid = serverPid(Number(dbUrl.port || 27017));
const cpuRedis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: null, lazyConnect: true });
/** CPU seconds the MongoDB-wire server and Redis have used so far (Redis is shared with whoever else uses it). */
async function serversCpu(): Promise<{ redis: number; mongo: number }> {
  return { redis: await redisCpuSeconds(cpuRedis), mongo: cpuSecondsOf(mongoPid) };
}
dbUrl.pathname = '/cds_bench_inbound';
const runId = `cdsinbound${Date.now().toString(36)}`;
const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- stored learners

/** Exactly n seeded learners, each with its conversation and enrolment; adds to (or replaces) what is there. */
async function seed(db: Database, n: number): Promise<number | 'reused'> {
  const m = db.models;
  let have = await m.Learner.estimatedDocumentCount();
  if (have === n) return 'reused';
  const t0 = performance.now();
  if (have > n) {
    await db.conn.dropDatabase();
    await ensureIndexes(m);
    have = 0;
  }
  const lessons = lessonsOf(loadContent(`${ROOT}/content`).courses.get(COURSE)!);
  const now = Date.now();
  for (let i = have; i < n; i += INSERT_BATCH) {
    const learners = [];
    const conversations = [];
    const enrolments = [];
    for (let j = i; j < Math.min(n, i + INSERT_BATCH); j++) {
      const _id = new Types.ObjectId();
      const conversation = `telegram:${SEED_CHAT + j}`;
      const done = lessons.slice(0, j % lessons.length);
      learners.push(
        new m.Learner({
          _id,
          conversations: [conversation],
          unreachable: [],
          profile: { fullName: `Học viên ${j}`, role: 'core_staff', province: 'Nghệ An', commune: `Xã số ${j % 500}` },
          locale: 'vi',
          cohortId: COHORT,
          consent: true,
          lessonHour: 8,
          stopped: false,
          onboarded: true,
          createdAt: new Date(now - 86400_000),
          version: 3 + done.length,
        }).toObject(),
      );
      conversations.push(new m.Conversation({ _id: conversation, learnerId: String(_id) }).toObject() as object);
      enrolments.push(
        new m.Enrolment({
          _id: enrolmentId(String(_id), COHORT),
          learnerId: String(_id),
          cohortId: COHORT,
          courseId: COURSE,
          status: 'in_progress',
          cursor: { at: 'card', lessonId: lessons[done.length]!.id },
          completedLessons: done.map((l) => l.id),
          checkResults: Object.fromEntries(done.flatMap((l) => l.questions.map((q) => [q.id, true]))),
          finalAttempts: [],
          lastActivityAt: new Date(now - (j % 3) * 3600_000),
          version: 2 * done.length,
        }).toObject() as object,
      );
    }
    await m.Learner.collection.insertMany(learners, { ordered: false });
    await m.Conversation.collection.insertMany(conversations, { ordered: false });
    await m.Enrolment.collection.insertMany(enrolments, { ordered: false });
    process.stderr.write(`seeded ${i + learners.length}/${n}\r`);
  }
  process.stderr.write('\n');
  return Number(((performance.now() - t0) / 1000).toFixed(1));
}

/** Removes what a run added: the simulated users' learners, and every record only runs write. */
async function removeRunData(db: Database, chats: number[]): Promise<void> {
  const m = db.models;
  if (chats.length > 0) {
    const ids = chats.map((c) => `telegram:${c}`);
    const links = await m.Conversation.collection.find({ _id: { $in: ids } } as never).toArray();
    const learnerIds = links.map((l) => String(l.learnerId));
    await m.Learner.collection.deleteMany({ _id: { $in: learnerIds.map((id) => new Types.ObjectId(id)) } });
    await m.Enrolment.collection.deleteMany({ learnerId: { $in: learnerIds } });
    await m.Conversation.collection.deleteMany({ _id: { $in: ids } } as never);
  }
  for (const model of [m.Answer, m.Update, m.Feedback, m.HeldMessage, m.LinkCode, m.ScheduledSend, m.SweepState]) {
    await model.collection.deleteMany({});
  }
  await db.conn.db!.collection('bench_baseline').deleteMany({});
}

// ---------------------------------------------------------------- MongoDB commands

/** A filter with its values replaced by their types: `{ _id: "<ObjectId>", version: "<number>" }`. */
function shape(value: unknown): unknown {
  if (value instanceof Types.ObjectId || (value as { _bsontype?: string })?._bsontype === 'ObjectId') return '<ObjectId>';
  if (value instanceof Date) return '<Date>';
  if (Array.isArray(value)) return value.length ? [shape(value[0]), ...(value.length > 1 ? ['…'] : [])] : [];
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shape(v)]));
  return `<${typeof value}>`;
}

/** What FerretDB 1.24/SQLite answers from its primary key: a filter of one key, _id, equal to a string or ObjectId. */
function pushedDown(filter: Record<string, unknown>): boolean {
  const keys = Object.keys(filter);
  const id = filter._id;
  return keys.length === 1 && keys[0] === '_id' && (typeof id === 'string' || id instanceof Types.ObjectId || (id as { _bsontype?: string })?._bsontype === 'ObjectId');
}

/** The filters a command carries (none for inserts). */
function filtersOf(e: CommandStartedEvent): Record<string, unknown>[] {
  const c = e.command as Record<string, any>;
  switch (e.commandName) {
    case 'find':
    case 'count':
    case 'distinct':
      return [c.filter ?? c.query ?? {}];
    case 'findAndModify':
      return [c.query ?? {}];
    case 'update':
      return (c.updates as { q: Record<string, unknown> }[]).map((u) => u.q);
    case 'delete':
      return (c.deletes as { q: Record<string, unknown> }[]).map((d) => d.q);
    case 'aggregate':
      return [(c.pipeline as Record<string, any>[]).find((s) => s.$match)?.$match ?? {}];
    default:
      return [];
  }
}

/** Counts the commands a connection sends, and the time they take, by command, collection and filter shape. */
class CommandLog {
  total = 0;
  byKind = new Map<string, { command: string; collection: string; filter?: string; pushedDown?: boolean; count: number; ms: number }>();
  private readonly pending = new Map<number, string[]>();

  onStarted(e: CommandStartedEvent): void {
    const c = e.command as Record<string, any>;
    const collection = String(c[e.commandName] ?? c.collection ?? '');
    if (['endSessions', 'hello', 'isMaster', 'ping'].includes(e.commandName)) return;
    this.total += 1;
    const filters = filtersOf(e);
    const keys = [];
    for (const f of filters.length ? filters : [undefined]) {
      const filter = f ? JSON.stringify(shape(f)) : undefined;
      const key = `${e.commandName} ${collection} ${filter ?? ''}`;
      const row = this.byKind.get(key) ?? { command: e.commandName, collection, filter, pushedDown: f ? pushedDown(f) : undefined, count: 0, ms: 0 };
      row.count += 1;
      this.byKind.set(key, row);
      keys.push(key);
    }
    this.pending.set(e.requestId, keys);
  }

  onFinished(e: { requestId: number; duration: number }): void {
    for (const key of this.pending.get(e.requestId) ?? []) {
      const row = this.byKind.get(key);
      if (row) row.ms += e.duration;
    }
    this.pending.delete(e.requestId);
  }

  /** Listens to a MongoClient created with monitorCommands. */
  watch(client: { on(event: string, listener: (e: any) => void): unknown }): void {
    client.on('commandStarted', (e: CommandStartedEvent) => this.onStarted(e));
    client.on('commandSucceeded', (e: { requestId: number; duration: number }) => this.onFinished(e));
    client.on('commandFailed', (e: { requestId: number; duration: number }) => this.onFinished(e));
  }

  reset(): void {
    this.total = 0;
    this.byKind.clear();
    this.pending.clear();
  }

  /** Rows per unit (update, answer), most frequent first: how many, and the milliseconds they took. */
  per(units: number) {
    return [...this.byKind.values()]
      .sort((a, b) => b.count - a.count)
      .map(({ count, ms, ...row }) => ({ ...row, perUnit: Number((count / units).toFixed(2)), msPerUnit: Number((ms / units).toFixed(1)) }));
  }
}

// ---------------------------------------------------------------- systems under test

/** What the simulated users talk to: a fake Bot API delivering to a webhook, and the queue whose jobs carry the replies. */
interface Target {
  name: 'tutor' | 'baseline';
  fake: FakeTelegram;
  replyJob(updateId: number): string;
  events: QueueEvents;
  commands?: CommandLog;
  app?: App;
  stop(): Promise<void>;
}

/** Completion events of a queue, on a connection of their own (closed with them). */
async function queueEvents(queue: string, prefix: string): Promise<QueueEvents> {
  const connection = new Redis(config.REDIS_URL, { maxRetriesPerRequest: null });
  const events = new QueueEvents(queue, { connection, prefix });
  await events.waitUntilReady();
  const close = events.close.bind(events);
  events.close = async () => {
    await close();
    await connection.quit();
  };
  return events;
}

async function startTutor(prefix: string): Promise<Target> {
  const fake = await new FakeTelegram({ token: TOKEN }).listen();
  const port = await freePort();
  const url = new URL(dbUrl);
  if (MONITOR) url.searchParams.set('monitorCommands', 'true');
  const env = {
    PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
    TELEGRAM_BOT_TOKEN: TOKEN,
    TELEGRAM_API_ROOT: fake.url,
    TELEGRAM_MODE: 'webhook',
    TELEGRAM_WEBHOOK_SECRET: SECRET,
    ZALO_BOT_TOKEN: '',
    CHAT_GAP_MS: '0',
    TELEGRAM_RATE_PER_SEC: '10000',
    SCHEDULER_SWEEP_SECONDS: '86400',
    DEFAULT_COHORT: COHORT,
    LOG_LEVEL: 'warn',
  };
  const appConfig = loadConfig({ ...process.env, ...env, MONGODB_URL: url.toString(), HTTP_PORT: String(port) });
  // The sweeps' schedulers run a first job at once; paused, the N learners are read by the updates only.
  const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: null });
  const plan = new Queue('plan', { connection: redis, prefix });
  await plan.pause();
  await plan.close();
  await redis.quit();
  const app = await createApp({ config: appConfig, role: WORKERS > 0 ? 'web' : 'all', root: ROOT, listen: true, queuePrefix: prefix });
  // Split: the updates are handled and the replies sent by worker processes (their commands are not counted here).
  // At info: the started line is how WorkerProcess knows a worker is up.
  const workers = Array.from({ length: WORKERS }, () => new WorkerProcess({ ...env, MONGODB_URL: dbUrl.toString(), REDIS_URL: config.REDIS_URL, QUEUE_PREFIX: prefix, HTTP_PORT: '0', LOG_LEVEL: 'info' }));
  await Promise.all(workers.map((w) => w.start()));
  const commands = WORKERS > 0 || !MONITOR ? undefined : new CommandLog();
  commands?.watch(app.db.conn.getClient());
  const events = await queueEvents('send-telegram', prefix);
  return {
    name: 'tutor',
    fake,
    replyJob: (updateId) => jobId('reply', 'telegram', String(updateId)),
    events,
    ...(commands ? { commands } : {}),
    app,
    async stop() {
      await events.close();
      await Promise.all(workers.map((w) => w.stop()));
      await app.stop();
      await fake.close();
    },
  };
}

/** The minimal handler: secret check, one insert, one job; a worker sends one message with a `next` button. */
async function startBaseline(db: Database, prefix: string): Promise<Target> {
  const fake = await new FakeTelegram({ token: TOKEN }).listen();
  const model =
    db.conn.models.BenchBaseline ??
    db.conn.model('BenchBaseline', new Schema({ updateId: Number, chatId: Number, text: String, at: Date }, { collection: 'bench_baseline', versionKey: false }));
  const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: null });
  const queue = new Queue('baseline-send', { connection: redis, prefix });
  const worker = new Worker<{ chatId: number }>(
    'baseline-send',
    async (job) => {
      const res = await fetch(`${fake.url}/bot${TOKEN}/sendMessage`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ chat_id: job.data.chatId, text: 'Đã nhận.', reply_markup: { inline_keyboard: [[{ text: 'Tiếp', callback_data: 'next' }]] } }),
      });
      if (!res.ok) throw new Error(`sendMessage answered ${res.status}`);
      await res.arrayBuffer();
    },
    { connection: redis, prefix, concurrency: config.SEND_CONCURRENCY },
  );
  const server = Fastify();
  server.post('/webhooks/telegram', async (req, reply) => {
    if (req.headers['x-telegram-bot-api-secret-token'] !== SECRET) return reply.code(401).send({ ok: false });
    const u = req.body as { update_id: number; message?: { chat: { id: number }; text?: string }; callback_query?: { from: { id: number }; data?: string } };
    const chatId = u.message?.chat.id ?? u.callback_query!.from.id;
    await model.create({ updateId: u.update_id, chatId, text: u.message?.text ?? u.callback_query?.data, at: new Date() });
    await queue.add('reply', { chatId }, { jobId: `reply-${u.update_id}` });
    return { ok: true };
  });
  const port = await freePort();
  await server.listen({ port, host: '127.0.0.1' });
  await fetch(`${fake.url}/bot${TOKEN}/setWebhook`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ url: `http://127.0.0.1:${port}/webhooks/telegram`, secret_token: SECRET }),
  });
  const events = await queueEvents('baseline-send', prefix);
  return {
    name: 'baseline',
    fake,
    replyJob: (updateId) => `reply-${updateId}`,
    events,
    async stop() {
      await events.close();
      await server.close();
      await worker.close();
      await queue.close();
      await redis.quit();
      await fake.close();
    },
  };
}

// ---------------------------------------------------------------- simulated users

interface Sample {
  phase: 'onboarding' | 'answer';
  sentAt: number;
  /** Milliseconds to the last message of the reply; undefined while unanswered (censored). */
  ms?: number;
  doneAt?: number;
}

/** Per chat, what the fake received last: when, and the keyboard's callback data. */
class Chats {
  readonly lastAt = new Map<string, number>();
  readonly keyboard = new Map<string, string[]>();

  constructor(fake: FakeTelegram) {
    fake.onSent = (m) => {
      this.lastAt.set(m.chatId, performance.now());
      const markup = m.body.reply_markup as { inline_keyboard?: { callback_data?: string }[][] } | undefined;
      if (markup?.inline_keyboard) this.keyboard.set(m.chatId, markup.inline_keyboard.flat().map((b) => b.callback_data ?? ''));
    };
  }
}

/** Resolves when a reply job completes, or false at `until`. */
class Completions {
  private readonly waiting = new Map<string, () => void>();

  constructor(events: QueueEvents) {
    events.on('completed', ({ jobId: id }) => this.waiting.get(id)?.());
  }

  wait(id: string, until: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => finish(false), Math.max(0, until - performance.now()));
      const finish = (done: boolean) => {
        clearTimeout(timer);
        this.waiting.delete(id);
        resolve(done);
      };
      this.waiting.set(id, () => finish(true));
    });
  }
}


/** What a learner presses next: `next`, else one of the offered answers; nothing once the course offers neither. */
function nextPress(buttons: string[]): string | undefined {
  if (buttons.includes('next')) return 'next';
  const answers = buttons.filter((b) => b.startsWith('ans:'));
  return answers.length ? answers[Math.floor(Math.random() * answers.length)] : undefined;
}

interface Driver {
  target: Target;
  chats: Chats;
  completions: Completions;
  /** No update is sent after this instant (performance.now()); replies are awaited until `until`. */
  stopSending: number;
  until: number;
  samples: Sample[];
  chatIds: number[];
}

function driver(target: Target, seconds: number, grace: number): Driver {
  const now = performance.now();
  return {
    target,
    chats: new Chats(target.fake),
    completions: new Completions(target.events),
    stopSending: now + seconds * 1000,
    until: now + (seconds + grace) * 1000,
    samples: [],
    chatIds: [],
  };
}

/** Sends one update through the fake and waits for the reply; false when it is not answered in time. */
async function step(d: Driver, update: Update, chatId: number, phase: Sample['phase']): Promise<boolean> {
  if (performance.now() >= d.stopSending) return false;
  const done = d.completions.wait(d.target.replyJob(update.update_id), d.until);
  const sample: Sample = { phase, sentAt: performance.now() };
  d.samples.push(sample);
  const status = await d.target.fake.push(update);
  if (status !== 200) throw new Error(`${d.target.name}: webhook answered ${status}`);
  if (!(await done)) return false;
  sample.doneAt = performance.now();
  const last = d.chats.lastAt.get(String(chatId)) ?? sample.doneAt;
  sample.ms = (last >= sample.sentAt ? last : sample.doneAt) - sample.sentAt;
  return true;
}

function newUser(d: Driver): TelegramUser {
  // TelegramUser builds the updates; its App is only used by deliver(), which the benchmark does not call.
  const user = new TelegramUser(d.target.fake, null as never);
  d.chatIds.push(user.chatId);
  return user;
}

async function onboard(d: Driver, user: TelegramUser): Promise<boolean> {
  for (const s of ONBOARDING) {
    const update = 'say' in s ? user.textUpdate(s.say) : user.pressUpdate(s.press);
    if (!(await step(d, update, user.chatId, 'onboarding'))) return false;
  }
  return true;
}

async function answer(d: Driver, user: TelegramUser, times: number): Promise<void> {
  for (let i = 0; i < times; i++) {
    const press = nextPress(d.chats.keyboard.get(String(user.chatId)) ?? []);
    if (!press || !(await step(d, user.pressUpdate(press), user.chatId, 'answer'))) return;
  }
}

/** All users onboard concurrently; once all have, all answer concurrently. */
async function drive(d: Driver, learners: number, answers: number) {
  const users = Array.from({ length: learners }, () => newUser(d));
  const started = performance.now();
  const onboarded = await Promise.all(users.map((u) => onboard(d, u)));
  const answering = performance.now();
  if (onboarded.every(Boolean)) await Promise.all(users.map((u) => answer(d, u, answers)));
  return { started, answering: onboarded.every(Boolean) ? answering : undefined, ended: performance.now() };
}

// ---------------------------------------------------------------- figures

/** A percentile of latencies some of which are censored (only known to exceed their wait): "≥" when it reaches one. */
function percentile(samples: Sample[], p: number, end: number): { s: number; atLeast: boolean } | undefined {
  if (samples.length === 0) return undefined;
  const all = samples
    .map((s) => ({ v: s.ms ?? end - s.sentAt, censored: s.ms === undefined }))
    .sort((a, b) => a.v - b.v);
  const i = Math.min(all.length - 1, Math.ceil(p * all.length) - 1);
  const firstCensored = all.findIndex((x) => x.censored);
  return { s: Number((all[i]!.v / 1000).toFixed(3)), atLeast: firstCensored >= 0 && i >= firstCensored };
}

function summarise(d: Driver, times: { started: number; answering?: number; ended: number }, peakRss: number) {
  const end = Math.max(times.ended, ...d.samples.map((s) => s.doneAt ?? 0));
  const answered = (ss: Sample[]) => ss.filter((s) => s.ms !== undefined);
  const answers = d.samples.filter((s) => s.phase === 'answer');
  const lastAnswer = Math.max(0, ...answered(answers).map((s) => s.doneAt!));
  const rate = (n: number, from: number, to: number) => (n > 0 && to > from ? Number((n / ((to - from) / 1000)).toFixed(2)) : 0);
  return {
    updatesSent: d.samples.length,
    updatesAnswered: answered(d.samples).length,
    updatesPerSec: rate(answered(d.samples).length, times.started, end),
    onboarded: times.answering !== undefined,
    onboardingSeconds: times.answering ? Number(((times.answering - times.started) / 1000).toFixed(1)) : undefined,
    answersSent: answers.length,
    answersAnswered: answered(answers).length,
    answersPerSec: times.answering ? rate(answered(answers).length, times.answering, lastAnswer) : 0,
    answerLatency: Object.fromEntries((['p50', 'p95', 'p99'] as const).map((k) => [k, percentile(answers, Number(k.slice(1)) / 100, end)])),
    updateLatency: Object.fromEntries((['p50', 'p95', 'p99'] as const).map((k) => [k, percentile(d.samples, Number(k.slice(1)) / 100, end)])),
    wallSeconds: Number(((end - times.started) / 1000).toFixed(1)),
    peakRssMB: mb(peakRss),
    /** The machine is shared: its 1-minute load average when the run ended. */
    loadAverage: Number(loadavg()[0]!.toFixed(1)),
  };
}

type RunSummary = ReturnType<typeof summarise> & { cpuMsPerUpdate?: { bench: number; redis: number; mongo: number }; mongoCommandsPerUpdate?: number; mongoPerUpdate?: ReturnType<CommandLog['per']> };

/** One timed run against a target, with the peak RSS of this process sampled every 100 ms. */
async function timedRun(target: Target): Promise<{ summary: RunSummary; chatIds: number[] }> {
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);
  target.commands?.reset();
  const d = driver(target, SECONDS, GRACE);
  const cpuBefore = process.cpuUsage();
  const serversBefore = await serversCpu();
  const times = await drive(d, LEARNERS, ANSWERS);
  const cpu = process.cpuUsage(cpuBefore);
  const servers = await serversCpu();
  clearInterval(sampler);
  const summary: RunSummary = summarise(d, times, peakRss);
  // CPU per handled update: steadier than rates on a shared machine. This process counts the app
  // (role all), the fake Bot API and the simulated users; worker processes (--workers) are not in it.
  const handled = Math.max(1, summary.updatesAnswered);
  summary.cpuMsPerUpdate = {
    bench: Number(((cpu.user + cpu.system) / 1000 / handled).toFixed(2)),
    redis: Number((((servers.redis - serversBefore.redis) * 1000) / handled).toFixed(2)),
    mongo: Number((((servers.mongo - serversBefore.mongo) * 1000) / handled).toFixed(2)),
  };
  if (target.commands) {
    const handled = Math.max(1, summary.updatesAnswered);
    summary.mongoCommandsPerUpdate = Number((target.commands.total / handled).toFixed(1));
    summary.mongoPerUpdate = target.commands.per(handled);
  }
  return { summary, chatIds: d.chatIds };
}

/** One learner alone, step by step: the MongoDB commands of an onboarding step and of an answer. */
async function probe(target: Target) {
  const d = driver(target, 600, 60);
  const user = newUser(d);
  const commands = target.commands!;
  const count = async (run: () => Promise<unknown>, units: () => number) => {
    commands.reset();
    await run();
    await sleep(200);
    const n = Math.max(1, units());
    return { steps: n, commandsPerStep: Number((commands.total / n).toFixed(2)), commands: commands.per(n) };
  };
  const onboarding = await count(() => onboard(d, user), () => d.samples.filter((s) => s.ms !== undefined).length);
  const answers = await count(() => answer(d, user, PROBE_ANSWERS), () => d.samples.filter((s) => s.phase === 'answer' && s.ms !== undefined).length);
  return { result: { onboarding, answers }, chatIds: d.chatIds };
}

// ---------------------------------------------------------------- main

const fmtLatency = (x?: { s: number; atLeast: boolean }) => (x ? `${x.atLeast ? '≥ ' : ''}${x.s.toFixed(x.s < 10 ? 2 : 1)} s` : '—');

function tableRows(n: number, tutor: RunSummary, baseline: RunSummary): string[] {
  const cost = tutor.answersPerSec > 0 && baseline.answersPerSec > 0 ? baseline.answersPerSec / tutor.answersPerSec : tutor.updatesPerSec > 0 ? baseline.updatesPerSec / tutor.updatesPerSec : Infinity;
  const perAnswer = tutor.answersPerSec > 0;
  const row = (name: string, r: RunSummary, ratio: string) =>
    `| ${n.toLocaleString('en')} | ${name} | ${r.answersAnswered}/${r.answersSent} | ${r.answersPerSec} | ${fmtLatency(r.answerLatency.p50)} | ${fmtLatency(r.answerLatency.p95)} | ${fmtLatency(r.answerLatency.p99)} | ${r.updatesAnswered}/${r.updatesSent} | ${r.updatesPerSec} | ${fmtLatency(r.updateLatency.p50)} | ${ratio} | ${r.cpuMsPerUpdate ? `${r.cpuMsPerUpdate.bench} · ${r.cpuMsPerUpdate.redis} · ${r.cpuMsPerUpdate.mongo}` : ''} | ${r.peakRssMB} MB | ${r.loadAverage} |`;
  return [row('tutor', tutor, `${cost.toFixed(1)}×${perAnswer ? '' : ' (per update)'}`), row('baseline', baseline, '1×')];
}

/** Where the tutor's MongoDB time per handled update goes, slowest first. */
function mongoTime(r: RunSummary): string {
  const rows = [...(r.mongoPerUpdate ?? [])].sort((a, b) => b.msPerUnit - a.msPerUnit).slice(0, 5);
  const total = (r.mongoPerUpdate ?? []).reduce((t, x) => t + x.msPerUnit, 0);
  return `${total.toFixed(0)} ms of MongoDB commands per update; ${rows.map((x) => `${x.command} ${x.collection} ${x.filter ?? ''} ${x.msPerUnit} ms`).join('; ')}`;
}

const db = await connectDatabase(dbUrl.toString());
const redisForCleanup = new Redis(config.REDIS_URL, { maxRetriesPerRequest: null });
const results: Record<string, unknown>[] = [];
const lines = [
  '| stored | run | answers done/sent | answers/s | p50 | p95 | p99 | updates done/sent | updates/s | update p50 | cost/answer vs baseline | CPU ms/update: bench · Redis · MongoDB | peak RSS | load |',
  '| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
];
const dbTime: string[] = [];
let probeResult: unknown;
try {
  for (const [index, n] of STORED.entries()) {
    const seeded = await seed(db, n);
    await removeRunData(db, []);
    process.stderr.write(`N=${n}: seeded (${seeded === 'reused' ? 'reused' : `${seeded} s`})\n`);

    const prefix = `${runId}n${n}`;
    const tutor = await startTutor(`${prefix}t`);
    let tutorRun;
    try {
      if (index === 0 && PROBE_ANSWERS > 0) {
        const p = await probe(tutor);
        probeResult = { stored: n, ...p.result };
        await removeRunData(db, p.chatIds);
      }
      tutorRun = await timedRun(tutor);
    } finally {
      await tutor.stop();
    }
    await removeRunData(db, tutorRun.chatIds);
    process.stderr.write(`N=${n}: tutor ${JSON.stringify(tutorRun.summary)}\n`);

    const baseline = await startBaseline(db, `${prefix}b`);
    let baselineRun;
    try {
      baselineRun = await timedRun(baseline);
    } finally {
      await baseline.stop();
    }
    await removeRunData(db, []);
    process.stderr.write(`N=${n}: baseline ${JSON.stringify(baselineRun.summary)}\n`);

    for (const p of [`${prefix}t`, `${prefix}b`]) await deleteKeys(redisForCleanup, p);
    lines.push(...tableRows(n, tutorRun.summary, baselineRun.summary));
    dbTime.push(`stored ${n.toLocaleString('en')}: ${mongoTime(tutorRun.summary)}`);
    results.push({ stored: n, seedSeconds: seeded, tutor: tutorRun.summary, baseline: baselineRun.summary });
  }
} finally {
  await redisForCleanup.quit();
  cpuRedis.disconnect();
  if (!values['keep-data']) await db.conn.dropDatabase();
  await db.close();
}

const output = {
  command: `node --import tsx bench/inbound.ts ${process.argv.slice(2).join(' ')}`,
  learners: LEARNERS,
  answersPerLearner: ANSWERS,
  seconds: SECONDS,
  graceSeconds: GRACE,
  node: process.version,
  results,
  probe: probeResult,
};
process.stdout.write(`${lines.join('\n')}\n\n${dbTime.join('\n')}\n\n`);
if (probeResult) {
  const p = probeResult as { answers: { commandsPerStep: number; commands: { command: string; collection: string; filter?: string; pushedDown?: boolean; perUnit: number }[] }; onboarding: { commandsPerStep: number } };
  process.stdout.write(`MongoDB commands per answer: ${p.answers.commandsPerStep} (per onboarding step: ${p.onboarding.commandsPerStep})\n`);
  for (const c of p.answers.commands) {
    process.stdout.write(`  ${c.perUnit.toFixed(2)} × ${c.command} ${c.collection} ${c.filter ?? ''}${c.filter && !c.pushedDown ? '   ← not an _id lookup: full scan on FerretDB/SQLite' : ''}\n`);
  }
}
if (values.json) writeFileSync(values.json, `${JSON.stringify(output, null, 2)}\n`);
