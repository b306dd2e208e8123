import { afterAll, expect, it } from 'vitest';
import { Types } from 'mongoose';
import { connectDatabase } from '../../src/storage/mongo.js';
import { runMigrations } from '../../src/storage/migrations.js';
import { MongoScheduleSource } from '../../src/storage/schedule.js';
import { enrolmentId } from '../../src/storage/stores.js';
import { testConfig } from '../support/env.js';

const db = await connectDatabase(testConfig().MONGODB_URL);
afterAll(async () => {
  await db.conn.dropDatabase();
  await db.close();
});

it('should give enrolments written before the sweeps copy of their learner one at start-up, which the sweep then reads', async () => {
  const _id = new Types.ObjectId();
  const id = String(_id);
  await db.models.Learner.collection.insertOne({ _id, conversations: ['zalo:9', 'telegram:9'], unreachable: ['zalo:9'], locale: 'vi', cohortId: 'spring', consent: true, lessonHour: 7, stopped: false, onboarded: true, createdAt: new Date(), version: 3 });
  const enrolment = { _id: enrolmentId(id, 'spring'), learnerId: id, cohortId: 'spring', courseId: 'cds-xa', status: 'in_progress', cursor: { at: 'idle' }, completedLessons: [], checkResults: {}, finalAttempts: [], lastActivityAt: new Date(), version: 1 };
  await db.models.Enrolment.collection.insertOne(enrolment as never);

  // Before: the sweep reads the learner by _id.
  const read = async () => {
    const rows = [];
    for await (const batch of new MongoScheduleSource(db.models).enrolments('spring', 0, 10)) rows.push(...batch.rows);
    return rows.map((r) => r.learner);
  };
  const expected = { id, stopped: false, consent: true, onboarded: true, lessonHour: 7, conversation: 'telegram:9' };
  expect(await read()).toEqual([expected]);

  // connectDatabase ran the migrations on the empty database: run this one again as on an older one.
  await db.models.Migration.deleteOne({ _id: '2026-11-enrolment-learner-facts' });
  await runMigrations(db.models);
  const doc = await db.models.Enrolment.collection.findOne({ _id: enrolmentId(id, 'spring') as never });
  expect(doc?.learnerFacts).toEqual(expected);
  expect(doc?.version).toBe(1);
  expect(await read()).toEqual([expected]);
});
