import { describe, expect, it } from 'vitest';
import { readTable, RosterInputError } from '../../../src/admin/roster/read.js';
import { findColumns, headerKey } from '../../../src/admin/roster/columns.js';
import { normalizePhone, validateRows } from '../../../src/admin/roster/validate.js';
import { parseScope } from '../../../src/admin/scope.js';
import { shipped } from '../../support/env.js';
import { csv, messyCsv, xlsxRoster } from './rig.js';

const roleLabels = {
  chair: ['Chủ tịch UBND xã', "Chair of the commune People's Committee"],
  vice_chair: ['Phó Chủ tịch UBND xã', "Vice-chair of the commune People's Committee"],
  core_staff: ['Cán bộ Sở / đội ngũ nòng cốt CĐS', 'Provincial department staff / core DX team'],
  other: ['Chức vụ khác', 'Other position'],
};
const ctx = (scope = 'ministry') => ({
  provinces: shipped().provinces.get('current')!,
  formerProvinces: shipped().formerProvinces.get('current')!,
  roleLabels,
  scope: parseScope(scope),
});

async function checked(bytes: Buffer, scope?: string) {
  const table = await readTable(bytes);
  return validateRows(table, findColumns(table.header.cells), ctx(scope));
}

describe('reading a roster file', () => {
  it('should read the messy CSV: BOM, semicolons, CRLF, a cell over two lines, with each row at its line', async () => {
    const table = await readTable(messyCsv());
    expect(table.format).toBe('csv');
    expect(table.header.cells[1]).toBe('Họ và tên');
    expect(table.rows.map((r) => r.line)).toEqual([2, 3, 4, 6, 7, 8, 9, 10]);
  });

  it('should tell .xlsx by its bytes and keep a formula as its text, never its result', async () => {
    const bytes = await xlsxRoster([['Lê Văn Dũng', 'Chủ tịch UBND xã', 'Nghệ An', { formula: 'HYPERLINK("http://evil.example/","Xã A")', result: 'Xã A' }, 912345678, 'X1']]);
    const table = await readTable(bytes);
    expect(table.format).toBe('xlsx');
    expect(table.rows[0]!.cells[3]).toBe('=HYPERLINK("http://evil.example/","Xã A")');
    expect(table.rows[0]!.line).toBe(2);
  });

  it('should refuse what is not a CSV or .xlsx, and text that is not UTF-8, with a reason', async () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
    await expect(readTable(png)).rejects.toMatchObject({ key: 'binary' });
    await expect(readTable(Buffer.from('Họ tên;Chức vụ\r\n', 'latin1'))).rejects.toMatchObject({ key: 'encoding' });
    await expect(readTable(Buffer.from([0x50, 0x4b, 0x03, 0x04, 1, 2, 3]))).rejects.toMatchObject({ key: 'xlsx' });
    await expect(readTable(Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 1]))).rejects.toBeInstanceOf(RosterInputError);
  });

  it('should match headers in Vietnamese or English without accents, case or spaces, and name the missing columns', () => {
    expect(headerKey('  HỌ VÀ TÊN ')).toBe('hovaten');
    expect(findColumns(['ho ten', 'CHUC VU', 'Tỉnh', 'Phường', 'SĐT'])).toEqual({ fullName: 0, role: 1, province: 2, commune: 3, phone: 4 });
    expect(findColumns(['Full Name', 'role', 'Province', 'Ward', 'External id'])).toMatchObject({ fullName: 0, externalId: 4 });
    expect(() => findColumns(['Họ tên', 'Email'])).toThrow(RosterInputError);
    try {
      findColumns(['Họ tên', 'Email']);
    } catch (err) {
      expect((err as RosterInputError).vars.columns).toBe('chức vụ / role, tỉnh / province, xã / commune');
    }
  });
});

describe('checking roster rows', () => {
  it('should import the good rows and report each bad one with its line and reason', async () => {
    const { rows, errors } = await checked(messyCsv());
    expect(rows.map((r) => r.line)).toEqual([2, 3, 4, 6, 10]);
    expect(errors).toEqual([
      { line: 7, key: 'province', vars: { value: 'Atlantis' } },
      { line: 8, key: 'duplicate', vars: { first: 2 } },
      { line: 9, key: 'missing', vars: { fields: 'chức vụ / role' } },
    ]);
  });

  it('should store names in NFC, provinces as listed, roles as the onboarding names them and phones as +84', async () => {
    const { rows } = await checked(messyCsv());
    const [an, binh, cuong, dung] = rows.map((r) => r.profile);
    expect(cuong!.fullName).toBe('Nguyễn Văn Cường'.normalize('NFC'));
    expect(cuong!.commune).toBe('Xã Diễn Châu');
    expect(an).toMatchObject({ role: 'chair', province: 'Nghệ An', phone: '+84912345678', externalId: 'NA-001', email: 'an.nv@nghean.gov.vn' });
    expect(binh).toMatchObject({ role: 'vice_chair', province: 'Nghệ An', phone: '+84987654321' });
    expect(dung!.commune).toBe('=HYPERLINK("http://evil.example/";"Xã Yên Thành")');
  });

  it('should report rows of another province as outside a province account, not import them', async () => {
    const { rows, errors } = await checked(messyCsv(), 'province:Nghệ An');
    expect(rows.map((r) => r.line)).toEqual([2, 3, 4, 6]);
    expect(errors.find((e) => e.line === 10)).toEqual({ line: 10, key: 'scope', vars: { province: 'Hà Tĩnh', scope: 'Nghệ An' } });
  });

  it('should refuse unknown roles, malformed phones and over-long cells', async () => {
    const long = 'A'.repeat(1200);
    const { errors } = await checked(
      csv(['name,role,province,commune,phone', 'Ngô Văn Khải,Trưởng thôn,Nghệ An,Xã A,', 'Ngô Văn Lâm,Chủ tịch,Nghệ An,Xã A,12345', `Ngô Văn Minh,Chủ tịch,Nghệ An,${long},`]),
    );
    expect(errors.map((e) => [e.line, e.key])).toEqual([
      [2, 'role'],
      [3, 'phone'],
      [4, 'cellTooLong'],
    ]);
  });

  it('should file a row naming a province merged in 2025 under the province it is part of now, in that province\'s scope', async () => {
    const rows = ['name,role,province,commune', 'Phan Văn Tâm,Chủ tịch,Tỉnh Quảng Nam,Xã Đại Lộc', 'Phan Thị Hà,Chủ tịch,Bà Rịa - Vũng Tàu,Xã Long Hải'];
    const { rows: ok, errors } = await checked(csv(rows), 'province:Đà Nẵng');
    expect(ok.map((r) => [r.profile.fullName, r.profile.province])).toEqual([['Phan Văn Tâm', 'Đà Nẵng']]);
    expect(errors).toEqual([{ line: 3, key: 'scope', vars: { province: 'Hồ Chí Minh', scope: 'Đà Nẵng' } }]);
  });

  it('should normalise Vietnamese phone numbers written the usual ways', () => {
    expect(normalizePhone('0912 345 678')).toBe('+84912345678');
    expect(normalizePhone('912345678')).toBe('+84912345678');
    expect(normalizePhone('(+84) 912-345-678')).toBe('+84912345678');
    expect(normalizePhone('0238 3844 123')).toBe('+842383844123');
    expect(normalizePhone('0123')).toBeUndefined();
  });
});
