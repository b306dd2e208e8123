import { afterAll } from 'vitest';
import { Redis } from 'ioredis';
import { MongoCohortStore, MongoFeedbackStore, MongoLinkCodeStore } from '../../../src/storage/stores.js';
import { RedisUpdateLog } from '../../../src/storage/update-log.js';
import { deleteKeys } from '../../support/cleanup.js';
import { testConfig, uniqueName } from '../../support/env.js';
import { clearDatabase, mongoDatabase, storeCohort } from '../../support/store-contract.js';
import { describeCohortStore, describeFeedbackStore, describeLinkCodeStore, describeUpdateLog } from './updates-links.contract.js';

const database = mongoDatabase();

const redis = new Redis(testConfig().REDIS_URL, { maxRetriesPerRequest: null });
const prefix = uniqueName('cdsupdates');
afterAll(async () => {
  await deleteKeys(redis, prefix);
  await redis.quit();
});

describeUpdateLog('Redis', async () => ({ store: new RedisUpdateLog(redis, prefix), reset: () => deleteKeys(redis, prefix) }));

describeLinkCodeStore('MongoDB', async () => {
  const db = await database();
  return { store: new MongoLinkCodeStore(db.models), reset: () => clearDatabase(db) };
});

describeCohortStore('MongoDB', async () => {
  const db = await database();
  return { store: new MongoCohortStore(db.models), seed: (c) => storeCohort(db, c), reset: () => clearDatabase(db) };
});

describeFeedbackStore(
  'MongoDB',
  async () => {
    const db = await database();
    return {
      store: new MongoFeedbackStore(db.models),
      entries: async () =>
        (await db.models.Feedback.find().lean()).map((d) => ({ learnerId: d.learnerId, text: d.text, channel: d.channel, at: d.at })),
      reset: () => clearDatabase(db),
    };
  },
  { maxText: 2000 },
);
