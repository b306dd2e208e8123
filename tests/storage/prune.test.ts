import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { QueueEvents } from 'bullmq';
import { connectDatabase, type Database } from '../../src/storage/mongo.js';
import { MongoPruner } from '../../src/storage/prune.js';
import { Queues } from '../../src/scheduler/queues.js';
import { createPlanWorker } from '../../src/scheduler/plan-worker.js';
import { MongoScheduleSource, MongoSweepStates } from '../../src/storage/schedule.js';
import { Outbox } from '../../src/scheduler/outbox.js';
import { ChatPacing } from '../../src/scheduler/pacing.js';
import { deleteKeys } from '../support/cleanup.js';
import { TestClock, shipped, testConfig, uniqueName } from '../support/env.js';
import { ContentCatalog } from '../../src/content/catalog.js';

const DAY = 24 * 3600_000;
const NOW = new Date('2026-06-01T00:00:00.000Z');
const ago = (days: number, i = 0) => new Date(NOW.getTime() - days * DAY + i);

let db: Database;
beforeAll(async () => {
  db = await connectDatabase(testConfig().MONGODB_URL);
});
afterAll(async () => {
  await db.conn.dropDatabase();
  await db.close();
});

describe('pruning old records', () => {
  it('should delete what is past its retention by _id in batches, and keep the rest', async () => {
    await db.models.Update.collection.deleteMany({});
    await db.models.ScheduledSend.collection.deleteMany({});
    const updates = [];
    const sends = [];
    for (let i = 0; i < 360; i++) {
      const old = i % 6 !== 5; // 300 old, 60 recent, interleaved
      updates.push({ _id: `telegram:${i}`, at: old ? ago(8, i) : ago(6, i), done: true });
      sends.push({ _id: `lesson|l${i}|d`, kind: 'lesson', learnerId: `l${i}`, owner: `job-${i}`, state: 'sent', claimedAt: old ? ago(31, i) : ago(29, i) });
    }
    await db.models.Update.collection.insertMany(updates as never[]);
    await db.models.ScheduledSend.collection.insertMany(sends as never[]);

    let batches = 0;
    const pruned = await new MongoPruner(db.models, { updatesDays: 7, scheduledSendsDays: 30 }, 70).prune(NOW, async () => void batches++);
    expect(pruned).toEqual({ inbound_updates: 300, scheduled_sends: 300 });
    expect(batches).toBe(10); // 5 batches of at most 70 per collection
    const left = await db.models.Update.collection.find({}).toArray();
    expect(left).toHaveLength(60);
    expect(left.every((d) => d.at.getTime() > ago(7).getTime())).toBe(true);
    expect(await db.models.ScheduledSend.collection.countDocuments({})).toBe(60);

    // Nothing more to do.
    expect(await new MongoPruner(db.models, { updatesDays: 7, scheduledSendsDays: 30 }, 70).prune(NOW)).toEqual({ inbound_updates: 0, scheduled_sends: 0 });
  });

  it('should run as a job of the plan queue', async () => {
    await db.models.Update.collection.deleteMany({});
    await db.models.Update.collection.insertMany([{ _id: 'zalo:1', at: ago(10) }, { _id: 'zalo:2', at: ago(1) }] as never[]);
    const cfg = testConfig();
    const redis = new Redis(cfg.REDIS_URL, { maxRetriesPerRequest: null });
    const prefix = uniqueName('cdsprune');
    const queues = new Queues({ connection: redis, prefix });
    const events = new QueueEvents('plan', { connection: redis.duplicate(), prefix });
    const clock = new TestClock(NOW);
    const worker = createPlanWorker(
      queues,
      redis,
      {
        queues,
        outbox: new Outbox(queues, new ChatPacing(redis, prefix)),
        source: new MongoScheduleSource(db.models),
        states: new MongoSweepStates(db.models),
        catalog: new ContentCatalog(shipped()),
        clock,
        timezone: cfg.TIMEZONE,
        nudgeAfterDays: 2,
      },
      () => false,
      new MongoPruner(db.models, { updatesDays: 7, scheduledSendsDays: 30 }),
    );
    try {
      await events.waitUntilReady();
      const job = await queues.plan.add('prune', {});
      expect(await job.waitUntilFinished(events, 20_000)).toMatchObject({ inbound_updates: 1 });
      expect((await db.models.Update.collection.find({}).toArray()).map((d) => d._id)).toEqual(['zalo:2']);
    } finally {
      await worker.close();
      await events.close();
      await queues.close();
      await deleteKeys(redis, prefix);
      await redis.quit();
    }
  });
});
