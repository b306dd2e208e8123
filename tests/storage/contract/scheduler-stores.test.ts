import { MongoConversationDirectory, MongoHeldMessages } from '../../../src/storage/held-messages.js';
import { MongoReachability } from '../../../src/storage/reachability.js';
import { MongoScheduledSendLog, MongoSweepStates } from '../../../src/storage/schedule.js';
import { MongoLearnerStore } from '../../../src/storage/stores.js';
import { clearDatabase, mongoDatabase } from '../../support/store-contract.js';
import {
  describeConversationDirectory,
  describeHeldMessageStore,
  describeScheduledSendLog,
  describeSweepStateStore,
} from './scheduler-stores.contract.js';

const database = mongoDatabase();

describeSweepStateStore('MongoDB', async () => {
  const db = await database();
  return { store: new MongoSweepStates(db.models), reset: () => clearDatabase(db) };
});

describeScheduledSendLog('MongoDB', async () => {
  const db = await database();
  return { store: new MongoScheduledSendLog(db.models), reset: () => clearDatabase(db) };
});

describeHeldMessageStore('MongoDB', async () => {
  const db = await database();
  return { store: new MongoHeldMessages(db.models), reset: () => clearDatabase(db) };
});

describeConversationDirectory('MongoDB', async () => {
  const db = await database();
  return {
    store: new MongoConversationDirectory(db.models),
    learners: new MongoLearnerStore(db.models),
    reachability: new MongoReachability(db.models),
    reset: () => clearDatabase(db),
  };
});
