/**
 * The crash test: the worker role as a child process, killed with SIGKILL at random moments while
 * simulated Telegram learners work through onboarding and the course, and started again at once.
 * Every update the webhook answered 200 must produce exactly its reply and its answer record,
 * none twice.
 *
 * Set-up. In this process: the fake Bot API (tests/support/fake-telegram.ts) and the web role
 * (`createApp({ role: 'web' })`, TELEGRAM_MODE=webhook) that takes the fake's webhook POSTs and
 * queues them, on a fresh database and queue prefix. The worker role runs as `node --import tsx
 * src/main.ts worker` (tests/support/worker-process.ts) on the same MongoDB, Redis, prefix and
 * fake, with CHAT_GAP_MS=0 and a high TELEGRAM_RATE_PER_SEC.
 *
 * The storm. LEARNERS learners run one fixed script each (tests/support/scripted-learner.ts):
 * /start, onboarding by the offered buttons and typed words, then COURSE_STEPS steps following the
 * last message's buttons (`next`, or the right answer `ans:<qid>:<index>` from the course). Each
 * learner waits for the whole reply to its update (its send job completed) before the next step.
 * Meanwhile a seeded PRNG picks, 1.5–4 s after each incarnation of the worker reported it had
 * started, the moment to SIGKILL it; a new one is spawned at once. When every learner is done a
 * last, untouched worker drains the queues.
 *
 * What is checked, per learner: every webhook POST got 200; every update got its reply; the
 * transcript at the fake (method, text and buttons of every message, in order) equals that of a
 * crash-free reference learner who ran the same script first (so nothing lost, nothing twice, the
 * same content); the `answers` collection holds exactly one record per answering update (the
 * update ids are those of the answers sent); the enrolment holds every answer (checkResults) and
 * the completed lessons, as the reference's does; every update is marked done in the update log.
 * And: no inbound or send job failed, and no scheduled push was queued (it would add messages the
 * script does not expect: the learners choose 06:00, whose lesson — 07:00 after quiet hours — is
 * already due when the first worker's first sweep runs with no learner yet, and the sweeps then
 * run once a day).
 *
 * Recovery is measured and printed: for every job left active by a kill, how long until a worker
 * took it again (BullMQ's stalled-job check), and the first message sent after each restart.
 *
 * One thing is told apart from a duplicate (compareWithReference): the message the Bot API
 * accepted in the very instant before the SIGKILL, before the send job could record its progress,
 * is sent again when the job is taken again. Telegram has no idempotency key, so no sender can
 * know whether that message went out: at-least-once is the choice (at-most-once would lose it).
 * Such resends are checked to be exactly that (the same message twice in a row, and a SIGKILL
 * between the copies that found this chat's send job active) and printed; CRASH_STRICT=1 fails on
 * them too.
 *
 * Size: 50 learners × 12 updates (8 of onboarding, 4 in the course: `next` and answers), not 100:
 * the worker needs 2–6 s to start, is killed 1.5–4 s after that, handles updates one at a time, and
 * an update caught by a kill waits ~30–35 s for its lock to expire; 100 × 12 took 5 min on a loaded
 * 2-core machine, 50 × 12 about 2.5 min. Knobs (environment): CRASH_LEARNERS, CRASH_STEPS (course
 * steps per learner), CRASH_SEED. A run straddling 00:00 UTC (07:00 in Hanoi, the end of quiet
 * hours) may queue the 06:00 lesson push and then fail on it, saying so.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { createApp, type App } from '../../src/app/index.js';
import type { Config } from '../../src/config.js';
import type { Course } from '../../src/core/course.js';
import { eventually, ROOT, seededRandom, testConfig, uniqueName } from '../support/env.js';
import { dropRun } from '../support/cleanup.js';
import { FakeTelegram } from '../support/fake-telegram.js';
import { freePort } from '../support/telegram.js';
import { WorkerProcess } from '../support/worker-process.js';
import { ScriptedLearner } from '../support/scripted-learner.js';

const LEARNERS = Number(process.env.CRASH_LEARNERS ?? 50);
const COURSE_STEPS = Number(process.env.CRASH_STEPS ?? 4);
const SEED = Number(process.env.CRASH_SEED ?? 20260528);
const REFERENCE_LEARNERS = 3;
/** Also fail on a message resent because a kill caught it in flight (see compareWithReference). */
const STRICT = process.env.CRASH_STRICT === '1';
/** A stalled job comes back after BullMQ's lock expires and its stalled check runs; allow for a kill during that, twice. */
const STEP_TIMEOUT_MS = 150_000;
const SECRET = 'crash_Secret-123';

let fake: FakeTelegram;
let web: App;
let worker: WorkerProcess;
let config: Config;
let prefix: string;
let course: Course;
/** When each message reached the fake. */
const arrivals = new WeakMap<object, number>();
const arrivalTimes: number[] = [];
let reference: { transcript: string[]; enrolment: unknown };

const killWorker = () => worker?.killNow();

beforeAll(async () => {
  fake = await new FakeTelegram().listen();
  fake.onSent = (m) => {
    const at = Date.now();
    arrivals.set(m, at);
    arrivalTimes.push(at);
  };
  const port = await freePort();
  const env = {
    TELEGRAM_BOT_TOKEN: fake.token,
    TELEGRAM_API_ROOT: fake.url,
    TELEGRAM_MODE: 'webhook',
    TELEGRAM_WEBHOOK_SECRET: SECRET,
    PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
    CHAT_GAP_MS: '0',
    TELEGRAM_RATE_PER_SEC: '10000',
    SCHEDULER_SWEEP_SECONDS: '86400',
    DEFAULT_COHORT: 'demo',
  };
  config = testConfig({ ...env, HTTP_PORT: String(port) });
  prefix = uniqueName('cdscrash');
  web = await createApp({ config, role: 'web', root: ROOT, listen: true, queuePrefix: prefix, logger: pino({ level: 'silent' }) });
  course = web.content.courses.get('cds-xa')!;
  worker = new WorkerProcess({
    ...env,
    MONGODB_URL: config.MONGODB_URL,
    REDIS_URL: config.REDIS_URL,
    QUEUE_PREFIX: prefix,
    HTTP_PORT: '0',
    LOG_LEVEL: 'info',
  });
  process.once('exit', killWorker);
  await worker.start();
  // The first sweeps run at once; with no learner yet they mark today's due lesson hours done.
  await eventually(async () => (await web.queues.plan.getJobCounts('completed')).completed! >= 3, 'the first planning sweeps', 30_000);
}, 90_000);

afterAll(async () => {
  worker?.killNow();
  process.off('exit', killWorker);
  await web?.stop().catch(() => undefined);
  await fake?.close();
  if (config) await dropRun(config, prefix);
});

/** What a chat shows: method, text and buttons of every message, in order. */
function transcript(chatId: number): string[] {
  return fake.sentTo(chatId).map((m) => `${m.method}|${m.text}|${JSON.stringify(m.body.reply_markup ?? null)}`);
}

async function enrolmentOf(chatId: number) {
  const learner = await web.learners.findByConversation(`telegram:${chatId}`);
  if (!learner) throw new Error(`no learner for chat ${chatId}`);
  const e = await web.db.models.Enrolment.findOne({ learnerId: learner.id }).lean<{ completedLessons: string[]; checkResults: Record<string, boolean>; cursor: unknown; status: string }>();
  return { learnerId: learner.id, enrolment: e ? { completedLessons: e.completedLessons, checkResults: e.checkResults, cursor: e.cursor, status: e.status } : null };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const quantiles = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => (s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))]! : NaN);
  return s.length ? `n=${s.length} min=${s[0]} median=${q(0.5)} p90=${q(0.9)} max=${s.at(-1)} ms` : 'n=0';
};

/** A job found active in Redis right after a SIGKILL. */
interface KilledJob {
  queue: 'inbound' | 'send';
  id: string;
  conversation?: string;
  /** Messages of it recorded as sent. */
  progress?: number;
  startedAt?: number;
}
interface Kill {
  at: number;
  active: KilledJob[];
}

/** A message sent again after a kill caught its send job between the Bot API's answer and the recorded progress. */
interface Resend {
  chatId: number;
  index: number;
  job: string;
  /** ms from the first copy to the kill, and to the second copy; how long the job had run at the kill. */
  killAfterMs: number;
  againAfterMs: number;
  jobAgeMs: number;
}

/**
 * Telegram has no idempotency key: a message the Bot API accepted before the worker died, but
 * whose send job had not yet recorded it in its progress, is sent again when the job is taken
 * again. Only that is told apart from a duplicate: the same message twice in a row, with a
 * SIGKILL between the two copies that found this chat's send job still active, the job that was
 * running when the first copy went out. Anything else
 * beyond the reference is a duplicate; anything of the reference missing is lost.
 */
function compareWithReference(chatId: number, kills: Kill[]): { resends: Resend[]; duplicates: number; lost: number; problem?: string } {
  const t = transcript(chatId);
  const ref = reference.transcript;
  const sent = fake.sentTo(chatId);
  const at = (i: number) => arrivals.get(sent[i]!) ?? 0;
  const resends: Resend[] = [];
  let duplicates = 0;
  let problem: string | undefined;
  let j = 0;
  for (let i = 0; i < t.length; i++) {
    if (j < ref.length && t[i] === ref[j]) {
      j++;
      continue;
    }
    const between = kills.filter((k) => k.at >= at(i - 1) && k.at <= at(i));
    // This chat's send job, running since before the first copy went out: the one that sent it.
    const caught = between.flatMap((k) => k.active.filter((a) => a.queue === 'send' && a.conversation === `telegram:${chatId}` && (a.startedAt ?? Infinity) <= at(i - 1)).map((a) => ({ k, a })))[0];
    if (i > 0 && t[i] === t[i - 1] && caught) {
      resends.push({ chatId, index: i, job: caught.a.id, killAfterMs: caught.k.at - at(i - 1), againAfterMs: at(i) - at(i - 1), jobAgeMs: caught.k.at - (caught.a.startedAt ?? 0) });
      continue;
    }
    duplicates++;
    const active = between.map((k) => `${k.at}: ${k.active.map((a) => `${a.id}${a.conversation ? ` (${a.conversation}, progress ${a.progress})` : ''}`).join(', ')}`);
    problem ??=
      `chat ${chatId}: message #${i} ${JSON.stringify(t[i]!.slice(0, 80))} at ${at(i)} is not the reference's #${j} ${JSON.stringify((ref[j] ?? '').slice(0, 80))}; ` +
      `the message before it at ${at(i - 1)}; SIGKILLs between them, with the jobs they left active: ${active.join('; ') || 'none'}`;
  }
  const lost = ref.length - j;
  if (lost > 0) problem ??= `chat ${chatId}: ${lost} messages of the reference missing from #${j} ${JSON.stringify((ref[j] ?? '').slice(0, 80))}`;
  return { resends, duplicates, lost, problem };
}

describe('the worker killed with SIGKILL while learners answer', () => {
  it('should give a crash-free reference learner the whole script', async () => {
    const learners = Array.from({ length: REFERENCE_LEARNERS }, () => new ScriptedLearner(fake, web, course, { courseSteps: COURSE_STEPS, stepTimeoutMs: 30_000 }));
    await Promise.all(learners.map((l) => l.run()));
    const transcripts = learners.map((l) => transcript(l.chatId));
    for (const t of transcripts) expect(t).toEqual(transcripts[0]);
    const enrolments = await Promise.all(learners.map(async (l) => (await enrolmentOf(l.chatId)).enrolment));
    for (const e of enrolments) expect(e).toEqual(enrolments[0]);
    reference = { transcript: transcripts[0]!, enrolment: enrolments[0] };
    expect(learners[0]!.steps).toHaveLength(8 + COURSE_STEPS);
    expect(learners[0]!.steps.filter((s) => s.answer).length).toBeGreaterThan(0);
  }, 60_000);

  it('should answer every update exactly once, with its answer record, across the kills', async () => {
    expect(reference, 'the reference run').toBeDefined();
    const random = seededRandom(SEED);
    const learners = Array.from({ length: LEARNERS }, () => new ScriptedLearner(fake, web, course, { courseSteps: COURSE_STEPS, stepTimeoutMs: STEP_TIMEOUT_MS }));
    const began = Date.now();

    // The chaos: kill 1.5–4 s after each incarnation started, spawn the next at once.
    let working = true;
    const kills: Kill[] = [];
    const pickups: { queue: string; ms: number }[] = [];
    const watchers: Promise<void>[] = [];
    /** Jobs stalled by a kill and not yet taken again (a later kill finds them still active). */
    const stalledNow = new Set<string>();
    const watch = (queue: KilledJob['queue'], id: string, killedAt: number) =>
      (async () => {
        stalledNow.add(`${queue}/${id}`);
        const q = queue === 'inbound' ? web.queues.inbound : web.queues.send.telegram;
        const end = killedAt + 240_000;
        while (Date.now() < end) {
          const job = await q.getJob(id);
          const taken = job && ((job.processedOn ?? 0) > killedAt ? job.processedOn : job.finishedOn && job.finishedOn > killedAt ? job.finishedOn : undefined);
          if (taken) {
            pickups.push({ queue, ms: taken - killedAt });
            break;
          }
          await sleep(250);
        }
        stalledNow.delete(`${queue}/${id}`);
      })();
    const chaos = (async () => {
      while (working) {
        await sleep(1500 + Math.floor(random.next() * 2500));
        if (!working) break;
        const at = await worker.kill();
        let active: KilledJob[] = [
          ...(await web.queues.inbound.getActive()).map((j) => ({ queue: 'inbound' as const, id: j.id!, startedAt: j.processedOn ?? 0 })),
          ...(await web.queues.send.telegram.getActive()).map((j) => ({ queue: 'send' as const, id: j.id!, conversation: j.data.conversation, progress: Number(j.progress) || 0, startedAt: j.processedOn ?? 0 })),
        ];
        kills.push({ at, active });
        active = active.filter((a) => !stalledNow.has(`${a.queue}/${a.id}`));
        for (const a of active) watchers.push(watch(a.queue, a.id, at));
        await worker.start();
      }
    })();

    const outcomes = await Promise.allSettled(
      learners.map(async (l, i) => {
        await sleep(i * 20);
        await l.run();
      }),
    );
    working = false;
    await chaos;
    const stormMs = Date.now() - began;
    // The last worker is left alone: every job left behind (stalled ones included) is finished.
    await eventually(() => web.idle(), 'the queues drained after the storm', 180_000);
    const drainedMs = Date.now() - began;
    await Promise.all(watchers);

    const failures = outcomes.flatMap((o, i) => (o.status === 'rejected' ? [`learner ${i}: ${(o.reason as Error).message}`] : []));
    const updates = learners.flatMap((l) => l.steps);
    const answersSent = updates.filter((s) => s.answer);

    // Per learner: transcript, answers, enrolment, update log.
    const problems: string[] = [...failures];
    let duplicates = 0;
    let lost = 0;
    const resends: Resend[] = [];
    for (const l of learners) {
      const c = compareWithReference(l.chatId, kills);
      resends.push(...c.resends);
      duplicates += c.duplicates;
      lost += c.lost;
      if (c.problem) problems.push(c.problem);
      const { learnerId, enrolment } = await enrolmentOf(l.chatId);
      const mine = l.steps.filter((s) => s.answer);
      const records = await web.db.models.Answer.find({ learnerId }).lean<{ updateId: string | number; questionId: string }[]>();
      const recordIds = records.map((r) => String(r.updateId)).sort();
      const sentIds = mine.map((s) => String(s.updateId)).sort();
      if (JSON.stringify(recordIds) !== JSON.stringify(sentIds)) problems.push(`chat ${l.chatId}: answer records for updates ${recordIds.join(',')}, answers sent in ${sentIds.join(',')}`);
      if (new Set(recordIds).size !== recordIds.length) problems.push(`chat ${l.chatId}: an update has two answer records`);
      const results = enrolment?.checkResults ?? {};
      const want = mine.map((s) => s.answer!.questionId).sort();
      const have = Object.keys(results).sort();
      if (JSON.stringify(want) !== JSON.stringify(have) || have.some((k) => results[k] !== true)) problems.push(`chat ${l.chatId}: checkResults ${JSON.stringify(results)} for right answers to ${want.join(',')}`);
      if (JSON.stringify(enrolment) !== JSON.stringify(reference.enrolment)) problems.push(`chat ${l.chatId}: enrolment ${JSON.stringify(enrolment)}, the reference's ${JSON.stringify(reference.enrolment)}`);
      const logged = await Promise.all(l.steps.map((s) => web.updates.find(`telegram:${s.updateId}`)));
      const notDone = l.steps.filter((_, i) => logged[i]?.done !== true);
      if (notDone.length) problems.push(`chat ${l.chatId}: updates ${notDone.map((s) => s.updateId).join(',')} not marked done in the update log`);
    }
    const failedInbound = await web.queues.inbound.getFailed();
    const failedSend = await web.queues.send.telegram.getFailed();
    for (const j of [...failedInbound, ...failedSend]) problems.push(`job ${j.id} failed: ${j.failedReason}`);
    const pushes = (await web.queues.send.telegram.getJobs(['completed', 'failed', 'waiting', 'delayed', 'active'])).filter((j) => j.name === 'push');
    if (pushes.length) problems.push(`${pushes.length} scheduled pushes were queued (${pushes[0]!.id}): the transcripts no longer follow the script alone`);

    // Recovery after restarts.
    const restarts = worker.incarnations.slice(1);
    const firstReply = restarts.flatMap((inc) => {
      const first = arrivalTimes.find((t) => t >= inc.readyAt!);
      return first === undefined ? [] : [first - inc.readyAt!];
    });
    const startup = restarts.map((inc) => inc.readyAt! - inc.spawnedAt);
    const latencies = updates.filter((s) => s.repliedAt).map((s) => s.repliedAt! - s.postedAt);
    const stalled = new Set(kills.flatMap((k) => k.active.map((a) => `${a.queue}/${a.id}/${a.startedAt ?? ''}`))).size;
    const warnings = worker.warnings.map((w) => `${String(w.msg)}${w.err ? `: ${String(w.err)}` : ''}`);
    const warningCounts = Object.entries(warnings.reduce<Record<string, number>>((acc, w) => ((acc[w.replace(/\d{6,}/g, '#')] = (acc[w.replace(/\d{6,}/g, '#')] ?? 0) + 1), acc), {}));
    console.log(
      [
        `crash test: ${LEARNERS} learners × ${8 + COURSE_STEPS} updates = ${updates.length} updates (${answersSent.length} answers), seed ${SEED}`,
        `  storm ${stormMs} ms, drained at ${drainedMs} ms; ${kills.length} SIGKILLs, ${stalled} jobs left active by them`,
        `  messages at the fake: ${fake.sent.length - REFERENCE_LEARNERS * reference.transcript.length} (the script's: ${LEARNERS * reference.transcript.length}); duplicates ${duplicates}, lost ${lost}; ` +
          `resent after a SIGKILL caught them in flight: ${resends.length}${resends.map((r) => ` [chat ${r.chatId} #${r.index}, ${r.job} running ${r.jobAgeMs} ms: killed ${r.killAfterMs} ms after the first copy, sent again ${r.againAfterMs} ms after it]`).join('')}`,
        `  stalled jobs taken again after the kill: inbound ${quantiles(pickups.filter((p) => p.queue === 'inbound').map((p) => p.ms))}; send ${quantiles(pickups.filter((p) => p.queue === 'send').map((p) => p.ms))}`,
        `  worker start-up (spawn → started): ${quantiles(startup)}`,
        `  first message at the fake after a restart (from started): ${quantiles(firstReply)}`,
        `  reply latency per update: ${quantiles(latencies)}`,
        `  worker warnings: ${warningCounts.map(([w, n]) => `${n}× ${w}`).join('; ') || 'none'}`,
        ...problems.slice(0, 30).map((p) => `  PROBLEM ${p}`),
      ].join('\n'),
    );

    expect(kills.length, 'the worker was killed at least a few times').toBeGreaterThanOrEqual(5);
    expect(learners.flatMap((l) => l.refused)).toEqual([]);
    expect(problems).toEqual([]);
    expect(duplicates).toBe(0);
    expect(lost).toBe(0);
    if (STRICT) expect(resends, 'messages resent after a kill caught them in flight (CRASH_STRICT)').toEqual([]);
  }, 600_000);
});
