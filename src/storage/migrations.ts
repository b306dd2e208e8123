/**
 * Data migrations, each run once per database (recorded in `migrations`), at start-up after the
 * indexes. Each is written to be safe to run again if a process dies half-way.
 */
import type { Models } from './models.js';
import { enrolmentId } from './stores.js';
import { learnerFacts, type FactsSource } from './learner-facts.js';

interface Migration {
  id: string;
  run(m: Models): Promise<void>;
}

const MIGRATIONS: Migration[] = [
  {
    // Enrolments created before they were keyed `<learner>|<cohort>` had ObjectId `_id`s: copy each
    // under its new key (kept if a copy exists), then remove the old one.
    id: '2026-11-enrolment-ids',
    async run(m) {
      const legacy = m.Enrolment.collection.find({ _id: { $type: 'objectId' } as never });
      for await (const doc of legacy) {
        const { _id, ...rest } = doc;
        const key = enrolmentId(String(rest.learnerId), String(rest.cohortId));
        await m.Enrolment.collection.updateOne({ _id: key as never }, { $setOnInsert: rest }, { upsert: true });
        await m.Enrolment.collection.deleteOne({ _id });
      }
    },
  },
  {
    // The sweeps read a copy of each learner on their enrolment (learner-facts.ts); enrolments
    // written before it get theirs here, by _id, in one unsorted pass over the learners.
    id: '2026-11-enrolment-learner-facts',
    async run(m) {
      const learners = m.Learner.collection.find({}, { projection: { conversations: 1, unreachable: 1, consent: 1, lessonHour: 1, stopped: 1, onboarded: 1, cohortId: 1 } });
      for await (const doc of learners) {
        const learner = { ...(doc as unknown as FactsSource), id: String(doc._id) };
        await m.Enrolment.collection.updateOne({ _id: enrolmentId(learner.id, String(doc.cohortId)) as never }, { $set: { learnerFacts: learnerFacts(learner) } });
      }
    },
  },
];

export async function runMigrations(m: Models): Promise<void> {
  for (const migration of MIGRATIONS) {
    if (await m.Migration.exists({ _id: migration.id })) continue;
    await migration.run(m);
    await m.Migration.updateOne({ _id: migration.id }, { $setOnInsert: { at: new Date() } }, { upsert: true });
  }
}
