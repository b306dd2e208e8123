/**
 * The send path's round trips: the per-chat gate also answers reachability from the blocked
 * hash (one script before a send), and the progress and the chat's release are one script after.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import type { Worker } from 'bullmq';
import { SendError } from '../../src/channels/shared/errors.js';
import type { ConversationId } from '../../src/core/model.js';
import type { Reachability } from '../../src/core/ports.js';
import { Metrics } from '../../src/metrics.js';
import { jobId, sendQueueName, type SendJob, type SendJobName } from '../../src/scheduler/jobs.js';
import { Outbox } from '../../src/scheduler/outbox.js';
import { ChatPacing, DROPPED, blockedConversationsKey } from '../../src/scheduler/pacing.js';
import { Queues } from '../../src/scheduler/queues.js';
import { createSendWorker } from '../../src/scheduler/send-worker.js';
import { deleteKeys } from '../support/cleanup.js';
import { eventually, testConfig, uniqueName } from '../support/env.js';
import { composedPush, reply } from '../support/jobs.js';
import { CaptureAdapter } from '../support/scheduling.js';

const config = testConfig();
let redis: Redis;
let prefix: string;
let queues: Queues | undefined;
let workers: Worker<SendJob, string, SendJobName>[] = [];

function setup() {
  redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: null });
  prefix = uniqueName('cdsgate');
}

afterEach(async () => {
  await Promise.all(workers.map((w) => w.close()));
  workers = [];
  await queues?.close();
  queues = undefined;
  await deleteKeys(redis, prefix);
  await redis.quit();
});

/** A Reachability the gate must make unnecessary: any question to it fails the test. */
const unasked: Reachability = {
  markBlocked: async () => undefined,
  markReachable: async () => undefined,
  blockedSince: async () => {
    throw new Error('blockedSince asked although the gate reads the blocked hash');
  },
};

describe('send gate with the blocked hash', () => {
  it('should drop what was queued before the block and unprompted messages, and let a later reply through', async () => {
    setup();
    const pacing = new ChatPacing(redis, prefix, 0, 'chat', blockedConversationsKey(prefix));
    const conv: ConversationId = 'console:blocked';
    const queue = sendQueueName('console');
    await pacing.enlist([
      { conversation: conv, jobId: 'a' },
      { conversation: 'console:open', jobId: 'b' },
    ]);
    await redis.hset(blockedConversationsKey(prefix), conv, 1_000);
    expect(await pacing.gate(conv, 'a', queue, 5_000, { prompted: true, queuedAt: 900 })).toBe(DROPPED);
    expect(await pacing.gate(conv, 'a', queue, 5_000, { prompted: true, queuedAt: 1_000 })).toBe(DROPPED);
    expect(await pacing.gate(conv, 'a', queue, 5_000, { prompted: false, queuedAt: 1_100 })).toBe(DROPPED);
    // A reply to something the learner wrote after the block goes; so does any message to a reachable chat.
    expect(await pacing.gate(conv, 'a', queue, 5_000, { prompted: true, queuedAt: 1_100 })).toBe(0);
    expect(await pacing.gate('console:open', 'b', queue, 5_000, { prompted: false, queuedAt: 900 })).toBe(0);
    // Without the send's facts (the inbound order), the hash is not read.
    const inbound = new ChatPacing(redis, prefix, 0, 'inbound', blockedConversationsKey(prefix));
    await inbound.enlist([{ conversation: conv, jobId: 'c' }]);
    expect(await inbound.gate(conv, 'c', 'inbound', 5_000)).toBe(0);
  });

  it('should record a batch in the order of each chat in one call, keep a job already recorded in its place, and expire every set', async () => {
    setup();
    const pacing = new ChatPacing(redis, prefix, 0, 'chat');
    // One chat with more jobs than one ZADD of the script takes (slices of 1,000 pairs), and chats of one job each.
    const big: ConversationId = 'console:many';
    const jobs: { conversation: ConversationId; jobId: string }[] = Array.from({ length: 2_500 }, (_, i) => ({ conversation: big, jobId: `m${i}` }));
    for (let i = 0; i < 5; i++) jobs.splice(i * 400, 0, { conversation: `console:one${i}` as ConversationId, jobId: `o${i}` });
    await pacing.enlist(jobs);
    const order = await redis.zrange(`${prefix}:chat:${big}`, '0', '-1');
    expect(order).toEqual(Array.from({ length: 2_500 }, (_, i) => `m${i}`));
    for (let i = 0; i < 5; i++) expect(await redis.zrange(`${prefix}:chat:console:one${i}`, '0', '-1')).toEqual([`o${i}`]);
    const ttl = await redis.pttl(`${prefix}:chat:${big}`);
    expect(ttl).toBeGreaterThan(6 * 24 * 3600 * 1000);
    expect(await redis.pttl(`${prefix}:chat:console:one4`)).toBeGreaterThan(6 * 24 * 3600 * 1000);
    // Queued again (a redelivered update, a re-planned batch): m0 stays at the head, the new job goes last.
    await pacing.enlist([{ conversation: big, jobId: 'late' }, { conversation: big, jobId: 'm0' }]);
    const again = await redis.zrange(`${prefix}:chat:${big}`, '0', '-1');
    expect(again[0]).toBe('m0');
    expect(again.at(-1)).toBe('late');
    expect(again).toHaveLength(2_501);
  });

  it('should record progress on an existing job only, and release the chat only after the last message', async () => {
    setup();
    const pacing = new ChatPacing(redis, prefix, 0, 'chat');
    const conv: ConversationId = 'console:progress';
    const pending = `${prefix}:chat:${conv}`;
    const jobKey = `${prefix}:${sendQueueName('console')}:j1`;
    await pacing.enlist([{ conversation: conv, jobId: 'j1' }]);
    await redis.hset(jobKey, 'name', 'reply');
    await pacing.sent(conv, 'j1', jobKey, 1, false);
    expect(await redis.hget(jobKey, 'progress')).toBe('1');
    expect(await redis.zscore(pending, 'j1')).not.toBeNull();
    await pacing.sent(conv, 'j1', jobKey, 2, true);
    expect(await redis.hget(jobKey, 'progress')).toBe('2');
    expect(await redis.zscore(pending, 'j1')).toBeNull();
    // A job removed meanwhile is not re-created as a hash holding only its progress.
    const gone = `${prefix}:${sendQueueName('console')}:gone`;
    await pacing.sent(conv, 'gone', gone, 1, true);
    expect(await redis.exists(gone)).toBe(0);
  });

  it('should deliver in order through a worker whose gate answers reachability, without asking the Reachability', async () => {
    setup();
    queues = new Queues({ connection: redis, prefix });
    const pacing = new ChatPacing(redis, prefix, 50, 'chat', blockedConversationsKey(prefix));
    const outbox = new Outbox(queues, pacing);
    const adapter = new CaptureAdapter();
    const metrics = new Metrics();
    await redis.hset(blockedConversationsKey(prefix), 'console:gone', Date.now());
    await new Promise((r) => setTimeout(r, 5));
    adapter.failNext('flaky', new SendError('network', 'ECONNRESET'));
    const retry = { attempts: 3, backoff: { type: 'fixed', delay: 100 } };
    await outbox.add([
      ...['m1', 'm2', 'm3'].map((t) => ({ data: reply('console:flaky', t), jobId: jobId('t', t), opts: retry })),
      { data: { kind: 'reply', conversation: 'console:two', messages: [{ text: 'p1' }, { text: 'p2' }] }, jobId: jobId('t', 'two') },
      { data: reply('console:gone', 'after the block'), jobId: jobId('t', 'later') },
      { data: composedPush('console:gone', 'lesson'), jobId: jobId('t', 'push') },
    ]);
    workers.push(createSendWorker(queues, { adapter, metrics, reachability: unasked, pacing, concurrency: 4 }));
    await eventually(async () => {
      const c = await queues!.send.console.getJobCounts('waiting', 'delayed', 'active', 'prioritized');
      return Object.values(c).every((n) => n === 0);
    }, 'the send queue to drain');
    expect(adapter.texts('flaky')).toEqual(['m1', 'm2', 'm3']);
    expect(adapter.texts('two')).toEqual(['p1', 'p2']);
    expect(adapter.texts('gone')).toEqual(['after the block']);
    expect(await metrics.messagesDropped.get()).toMatchObject({ values: [{ labels: { channel: 'console', reason: 'unreachable' }, value: 1 }] });
    // The last write of a reply travels with its completion (not awaited): it lands, just not necessarily first.
    await eventually(async () => (await queues!.send.console.getJob(jobId('t', 'two')))?.progress === 2, "the reply's progress recorded");
    // Every chat's order is released: nothing left pending.
    await eventually(async () => (await redis.exists(`${prefix}:chat:console:flaky`, `${prefix}:chat:console:two`, `${prefix}:chat:console:gone`)) === 0, 'the chats released');
  });
});
