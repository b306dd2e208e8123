import { MongoCohortStore, MongoFeedbackStore, MongoLinkCodeStore, MongoUpdateLog } from '../../../src/storage/stores.js';
import { clearDatabase, mongoDatabase, storeCohort } from '../../support/store-contract.js';
import { describeCohortStore, describeFeedbackStore, describeLinkCodeStore, describeUpdateLog } from './updates-links.contract.js';

const database = mongoDatabase();

describeUpdateLog('MongoDB', async () => {
  const db = await database();
  return { store: new MongoUpdateLog(db.models), reset: () => clearDatabase(db) };
});

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
