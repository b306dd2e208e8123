/**
 * `broadcast --text … [segment] [--yes]` (without --yes: the preview, nothing sent), `broadcast list`,
 * `broadcast show ID [--recount]`, `broadcast pause|resume|cancel ID`. The CLI acts as the ministry
 * (`cli`); the worker role plans and sends. A created broadcast is followed with a progress bar on
 * stderr when it is a terminal, until it is done (Ctrl-C stops following, not sending).
 */
import type { Command } from 'commander';
import { DateTime } from 'luxon';
import cliProgress from 'cli-progress';
import type { AdminPrincipal } from '../admin/scope.js';
import { ROLES, CHANNELS, type ChannelName, type EnrolmentStatus, type Role } from '../core/model.js';
import type { Segment } from '../core/broadcast.js';
import { isIsoDuration } from '../core/durations.js';
import { buildBroadcasts, deploymentChannels, type BroadcastParts } from '../app/broadcasts.js';
import type { Services } from '../app/services.js';
import { previewLines, showLines } from '../broadcasts/format.js';
import type { BroadcastInput, BroadcastView } from '../broadcasts/service.js';
import { withServices, type CliContext } from './context.js';
import { CliInputError } from './cohort.js';

const CLI_ADMIN: AdminPrincipal = { id: 'cli', name: 'CLI', scope: { kind: 'ministry' } };
const STATUSES: readonly EnrolmentStatus[] = ['not_started', 'in_progress', 'completed', 'certified'];

export interface BroadcastOptions {
  text?: string;
  textEn?: string;
  image?: string;
  cohort?: string;
  province?: string;
  commune?: string;
  role?: string;
  status?: string;
  channel?: string;
  inactiveDays?: string;
  ack?: boolean;
  remindAfter?: string;
  at?: string;
  quietHours?: boolean;
  yes?: boolean;
  follow?: boolean;
}

/** The segment and input from the options; throws CliInputError naming every bad option. */
export function inputFromOptions(o: BroadcastOptions, tz: string): BroadcastInput {
  const problems: string[] = [];
  if (!o.text?.trim()) problems.push('--text is required');
  if (o.role !== undefined && !ROLES.includes(o.role as Role)) problems.push(`--role must be one of ${ROLES.join(', ')}`);
  if (o.status !== undefined && !STATUSES.includes(o.status as EnrolmentStatus)) problems.push(`--status must be one of ${STATUSES.join(', ')}`);
  if (o.channel !== undefined && !CHANNELS.includes(o.channel as ChannelName)) problems.push(`--channel must be one of ${CHANNELS.join(', ')}`);
  const days = o.inactiveDays === undefined ? undefined : Number(o.inactiveDays);
  if (days !== undefined && (!Number.isInteger(days) || days < 1)) problems.push('--inactive-days must be a whole number of days, at least 1');
  if (o.remindAfter !== undefined && !isIsoDuration(o.remindAfter)) problems.push('--remind-after must be an ISO-8601 duration such as PT24H');
  if (o.image !== undefined && !/^https:\/\/\S+$/.test(o.image)) problems.push('--image must be an https URL');
  let at: Date | undefined;
  if (o.at !== undefined) {
    const d = DateTime.fromISO(o.at, { zone: tz });
    if (!d.isValid) problems.push(`--at must be an ISO-8601 instant such as 2026-05-22T08:00+07:00 (got "${o.at}")`);
    else at = d.toJSDate();
  }
  if (problems.length) throw new CliInputError(problems.join('\n'));
  const segment: Segment = {
    ...(o.cohort ? { cohort: o.cohort } : {}),
    ...(o.province ? { province: o.province.normalize('NFC') } : {}),
    ...(o.commune ? { commune: o.commune.normalize('NFC') } : {}),
    ...(o.role ? { role: o.role as Role } : {}),
    ...(o.status ? { status: o.status as EnrolmentStatus } : {}),
    ...(o.channel ? { channel: o.channel as ChannelName } : {}),
    ...(days !== undefined ? { inactiveDays: days } : {}),
  };
  return {
    text: { vi: o.text!.normalize('NFC'), ...(o.textEn ? { en: o.textEn } : {}) },
    ...(o.image ? { image: o.image } : {}),
    segment,
    ...(at ? { at } : {}),
    quietHours: o.quietHours !== false,
    ack: o.ack === true,
    ...(o.remindAfter ? { remindAfter: o.remindAfter } : {}),
  };
}

/** The CLI's broadcasts, over the services `withServices` built (it passes all of them). */
function parts(ctx: CliContext): BroadcastParts {
  const s = ctx as CliContext & Services;
  return buildBroadcasts(s, { channels: deploymentChannels(s.config) });
}

/** Polls the broadcast until it is done or cancelled, with a bar on a terminal; Ctrl-C stops following only. */
async function follow(ctx: CliContext, b: BroadcastParts, id: string): Promise<BroadcastView> {
  const locale = ctx.config.DEFAULT_LOCALE;
  let stop = false;
  const onInt = () => (stop = true);
  process.once('SIGINT', onInt);
  const tty = process.stderr.isTTY === true;
  const bar = tty ? new cliProgress.SingleBar({ stream: process.stderr, format: '{bar} {value}/{total} · {state}', hideCursor: true }, cliProgress.Presets.shades_classic) : undefined;
  process.stderr.write(`${ctx.i18n.t(locale, 'broadcast.show.following', { id })}\n`);
  let v = await b.service.show(CLI_ADMIN, id);
  bar?.start(Math.max(1, v.counts.targeted), 0, { state: v.state });
  try {
    while (!stop && !['done', 'cancelled'].includes(v.state)) {
      await new Promise((r) => setTimeout(r, 1000));
      v = await b.service.show(CLI_ADMIN, id);
      bar?.setTotal(Math.max(1, v.counts.targeted));
      bar?.update(v.counts.targeted - v.counts.queued, { state: v.state });
    }
  } finally {
    bar?.stop();
    process.removeListener('SIGINT', onInt);
  }
  if (stop) process.stderr.write(`${ctx.i18n.t(locale, 'broadcast.show.stopFollowing')}\n`);
  return v;
}

export async function runBroadcast(o: BroadcastOptions, ctx: CliContext): Promise<void> {
  const b = parts(ctx);
  const locale = ctx.config.DEFAULT_LOCALE;
  try {
    const input = inputFromOptions(o, ctx.config.TIMEZONE);
    if (!o.yes) {
      const preview = await b.service.preview(CLI_ADMIN, input.segment);
      ctx.print([...previewLines(preview, ctx.i18n, locale), ctx.i18n.t(locale, 'broadcast.preview.confirmHint')].join('\n'));
      return;
    }
    const created = await b.service.create(CLI_ADMIN, input, 'cli');
    ctx.print(ctx.i18n.t(locale, 'broadcast.show.created', { id: created.id }));
    const end = o.follow === false ? created : await follow(ctx, b, created.id);
    ctx.print(showLines(end, ctx.i18n, locale).join('\n'));
  } finally {
    await b.close();
  }
}

export function registerBroadcastCommands(program: Command): void {
  const cmd = program
    .command('broadcast')
    .description('Send an announcement to a segment of learners (prints the preview unless --yes), or follow and control one')
    .option('--text <text>', 'the announcement in Vietnamese')
    .option('--text-en <text>', 'the English version, for learners using English')
    .option('--image <url>', 'an https image URL sent with it')
    .option('--cohort <id>', 'learners of this cohort')
    .option('--province <name>', 'learners of this province')
    .option('--commune <name>', 'learners of this commune')
    .option('--role <role>', `one of ${ROLES.join(', ')}`)
    .option('--status <status>', `one of ${STATUSES.join(', ')}`)
    .option('--channel <channel>', 'only learners on telegram or zalo')
    .option('--inactive-days <n>', 'no activity for at least N days')
    .option('--ack', 'ask for a read acknowledgement ("Đã đọc ✅")')
    .option('--remind-after <duration>', 'remind those who have not acknowledged once, e.g. PT24H')
    .option('--at <iso>', 'send at this instant rather than now')
    .option('--no-quiet-hours', 'send even during quiet hours (21:00–07:00)')
    .option('--yes', 'send it (without: print the preview and exit)')
    .option('--no-follow', 'do not follow the progress after sending')
    .action((o: BroadcastOptions) => withServices((ctx) => runBroadcast(o, ctx)));

  cmd
    .command('list')
    .description('Broadcasts, newest first')
    .action(() =>
      withServices(async (ctx) => {
        const b = parts(ctx);
        for (const v of await b.service.list(CLI_ADMIN)) ctx.print(`${v.id}\t${v.state}\t${v.sendAt}\t${v.counts.sent}/${v.counts.targeted}\t${v.text.vi.slice(0, 50)}`);
        await b.close();
      }),
    );

  cmd
    .command('show <id>')
    .description('Counts of a broadcast, per province')
    .option('--recount', 'count again from the delivery records (exact; a scan)')
    .option('--json', 'print JSON')
    .action((id: string, o: { recount?: boolean; json?: boolean }) =>
      withServices(async (ctx) => {
        const b = parts(ctx);
        if (o.recount) await b.live.setCounts(id, await b.store.recount(id));
        const v = await b.service.show(CLI_ADMIN, id);
        ctx.print(o.json ? JSON.stringify(v, null, 2) : showLines(v, ctx.i18n, ctx.config.DEFAULT_LOCALE).join('\n'));
        await b.close();
      }),
    );

  for (const action of ['pause', 'resume', 'cancel'] as const) {
    cmd
      .command(`${action} <id>`)
      .description(`${action[0]!.toUpperCase()}${action.slice(1)} a broadcast`)
      .action((id: string) =>
        withServices(async (ctx) => {
          const b = parts(ctx);
          const v = await b.service[action](CLI_ADMIN, id, 'cli');
          ctx.print(ctx.i18n.t(ctx.config.DEFAULT_LOCALE, 'broadcast.show.changed', { id, state: v.state }));
          await b.close();
        }),
      );
  }
}
