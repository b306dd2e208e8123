import { MongoAnswerStore, MongoEnrolmentStore } from '../../../src/storage/stores.js';
import { clearDatabase, mongoDatabase } from '../../support/store-contract.js';
import { describeAnswerStore, describeEnrolmentStore } from './enrolment-answer.contract.js';

const database = mongoDatabase();

describeEnrolmentStore('MongoDB', async () => {
  const db = await database();
  return { store: new MongoEnrolmentStore(db.models), reset: () => clearDatabase(db) };
});

describeAnswerStore('MongoDB', async () => {
  const db = await database();
  return { store: new MongoAnswerStore(db.models), reset: () => clearDatabase(db) };
});
