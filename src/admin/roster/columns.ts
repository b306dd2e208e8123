/**
 * Which column holds what: headers in Vietnamese or English, matched without accents, case,
 * spaces or punctuation ("Họ và tên", "HO TEN", "Full name" are all the name), a note in
 * brackets ignored ("Số điện thoại (không bắt buộc)").
 */
import { RosterInputError } from './read.js';

export type Field = 'fullName' | 'role' | 'province' | 'district' | 'commune' | 'phone' | 'email' | 'externalId';

export const REQUIRED: readonly Field[] = ['fullName', 'role', 'province', 'commune'];

/** How a missing column is named to the person fixing the file. */
export const FIELD_LABEL: Record<Field, string> = {
  fullName: 'họ tên / name',
  role: 'chức vụ / role',
  province: 'tỉnh / province',
  district: 'huyện / district',
  commune: 'xã / commune',
  phone: 'số điện thoại / phone',
  email: 'email',
  externalId: 'mã / external id',
};

const HEADERS: Record<Field, readonly string[]> = {
  fullName: ['hoten', 'hovaten', 'hotendaydu', 'hovatendaydu', 'ten', 'name', 'fullname', 'tencanbo'],
  role: ['chucvu', 'chucdanh', 'role', 'position', 'title', 'jobtitle'],
  province: ['tinh', 'tinhthanh', 'tinhthanhpho', 'tinhtp', 'province', 'provincecity'],
  district: ['huyen', 'quanhuyen', 'huyenquanthixa', 'huyenthixa', 'district'],
  commune: ['xa', 'phuong', 'xaphuong', 'phuongxa', 'xaphuongthitran', 'xaphuongdackhu', 'donvi', 'commune', 'ward', 'communeward'],
  phone: ['sodienthoai', 'dienthoai', 'sdt', 'dt', 'phone', 'phonenumber', 'mobile', 'didong'],
  email: ['email', 'thudientu', 'diachiemail'],
  externalId: ['ma', 'maso', 'macanbo', 'madinhdanh', 'externalid', 'id', 'code'],
};

/** A header folded to its letters and digits: no accents, case, spaces, punctuation or bracketed notes. */
export function headerKey(text: string): string {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[đĐ]/g, 'd')
    .toLowerCase()
    .replace(/\([^)]*\)|\[[^\]]*\]/g, '')
    .replace(/[^a-z0-9]/g, '');
}

export type Columns = Partial<Record<Field, number>>;

/** The column of each field; RosterInputError naming every required column that is missing. */
export function findColumns(header: string[]): Columns {
  const columns: Columns = {};
  header.forEach((cell, index) => {
    const key = headerKey(cell);
    for (const [field, names] of Object.entries(HEADERS) as [Field, readonly string[]][]) {
      if (columns[field] === undefined && names.includes(key)) columns[field] = index;
    }
  });
  const missing = REQUIRED.filter((f) => columns[f] === undefined);
  if (missing.length > 0) {
    throw new RosterInputError('missingColumns', {
      columns: missing.map((f) => FIELD_LABEL[f]).join(', '),
      found: header.map((h) => `"${h.slice(0, 40)}"`).join(', '),
    });
  }
  return columns;
}
