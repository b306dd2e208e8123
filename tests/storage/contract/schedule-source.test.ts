import { MongoScheduleSource } from '../../../src/storage/schedule.js';
import { MongoEnrolmentStore, MongoLearnerStore } from '../../../src/storage/stores.js';
import { clearDatabase, mongoDatabase, storeCohort } from '../../support/store-contract.js';
import { describeScheduleSource } from './schedule-source.contract.js';

const database = mongoDatabase();

describeScheduleSource('MongoDB', async () => {
  const db = await database();
  return {
    source: new MongoScheduleSource(db.models),
    learners: new MongoLearnerStore(db.models),
    enrolments: new MongoEnrolmentStore(db.models),
    seedCohort: (c) => storeCohort(db, c),
    reset: () => clearDatabase(db),
  };
});
