import { MongoLearnerStore } from '../../../src/storage/stores.js';
import { clearDatabase, mongoDatabase } from '../../support/store-contract.js';
import { describeLearnerStore } from './learner-store.contract.js';

const database = mongoDatabase();

describeLearnerStore('MongoDB', async () => {
  const db = await database();
  return { store: new MongoLearnerStore(db.models), reset: () => clearDatabase(db) };
});
