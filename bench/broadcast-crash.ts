/**
 * Benchmark: `kill -9` of the worker in the middle of a broadcast. The worker role runs as a child
 * process (`src/main.ts worker`, as deployed, with its planner and send worker, SEND_CONCURRENCY at
 * its default), sending to a fake Telegram Bot API at TELEGRAM_RATE_PER_SEC; this process composes
 * the broadcast through the service (web role) and watches the fake. At `--kill-at` of the
 * recipients reached, the child gets SIGKILL and is started again at once.
 *   node --import tsx bench/broadcast-crash.ts --learners 22000 --rate 30 [--kill-at 0.5] [--no-warmup]
 * The broadcast starts once the worker's first sweeps are done (--no-warmup: at once, beside them).
 * Prints: deliveries before the kill, duplicates (resent at the fake) and lost, the steady rate
 * before the kill, the gap (last delivery before the kill → first after the restart), the restart's
 * own time (spawn → ready), and the time lost: the whole run minus what it would take at the steady
 * rate with no crash.
 */
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { createApp } from '../src/app/index.js';
import { loadConfig } from '../src/config.js';
import { FakeTelegram } from '../tests/support/fake-telegram.js';
import { WorkerProcess } from '../tests/support/worker-process.js';
import { ROOT } from '../tests/support/env.js';
import { dropRun } from '../tests/support/cleanup.js';
import { seed } from '../tests/broadcasts/population.js';

const { values } = parseArgs({
  options: {
    learners: { type: 'string', default: '22000' },
    rate: { type: 'string', default: '30' },
    'kill-at': { type: 'string', default: '0.5' },
    'no-warmup': { type: 'boolean', default: false },
  },
});
const N = Number(values.learners);
const KILL_AT = Number(values['kill-at']);
const log = (s: string) => process.stderr.write(`${new Date().toISOString()} ${s}\n`);

const fake = await new FakeTelegram().listen();
const env = {
  TELEGRAM_BOT_TOKEN: fake.token,
  TELEGRAM_API_ROOT: fake.url,
  CHAT_GAP_MS: '0',
  TELEGRAM_RATE_PER_SEC: values.rate,
  SCHEDULER_SWEEP_SECONDS: '86400',
};
const base = loadConfig();
const url = new URL(base.MONGODB_URL);
url.pathname = `/cds_bench_bccrash_${Date.now().toString(36)}`;
const config = loadConfig({ ...process.env, ...env, LOG_LEVEL: 'silent', MONGODB_URL: url.toString() });
const prefix = `cdsbccrashbench${Date.now().toString(36)}`;
const web = await createApp({ config, role: 'web', root: ROOT, listen: false, queuePrefix: prefix, logger: pino({ level: 'silent' }) });
const chatBase = 730_000_000;
const t0 = performance.now();
await seed(web.db.conn, Array.from({ length: N }, (_, i) => ({ conversations: [`telegram:${chatBase + i}` as const], province: 'Nghệ An' })), new Date());
log(`seeded ${N} learners in ${((performance.now() - t0) / 1000).toFixed(0)} s`);

const worker = new WorkerProcess({ ...env, MONGODB_URL: config.MONGODB_URL, REDIS_URL: config.REDIS_URL, QUEUE_PREFIX: prefix, HTTP_PORT: '0', LOG_LEVEL: 'info' });
process.once('exit', () => worker.killNow());
await worker.start();
// The worker's first sweeps (reminders, lessons, nudges, prune) run at its first start; over freshly
// seeded enrolments they also write each one's copy of its learner (22,000 reads and writes), which
// held a broadcast started beside them to 4–8/s for minutes. A broadcast goes out on a running
// deployment: wait for them (--no-warmup: start the broadcast at once, as before).
if (!values['no-warmup']) {
  const w0 = performance.now();
  for (;;) {
    const c = await web.queues.plan.getJobCounts('active', 'waiting', 'prioritized', 'completed');
    if ((c.active ?? 0) + (c.waiting ?? 0) + (c.prioritized ?? 0) === 0 && (c.completed ?? 0) >= 3) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  log(`the worker's first sweeps took ${((performance.now() - w0) / 1000).toFixed(0)} s`);
}

const text = 'Hạn chót làm bài kiểm tra là 23:59 ngày 22/5.';
// The time each message reached the fake (polled every 10 ms).
const at: number[] = [];
const stamp = setInterval(() => {
  while (at.length < fake.sent.length) at.push(performance.now());
}, 10);
// Deliveries per 10 s on stderr: where a slow stretch is (start, after the restart, the tail).
let lastCount = 0;
const progress = setInterval(() => {
  log(`${fake.sent.length} delivered (+${((fake.sent.length - lastCount) / 10).toFixed(1)}/s)`);
  lastCount = fake.sent.length;
}, 10_000);
const ministry = { id: 'bench', name: 'bench', scope: { kind: 'ministry' as const } };
const b = await web.broadcasts.service.create(ministry, { text: { vi: text }, segment: { province: 'Nghệ An' }, quietHours: false }, 'bench');
const wait = async (check: () => boolean | Promise<boolean>) => {
  while (!(await check())) await new Promise((r) => setTimeout(r, 50));
};
await wait(() => fake.sent.length >= N * KILL_AT);
const killedAt = performance.now();
await worker.kill();
const atKill = fake.sent.length;
log(`killed after ${atKill} deliveries`);
await new Promise((r) => setTimeout(r, 200));
const sentBeforeRestart = fake.sent.length;
const restart = await worker.start();
log('restarted');
let lastCheck = 0;
await wait(async () => {
  if (performance.now() - lastCheck < 1000) return false;
  lastCheck = performance.now();
  return (await web.broadcasts.service.show(ministry, b.id)).state === 'done';
});
await new Promise((r) => setTimeout(r, 2000));
clearInterval(stamp);
clearInterval(progress);
const v = await web.broadcasts.service.show(ministry, b.id);

const perChat = new Map<string, number>();
for (const m of fake.sent) if (m.text === text) perChat.set(m.chatId, (perChat.get(m.chatId) ?? 0) + 1);
const first = at[0]!;
const last = at[at.length - 1]!;
const lastBefore = at[sentBeforeRestart - 1]!;
const firstAfter = at[sentBeforeRestart] ?? last;
const steady = (atKill - 1) / ((at[atKill - 1]! - first) / 1000);
const total = (last - first) / 1000;
const round = (x: number, d = 1) => Number(x.toFixed(d));
process.stdout.write(
  `${JSON.stringify({
    learners: N,
    ratePerSec: Number(values.rate),
    deliveriesAtKill: atKill,
    inFlightAtKill: sentBeforeRestart - atKill,
    duplicates: [...perChat.values()].reduce((n, c) => n + c - 1, 0),
    lost: N - perChat.size,
    steadyPerSec: round(steady, 2),
    totalSeconds: round(total),
    gapSeconds: round((firstAfter - lastBefore) / 1000),
    restartSeconds: round((restart.readyAt! - restart.spawnedAt) / 1000),
    timeLostSeconds: round(total - (N - 1) / steady),
    killToDoneSeconds: round((last - killedAt) / 1000),
    counts: v.counts,
  })}\n`,
);
worker.killNow();
await web.stop();
await fake.close();
await dropRun(config, prefix);
process.exit(0);
