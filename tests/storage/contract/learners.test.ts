import { afterAll } from 'vitest';
import { Redis } from 'ioredis';
import { MongoLearnerStore } from '../../../src/storage/stores.js';
import { clearDatabase, mongoDatabase } from '../../support/store-contract.js';
import { testConfig, uniqueName } from '../../support/env.js';
import { deleteKeys } from '../../support/cleanup.js';
import { describeLearnerStore } from './learner-store.contract.js';

const database = mongoDatabase();
const redis = new Redis(testConfig().REDIS_URL);
const prefix = uniqueName('cdslearners');
afterAll(async () => {
  await deleteKeys(redis, prefix);
  await redis.quit();
});

describeLearnerStore('MongoDB', async () => {
  const db = await database();
  return { store: new MongoLearnerStore(db.models), reset: () => clearDatabase(db) };
});

// As the app builds it: the conversation links and the learner records read from their Redis copies.
describeLearnerStore('MongoDB with Redis copies', async () => {
  const db = await database();
  return {
    store: new MongoLearnerStore(db.models, { redis, prefix }),
    reset: async () => {
      await clearDatabase(db);
      await deleteKeys(redis, prefix);
    },
  };
});
