/** `certificate show | revoke | reissue | list`: what operators do with certificates. */
import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { stringify } from 'csv-stringify/sync';
import { displayCode, holderOf, normaliseCode, type Certificate } from '../core/certificates.js';
import type { Translator } from '../core/ports.js';
import type { AuditSink } from '../admin/scope.js';
import { MongoCertificateStore } from '../storage/certificates.js';
import { MongoLearnerStore } from '../storage/stores.js';
import type { Database } from '../storage/mongo.js';
import { withServices, type CliContext } from './context.js';
import { CliInputError } from './cohort.js';

export interface CertificateCliDeps {
  store: MongoCertificateStore;
  learners: Pick<MongoLearnerStore, 'findById'>;
  i18n: Translator;
  now(): Date;
  /** Revocations and reissues are recorded here when an audit log exists. */
  audit?: AuditSink;
  print(text: string): void;
}

function codeOf(input: string): string {
  const code = normaliseCode(input);
  if (!code) throw new CliInputError(`"${input.slice(0, 40)}" is not a verification code (12 letters and digits, e.g. K7M2-Q9TX-4HCE)`);
  return code;
}

async function found(d: CertificateCliDeps, input: string): Promise<Certificate> {
  const c = await d.store.findByCode(codeOf(input));
  if (!c) throw new CliInputError(`no certificate has the code ${input.slice(0, 40)}`);
  return c;
}

/** The certificate as operators read it. */
export function certificateJson(c: Certificate): Record<string, unknown> {
  return {
    serial: c.serial,
    code: displayCode(c.code),
    status: c.revoked ? 'revoked' : 'valid',
    holder: c.holder,
    learnerId: c.learnerId,
    cohortId: c.cohortId,
    course: c.courseTitle,
    scorePercent: c.scorePercent,
    passedAt: c.passedAt.toISOString(),
    issuedAt: c.issuedAt.toISOString(),
    sentAt: c.sentAt?.toISOString() ?? null,
    ...(c.revoked ? { revoked: { at: c.revoked.at.toISOString(), reason: c.revoked.reason, replacedBy: c.revoked.replacedBy ? displayCode(c.revoked.replacedBy) : null } } : {}),
    ...(c.replaces ? { replaces: displayCode(c.replaces) } : {}),
  };
}

export async function showCertificate(d: CertificateCliDeps, code: string): Promise<void> {
  d.print(JSON.stringify(certificateJson(await found(d, code)), null, 2));
}

export async function revokeCertificate(d: CertificateCliDeps, code: string, reason: string | undefined): Promise<void> {
  const why = (reason ?? '').trim();
  if (!why) throw new CliInputError('--reason is required: say why the certificate is revoked');
  const c = await found(d, code);
  if (c.revoked) throw new CliInputError(`certificate ${c.serial} was already revoked on ${c.revoked.at.toISOString()} (${c.revoked.reason})`);
  const revoked = await d.store.revoke(c.code, why.slice(0, 500), d.now());
  await d.audit?.record({ actor: { id: 'cli', name: 'cli' }, action: 'certificate.revoke', target: c.serial, detail: { code: c.code, reason: why }, from: 'cli', at: d.now() });
  d.print(JSON.stringify(certificateJson(revoked!), null, 2));
}

/** A new certificate from the learner's profile as it is now (a corrected name); the old one revoked, pointing to it. */
export async function reissueCertificate(d: CertificateCliDeps, code: string, reason: string | undefined): Promise<void> {
  const old = await found(d, code);
  if (old.revoked && !old.revoked.replacedBy) throw new CliInputError(`certificate ${old.serial} was revoked (${old.revoked.reason}) and cannot be reissued`);
  const learner = await d.learners.findById(old.learnerId);
  if (!learner) throw new CliInputError(`the learner of certificate ${old.serial} no longer exists`);
  const result = await d.store.reissue(old.code, holderOf(learner.profile, d.i18n), (reason ?? '').trim() || 'reissued', d.now());
  if (!result) throw new CliInputError(`no certificate has the code ${code}`);
  await d.audit?.record({ actor: { id: 'cli', name: 'cli' }, action: 'certificate.reissue', target: old.serial, detail: { old: old.code, new: result.current.code, newSerial: result.current.serial }, from: 'cli', at: d.now() });
  d.print(JSON.stringify({ old: certificateJson(result.old), current: certificateJson(result.current) }, null, 2));
}

/** A spreadsheet would run a cell that starts with = + - @ (or a tab or return) as a formula: such cells get a leading '. */
export function neutralise(cell: string): string {
  return /^[=+\-@\t\r]/.test(cell) ? `'${cell}` : cell;
}

export async function listCertificates(d: CertificateCliDeps, cohortId: string, out?: string): Promise<void> {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(cohortId)) throw new CliInputError('--cohort must be a cohort id (letters, digits, _ or -)');
  const rows = (await d.store.listByCohort(cohortId)).map((c) =>
    [
      c.serial,
      displayCode(c.code),
      c.revoked ? 'revoked' : 'valid',
      c.holder.fullName,
      c.holder.role ?? '',
      c.holder.commune ?? '',
      c.holder.district ?? '',
      c.holder.province ?? '',
      String(c.scorePercent),
      c.issuedAt.toISOString(),
      c.sentAt?.toISOString() ?? '',
      c.revoked?.at.toISOString() ?? '',
      c.revoked?.reason ?? '',
    ].map(neutralise),
  );
  const header = ['serial', 'code', 'status', 'full_name', 'role', 'commune', 'district', 'province', 'score_percent', 'issued_at', 'sent_at', 'revoked_at', 'revoked_reason'];
  const csv = stringify([header, ...rows], { bom: Boolean(out) });
  if (out) {
    await writeFile(out, csv);
    d.print(`${rows.length} certificates of cohort ${cohortId} written to ${out}`);
  } else d.print(csv.trimEnd());
}

function depsOf(ctx: CliContext, db: Database): CertificateCliDeps {
  return {
    store: new MongoCertificateStore(db.conn, { serialPrefix: ctx.config.CERTIFICATE_SERIAL_PREFIX, timezone: ctx.config.TIMEZONE }),
    learners: new MongoLearnerStore(db.models),
    i18n: ctx.i18n,
    now: () => new Date(),
    print: ctx.print,
  };
}

export function registerCertificateCommands(program: Command): void {
  const cert = program.command('certificate').description('show, revoke, reissue and list certificates');
  const run = (action: (d: CertificateCliDeps) => Promise<void>) => withServices((ctx) => action(depsOf(ctx, ctx.db)));
  cert
    .command('show')
    .description('a certificate by its verification code, as JSON')
    .argument('<code>', 'the verification code (case, spaces and dashes do not matter)')
    .action((code: string) => run((d) => showCertificate(d, code)));
  cert
    .command('revoke')
    .description('revoke a certificate: the verification page then says revoked, with the date')
    .argument('<code>', 'the verification code')
    .requiredOption('--reason <text>', 'why (kept with the certificate, not shown on the page)')
    .action((code: string, o: { reason: string }) => run((d) => revokeCertificate(d, code, o.reason)));
  cert
    .command('reissue')
    .description("issue a new certificate from the learner's current profile (e.g. a corrected name); the old one is revoked, pointing to the new")
    .argument('<code>', 'the verification code of the certificate to replace')
    .option('--reason <text>', 'why it is reissued (kept with the old certificate)', 'reissued')
    .action((code: string, o: { reason: string }) => run((d) => reissueCertificate(d, code, o.reason)));
  cert
    .command('list')
    .description('the certificates of a cohort as CSV, by serial')
    .requiredOption('--cohort <id>', 'the cohort')
    .option('--out <file.csv>', 'write to this file (UTF-8 with BOM, for spreadsheets) instead of standard output')
    .action((o: { cohort: string; out?: string }) => run((d) => listCertificates(d, o.cohort, o.out)));
}
