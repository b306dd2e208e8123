/** `report recount | progress | questions`: the reports of the administration, from the command line. */
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { ContentCatalog } from '../content/catalog.js';
import { MongoCohortStore } from '../storage/stores.js';
import { lessonsOf } from '../core/course.js';
import type { Locale } from '../core/course.js';
import { buildStats } from '../admin/stats/index.js';
import { recount } from '../admin/stats/recount.js';
import { progressCsv, progressRows, type ProgressRow } from '../admin/stats/export.js';
import { withServices, type CliContext } from './context.js';
import { CliInputError } from './cohort.js';

function statsOf(ctx: CliContext) {
  return buildStats({
    db: ctx.db,
    redis: ctx.redis,
    prefix: ctx.queues.settings.prefix,
    clock: { now: () => new Date() },
    catalog: new ContentCatalog(ctx.content),
    i18n: ctx.i18n,
    timezone: ctx.config.TIMEZONE,
    defaultLocale: ctx.config.DEFAULT_LOCALE,
    defaultCohort: ctx.config.DEFAULT_COHORT,
  });
}

async function cohortOf(ctx: CliContext, id: string) {
  const cohort = await new MongoCohortStore(ctx.db.models).get(String(id));
  if (!cohort) throw new CliInputError(`no cohort "${id}" (see: cohort list)`);
  return cohort;
}

export async function recountCommand(ctx: CliContext, cohortId: string): Promise<void> {
  await cohortOf(ctx, cohortId);
  const s = statsOf(ctx);
  const r = await recount({ models: ctx.db.models, conn: ctx.db.conn, counters: s.counters, tracker: s.tracker, cohortId, now: new Date() });
  const lng = ctx.config.DEFAULT_LOCALE;
  for (const d of r.drift) ctx.print(ctx.i18n.t(lng, 'stats.cli.recountDrift', d as unknown as Record<string, unknown>));
  if (r.drift.length === 0) ctx.print(ctx.i18n.t(lng, 'stats.cli.recountNoDrift'));
  ctx.print(ctx.i18n.t(lng, 'stats.cli.recountDone', { learners: r.learners, seconds: (r.ms / 1000).toFixed(1), drift: r.drift.length, marks: r.marksFixed }));
}

export async function progressCommand(ctx: CliContext, o: { cohort: string; out: string; province?: string; lang?: string }): Promise<void> {
  const cohort = await cohortOf(ctx, o.cohort);
  if (o.lang !== undefined && o.lang !== 'vi' && o.lang !== 'en') throw new CliInputError('--lang must be vi or en');
  const course = new ContentCatalog(ctx.content).get(cohort.courseId);
  const started = Date.now();
  let rows = 0;
  async function* counted(source: AsyncIterable<ProgressRow>) {
    for await (const row of source) {
      rows++;
      yield row;
    }
  }
  const source = progressRows({ rows: statsOf(ctx).counters.rows, models: ctx.db.models, cohortId: cohort.id, province: o.province?.normalize('NFC'), lessonsTotal: course ? lessonsOf(course).length : 0 });
  await pipeline(progressCsv(counted(source), ctx.i18n, (o.lang ?? ctx.config.DEFAULT_LOCALE) as Locale), createWriteStream(o.out));
  ctx.print(ctx.i18n.t(ctx.config.DEFAULT_LOCALE, 'stats.cli.exportDone', { rows, file: o.out, seconds: ((Date.now() - started) / 1000).toFixed(1) }));
}

export async function questionsCommand(ctx: CliContext, o: { cohort?: string; json?: boolean }): Promise<void> {
  if (o.cohort !== undefined) await cohortOf(ctx, o.cohort);
  const report = await statsOf(ctx).questions.analyse(o.cohort);
  if (o.json) return ctx.print(JSON.stringify(report, null, 2));
  const lng = ctx.config.DEFAULT_LOCALE;
  ctx.print(ctx.i18n.t(lng, 'stats.cli.questionsHeader'));
  for (const q of report.questions) {
    const flags = q.flags.map((f) => ctx.i18n.t(lng, `stats.flags.${f}`)).join(', ');
    ctx.print(`${q.questionId} (${q.kind}) · ${q.answered} · ${q.firstTryCorrectPercent ?? '-'}% · ${q.discrimination ?? '-'}${flags ? ` · ${flags}` : ''}`);
  }
}

export function registerReportCommands(program: Command): void {
  const report = program.command('report').description('progress export, question analysis, and the stats counters');
  report
    .command('recount')
    .description("rebuild a cohort's stats counters from the learners and enrolments, and list every cell that had drifted")
    .requiredOption('--cohort <id>', 'the cohort')
    .action((o: { cohort: string }) => withServices((ctx) => recountCommand(ctx, o.cohort)));
  report
    .command('progress')
    .description('one CSV row per learner of a cohort (UTF-8 with BOM for spreadsheets), streamed to a file')
    .requiredOption('--cohort <id>', 'the cohort')
    .requiredOption('--out <file.csv>', 'where to write the CSV')
    .option('--province <name>', 'only the learners of this province')
    .option('--lang <vi|en>', 'the language of the header row')
    .action((o: { cohort: string; out: string; province?: string; lang?: string }) => withServices((ctx) => progressCommand(ctx, o)));
  report
    .command('questions')
    .description('per check and final question: answered, right on the first try, discrimination, distractors, flags')
    .option('--cohort <id>', 'one cohort (default: all)')
    .option('--json', 'the whole report as JSON')
    .action((o: { cohort?: string; json?: boolean }) => withServices((ctx) => questionsCommand(ctx, o)));
}
