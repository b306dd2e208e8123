/** `cohort upsert` and `cohort list`: the cohorts administrators run, stored in MongoDB. */
import type { Command } from 'commander';
import { DateTime } from 'luxon';
import { DEFAULT_QUIET_HOURS, DEFAULT_REMINDERS, formatQuietHours, parseQuietHours } from '../content/cohorts.js';
import { isIsoDuration } from '../core/durations.js';
import { upsertCohort, type CohortFields } from '../storage/cohorts.js';
import { MongoCohortStore } from '../storage/stores.js';
import type { Cohort } from '../core/model.js';
import { withServices, type CliContext } from './context.js';

export interface UpsertOptions {
  id: string;
  course: string;
  opens: string;
  closes: string;
  title?: string;
  reminders?: string;
  quietHours?: string;
  lessonHour?: string;
}

export class CliInputError extends Error {
  override readonly name = 'CliInputError';
}

/** An instant from ISO-8601 text; without an offset it is read in the learners' time zone. */
function instant(flag: string, text: string, tz: string): Date {
  const d = DateTime.fromISO(text, { zone: tz, setZone: false });
  if (!d.isValid) throw new CliInputError(`${flag} must be an ISO-8601 instant such as 2022-05-22T23:59:59+07:00 (got "${text}")`);
  return d.toJSDate();
}

/** Validates the options against the content's courses; throws CliInputError naming every bad option. */
export function cohortFromOptions(o: UpsertOptions, courses: ReadonlySet<string>, tz: string, existing: Cohort | null): CohortFields {
  const problems: string[] = [];
  const attempt = <T>(f: () => T): T | undefined => {
    try {
      return f();
    } catch (err) {
      problems.push((err as Error).message);
      return undefined;
    }
  };
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(o.id)) problems.push(`--id must be 1–64 letters, digits, _ or - (got "${o.id}")`);
  if (!courses.has(o.course)) problems.push(`--course "${o.course}" is not a course in the content (known: ${[...courses].join(', ')})`);
  const opensAt = attempt(() => instant('--opens', o.opens, tz));
  const closesAt = attempt(() => instant('--closes', o.closes, tz));
  if (opensAt && closesAt && closesAt <= opensAt) problems.push('--closes must come after --opens');
  const reminders = o.reminders !== undefined ? o.reminders.split(',').map((r) => r.trim()).filter(Boolean) : (existing?.reminders ?? DEFAULT_REMINDERS);
  for (const r of reminders) if (!isIsoDuration(r)) problems.push(`--reminders: "${r}" is not an ISO-8601 duration such as P3D or PT3H`);
  const quietHours = o.quietHours !== undefined ? parseQuietHours(o.quietHours) : existing ? existing.quietHours : DEFAULT_QUIET_HOURS;
  if (quietHours === undefined) problems.push(`--quiet-hours must look like 21:00-07:00, or be none (got "${o.quietHours}")`);
  const lessonHour = o.lessonHour !== undefined ? Number(o.lessonHour) : (existing?.lessonHour ?? 8);
  if (!Number.isInteger(lessonHour) || lessonHour < 0 || lessonHour > 23) problems.push(`--lesson-hour must be a whole hour 0–23 (got "${o.lessonHour}")`);
  if (problems.length) throw new CliInputError(problems.join('\n'));
  return { id: o.id, courseId: o.course, title: o.title, opensAt: opensAt!, closesAt: closesAt!, reminders, quietHours: quietHours ?? null, lessonHour };
}

/** The cohort as the CLI prints it: instants in ISO with the learners' offset, quiet hours as text. */
export function cohortJson(c: Cohort, tz: string): Record<string, unknown> {
  const iso = (d: Date) => DateTime.fromJSDate(d, { zone: tz }).toISO({ suppressMilliseconds: true });
  return {
    id: c.id,
    course: c.courseId,
    ...(c.title ? { title: c.title } : {}),
    opens: iso(c.opensAt),
    closes: iso(c.closesAt),
    reminders: c.reminders,
    quietHours: formatQuietHours(c.quietHours),
    lessonHour: c.lessonHour,
  };
}

export function registerCohortCommands(program: Command): void {
  const cohort = program.command('cohort').description('create, update and list cohorts (course runs)');
  cohort
    .command('upsert')
    .description('create or update a cohort; prints it as JSON')
    .requiredOption('--id <id>', 'cohort id: letters, digits, _ or -')
    .requiredOption('--course <course>', 'course id in the content, e.g. cds-xa')
    .requiredOption('--opens <iso>', 'opening instant, e.g. 2022-05-06T00:00:00+07:00 (no offset: TIMEZONE)')
    .requiredOption('--closes <iso>', 'closing instant, e.g. 2022-05-22T23:59:59+07:00')
    .option('--title <title>', 'a name for administrators')
    .option('--reminders <list>', 'ISO-8601 durations before closing, comma-separated (default P7D,P3D,P1D,PT3H)')
    .option('--quiet-hours <range>', 'HH:MM-HH:MM when nothing is sent, or none (default 21:00-07:00)')
    .option('--lesson-hour <hour>', 'default hour of the daily lesson, 0–23 (default 8)')
    .action((o: UpsertOptions) =>
      withServices(async (ctx: CliContext) => {
        const store = new MongoCohortStore(ctx.db.models);
        const fields = cohortFromOptions(o, new Set(ctx.content.courses.keys()), ctx.config.TIMEZONE, await store.get(o.id));
        await upsertCohort(ctx.db.models, fields);
        ctx.print(JSON.stringify(cohortJson((await store.get(o.id))!, ctx.config.TIMEZONE), null, 2));
      }),
    );
  cohort
    .command('list')
    .description('list every cohort as JSON')
    .action(() =>
      withServices(async (ctx: CliContext) => {
        const docs = await ctx.db.models.Cohort.find().sort({ _id: 1 }).lean<{ _id: string }[]>();
        const store = new MongoCohortStore(ctx.db.models);
        const all = await Promise.all(docs.map((d) => store.get(String(d._id))));
        ctx.print(JSON.stringify(all.filter((c): c is Cohort => c !== null).map((c) => cohortJson(c, ctx.config.TIMEZONE)), null, 2));
      }),
    );
}
