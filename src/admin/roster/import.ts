/**
 * One roster import, end to end: read the file, check each row, write the good ones in chunks,
 * and keep a record of what happened. The record (`roster_imports`, `_id` the import id) and its
 * rows (`roster_import_rows`, `_id` `<importId>|<n>`, one document per chunk, written after the
 * chunk's people) say exactly which rows were imported, even when the import was cut short; running
 * the same file again completes it (matching makes the rows already written `unchanged`).
 * Imports of one cohort run one at a time (`roster_locks`, claimed by a unique insert).
 */
import type { Connection } from 'mongoose';
import { customAlphabet } from 'nanoid';
import { INVITE_ALPHABET, INVITE_CODE_LENGTH, normalizeInviteCode } from '../../core/invites.js';
import { ROLES, type Role } from '../../core/model.js';
import type { Clock, CohortStore, CourseCatalog, Translator } from '../../core/ports.js';
import { isDuplicateKey, stringId } from '../../storage/stores.js';
import { formatScope, type AdminPrincipal, type AuditSink } from '../scope.js';
import { findColumns } from './columns.js';
import { readTable, RosterInputError } from './read.js';
import { RosterStore, type Applied } from './store.js';
import { validateRows, type RowError } from './validate.js';

/** Called once per newly created invitation (the stats counters plug in here). */
export type OnInvited = (e: { cohortId: string; province: string; commune: string; role: string }) => Promise<void>;

export interface RosterDeps {
  conn: Connection;
  cohorts: CohortStore;
  catalog: Pick<CourseCatalog, 'provinces' | 'formerProvinces'>;
  i18n: Translator;
  clock: Clock;
  audit?: AuditSink;
  onInvited?: OnInvited;
  /** TELEGRAM_BOT_USERNAME: the deep links' bot; without it the outputs carry no Telegram link. */
  telegramBot?: string;
}

/** One line of an import's record: a row written (with its code) or refused (with its reason). */
export interface ImportRow {
  line: number;
  outcome: 'imported' | 'updated' | 'unchanged' | 'error';
  code?: string;
  fullName?: string;
  role?: Role;
  province?: string;
  commune?: string;
  phone?: string;
  key?: string;
  vars?: Record<string, string | number>;
}

export interface ImportRecord {
  _id: string;
  cohortId: string;
  /** The scope it was made under: `ministry` or `province:<name>`. */
  scope: string;
  by: { id: string; name: string };
  from: string;
  fileName?: string;
  state: 'running' | 'done';
  rows: number;
  counts: { imported: number; updated: number; unchanged: number; errors: number };
  /** Chunks of rows written so far (`roster_import_rows`). */
  chunks: number;
  startedAt: Date;
  finishedAt?: Date;
}

export interface ImportReport {
  importId: string;
  cohortId: string;
  rows: number;
  imported: number;
  updated: number;
  unchanged: number;
  errors: RowError[];
}

/** Rows matched and written per chunk; the chunk's outcome is recorded after its writes. */
const CHUNK = 256;
const ERROR_CHUNK = 500;
/** A lock not refreshed for this long belongs to an import that died. */
const LOCK_STALE_MS = 2 * 60_000;

export const newInviteCode = (() => {
  const draw = customAlphabet(INVITE_ALPHABET, INVITE_CODE_LENGTH);
  return (): string => {
    for (;;) {
      const code = draw();
      if (normalizeInviteCode(code)) return code;
    }
  };
})();

const newImportId = customAlphabet('0123456789abcdefghijkmnpqrstuvwxyz', 14);

export function importCollections(conn: Connection) {
  return {
    imports: conn.collection<ImportRecord>('roster_imports'),
    rows: conn.collection<{ _id: string; rows: ImportRow[] }>('roster_import_rows'),
    locks: conn.collection<{ _id: string; importId: string; at: Date }>('roster_locks'),
  };
}

/** Another import of the cohort is running (HTTP 409). */
export class RosterBusyError extends RosterInputError {
  override readonly statusCode = 409;
}

/** Each role's names in every locale, as the onboarding shows them. */
function roleLabels(i18n: Translator): Record<Role, string[]> {
  return Object.fromEntries(ROLES.map((r) => [r, (['vi', 'en'] as const).map((l) => i18n.t(l, `role.${r}`))])) as Record<Role, string[]>;
}

export interface ImportInput {
  bytes: Uint8Array;
  cohortId: string;
  principal: AdminPrincipal;
  /** The client's address, or `cli`. */
  from: string;
  fileName?: string;
  onProgress?(done: number, total: number): void;
}

export async function importRoster(deps: RosterDeps, input: ImportInput): Promise<ImportReport> {
  const cohortId = String(input.cohortId ?? '');
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(cohortId)) throw new RosterInputError('cohortId');
  const cohort = await deps.cohorts.get(cohortId);
  if (!cohort) throw new RosterInputError('cohort', { cohort: cohortId });
  const table = await readTable(input.bytes);
  const columns = findColumns(table.header.cells);
  const { rows, errors } = validateRows(table, columns, {
    provinces: deps.catalog.provinces(cohort.provinceList),
    formerProvinces: deps.catalog.formerProvinces(cohort.provinceList),
    roleLabels: roleLabels(deps.i18n),
    scope: input.principal.scope,
  });

  const c = importCollections(deps.conn);
  const importId = newImportId();
  await lock(c.locks, cohortId, importId, deps.clock.now());
  try {
    const record: ImportRecord = {
      _id: importId,
      cohortId,
      scope: formatScope(input.principal.scope),
      by: { id: input.principal.id, name: input.principal.name },
      from: input.from,
      ...(input.fileName ? { fileName: input.fileName.slice(0, 200) } : {}),
      state: 'running',
      rows: table.rows.length,
      counts: { imported: 0, updated: 0, unchanged: 0, errors: errors.length },
      chunks: 0,
      startedAt: deps.clock.now(),
    };
    await c.imports.insertOne(record);
    let chunk = 0;
    for (let i = 0; i < errors.length; i += ERROR_CHUNK) {
      const part: ImportRow[] = errors.slice(i, i + ERROR_CHUNK).map((e) => ({ line: e.line, outcome: 'error', key: e.key, ...(e.vars ? { vars: e.vars } : {}) }));
      await c.rows.insertOne({ _id: `${importId}|${chunk++}`, rows: part });
    }
    const store = new RosterStore(deps.conn, { newCode: newInviteCode, now: () => deps.clock.now() });
    const invited = deps.onInvited
      ? (a: Applied) => deps.onInvited!({ cohortId, province: a.profile.province, commune: a.profile.commune, role: a.profile.role })
      : undefined;
    const counts = record.counts;
    input.onProgress?.(0, rows.length);
    for (let i = 0; i < rows.length; i += CHUNK) {
      const applied = await store.apply(cohortId, importId, rows.slice(i, i + CHUNK), invited);
      await c.rows.insertOne({ _id: `${importId}|${chunk++}`, rows: applied.map(importRow) });
      for (const a of applied) counts[a.outcome] += 1;
      await c.imports.updateOne({ _id: stringId(importId) }, { $set: { counts, chunks: chunk } });
      await c.locks.updateOne({ _id: stringId(cohortId) }, { $set: { at: deps.clock.now() } });
      input.onProgress?.(Math.min(i + CHUNK, rows.length), rows.length);
    }
    await c.imports.updateOne({ _id: stringId(importId) }, { $set: { state: 'done', chunks: chunk, counts, finishedAt: deps.clock.now() } });
    await deps.audit?.record({
      actor: { id: input.principal.id, name: input.principal.name },
      action: 'roster.import',
      target: cohortId,
      detail: { importId, rows: table.rows.length, imported: counts.imported, updated: counts.updated, unchanged: counts.unchanged, errors: counts.errors },
      from: input.from,
      at: deps.clock.now(),
    });
    return { importId, cohortId, rows: table.rows.length, imported: counts.imported, updated: counts.updated, unchanged: counts.unchanged, errors };
  } finally {
    await c.locks.deleteOne({ _id: stringId(cohortId) }).catch(() => undefined);
  }
}

function importRow(a: Applied): ImportRow {
  const p = a.profile;
  return { line: a.line, outcome: a.outcome, code: a.code, fullName: p.fullName, role: p.role, province: p.province, commune: p.commune, ...(p.phone ? { phone: p.phone } : {}) };
}

async function lock(locks: ReturnType<typeof importCollections>['locks'], cohortId: string, importId: string, now: Date): Promise<void> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await locks.insertOne({ _id: stringId(cohortId), importId, at: now });
      return;
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
    }
    const held = await locks.findOne({ _id: stringId(cohortId) });
    if (held && now.getTime() - new Date(held.at).getTime() < LOCK_STALE_MS) break;
    // Its import died: take the lock over (if two take it at once, one insert wins).
    if (held) await locks.deleteOne({ _id: stringId(cohortId) });
  }
  throw new RosterBusyError('busy', { cohort: cohortId });
}

/** An import's record, or null. */
export async function findImport(conn: Connection, importId: string): Promise<ImportRecord | null> {
  if (!/^[0-9a-z]{14}$/.test(String(importId))) return null;
  return importCollections(conn).imports.findOne({ _id: stringId(importId) });
}

/** The import's rows in line order, chunk by chunk (point reads; never all chunks in one query). */
export async function* importRows(conn: Connection, record: ImportRecord): AsyncGenerator<ImportRow> {
  const { rows } = importCollections(conn);
  const all: ImportRow[] = [];
  for (let n = 0; n < record.chunks; n++) {
    const doc = await rows.findOne({ _id: stringId(`${record._id}|${n}`) });
    if (doc) all.push(...doc.rows);
  }
  all.sort((a, b) => a.line - b.line);
  yield* all;
}
