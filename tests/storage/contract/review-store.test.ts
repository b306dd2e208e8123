import { afterAll } from 'vitest';
import { Redis } from 'ioredis';
import { MongoReviewStore } from '../../../src/storage/review.js';
import { MongoAnswerStore } from '../../../src/storage/stores.js';
import { clearDatabase, mongoDatabase } from '../../support/store-contract.js';
import { testConfig, uniqueName } from '../../support/env.js';
import { deleteKeys } from '../../support/cleanup.js';
import { describeReviewAnswers, describeReviewStore } from './review-store.contract.js';

const database = mongoDatabase();
const redis = new Redis(testConfig().REDIS_URL);
const prefix = uniqueName('cdsdecks');
afterAll(async () => {
  await deleteKeys(redis, prefix);
  await redis.quit();
});

describeReviewStore('MongoDB', async () => {
  const db = await database();
  return { store: new MongoReviewStore(db.models), reset: () => clearDatabase(db) };
});

// As the app builds it: decks read from their Redis copies and written through them.
describeReviewStore('MongoDB with Redis copies', async () => {
  const db = await database();
  return {
    store: new MongoReviewStore(db.models, { redis, prefix }),
    reset: async () => {
      await clearDatabase(db);
      await deleteKeys(redis, prefix);
    },
  };
});

describeReviewAnswers('MongoDB', async () => {
  const db = await database();
  return { store: new MongoAnswerStore(db.models), reset: () => clearDatabase(db) };
});
