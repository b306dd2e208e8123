/** Stores the cohorts defined in content: fixed windows as written, the demo's window from its first load. */
import type { CohortDefinition } from '../content/cohorts.js';
import type { Models } from './models.js';

const DAY_MS = 24 * 3600 * 1000;

export async function syncContentCohorts(models: Models, defs: CohortDefinition[], now: Date): Promise<void> {
  for (const d of defs) {
    const fields = {
      courseId: d.courseId,
      title: d.title,
      reminders: d.reminders,
      quietHours: d.quietHours,
      lessonHour: d.lessonHour,
      usesDistrict: d.usesDistrict,
      provinceList: d.provinceList,
    };
    if ('durationDays' in d.window) {
      await models.Cohort.updateOne(
        { _id: d.id },
        { $set: fields, $setOnInsert: { opensAt: now, closesAt: new Date(now.getTime() + d.window.durationDays * DAY_MS) } },
        { upsert: true },
      );
    } else {
      await models.Cohort.updateOne({ _id: d.id }, { $set: { ...fields, ...d.window } }, { upsert: true });
    }
  }
}
