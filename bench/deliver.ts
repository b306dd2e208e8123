/**
 * Benchmark: deliver N messages (one each to N chats) through the real send queue, worker,
 * per-chat gate and 429 handling, to a local fake Telegram Bot API.
 *   node --import tsx bench/deliver.ts --messages 22000 --limit 30 [--rate 30] [--concurrency 4] [--no-gate]
 *     [--stored 100000] [--baseline] [--fake process|inline]
 * --limit: what the fake API allows per second (token bucket, burst = limit), 429 with
 *          retry_after beyond it; 0 = no limit.
 * --rate:  the worker's BullMQ limiter (TELEGRAM_RATE_PER_SEC); default = --limit, 0 = none.
 * --no-gate: queue straight into BullMQ without the per-chat order/pacing gate (baseline).
 * --stored: that many conversations (learners' chats) in the database first, a twentieth of them
 *           marked blocked, as the app's reachability keeps them (MongoDB and its Redis copy).
 * --baseline: afterwards, the same number of jobs through a bare BullMQ worker whose processor
 *           does nothing (same concurrency, no limiter): the ceiling the send path is compared to.
 * --fake:  where the fake Bot API runs: `process` (default), a child Node process, as a platform's
 *          server is another machine; `inline`, in this process, so that its HTTP server's CPU is
 *          charged to the send path under test (the figures before 29 Nov 2026 were measured so).
 * --count: count the Redis commands the send phase issues (MONITOR on a connection of its own,
 *          which slows Redis: the rate of such a run means nothing), per job and by command.
 * --sections: the mean time a send job spends in each awaited step (the gate, the HTTP call, the
 *          progress write), measured around the calls: where a job's time goes.
 * --adapter: `stand-in` (default): a few lines of axios posting `sendMessage` (below); `telegram`:
 *          the app's TelegramAdapter (telegraf, HTML rendering, its error mapping).
 * Prints the achieved rate (first to last delivery), its share of the limit, 429s, duplicates, losses.
 */
import { startFakeBotApi, startFakeBotApiProcess, type FakeBotApiStats, type RemoteFakeBotApi } from './fake-bot-api.js';
import { parseArgs } from 'node:util';
import axios from 'axios';
import { Redis } from 'ioredis';
import { Queue, Worker } from 'bullmq';
import { Types } from 'mongoose';
import { loadConfig } from '../src/config.js';
import { connectDatabase } from '../src/storage/mongo.js';
import { MongoReachability } from '../src/storage/reachability.js';
import { Queues } from '../src/scheduler/queues.js';
import { ChatPacing, blockedConversationsKey } from '../src/scheduler/pacing.js';
import { Outbox, type OutgoingJob } from '../src/scheduler/outbox.js';
import { createSendWorker } from '../src/scheduler/send-worker.js';
import { jobId } from '../src/scheduler/jobs.js';
import { SendError } from '../src/channels/shared/errors.js';
import type { ChannelAdapter } from '../src/channels/types.js';
import type { OutboundMessage } from '../src/core/messages.js';
import { Metrics } from '../src/metrics.js';
import { TelegramAdapter } from '../src/channels/telegram/adapter.js';
import { pino } from 'pino';
import { deleteKeys } from '../tests/support/cleanup.js';

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '22000' },
    limit: { type: 'string', default: '30' },
    rate: { type: 'string' },
    concurrency: { type: 'string', default: '4' },
    'no-gate': { type: 'boolean', default: false },
    stored: { type: 'string', default: '0' },
    baseline: { type: 'boolean', default: false },
    fake: { type: 'string', default: 'process' },
    count: { type: 'boolean', default: false },
    sections: { type: 'boolean', default: false },
    adapter: { type: 'string', default: 'stand-in' },
  },
});
const N = Number(values.messages);
const LIMIT = Number(values.limit);
const RATE = values.rate !== undefined ? Number(values.rate) : LIMIT;
const CONCURRENCY = Number(values.concurrency);
const TOKEN = '123456:bench-token';

if (values.fake !== 'process' && values.fake !== 'inline') throw new Error('--fake is process or inline');
const fake: RemoteFakeBotApi =
  values.fake === 'process'
    ? await startFakeBotApiProcess({ token: TOKEN, limit: LIMIT })
    : await startFakeBotApi({ token: TOKEN, limit: LIMIT }).then((f) => ({
        base: f.base,
        close: f.close,
        stats: async (): Promise<FakeBotApiStats> => ({
          chats: f.delivered.size,
          duplicates: [...f.delivered.values()].reduce((n, c) => n + c - 1, 0),
          tooMany: f.tooMany(),
          first: f.first(),
          last: f.last(),
        }),
      }));
const base = fake.base;

/** Just enough of a Telegram adapter: sendMessage, and 429 → rate_limited with retry_after. */
const http = axios.create({ baseURL: base, timeout: 10_000, validateStatus: () => true });
const standIn: ChannelAdapter = {
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

if (values.adapter !== 'stand-in' && values.adapter !== 'telegram') throw new Error('--adapter is stand-in or telegram');
const adapter: ChannelAdapter =
  values.adapter === 'telegram'
    ? new TelegramAdapter({
        token: TOKEN,
        apiRoot: base,
        mode: 'polling',
        receive: false,
        contentDir: '.',
        i18n: { t: (_l, key) => key },
        defaultLocale: 'vi',
        logger: pino({ level: 'silent' }),
        onBlocked: async () => undefined,
      })
    : standIn;

const config = loadConfig();
const url = new URL(config.MONGODB_URL);
url.pathname = '/cds_bench_deliver';
const db = await connectDatabase(url.toString());
const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: null });
const prefix = `cdsdeliver${Date.now().toString(36)}`;
const reachability = new MongoReachability(db.models, { redis, key: blockedConversationsKey(prefix) });
const STORED = Number(values.stored);
// What an interrupted run left (a drop: FerretDB 1.24 cannot deleteMany more than ~32,000 documents at once).
await db.models.Conversation.collection.drop().catch(() => undefined);
if (STORED > 0) {
  const t0 = performance.now();
  for (let i = 0; i < STORED; i += 1000) {
    const docs = Array.from({ length: Math.min(1000, STORED - i) }, (_, j) => ({ _id: `telegram:${3_000_000_000 + i + j}` as never, learnerId: new Types.ObjectId().toHexString() }));
    await db.models.Conversation.collection.insertMany(docs, { ordered: false });
  }
  for (let i = 0; i < STORED; i += 20) await reachability.markBlocked(`telegram:${3_000_000_000 + i}`, new Date());
  process.stderr.write(`stored ${STORED} conversations (${Math.ceil(STORED / 20)} blocked) in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
}
const queues = new Queues({ connection: redis, prefix });
const pacing = new ChatPacing(redis, prefix, 1000, 'chat', blockedConversationsKey(prefix));
const outbox = new Outbox(queues, pacing);

const jobs: OutgoingJob[] = Array.from({ length: N }, (_, i) => ({
  jobId: jobId('bench', i),
  data: { kind: 'reply', conversation: `telegram:${2_000_000_000 + i}`, messages: [{ text: `Tin nhắn thử ${i}` }] },
}));
for (let i = 0; i < N; i += 1000) {
  const slice = jobs.slice(i, i + 1000);
  if (values['no-gate']) await queues.send.telegram.addBulk(slice.map((j) => ({ name: j.data.kind, data: j.data, opts: { jobId: j.jobId } })));
  else await outbox.add(slice);
}

// Redis commands naming this run's keys (BullMQ's scripts and ours name them in their arguments), by command.
const commands = new Map<string, number>();
const monitor = values.count ? await new Redis(config.REDIS_URL).monitor() : undefined;
monitor?.on('monitor', (_time: string, args: string[], source: string) => {
  // Round trips only: what a script runs inside Redis shows with source 'lua'.
  if (source === 'lua' || !args.some((a) => a.startsWith(prefix))) return;
  const name = args[0]!.toLowerCase() === 'evalsha' || args[0]!.toLowerCase() === 'eval' ? `${args[0]!.toLowerCase()} ${args.find((a) => a.startsWith(prefix))!.slice(prefix.length + 1).split(':')[0]}:${args.length}` : args[0]!.toLowerCase();
  commands.set(name, (commands.get(name) ?? 0) + 1);
});

/** Time spent in each awaited step of the send jobs, summed over all jobs (ms), and how many calls. */
const sections = new Map<string, { ms: number; calls: number }>();
function timed<T extends object, K extends keyof T>(target: T, method: K, label: string) {
  const original = target[method] as (...a: unknown[]) => Promise<unknown>;
  (target as Record<K, unknown>)[method] = async (...a: unknown[]) => {
    const t = performance.now();
    try {
      return await original.apply(target, a);
    } finally {
      const s = sections.get(label) ?? { ms: 0, calls: 0 };
      s.ms += performance.now() - t;
      s.calls += 1;
      sections.set(label, s);
    }
  };
}
if (values.sections) {
  timed(pacing, 'gate', 'gate (reachability, order, pace)');
  timed(pacing, 'sent', 'progress + release');
  timed(adapter, 'send', 'HTTP sendMessage');
  timed(reachability, 'blockedSince', 'reachability (separate)');
}

const metrics = new Metrics();
const started = performance.now();
const cpuBefore = process.cpuUsage();
const worker = createSendWorker(queues, {
  adapter,
  metrics,
  reachability,
  ratePerSec: RATE > 0 ? RATE : undefined,
  concurrency: CONCURRENCY,
  pacing: values['no-gate'] ? undefined : pacing,
});
let lastReport = 0;
while ((await fake.stats()).chats < N || (await queues.send.telegram.getJobCounts('waiting', 'active', 'delayed')).active! > 0) {
  await new Promise((r) => setTimeout(r, 200));
  if (performance.now() - lastReport > 30_000) {
    lastReport = performance.now();
    const s = await fake.stats();
    process.stderr.write(`${s.chats}/${N} delivered, ${s.tooMany} × 429\n`);
  }
  if (performance.now() - started > 3600_000) break;
}
await new Promise((r) => setTimeout(r, 2000)); // anything still in flight would show as a duplicate
const failed = await queues.send.telegram.getJobCounts('failed');
await worker.close();
const cpu = process.cpuUsage(cpuBefore);
if (monitor) {
  monitor.disconnect();
  const perJob = Object.fromEntries([...commands].sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, Number((v / N).toFixed(2))]));
  process.stdout.write(`${JSON.stringify({ redisCommandsPerJob: Number(([...commands.values()].reduce((a, b) => a + b, 0) / N).toFixed(2)), byCommand: perJob })}\n`);
}

const stats = await fake.stats();
const seconds = (stats.last - stats.first) / 1000;
const rate = (N - 1) / seconds;
const duplicates = stats.duplicates;
process.stdout.write(
  `${JSON.stringify({
    messages: N,
    limitPerSec: LIMIT || 'none',
    workerRatePerSec: RATE || 'none',
    concurrency: CONCURRENCY,
    gate: !values['no-gate'],
    seconds: Number(seconds.toFixed(1)),
    messagesPerSec: Number(rate.toFixed(2)),
    shareOfLimit: LIMIT ? `${((100 * rate) / LIMIT).toFixed(1)}%` : undefined,
    http429: stats.tooMany,
    duplicates,
    lost: N - stats.chats,
    failedJobs: failed.failed ?? 0,
    storedConversations: STORED,
    fake: values.fake,
    adapter: values.adapter,
    // This process's CPU (user + system) per job over the send phase: what the machine's load does not inflate as much as the rate.
    cpuMsPerJob: Number(((cpu.user + cpu.system) / 1000 / N).toFixed(3)),
  })}\n`,
);

if (values.sections) {
  const perJob = Object.fromEntries([...sections].map(([k, v]) => [k, { msPerCall: Number((v.ms / v.calls).toFixed(3)), callsPerJob: Number((v.calls / N).toFixed(2)) }]));
  process.stdout.write(`${JSON.stringify({ sections: perJob, jobMsAtConcurrency: Number(((CONCURRENCY * 1000) / rate).toFixed(3)) })}\n`);
}

if (values.baseline) {
  // The same jobs through BullMQ alone: a worker that does nothing, as fast as the queue goes.
  const noop = new Queue('bench-noop', { connection: redis, prefix });
  for (let i = 0; i < N; i += 1000) await noop.addBulk(jobs.slice(i, i + 1000).map((j) => ({ name: 'noop', data: j.data, opts: { jobId: j.jobId } })));
  let done = 0;
  const bareCpu = process.cpuUsage();
  let firstAt = 0;
  let lastAt = 0;
  const bare = new Worker(
    'bench-noop',
    async () => {
      lastAt = performance.now();
      if (!firstAt) firstAt = lastAt;
      done += 1;
    },
    { connection: redis, prefix, concurrency: CONCURRENCY },
  );
  while (done < N) await new Promise((r) => setTimeout(r, 100));
  await bare.close();
  const bareUsed = process.cpuUsage(bareCpu);
  await noop.close();
  const bareRate = (N - 1) / ((lastAt - firstAt) / 1000);
  process.stdout.write(`${JSON.stringify({ baseline: 'bare BullMQ, no-op processor', messagesPerSec: Number(bareRate.toFixed(2)), sendPathShare: `${((100 * rate) / bareRate).toFixed(1)}%`, cpuMsPerJob: Number(((bareUsed.user + bareUsed.system) / 1000 / N).toFixed(3)) })}\n`);
}

await deleteKeys(redis, prefix);
await queues.close();
await redis.quit();
await db.conn.dropDatabase();
await db.close();
await fake.close();
