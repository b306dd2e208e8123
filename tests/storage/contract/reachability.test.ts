import { afterAll } from 'vitest';
import { Redis } from 'ioredis';
import { MongoReachability } from '../../../src/storage/reachability.js';
import { MongoLearnerStore } from '../../../src/storage/stores.js';
import { RecordCopies } from '../../../src/storage/record-copies.js';
import { clearDatabase, mongoDatabase, redisCopies } from '../../support/store-contract.js';
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

// As the app builds it: the learners read from their record copies, which each mark must drop.
const copies = redisCopies();
describeReachability('MongoDB with the learners read from their Redis copies', async () => {
  const db = await database();
  return {
    store: new MongoReachability(db.models, { redis: copies.cache.redis, key: `${copies.cache.prefix}:blocked` }, new RecordCopies(copies.cache.redis, copies.cache.prefix)),
    learners: new MongoLearnerStore(db.models, copies.cache),
    reset: () => copies.reset(db),
  };
});
