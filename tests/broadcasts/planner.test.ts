/**
 * The broadcast planner with a full window: it waits for room with its stream over the learners
 * open (a resume skips every learner before its position: on FerretDB a read of each), and looks
 * for a pause between batches.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BroadcastPlanner } from '../../src/broadcasts/planner.js';
import { BroadcastLive } from '../../src/broadcasts/live.js';
import type { Broadcast } from '../../src/core/broadcast.js';
import { Queues } from '../../src/scheduler/queues.js';
import { SendWindow } from '../../src/scheduler/window.js';
import { MongoBroadcastStore } from '../../src/storage/broadcasts.js';
import { connectDatabase, type Database } from '../../src/storage/mongo.js';
import { dropRun } from '../support/cleanup.js';
import { testConfig, uniqueName } from '../support/env.js';
import { seed } from './population.js';

const config = testConfig();
const prefix = uniqueName('bcplanner');
let db: Database;
let redis: Redis;
let queues: Queues;
let store: MongoBroadcastStore;
let live: BroadcastLive;
const clock = { now: () => new Date('2026-06-02T03:00:00Z') };

beforeAll(async () => {
  db = await connectDatabase(config.MONGODB_URL);
  redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: null });
  queues = new Queues({ connection: redis, prefix });
  store = new MongoBroadcastStore(db.conn);
  live = new BroadcastLive(redis, prefix);
  await seed(db.conn, Array.from({ length: 30 }, (_, i) => ({ conversations: [`console:pl${i}` as const] })), clock.now());
}, 60_000);
afterAll(async () => {
  await queues?.close();
  await redis?.quit();
  await db?.close();
  await dropRun(config, prefix);
});

async function broadcast(id: string): Promise<Broadcast> {
  const b: Broadcast = { id, text: { vi: 'Thông báo' }, segment: {}, sendAt: clock.now(), quietHours: null, ack: false, createdBy: { id: 't', name: 't' }, createdAt: clock.now(), state: 'sending' };
  await store.create(b);
  await live.setState(id, 'sending');
  return b;
}

/** A window of 10 jobs whose every wait is a sender taking what is queued (counted), after `onWait`. */
function drainingWindow(taken: { n: number }, onWait: () => Promise<void> = async () => undefined): SendWindow {
  return new SendWindow(queues, { limits: { console: 10 }, pollMs: 1, maxWaitMs: 60_000 }, async () => {
    await onWait();
    const c = await queues.send.console.getJobCounts('waiting', 'prioritized');
    taken.n += (c.waiting ?? 0) + (c.prioritized ?? 0);
    await queues.send.console.drain();
  });
}

function counting(): { streams: number } {
  const count = { streams: 0 };
  const recipients = store.recipients.bind(store);
  store.recipients = (...args) => {
    count.streams += 1;
    return recipients(...args);
  };
  return count;
}

describe('the broadcast planner with a full window', () => {
  it('should plan the whole segment through one stream, waiting for room instead of reopening it per refill', async () => {
    const b = await broadcast(uniqueName('bcp'));
    const taken = { n: 0 };
    const count = counting();
    const planner = new BroadcastPlanner({ store, live, queues, clock, timezone: 'Asia/Ho_Chi_Minh', channels: ['console'], window: drainingWindow(taken), batchSize: 10 });
    expect(await planner.plan(b.id)).toBe('planned');
    const left = await queues.send.console.getJobCounts('waiting', 'prioritized');
    expect(taken.n + (left.waiting ?? 0) + (left.prioritized ?? 0)).toBe(30);
    expect(count.streams).toBe(1);
    expect((await store.get(b.id))!.plan).toMatchObject({ planned: true, targeted: 30, position: 30 });
    await queues.send.console.drain();
  });

  it('should stop at the next batch when the broadcast is paused while it waits, and resume from there', async () => {
    const b = await broadcast(uniqueName('bcp'));
    const taken = { n: 0 };
    let waits = 0;
    const planner = new BroadcastPlanner({
      store,
      live,
      queues,
      clock,
      timezone: 'Asia/Ho_Chi_Minh',
      channels: ['console'],
      batchSize: 10,
      // The admin pauses it during the first wait for room.
      window: drainingWindow(taken, async () => {
        if ((waits += 1) === 1) await live.setState(b.id, 'paused');
      }),
    });
    expect(await planner.plan(b.id)).toBe('paused');
    // The batch in hand when the pause came went; the next was not planned.
    expect((await store.get(b.id))!.plan).toMatchObject({ planned: false, position: 20 });
    await live.setState(b.id, 'sending');
    expect(await planner.plan(b.id)).toBe('planned');
    const left = await queues.send.console.getJobCounts('waiting', 'prioritized');
    expect(taken.n + (left.waiting ?? 0) + (left.prioritized ?? 0)).toBe(30);
  });
});
