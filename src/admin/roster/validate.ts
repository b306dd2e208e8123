/**
 * Each row checked and normalised on its own: the name in NFC (an NFC and an NFD "Nguyễn" are one
 * person), the province as the content lists it, a role the onboarding offers, the phone as
 * +84…; then duplicates inside the file. A bad row is reported with its line and reason; the
 * others go on.
 */
import { ROLES, type Role } from '../../core/model.js';
import { fold } from '../../core/parse.js';
import { matchProvince } from '../../core/onboarding.js';
import { covers, type AdminScope } from '../scope.js';
import type { InvitationProfile } from '../../core/invites.js';
import { FIELD_LABEL, type Columns, type Field } from './columns.js';
import type { Table } from './read.js';

/** A valid row's official: the profile its invitation pre-fills. */
export type RosterProfile = InvitationProfile;

export interface RosterRow {
  line: number;
  profile: RosterProfile;
}

/** A row not imported: its line, the sentence's key under `roster.row.` and its values. */
export interface RowError {
  line: number;
  key: string;
  vars?: Record<string, string | number>;
}

export interface ValidationContext {
  provinces: readonly string[];
  /** Former province names → the province each is part of now (a roster from before the 2025 merger names them). */
  formerProvinces: ReadonlyMap<string, string>;
  /** Each role's names as the onboarding shows them (every locale). */
  roleLabels: Readonly<Record<Role, readonly string[]>>;
  /** A province account imports only its province's rows. */
  scope: AdminScope;
}

const NAME_MAX = 100;
const PLACE_MAX = 100;
const EMAIL_MAX = 254;
const EXTERNAL_ID_MAX = 64;

/** Trimmed, single-spaced, NFC: how every cell's text is compared and stored. */
export function clean(text: string): string {
  return text.normalize('NFC').replace(/[\s\u00a0\u200b]+/g, ' ').trim();
}

/** "0912 345 678", "+84 912.345.678", "912345678" (Excel dropped the 0) → "+84912345678"; undefined when not a Vietnamese number. */
export function normalizePhone(text: string): string | undefined {
  let digits = text.replace(/[\s.\-()]/g, '');
  if (digits.startsWith('+84')) digits = digits.slice(3);
  else if (digits.startsWith('0084')) digits = digits.slice(4);
  else if (digits.startsWith('84') && digits.length >= 11) digits = digits.slice(2);
  else if (digits.startsWith('0')) digits = digits.slice(1);
  if (!/^\d+$/.test(digits)) return undefined;
  // Mobiles: 9 digits starting 3, 5, 7, 8 or 9; landlines: 10 digits starting 2.
  if (/^[35789]\d{8}$/.test(digits) || /^2\d{9}$/.test(digits)) return `+84${digits}`;
  return undefined;
}

function matchRole(text: string, labels: ValidationContext['roleLabels']): Role | undefined {
  const f = fold(text);
  for (const role of ROLES) {
    if (f === role.replace('_', ' ') || f === role || labels[role].some((l) => fold(l) === f)) return role;
  }
  // What rosters usually say: "Phó Chủ tịch UBND xã X", "Chủ tịch UBND phường", "Vice chair".
  if (/^(pho chu tich|vice[ -]?chair)/.test(f)) return 'vice_chair';
  if (/^(chu tich|chair)/.test(f)) return 'chair';
  if (/(nong cot|core (staff|team))/.test(f)) return 'core_staff';
  if (f === 'khac' || f === 'other') return 'other';
  return undefined;
}

function cell(cells: string[], columns: Columns, field: Field): string {
  const i = columns[field];
  return i === undefined ? '' : clean(cells[i] ?? '');
}

type Checked = { ok: true; profile: RosterProfile } | { ok: false; key: string; vars?: Record<string, string | number> };

function checkRow(cells: string[], columns: Columns, ctx: ValidationContext): Checked {
  const fullName = cell(cells, columns, 'fullName');
  const roleText = cell(cells, columns, 'role');
  const provinceText = cell(cells, columns, 'province');
  const commune = cell(cells, columns, 'commune');
  const district = cell(cells, columns, 'district');
  const phoneText = cell(cells, columns, 'phone');
  const email = cell(cells, columns, 'email');
  const externalId = cell(cells, columns, 'externalId');
  const missing = (['fullName', 'role', 'province', 'commune'] as const).filter((f) => cell(cells, columns, f) === '');
  if (missing.length > 0) return { ok: false, key: 'missing', vars: { fields: missing.map((f) => FIELD_LABEL[f]).join(', ') } };
  if (fullName.length > NAME_MAX || !/\p{L}/u.test(fullName) || fullName.length < 2) return { ok: false, key: 'name', vars: { max: NAME_MAX } };
  if (commune.length > PLACE_MAX || commune.length < 2 || district.length > PLACE_MAX) return { ok: false, key: 'commune', vars: { max: PLACE_MAX } };
  const role = matchRole(roleText, ctx.roleLabels);
  if (!role) return { ok: false, key: 'role', vars: { value: roleText.slice(0, 60) } };
  const province = matchProvince(ctx.provinces, provinceText, ctx.formerProvinces);
  if (province.kind !== 'one') return { ok: false, key: 'province', vars: { value: provinceText.slice(0, 60) } };
  if (!covers(ctx.scope, province.name)) return { ok: false, key: 'scope', vars: { province: province.name, scope: ctx.scope.kind === 'province' ? ctx.scope.province : '' } };
  const phone = phoneText ? normalizePhone(phoneText) : undefined;
  if (phoneText && !phone) return { ok: false, key: 'phone', vars: { value: phoneText.slice(0, 30) } };
  if (email && (email.length > EMAIL_MAX || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email))) return { ok: false, key: 'email', vars: { value: email.slice(0, 60) } };
  if (externalId.length > EXTERNAL_ID_MAX) return { ok: false, key: 'externalId', vars: { max: EXTERNAL_ID_MAX } };
  return {
    ok: true,
    profile: {
      fullName,
      role,
      province: province.name,
      ...(district ? { district } : {}),
      commune,
      ...(phone ? { phone } : {}),
      ...(email ? { email: email.toLowerCase() } : {}),
      ...(externalId ? { externalId } : {}),
    },
  };
}

/** Lower-case NFC with the commune's kind word dropped ("Xã Nghi Lộc" and "nghi lộc" are one place). */
export function placeKey(text: string): string {
  return clean(text).toLowerCase().replace(/^(xã|phường|thị trấn|đặc khu)\s+/u, '');
}

/** The person's name and place as compared: lower-case NFC, accents kept ("Ân" is not "An"). */
export function nameKey(p: Pick<RosterProfile, 'fullName' | 'commune' | 'province'>): string {
  return `${p.province.toLowerCase()}|${placeKey(p.commune)}|${clean(p.fullName).toLowerCase()}`;
}

/**
 * Two rows are one person when their external ids are equal, or (when not both have an external
 * id) their phones, or their names in the same commune, are: the later row is reported.
 */
function findDuplicates(rows: RosterRow[]): { kept: RosterRow[]; errors: RowError[] } {
  const byExt = new Map<string, number>();
  const byPhone = new Map<string, { line: number; ext?: string }>();
  const byName = new Map<string, { line: number; ext?: string }>();
  const kept: RosterRow[] = [];
  const errors: RowError[] = [];
  for (const row of rows) {
    const p = row.profile;
    const clash = (seen: { line: number; ext?: string } | undefined) => seen && !(seen.ext && p.externalId && seen.ext !== p.externalId);
    const ext = p.externalId ? byExt.get(p.externalId) : undefined;
    const phone = p.phone ? byPhone.get(p.phone) : undefined;
    const name = byName.get(nameKey(p));
    const first = ext ?? (clash(phone) ? phone!.line : undefined) ?? (clash(name) ? name!.line : undefined);
    if (first !== undefined) {
      errors.push({ line: row.line, key: 'duplicate', vars: { first } });
      continue;
    }
    if (p.externalId) byExt.set(p.externalId, row.line);
    if (p.phone && !byPhone.has(p.phone)) byPhone.set(p.phone, { line: row.line, ext: p.externalId });
    if (!byName.has(nameKey(p))) byName.set(nameKey(p), { line: row.line, ext: p.externalId });
    kept.push(row);
  }
  return { kept, errors };
}

/** The rows to import, and the bad ones with their line and reason, in line order. */
export function validateRows(table: Table, columns: Columns, ctx: ValidationContext): { rows: RosterRow[]; errors: RowError[] } {
  const good: RosterRow[] = [];
  const errors: RowError[] = [];
  for (const { line, cells } of table.rows) {
    if (cells.some((c) => c.length > 1000)) {
      errors.push({ line, key: 'cellTooLong', vars: { max: 1000 } });
      continue;
    }
    const checked = checkRow(cells, columns, ctx);
    if (checked.ok) good.push({ line, profile: checked.profile });
    else errors.push({ line, key: checked.key, ...(checked.vars ? { vars: checked.vars } : {}) });
  }
  const { kept, errors: dups } = findDuplicates(good);
  return { rows: kept, errors: [...errors, ...dups].sort((a, b) => a.line - b.line) };
}
