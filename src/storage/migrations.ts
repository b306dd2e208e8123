/**
 * Data migrations, each run once per database (recorded in `migrations`), at start-up after the
 * indexes. Each is written to be safe to run again if a process dies half-way.
 */
import type { Models } from './models.js';
import { enrolmentId } from './stores.js';

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
];

export async function runMigrations(m: Models): Promise<void> {
  for (const migration of MIGRATIONS) {
    if (await m.Migration.exists({ _id: migration.id })) continue;
    await migration.run(m);
    await m.Migration.updateOne({ _id: migration.id }, { $setOnInsert: { at: new Date() } }, { upsert: true });
  }
}
