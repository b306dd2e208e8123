import { afterAll } from 'vitest';
import { Redis } from 'ioredis';
import { MongoAnswerStore, MongoEnrolmentStore } from '../../../src/storage/stores.js';
import { clearDatabase, mongoDatabase } from '../../support/store-contract.js';
import { testConfig, uniqueName } from '../../support/env.js';
import { deleteKeys } from '../../support/cleanup.js';
import { describeAnswerStore, describeEnrolmentStore } from './enrolment-answer.contract.js';

const database = mongoDatabase();
const redis = new Redis(testConfig().REDIS_URL);
const prefix = uniqueName('cdsenrolments');
afterAll(async () => {
  await deleteKeys(redis, prefix);
  await redis.quit();
});

describeEnrolmentStore('MongoDB', async () => {
  const db = await database();
  return { store: new MongoEnrolmentStore(db.models), reset: () => clearDatabase(db) };
});

// As the app builds it: enrolments read from their Redis copies, written marked for the sweeps.
describeEnrolmentStore('MongoDB with Redis copies', async () => {
  const db = await database();
  return {
    store: new MongoEnrolmentStore(db.models, { redis, prefix }),
    reset: async () => {
      await clearDatabase(db);
      await deleteKeys(redis, prefix);
    },
  };
});

describeAnswerStore('MongoDB', async () => {
  const db = await database();
  return { store: new MongoAnswerStore(db.models), reset: () => clearDatabase(db) };
});
