import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useEngine } from '../../support/env.js';
import { findImport, importCollections, importRoster, importRows } from '../../../src/admin/roster/import.js';
import { invitationCollections } from '../../../src/storage/invitations.js';
import { keysOf, RosterStore } from '../../../src/admin/roster/store.js';
import type { AuditEntry } from '../../../src/admin/scope.js';
import { runRosterImport } from '../../../src/cli/roster.js';
import { csv, messyCsv, principal, rosterDeps, xlsxRoster } from './rig.js';

const h = useEngine();
const ministry = principal('ministry');

async function counts(cohortId: string) {
  const c = invitationCollections(h.db.conn);
  const invitations = await c.invitations.countDocuments({ cohortId });
  const keys = (await c.keys.find({}).toArray()).filter((k) => k._id.startsWith(`${cohortId}|`)).length;
  return { invitations, keys };
}

describe('importing a roster', () => {
  it('should import the good rows of the messy file, record every row, audit it and announce each new invitation', async () => {
    const audit: AuditEntry[] = [];
    const invited: { province: string; commune: string; role: string }[] = [];
    const deps = await rosterDeps(h, { audit: { record: async (e) => void audit.push(e) }, onInvited: async (e) => void invited.push(e) });
    const report = await importRoster(deps, { bytes: messyCsv(), cohortId: 'demo', principal: ministry, from: '127.0.0.1' });
    expect(report).toMatchObject({ rows: 8, imported: 5, updated: 0, unchanged: 0 });
    expect(report.errors.map((e) => e.line)).toEqual([7, 8, 9]);
    expect(await counts('demo')).toEqual({ invitations: 5, keys: 5 + 4 + 4 });
    expect(invited).toHaveLength(5);
    expect(invited[0]).toEqual({ cohortId: 'demo', province: 'Nghệ An', commune: 'Xã Nghi Lộc', role: 'chair' });
    expect(audit).toEqual([expect.objectContaining({ action: 'roster.import', target: 'demo', from: '127.0.0.1', detail: expect.objectContaining({ imported: 5, errors: 3, importId: report.importId }) })]);

    const record = (await findImport(h.db.conn, report.importId))!;
    expect(record).toMatchObject({ state: 'done', scope: 'ministry', counts: { imported: 5, errors: 3 } });
    const rows = [];
    for await (const r of importRows(h.db.conn, record)) rows.push(r);
    expect(rows.map((r) => [r.line, r.outcome])).toEqual([
      [2, 'imported'],
      [3, 'imported'],
      [4, 'imported'],
      [6, 'imported'],
      [7, 'error'],
      [8, 'error'],
      [9, 'error'],
      [10, 'imported'],
    ]);
    const codes = rows.filter((r) => r.code).map((r) => r.code!);
    expect(new Set(codes).size).toBe(5);
    for (const code of codes) expect(code).toMatch(/^[ABCDEFGHJKMNPQRSTVWXYZ2-9]{8}$/);
  });

  it('should change nothing when the same file is imported again', async () => {
    const deps = await rosterDeps(h);
    const before = await counts('demo');
    const first = await importRoster(deps, { bytes: messyCsv(), cohortId: 'demo', principal: ministry, from: 'cli' });
    expect(first).toMatchObject({ imported: 0, updated: 0, unchanged: 5 });
    expect(await counts('demo')).toEqual(before);
  });

  it('should update the same people from a corrected file: matched by external id, by phone, and by name in the commune', async () => {
    const cohortId = 'xa-2022';
    const deps = await rosterDeps(h);
    const head = 'Họ tên,Chức vụ,Tỉnh,Xã,Số điện thoại,Mã';
    const first = await importRoster(deps, {
      bytes: csv([head, 'Đinh Văn Một,Chủ tịch,Hà Tĩnh,Xã Kỳ Anh,0912000001,HT-1', 'Đinh Văn Hai,Chủ tịch,Hà Tĩnh,Xã Kỳ Hoa,0912000002,', 'Đinh Văn Ba,Chủ tịch,Hà Tĩnh,Xã Kỳ Lạc,,']),
      cohortId,
      principal: ministry,
      from: 'cli',
    });
    expect(first.imported).toBe(3);
    const codesOf = async (id: string) => {
      const out: Record<string, string> = {};
      for await (const r of importRows(h.db.conn, (await findImport(h.db.conn, id))!)) if (r.code) out[String(r.line)] = r.code;
      return out;
    };
    const before = await codesOf(first.importId);
    const corrected = await importRoster(deps, {
      // Một: new phone (matched by id); Hai: became vice chair (matched by phone); Ba: gained a phone (matched by name).
      bytes: csv([head, 'Đinh Văn Một,Chủ tịch,Hà Tĩnh,Xã Kỳ Anh,0912999991,HT-1', 'Đinh Văn Hai,Phó Chủ tịch,Hà Tĩnh,Xã Kỳ Hoa,0912000002,', 'Đinh Văn Ba,Chủ tịch,Hà Tĩnh,Kỳ Lạc,0912000003,']),
      cohortId,
      principal: ministry,
      from: 'cli',
    });
    expect(corrected).toMatchObject({ imported: 0, updated: 3, unchanged: 0, errors: [] });
    expect(await codesOf(corrected.importId)).toEqual(before);
    const c = invitationCollections(h.db.conn);
    expect(await c.keys.findOne({ _id: `${cohortId}|tel:+84912000001` })).toBeNull();
    expect(await c.keys.findOne({ _id: `${cohortId}|tel:+84912999991` })).toEqual({ _id: `${cohortId}|tel:+84912999991`, code: before['2'] });
    const mot = (await c.invitations.findOne({ _id: before['2']! }))!;
    expect(mot.profile.phone).toBe('+84912999991');
    expect(mot.dropKeys).toBeUndefined();
    expect((await c.invitations.findOne({ _id: before['3']! }))!.profile.role).toBe('vice_chair');
    expect(await counts(cohortId)).toEqual({ invitations: 3, keys: 3 + 2 + 2 });
  });

  it('should take an .xlsx workbook and keep a formula as text', async () => {
    const deps = await rosterDeps(h);
    const bytes = await xlsxRoster([
      ['Vũ Thị Lan', 'Vice chair', 'Lào Cai', { formula: 'HYPERLINK("http://evil.example/","Xã Bát Xát")', result: 'Xã Bát Xát' }, 987000111, 'LC-1'],
      ['Vũ Văn Nam', 'Chair', 'Lao Cai', 'Xã Sa Pa', '', ''],
    ]);
    const report = await importRoster(deps, { bytes, cohortId: 'demo', principal: ministry, from: 'cli' });
    expect(report).toMatchObject({ imported: 2, errors: [] });
    const lan = await invitationCollections(h.db.conn).keys.findOne({ _id: 'demo|ext:lc-1' });
    const doc = await invitationCollections(h.db.conn).invitations.findOne({ _id: lan!.code });
    expect(doc!.profile).toMatchObject({ commune: '=HYPERLINK("http://evil.example/","Xã Bát Xát")', phone: '+84987000111', role: 'vice_chair' });
  });

  it('should finish a person whose import was cut short after the keys, creating them once', async () => {
    const cohortId = 'demo';
    const store = new RosterStore(h.db.conn, { newCode: () => 'CUT2SHRT', now: () => new Date() });
    const profile = { fullName: 'Mai Văn Cắt', role: 'chair' as const, province: 'Huế', commune: 'Xã Phú Vang', phone: '+84912333444' };
    // As a crash would leave it: the keys written, the invitation not.
    const c = invitationCollections(h.db.conn);
    for (const key of keysOf(cohortId, profile)) await c.keys.insertOne({ _id: key, code: 'STALE234' });
    const again = new RosterStore(h.db.conn, { newCode: () => 'FRESH234', now: () => new Date() });
    const [applied] = await again.apply(cohortId, 'testimport0001', [{ line: 2, profile }]);
    expect(applied).toMatchObject({ outcome: 'imported', code: 'FRESH234' });
    expect((await c.keys.findOne({ _id: keysOf(cohortId, profile)[0]! }))!.code).toBe('FRESH234');
    const [twice] = await store.apply(cohortId, 'testimport0002', [{ line: 2, profile }]);
    expect(twice).toMatchObject({ outcome: 'unchanged', code: 'FRESH234' });
    expect(await c.invitations.countDocuments({ 'profile.fullName': 'Mai Văn Cắt' })).toBe(1);
  });

  it('should refuse a second import of a cohort while one runs, and an unknown cohort', async () => {
    const deps = await rosterDeps(h);
    await importCollections(h.db.conn).locks.insertOne({ _id: 'demo', importId: 'x', at: new Date() });
    await expect(importRoster(deps, { bytes: messyCsv(), cohortId: 'demo', principal: ministry, from: 'cli' })).rejects.toMatchObject({ key: 'busy', statusCode: 409 });
    await importCollections(h.db.conn).locks.deleteOne({ _id: 'demo' });
    await expect(importRoster(deps, { bytes: messyCsv(), cohortId: 'nope', principal: ministry, from: 'cli' })).rejects.toMatchObject({ key: 'cohort', statusCode: 400 });
  });
});

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cds-roster-cli-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('roster import (the CLI command)', () => {
  it('should import the file, list the bad rows by line, print codes and links, write the CSV and the slips', async () => {
    const file = join(dir, 'danh-sach.csv');
    await writeFile(file, messyCsv());
    const codes = join(dir, 'codes.csv');
    const slips = join(dir, 'slips.pdf');
    const printed: string[] = [];
    const deps = { ...(await rosterDeps(h)), locale: 'vi' as const, print: (t: string) => void printed.push(t) };
    expect(await runRosterImport(deps, file, { cohort: 'xa-2022', codes, slips })).toBe(0);
    const out = printed.join('\n');
    expect(out).toContain(`${file}:7: error: tỉnh "Atlantis" không có trong danh sách tỉnh, thành phố`);
    expect(out).toContain(`${file}:8: error: trùng với dòng 2`);
    expect(out).toMatch(/[A-Z2-9]{8}\tNguyễn Văn An\tXã Nghi Lộc\tNghệ An\thttps:\/\/t\.me\/cds_tutor_bot\?start=[A-Z2-9]{8}/);
    expect(out).toContain('8 dòng: 5 mới, 0 cập nhật, 0 không đổi, 3 lỗi.');
    expect((await readFile(codes)).subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    expect((await readFile(slips)).subarray(0, 5).toString()).toBe('%PDF-');
  });

  it('should end with a non-zero code when no row was imported, and on a file it cannot read', async () => {
    const printed: string[] = [];
    const deps = { ...(await rosterDeps(h)), locale: 'vi' as const, print: (t: string) => void printed.push(t) };
    const bad = join(dir, 'bad.csv');
    await writeFile(bad, csv(['Họ tên,Chức vụ,Tỉnh,Xã', 'Ai Đó,Trưởng thôn,Nghệ An,Xã A']));
    expect(await runRosterImport(deps, bad, { cohort: 'demo' })).toBe(1);
    expect(printed).toContain('Không nhập được dòng nào.');
    const columns = join(dir, 'columns.csv');
    await writeFile(columns, csv(['Tên,Email', 'Ai Đó,a@b.vn']));
    expect(await runRosterImport(deps, columns, { cohort: 'demo' })).toBe(1);
    expect(printed.at(-1)).toContain('Thiếu cột: chức vụ / role, tỉnh / province, xã / commune');
  });
});
