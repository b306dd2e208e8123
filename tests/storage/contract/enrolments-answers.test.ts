import { MongoAnswerStore, MongoEnrolmentStore } from '../../../src/storage/stores.js';
import { clearDatabase, mongoDatabase, redisCopies } from '../../support/store-contract.js';
import { describeAnswerStore, describeEnrolmentStore } from './enrolment-answer.contract.js';

const database = mongoDatabase();
const copies = redisCopies();

describeEnrolmentStore('MongoDB', async () => {
  const db = await database();
  return { store: new MongoEnrolmentStore(db.models), reset: () => clearDatabase(db) };
});

// As the app builds it: enrolments read from their Redis copies, written marked for the sweeps.
describeEnrolmentStore('MongoDB with Redis copies', async () => {
  const db = await database();
  return { store: new MongoEnrolmentStore(db.models, copies.cache), reset: () => copies.reset(db) };
});

describeAnswerStore('MongoDB', async () => {
  const db = await database();
  return { store: new MongoAnswerStore(db.models), reset: () => clearDatabase(db) };
});
