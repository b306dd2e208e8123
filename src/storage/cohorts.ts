/**
 * Stores the cohorts defined in content: fixed windows as written, the demo's window from its first load.
 * Cohorts changed since with the CLI are left as the administrator set them.
 */
import type { CohortDefinition } from '../content/cohorts.js';
import type { Cohort } from '../core/model.js';
import type { Models } from './models.js';
import { DateTime } from 'luxon';

/**
 * A window of `durationDays` closes at the end of that day where the learners are (23:59:59),
 * not at the minute the first process happened to start.
 */
export function closingAfter(now: Date, durationDays: number, timezone: string): Date {
  return DateTime.fromJSDate(now, { zone: timezone }).plus({ days: durationDays }).endOf('day').toJSDate();
}

export async function syncContentCohorts(models: Models, defs: CohortDefinition[], now: Date, timezone = 'UTC'): Promise<void> {
  for (const d of defs) {
    // An administrator's later change with `cohort upsert` wins over the content file.
    const current = await models.Cohort.findById(d.id).lean<{ managedBy?: string }>();
    if (current?.managedBy === 'cli') continue;
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
        { $set: fields, $setOnInsert: { opensAt: now, closesAt: closingAfter(now, d.window.durationDays, timezone) } },
        { upsert: true },
      );
    } else {
      await models.Cohort.updateOne({ _id: d.id }, { $set: { ...fields, ...d.window } }, { upsert: true });
    }
  }
}

/** What the CLI and the admin API set on a cohort (district use and province list keep their content values). */
export type CohortFields = Pick<Cohort, 'id' | 'courseId' | 'title' | 'opensAt' | 'closesAt' | 'reminders' | 'quietHours' | 'lessonHour'>;

/** Creates or updates a cohort from the CLI or the admin API, and marks it as theirs. */
export async function upsertCohort(models: Models, c: CohortFields): Promise<void> {
  const { id, title, ...fields } = c;
  await models.Cohort.updateOne(
    { _id: id },
    { $set: { ...fields, ...(title !== undefined ? { title } : {}), managedBy: 'cli' }, $setOnInsert: { usesDistrict: false, provinceList: 'current' } },
    { upsert: true },
  );
}
