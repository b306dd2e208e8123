import { MongoReviewStore } from '../../../src/storage/review.js';
import { MongoAnswerStore } from '../../../src/storage/stores.js';
import { clearDatabase, mongoDatabase, redisCopies } from '../../support/store-contract.js';
import { describeReviewAnswers, describeReviewStore } from './review-store.contract.js';

const database = mongoDatabase();
const copies = redisCopies();

describeReviewStore('MongoDB', async () => {
  const db = await database();
  return { store: new MongoReviewStore(db.models), reset: () => clearDatabase(db) };
});

// As the app builds it: decks read from their Redis copies and written through them.
describeReviewStore('MongoDB with Redis copies', async () => {
  const db = await database();
  return { store: new MongoReviewStore(db.models, copies.cache), reset: () => copies.reset(db) };
});

describeReviewAnswers('MongoDB', async () => {
  const db = await database();
  return { store: new MongoAnswerStore(db.models), reset: () => clearDatabase(db) };
});
