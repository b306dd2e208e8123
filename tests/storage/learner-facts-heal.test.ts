import { afterAll, expect, it } from 'vitest';
import { Types } from 'mongoose';
import { connectDatabase } from '../../src/storage/mongo.js';
import { MongoScheduleSource } from '../../src/storage/schedule.js';
import { enrolmentId } from '../../src/storage/stores.js';
import { testConfig } from '../support/env.js';

const db = await connectDatabase(testConfig().MONGODB_URL);
afterAll(async () => {
  await db.conn.dropDatabase();
  await db.close();
});

it('should read the learner of an enrolment written before the sweeps copy existed, and write the copy for the next sweep', async () => {
  const _id = new Types.ObjectId();
  const id = String(_id);
  await db.models.Learner.collection.insertOne({ _id, conversations: ['zalo:9', 'telegram:9'], unreachable: ['zalo:9'], locale: 'vi', cohortId: 'spring', consent: true, lessonHour: 7, stopped: false, onboarded: true, createdAt: new Date(), version: 3 });
  const enrolment = { _id: enrolmentId(id, 'spring'), learnerId: id, cohortId: 'spring', courseId: 'cds-xa', status: 'in_progress', cursor: { at: 'idle' }, completedLessons: [], checkResults: {}, finalAttempts: [], lastActivityAt: new Date(), version: 1 };
  await db.models.Enrolment.collection.insertOne(enrolment as never);

  const read = async () => {
    const rows = [];
    for await (const batch of new MongoScheduleSource(db.models).enrolments('spring', 0, 10)) rows.push(...batch.rows);
    return rows.map((r) => r.learner);
  };
  const expected = { id, stopped: false, consent: true, onboarded: true, lessonHour: 7, conversation: 'telegram:9' };
  expect(await read()).toEqual([expected]);

  const doc = await db.models.Enrolment.collection.findOne({ _id: enrolmentId(id, 'spring') as never });
  expect(doc?.learnerFacts).toEqual(expected);
  expect(doc?.version).toBe(1);
  // Now the copy is read, not the learner (changed here behind the store's back).
  await db.models.Learner.collection.updateOne({ _id }, { $set: { lessonHour: 9 } });
  expect(await read()).toEqual([expected]);
});
