import { afterAll } from 'vitest';
import { Redis } from 'ioredis';
import { MongoReachability } from '../../../src/storage/reachability.js';
import { MongoLearnerStore } from '../../../src/storage/stores.js';
import { RecordCopies } from '../../../src/storage/record-copies.js';
import { deleteKeys } from '../../support/cleanup.js';
import { clearDatabase, mongoDatabase } from '../../support/store-contract.js';
import { testConfig, uniqueName } from '../../support/env.js';
import { describeReachability } from './reachability.contract.js';

const database = mongoDatabase();
const redis = new Redis(testConfig().REDIS_URL);
const prefix = uniqueName('cdsreach');
const key = `${prefix}:blocked`;
afterAll(async () => {
  await deleteKeys(redis, prefix);
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

// As the app builds it: the learners read from their record copies, which each mark must drop.
describeReachability('MongoDB with the learners read from their Redis copies', async () => {
  const db = await database();
  return {
    store: new MongoReachability(db.models, { redis, key }, new RecordCopies(redis, prefix)),
    learners: new MongoLearnerStore(db.models, { redis, prefix }),
    reset: async () => {
      await clearDatabase(db);
      await deleteKeys(redis, prefix);
    },
  };
});
