/** What the roster tests share: the messy fixture, an .xlsx made with exceljs, and the import's dependencies over a test engine. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import ExcelJS from 'exceljs';
import { ROOT, type UsedEngine } from '../../support/env.js';
import { createTranslator } from '../../../src/i18n/index.js';
import { ContentCatalog } from '../../../src/content/catalog.js';
import { MongoCohortStore } from '../../../src/storage/stores.js';
import type { RosterDeps } from '../../../src/admin/roster/import.js';
import type { AdminPrincipal } from '../../../src/admin/scope.js';
import { parseScope } from '../../../src/admin/scope.js';

export const BOT = 'cds_tutor_bot';

/** BOM, semicolons, CRLF, a quoted cell over two lines, NFC and NFD names, a formula, a bad province, a duplicate, a missing role, another province. */
export function messyCsv(): Buffer {
  return readFileSync(resolve(ROOT, 'tests/fixtures/roster/messy.csv'));
}

export async function rosterDeps(h: UsedEngine, extra: Partial<RosterDeps> = {}): Promise<RosterDeps> {
  return {
    conn: h.db.conn,
    cohorts: new MongoCohortStore(h.db.models, 0),
    catalog: new ContentCatalog(h.content),
    i18n: await createTranslator(resolve(ROOT, 'locales'), 'vi'),
    clock: h.clock,
    telegramBot: BOT,
    ...extra,
  };
}

export function principal(scope: string): AdminPrincipal {
  return { id: `t-${scope}`, name: `Test ${scope}`, scope: parseScope(scope) };
}

/** A workbook as officials keep it: English headers, a formula cell, a number-typed phone. */
export async function xlsxRoster(rows: (string | number | ExcelJS.CellFormulaValue)[][]): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('Danh sách');
  ws.addRow(['Full name', 'Role', 'Province', 'Commune / ward', 'Phone', 'External ID']);
  for (const r of rows) ws.addRow(r);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

export function csv(lines: string[]): Buffer {
  return Buffer.from(`${lines.join('\r\n')}\r\n`, 'utf8');
}
