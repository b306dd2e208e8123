/** `admin add | list | revoke | link | unlink`: admin accounts of the API and the chats acting as them. Every change is audited with `from: 'cli'`. */
import type { Command } from 'commander';
import { AccountInputError, accountJson, chatConversation, type AdminAccounts } from '../admin/accounts.js';
import type { AuditSink } from '../admin/scope.js';
import { buildAdmin } from '../app/admin.js';
import type { Translator } from '../core/ports.js';
import type { Locale } from '../core/course.js';
import { withServices } from './context.js';
import { CliInputError } from './cohort.js';

export interface AdminCliDeps {
  accounts: AdminAccounts;
  audit: AuditSink;
  i18n: Translator;
  locale: Locale;
  print(text: string): void;
}

const CLI_ACTOR = { id: 'cli', name: 'cli' };

async function input<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof AccountInputError) throw new CliInputError(err.message);
    throw err;
  }
}

export async function addAdmin(d: AdminCliDeps, o: { name: string; scope: string }): Promise<void> {
  const { account, token } = await input(() => d.accounts.add({ name: o.name, scope: o.scope }));
  await d.audit.record({ actor: CLI_ACTOR, action: 'admin.add', target: account.id, detail: { name: account.name, scope: accountJson(account).scope }, from: 'cli' });
  const shown = accountJson(account);
  d.print(d.i18n.t(d.locale, 'admin.cli.added', { id: shown.id, name: shown.name, scope: shown.scope }));
  d.print(token);
  d.print(d.i18n.t(d.locale, 'admin.cli.tokenOnce'));
}

export async function listAdmins(d: AdminCliDeps): Promise<void> {
  const rows = (await d.accounts.list()).map(accountJson).map((a) => [a.id, a.name, a.scope, a.createdAt, a.revokedAt ?? '-', (a.chats as string[]).join(', ') || '-'].map(String));
  const header = ['id', 'name', 'scope', 'created', 'revoked', 'chats'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => [...r[i]!].length)));
  const line = (cells: string[]) => cells.map((c, i) => c + ' '.repeat(widths[i]! - [...c].length)).join('  ').trimEnd();
  d.print([line(header), ...rows.map(line)].join('\n'));
  if (rows.length === 0) d.print(d.i18n.t(d.locale, 'admin.cli.none'));
}

export async function revokeAdmin(d: AdminCliDeps, idOrName: string): Promise<void> {
  const account = await input(() => d.accounts.revoke(idOrName));
  await d.audit.record({ actor: CLI_ACTOR, action: 'admin.revoke', target: account.id, detail: { name: account.name }, from: 'cli' });
  d.print(d.i18n.t(d.locale, 'admin.cli.revoked', { id: account.id, name: account.name }));
}

export async function linkChat(d: AdminCliDeps, idOrName: string, chat: string): Promise<void> {
  const { account, conversation, movedFrom } = await input(() => d.accounts.linkChat(idOrName, chat));
  await d.audit.record({ actor: CLI_ACTOR, action: 'admin.link', target: account.id, detail: { chat: conversation, ...(movedFrom ? { movedFrom } : {}) }, from: 'cli' });
  const shown = accountJson(account);
  d.print(d.i18n.t(d.locale, 'admin.cli.linked', { chat: conversation, id: shown.id, name: shown.name, scope: shown.scope }));
  if (movedFrom) d.print(d.i18n.t(d.locale, 'admin.cli.moved', { from: movedFrom }));
}

export async function unlinkChat(d: AdminCliDeps, chat: string): Promise<void> {
  const conversation = await input(async () => chatConversation(chat));
  if (!(await d.accounts.unlinkChat(conversation))) {
    d.print(d.i18n.t(d.locale, 'admin.cli.notLinked', { chat: conversation }));
    return;
  }
  await d.audit.record({ actor: CLI_ACTOR, action: 'admin.unlink', target: conversation, from: 'cli' });
  d.print(d.i18n.t(d.locale, 'admin.cli.unlinked', { chat: conversation }));
}

export function registerAdminCommands(program: Command): void {
  const admin = program.command('admin').description('admin accounts of the admin API and the chats acting as them: add, list, revoke, link, unlink');
  const run = (action: (d: AdminCliDeps) => Promise<void>) =>
    withServices((ctx) => {
      const s = { ...ctx, clock: { now: () => new Date() } };
      return action({ ...buildAdmin(s), i18n: ctx.i18n, locale: ctx.config.DEFAULT_LOCALE, print: ctx.print });
    });
  admin
    .command('add')
    .description('create an account and print its token (shown once, stored only as a hash)')
    .requiredOption('--name <name>', 'who holds it, e.g. "Sở KH&CN Nghệ An"')
    .requiredOption('--scope <scope>', 'ministry, or province:<name> as in content/provinces.yaml, e.g. "province:Nghệ An"')
    .action((o: { name: string; scope: string }) => run((d) => addAdmin(d, o)));
  admin
    .command('list')
    .description('every account: id, name, scope, created, revoked (never a token)')
    .action(() => run((d) => listAdmins(d)));
  admin
    .command('revoke')
    .description('revoke an account: its token stops working at once')
    .argument('<id>', 'the account id (adm_…), or its name when no other live account has it')
    .action((id: string) => run((d) => revokeAdmin(d, id)));
  admin
    .command('link')
    .description("link a chat to an account: /thongbao and /thongke from that chat act with the account's scope (a province account reaches only its province)")
    .argument('<id>', 'the account id (adm_…), or its name when no other live account has it')
    .argument('<chat>', 'telegram:<chat id> or zalo:<user id>, e.g. telegram:123456789')
    .action((id: string, chat: string) => run((d) => linkChat(d, id, chat)));
  admin
    .command('unlink')
    .description('unlink a chat: it no longer acts as any account (an id still in ADMIN_TELEGRAM_IDS / ADMIN_ZALO_IDS acts with ministry scope again)')
    .argument('<chat>', 'telegram:<chat id> or zalo:<user id>')
    .action((chat: string) => run((d) => unlinkChat(d, chat)));
}
