import { afterAll } from 'vitest';
import { Redis } from 'ioredis';
import { MongoReachability } from '../../../src/storage/reachability.js';
import { MongoLearnerStore } from '../../../src/storage/stores.js';
import { clearDatabase, mongoDatabase } from '../../support/store-contract.js';
import { testConfig, uniqueName } from '../../support/env.js';
import { describeReachability } from './reachability.contract.js';

const database = mongoDatabase();
const redis = new Redis(testConfig().REDIS_URL);
const key = `${uniqueName('cdsreach')}:blocked`;
afterAll(async () => {
  await redis.del(key);
  await redis.quit();
});

describeReachability('MongoDB', async () => {
  const db = await database();
  return { store: new MongoReachability(db.models), learners: new MongoLearnerStore(db.models), reset: () => clearDatabase(db) };
});

describeReachability('MongoDB with the Redis copy sends read', async () => {
  const db = await database();
  return {
    store: new MongoReachability(db.models, { redis, key }),
    learners: new MongoLearnerStore(db.models),
    reset: async () => {
      await clearDatabase(db);
      await redis.del(key);
    },
  };
});
