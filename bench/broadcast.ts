/**
 * Benchmark: a broadcast to N Telegram learners through the real planner (BroadcastPlanner with its
 * SendWindow) and the real send worker (createSendWorker with the broadcasts' delivery: claim by
 * insert, counts in Redis), against a local fake Bot API.
 *   node --import tsx bench/broadcast.ts --learners 100000 --limit 0 [--window 7500] [--keep-data]
 *   node --import tsx bench/broadcast.ts --learners 3000 --limit 30 [--keep-data]
 * --limit: what the fake API allows per second (token bucket, 429 with retry_after beyond); the
 *          worker's limiter is set to it. 0 = no limit and a no-op platform: measures planning.
 * --window: jobs allowed waiting on the channel (PLAN_WINDOW_SECONDS × rate in the app).
 * --no-send: no send worker: plan the whole segment into the queue (use --window N) and stop; measures
 *          planning alone and what Redis would hold without a window.
 * --drain: instead of the send worker, a bare worker that completes send jobs at once (64 in flight,
 *          bench/drain.ts in a child process, so this process's RSS is the planner's): the planner with
 *          its window, paced only by itself; measures planning a large segment (stops when the
 *          segment is planned).
 * --db: the database to use (default cds_bench_broadcast_N); with --db the data is always kept. The
 *          learners seeded by bench/plan-reminders.ts (same N, `--db cds_bench_plan_N`) serve as well:
 *          seed once with that bench's --seed-only, then this run neither seeds nor holds seeding's memory.
 * --concurrency: send jobs in flight (SEND_CONCURRENCY). @defaultValue the app's default (16)
 * --plan-wait-ms: how long the planner waits for room with its stream open (the app: 600000; before:
 *          2000 here, 20000 in the app — each resume skips every learner before its position). @defaultValue 600000
 * --limiter-ms: the send worker's limiter window (`limiterFor`): 1000 as in the app (30 per second at
 *          once at 30/s), 100 for windows of 3. @defaultValue 1000
 * --chatters: learners chatting during the broadcast (each: think --think ms, then its reply is queued
 *          as the inbound worker queues one — no priority, outside the broadcast); the time from a
 *          reply's queueing to its delivery at the fake is its latency. @defaultValue 0
 * Prints: time to plan (create → whole segment planned), time to done, Redis memory above the
 * start (peak, sampled every 100 ms), peak RSS, the delivery rate first → last and its share of
 * the limit, duplicates and losses at the fake.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { startFakeBotApi } from './fake-bot-api.js';
import { cpuSecondsOf, redisCpuSeconds, rssSampler, serverPid, timed } from './proc.js';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import axios from 'axios';
import { Redis } from 'ioredis';
import { Types } from 'mongoose';
import { loadConfig } from '../src/config.js';
import { connectDatabase } from '../src/storage/mongo.js';
import { MongoReachability } from '../src/storage/reachability.js';
import { MongoConversationDirectory } from '../src/storage/held-messages.js';
import { MongoBroadcastStore } from '../src/storage/broadcasts.js';
import { Queues } from '../src/scheduler/queues.js';
import { createSendWorker, limiterFor } from '../src/scheduler/send-worker.js';
import { SendWindow } from '../src/scheduler/window.js';
import { SendError } from '../src/channels/shared/errors.js';
import type { ChannelAdapter } from '../src/channels/types.js';
import type { OutboundMessage } from '../src/core/messages.js';
import { Metrics } from '../src/metrics.js';
import { createTranslator } from '../src/i18n/index.js';
import { BroadcastLive } from '../src/broadcasts/live.js';
import { BroadcastDelivery, routedPushes } from '../src/broadcasts/delivery.js';
import { BroadcastPlanner } from '../src/broadcasts/planner.js';
import type { Broadcast } from '../src/core/broadcast.js';
import type { PushDelivery } from '../src/scheduler/push-delivery.js';
import { deleteKeys } from '../tests/support/cleanup.js';

const { values } = parseArgs({
  options: {
    learners: { type: 'string', default: '100000' },
    limit: { type: 'string', default: '0' },
    window: { type: 'string', default: '7500' },
    'keep-data': { type: 'boolean', default: false },
    concurrency: { type: 'string' },
    chatters: { type: 'string', default: '0' },
    /** A chatting learner's time between a reply and their next message (ms, uniform): reading a card, typing an answer. */
    think: { type: 'string', default: '4000-12000' },
    'no-send': { type: 'boolean', default: false },
    drain: { type: 'boolean', default: false },
    /** The send worker's limiter window (ms): 1000 in the app (limiterFor); 100 cuts it in tenths. */
    'limiter-ms': { type: 'string' },
    /** How long the planner waits for room before it lets go of its stream (the app: 600000); a resume skips every learner before its position. */
    'plan-wait-ms': { type: 'string', default: '600000' },
    db: { type: 'string' },
  },
});
const N = Number(values.learners);
const LIMIT = Number(values.limit);
const WINDOW = Number(values.window);
const CHATTERS = Number(values.chatters);
const [THINK_MIN, THINK_MAX] = values.think.split('-').map(Number) as [number, number];
const TOKEN = '123456:bench-token';
/** Broadcast recipients' chat ids start at 4e9, the chatting learners' at 5e9. */
const CHATTER_BASE = 5_000_000_000;
const isChatter = (chatId: string) => Number(chatId) >= CHATTER_BASE;

/** Replies queued and not yet delivered (text → queued at), and the latencies of those delivered during the broadcast. */
const replyQueued = new Map<string, number>();
const replyLatencies: number[] = [];
let bcFirst = 0;
let bcLast = 0;
let bcDone = false;
const fake = await startFakeBotApi({
  token: TOKEN,
  limit: LIMIT,
  onDelivered: (chatId, text, at) => {
    if (!isChatter(chatId)) {
      if (!bcFirst) bcFirst = at;
      bcLast = at;
      return;
    }
    const queuedAt = replyQueued.get(text);
    if (queuedAt === undefined) return;
    replyQueued.delete(text);
    if (bcFirst && !bcDone) replyLatencies.push(at - queuedAt);
  },
});
const { delivered } = fake;
const http = axios.create({ baseURL: fake.base, timeout: 10_000, validateStatus: () => true });
const adapter: ChannelAdapter = {
  name: 'telegram',
  async start() {},
  async stop() {},
  async send(address: string, messages: OutboundMessage[]) {
    for (const m of messages) {
      const r = await http.post(`/bot${TOKEN}/sendMessage`, { chat_id: address, text: m.text });
      if (r.status === 429) throw new SendError('rate_limited', r.data.description, (r.data.parameters?.retry_after ?? 1) * 1000);
      if (r.status !== 200) throw new SendError('network', `HTTP ${r.status}`);
    }
  },
};

const config = loadConfig();
const CONCURRENCY = Number(values.concurrency ?? config.SEND_CONCURRENCY);
const url = new URL(config.MONGODB_URL);
url.pathname = `/${values.db ?? `cds_bench_broadcast_${N}`}`;
const KEEP = values['keep-data'] || values.db !== undefined;
const ferretdbPid = serverPid(Number(url.port || 27017));
const ferretdb = rssSampler(ferretdbPid);
const db = await connectDatabase(url.toString());
const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: null });
const prefix = `cdsbcbench${Date.now().toString(36)}`;
const learners = db.conn.collection('learners');

const have = await learners.estimatedDocumentCount();
const seeded = have !== N;
if (seeded) {
  await learners.drop().catch(() => undefined);
  const t0 = performance.now();
  // Batches of 16 (FerretDB hangs on larger ones), 8 in flight.
  let next = 0;
  const insertSome = async () => {
    for (let i = (next += 16) - 16; i < N; i = (next += 16) - 16) {
      const docs = Array.from({ length: Math.min(16, N - i) }, (_, j) => ({
        _id: new Types.ObjectId(),
        conversations: [`telegram:${4_000_000_000 + i + j}`],
        unreachable: [],
        profile: { province: (i + j) % 3 === 0 ? 'Hà Tĩnh' : 'Nghệ An', role: 'chair' },
        locale: 'vi',
        cohortId: 'demo',
        stopped: false,
        onboarded: true,
        createdAt: new Date(),
        version: 1,
      }));
      await learners.insertMany(docs, { ordered: false });
      if (i % 100_000 === 0 && i) process.stderr.write(`inserted ${i}\n`);
    }
  };
  await Promise.all(Array.from({ length: 8 }, insertSome));
  process.stderr.write(`inserted ${N} learners in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
}
await db.conn.collection('broadcast_deliveries').drop().catch(() => undefined);
await db.conn.collection('broadcasts').drop().catch(() => undefined);

const queues = new Queues({ connection: redis, prefix });
const store = new MongoBroadcastStore(db.conn);
const live = new BroadcastLive(redis, prefix);
const i18n = await createTranslator(resolve(import.meta.dirname, '../locales'), 'vi');
const clock = { now: () => new Date() };
const delivery = new BroadcastDelivery({ store, live, queues, directory: new MongoConversationDirectory(db.models), i18n, clock, timezone: config.TIMEZONE, channels: ['telegram'] });
const noPushes = { prepare: async () => ({ skipped: 'none' }), sent: async () => undefined } as unknown as PushDelivery;
let drainOut = '';
const drainer = values.drain ? spawn(process.execPath, ['--import', 'tsx', new URL('./drain.ts', import.meta.url).pathname, '--prefix', prefix], { stdio: ['ignore', 'pipe', 'inherit'] }) : undefined;
drainer?.stdout!.on('data', (d: Buffer) => (drainOut += d.toString()));
while (drainer && !drainOut.includes('ready')) await new Promise((r) => setTimeout(r, 100));
const worker = values['no-send'] || values.drain ? undefined : createSendWorker(queues, {
  adapter,
  metrics: new Metrics(),
  reachability: new MongoReachability(db.models, { redis, key: `${prefix}:blocked` }),
  ratePerSec: LIMIT > 0 ? LIMIT : undefined,
  ...(values['limiter-ms'] ? { limiterSliceMs: Number(values['limiter-ms']) } : {}),
  concurrency: CONCURRENCY,
  pushes: routedPushes(noPushes, delivery),
});

const usedMemory = async () => Number(/used_memory:(\d+)/.exec(await redis.info('memory'))![1]);
const memStart = await usedMemory();
let memPeak = 0;
const rssStart = process.memoryUsage().rss;
const ferretdbAtPlan = ferretdb.peak();
let rssPeak = 0;
const sampler = setInterval(() => {
  void usedMemory().then((m) => (memPeak = Math.max(memPeak, m - memStart)));
  rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
}, 100);

const b: Broadcast = {
  id: `bench${Date.now().toString(36)}`,
  text: { vi: 'Hạn chót làm bài kiểm tra là 23:59 ngày 22/5.' },
  segment: {},
  sendAt: new Date(),
  quietHours: null,
  ack: false,
  createdBy: { id: 'bench', name: 'bench' },
  createdAt: new Date(),
  state: 'sending',
};
await store.create(b);
await live.setState(b.id, 'sending');
const sendWindow = new SendWindow(queues, { limits: { telegram: WINDOW }, pollMs: 200, maxWaitMs: Number(values['plan-wait-ms']) });
// Where planning time goes: queueing (Redis addBulk), waiting for the window, saving the plan (MongoDB), the live state (Redis); the rest is reading the learners.
const spent = { queueing: { ms: 0 }, window: { ms: 0 }, savePlan: { ms: 0 }, liveState: { ms: 0 } };
timed(queues.send.telegram, 'addBulk', spent.queueing);
timed(sendWindow, 'room', spent.window);
timed(store, 'savePlan', spent.savePlan);
timed(live, 'state', spent.liveState);
const planner = new BroadcastPlanner({ store, live, queues, clock, timezone: config.TIMEZONE, channels: ['telegram'], window: sendWindow });
/** Each chatting learner: think, queue a reply (as the inbound worker does: no priority), await it. */
const chatting = Array.from({ length: CHATTERS }, async (_, i) => {
  const conversation = `telegram:${CHATTER_BASE + i}` as const;
  for (let n = 0; !bcDone; n += 1) {
    await new Promise((r) => setTimeout(r, THINK_MIN + Math.random() * (THINK_MAX - THINK_MIN)));
    if (bcDone) break;
    const text = `reply ${i} ${n}`;
    replyQueued.set(text, performance.now());
    await queues.send.telegram.add('reply', { kind: 'reply', conversation, messages: [{ text }] }, { jobId: `chat-${i}-${n}` });
    while (replyQueued.has(text) && !bcDone) await new Promise((r) => setTimeout(r, 20));
  }
});
const cpuAtPlan = { planner: process.cpuUsage(), ferretdb: cpuSecondsOf(ferretdbPid), redis: await redisCpuSeconds(redis) };
const started = performance.now();
let planned = 0;
let outcome = '';
while (outcome !== 'done') {
  outcome = await planner.plan(b.id);
  if (!planned && (await store.get(b.id))!.plan.planned) planned = performance.now();
  if (planned && (values['no-send'] || values.drain)) break;
  if (outcome !== 'done') await new Promise((r) => setTimeout(r, 200));
}
const plannerCpu = process.cpuUsage(cpuAtPlan.planner);
// CPU seconds each side used from create to the end of the loop (planned, with --drain): what bounds planning on a shared machine.
const cpuSeconds = {
  planner: Number(((plannerCpu.user + plannerCpu.system) / 1e6).toFixed(1)),
  ferretdb: Number((cpuSecondsOf(ferretdbPid) - cpuAtPlan.ferretdb).toFixed(1)),
  redis: Number(((await redisCpuSeconds(redis)) - cpuAtPlan.redis).toFixed(1)),
};
const queuedJobs = await queues.send.telegram.getJobCounts('prioritized', 'waiting');
const doneAt = performance.now();
bcDone = true;
await Promise.all(chatting);
clearInterval(sampler);
ferretdb.stop();
await new Promise((r) => setTimeout(r, 1000)); // anything still in flight would show as a duplicate
const v = await store.get(b.id);
await worker?.close();
if (drainer) {
  drainer.kill('SIGTERM');
  await once(drainer, 'exit');
}
const recipients = [...delivered.entries()].filter(([chat]) => !isChatter(chat));
const sentToRecipients = recipients.reduce((n, [, c]) => n + c, 0);
const seconds = (bcLast - bcFirst) / 1000;
const rate = (sentToRecipients - 1) / seconds;
const all = [...delivered.values()].reduce((n, c) => n + c, 0);
const allRate = (all - 1) / ((fake.last() - fake.first()) / 1000);
const sorted = replyLatencies.sort((a, b) => a - b);
const pct = (p: number) => (sorted.length ? Math.round(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!) : undefined);
process.stdout.write(
  `${JSON.stringify({
    learners: N,
    limitPerSec: LIMIT || 'none (no-op platform)',
    window: WINDOW,
    concurrency: CONCURRENCY,
    limiter: LIMIT > 0 ? limiterFor(LIMIT, values['limiter-ms'] ? Number(values['limiter-ms']) : undefined) : undefined,
    chatters: CHATTERS,
    thinkMs: CHATTERS ? values.think : undefined,
    queuedAtEnd: queuedJobs,
    planSeconds: Number(((planned - started) / 1000).toFixed(1)),
    planSplitSeconds: {
      ...Object.fromEntries(Object.entries(spent).map(([k, v]) => [k, Number((v.ms / 1000).toFixed(1))])),
      readingAndRest: Number(((planned - started - Object.values(spent).reduce((a, v) => a + v.ms, 0)) / 1000).toFixed(1)),
    },
    doneSeconds: Number(((doneAt - started) / 1000).toFixed(1)),
    redisPeakMB: Number((memPeak / 1e6).toFixed(1)),
    rssPeakMB: Number((rssPeak / 1e6).toFixed(0)),
    rssStartMB: Number((rssStart / 1e6).toFixed(0)),
    cpuSeconds,
    loadAverage: (await import('node:os')).loadavg().map((l) => Number(l.toFixed(1))),
    seededHere: seeded,
    ferretdbRssMB: { atStart: Math.round(ferretdb.first / 1e6), atPlan: Math.round(ferretdbAtPlan / 1e6), peak: Math.round(ferretdb.peak() / 1e6) },
    drainer: drainOut.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l))[0],
    messagesPerSec: Number(rate.toFixed(2)),
    shareOfLimit: LIMIT ? `${((100 * rate) / LIMIT).toFixed(1)}%` : undefined,
    withRepliesShareOfLimit: LIMIT && CHATTERS ? `${((100 * allRate) / LIMIT).toFixed(1)}%` : undefined,
    replies: CHATTERS ? { answered: sorted.length, p50ms: pct(0.5), p95ms: pct(0.95), maxMs: sorted.length ? Math.round(sorted[sorted.length - 1]!) : undefined } : undefined,
    http429: fake.tooMany(),
    duplicates: values.drain ? undefined : recipients.reduce((n, [, c]) => n + c - 1, 0),
    lost: values.drain ? undefined : N - recipients.length,
    counts: v?.counts,
  })}\n`,
);
await deleteKeys(redis, prefix);
if (!KEEP) await db.conn.dropDatabase();
await redis.quit();
await db.close();
await fake.close();
