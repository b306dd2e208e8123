/**
 * `roster import FILE --cohort ID [--codes OUT.csv] [--slips OUT.pdf]`: imports a roster (CSV or
 * .xlsx) as the bootstrap ministry account, with a progress bar on a terminal, then prints the
 * summary, each refused row as `FILE:LINE: error: reason` (like `content:check`), and every invite
 * code with its Telegram link. Exits 1 when no row was imported.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Command } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import type { Locale } from '../core/course.js';
import { ContentCatalog } from '../content/catalog.js';
import { MongoCohortStore } from '../storage/stores.js';
import { findImport, importRoster, importRows, type ImportRow, type RosterDeps } from '../admin/roster/import.js';
import { codesCsv, slipsPdf, telegramLink } from '../admin/roster/outputs.js';
import { RosterInputError } from '../admin/roster/read.js';
import type { AdminPrincipal } from '../admin/scope.js';
import { withServices } from './context.js';

export interface RosterCliDeps extends RosterDeps {
  locale: Locale;
  print(text: string): void;
  /** Where the progress bar goes; none when absent (not a terminal). */
  progress?: NodeJS.WriteStream;
}

export interface ImportOptions {
  cohort: string;
  codes?: string;
  slips?: string;
}

const CLI_ADMIN: AdminPrincipal = { id: 'cli', name: 'CLI', scope: { kind: 'ministry' } };

/** Runs the import and prints what happened; resolves the exit code. */
export async function runRosterImport(d: RosterCliDeps, file: string, o: ImportOptions): Promise<number> {
  const t = (key: string, vars?: Record<string, unknown>) => d.i18n.t(d.locale, key, vars);
  const bar = d.progress ? new SingleBar({ stream: d.progress, clearOnComplete: true, hideCursor: true }, Presets.shades_classic) : undefined;
  let report;
  try {
    const bytes = await readFile(file);
    report = await importRoster(d, {
      bytes,
      cohortId: o.cohort,
      principal: CLI_ADMIN,
      from: 'cli',
      fileName: basename(file),
      onProgress: (done, total) => {
        if (!bar) return;
        if (done === 0) bar.start(total, 0);
        else bar.update(done);
      },
    });
  } catch (err) {
    if (!(err instanceof RosterInputError)) throw err;
    d.print(`${file}: error: ${t(`roster.file.${err.key}`, err.vars)}`);
    return 1;
  } finally {
    bar?.stop();
  }
  const rows: ImportRow[] = [];
  for await (const r of importRows(d.conn, (await findImport(d.conn, report.importId))!)) rows.push(r);
  const invited = rows.filter((r) => r.code);
  if (invited.length > 0) {
    d.print(t('roster.cli.codes'));
    for (const r of invited) d.print([r.code, r.fullName, r.commune, r.province, telegramLink(d.telegramBot, r.code!)].filter(Boolean).join('\t'));
  }
  if (report.errors.length > 0) {
    d.print(t('roster.cli.errors'));
    for (const e of report.errors) d.print(`${file}:${e.line}: error: ${t(`roster.row.${e.key}`, e.vars)}`);
  }
  const out = { i18n: d.i18n, locale: d.locale, telegramBot: d.telegramBot };
  if (o.codes) {
    await writeFile(o.codes, codesCsv(rows, out));
    d.print(t('roster.cli.wrote', { file: o.codes }));
  }
  if (o.slips) {
    await writeFile(o.slips, await slipsPdf(rows, out));
    d.print(t('roster.cli.wrote', { file: o.slips }));
  }
  d.print(t('roster.cli.summary', { rows: report.rows, imported: report.imported, updated: report.updated, unchanged: report.unchanged, errors: report.errors.length, importId: report.importId }));
  if (invited.length === 0) {
    d.print(t('roster.cli.nothing'));
    return 1;
  }
  return 0;
}

export function registerRosterCommands(program: Command): void {
  const roster = program.command('roster').description('import rosters of officials and hand out invitations');
  roster
    .command('import')
    .description('import a roster (CSV or .xlsx): creates or updates invitations, prints codes and Telegram links')
    .argument('<file>', 'the roster: CSV (UTF-8, comma or semicolon) or .xlsx; columns họ tên, chức vụ, tỉnh, xã [, số điện thoại, email, mã]')
    .requiredOption('--cohort <id>', 'the cohort the officials are invited to')
    .option('--codes <out.csv>', 'also write the codes and links as CSV (UTF-8 with BOM, for Excel)')
    .option('--slips <out.pdf>', 'also write printable A4 invitation slips with QR codes')
    .action((file: string, o: ImportOptions) =>
      withServices(async (ctx) => {
        const code = await runRosterImport(
          {
            conn: ctx.db.conn,
            cohorts: new MongoCohortStore(ctx.db.models),
            catalog: new ContentCatalog(ctx.content),
            i18n: ctx.i18n,
            clock: { now: () => new Date() },
            telegramBot: ctx.config.TELEGRAM_BOT_USERNAME,
            locale: ctx.config.DEFAULT_LOCALE,
            print: ctx.print,
            ...(process.stderr.isTTY ? { progress: process.stderr } : {}),
          },
          file,
          o,
        );
        if (code !== 0) process.exitCode = code;
      }),
    );
}
