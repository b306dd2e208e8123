import { MongoLearnerStore } from '../../../src/storage/stores.js';
import { clearDatabase, mongoDatabase, redisCopies } from '../../support/store-contract.js';
import { describeLearnerStore } from './learner-store.contract.js';

const database = mongoDatabase();
const copies = redisCopies();

describeLearnerStore('MongoDB', async () => {
  const db = await database();
  return { store: new MongoLearnerStore(db.models), reset: () => clearDatabase(db) };
});

// As the app builds it: the conversation links and the learner records read from their Redis copies.
describeLearnerStore('MongoDB with Redis copies', async () => {
  const db = await database();
  return { store: new MongoLearnerStore(db.models, copies.cache), reset: () => copies.reset(db) };
});
