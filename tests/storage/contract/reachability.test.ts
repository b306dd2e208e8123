import { MongoReachability } from '../../../src/storage/reachability.js';
import { MongoLearnerStore } from '../../../src/storage/stores.js';
import { clearDatabase, mongoDatabase } from '../../support/store-contract.js';
import { describeReachability } from './reachability.contract.js';

const database = mongoDatabase();

describeReachability('MongoDB', async () => {
  const db = await database();
  return { store: new MongoReachability(db.models), learners: new MongoLearnerStore(db.models), reset: () => clearDatabase(db) };
});
