import { MongoReviewStore } from '../../../src/storage/review.js';
import { MongoAnswerStore } from '../../../src/storage/stores.js';
import { clearDatabase, mongoDatabase } from '../../support/store-contract.js';
import { describeReviewAnswers, describeReviewStore } from './review-store.contract.js';

const database = mongoDatabase();

describeReviewStore('MongoDB', async () => {
  const db = await database();
  return { store: new MongoReviewStore(db.models), reset: () => clearDatabase(db) };
});

describeReviewAnswers('MongoDB', async () => {
  const db = await database();
  return { store: new MongoAnswerStore(db.models), reset: () => clearDatabase(db) };
});
