/**
 * Reads a roster file into a table of text cells with the line each row starts on: CSV (UTF-8 with
 * or without BOM, or UTF-16 with its BOM; comma, semicolon or tab, detected; CRLF or LF) or .xlsx
 * (told apart by its bytes, never by the file's name). Cells are text: a formula is kept as the
 * text of the formula and never evaluated.
 */
import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';

/** The file cannot be read as a roster at all (HTTP 400): wrong format, encoding or shape. */
export class RosterInputError extends Error {
  override readonly name = 'RosterInputError';
  readonly statusCode: number = 400;
  /** The sentence's key under `roster.file.` in locales/<lng>/roster.json, and its values. */
  constructor(
    readonly key: string,
    readonly vars: Record<string, string | number> = {},
  ) {
    super(`roster.file.${key} ${JSON.stringify(vars)}`);
  }
}

/** Longest cell kept; anything longer is cut here and refused by validation (fields are far shorter). */
export const MAX_CELL = 1000;
/** A roster has at most this many rows (the 2022 programme's 22,000 leaders fit several times). */
export const MAX_ROWS = 200_000;

export interface Table {
  format: 'csv' | 'xlsx';
  /** The first non-empty row. */
  header: { line: number; cells: string[] };
  rows: { line: number; cells: string[] }[];
}

const ZIP = [0x50, 0x4b, 0x03, 0x04];
const OLE = [0xd0, 0xcf, 0x11, 0xe0];

function startsWith(bytes: Uint8Array, magic: number[]): boolean {
  return magic.every((b, i) => bytes[i] === b);
}

export async function readTable(bytes: Uint8Array): Promise<Table> {
  if (bytes.length === 0) throw new RosterInputError('empty');
  if (startsWith(bytes, ZIP)) return readXlsx(bytes);
  if (startsWith(bytes, OLE)) throw new RosterInputError('xls');
  return readCsv(decodeText(bytes));
}

function decodeText(bytes: Uint8Array): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes.subarray(2));
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes.subarray(2));
  const sample = bytes.subarray(0, 4096);
  if (sample.includes(0)) throw new RosterInputError('binary');
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  } catch {
    throw new RosterInputError('encoding');
  }
}

/** The delimiter that splits the header line most: Excel writes `;` where the decimal mark is a comma. */
function detectDelimiter(text: string): string {
  const firstLine = text.slice(0, 8192).split(/\r?\n/).find((l) => l.trim() !== '') ?? '';
  const outsideQuotes = firstLine.replace(/"[^"]*"/g, '');
  const counts = [',', ';', '\t'].map((d) => ({ d, n: outsideQuotes.split(d).length - 1 }));
  counts.sort((a, b) => b.n - a.n);
  return counts[0]!.n > 0 ? counts[0]!.d : ',';
}

function readCsv(text: string): Table {
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, {
      delimiter: detectDelimiter(text),
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: true,
      info: true,
      max_record_size: 1_000_000,
    }) as unknown as { record: string[]; info: { lines: number } }[];
  } catch (err) {
    const e = err as { lines?: number; message: string };
    throw new RosterInputError('csv', { line: e.lines ?? 1, reason: e.message.slice(0, 200) });
  }
  const rows = records.map(({ record, info }) => {
    // csv-parse counts the line a record ends on; a quoted cell may span lines.
    const inner = record.reduce((n, cell) => n + (cell.match(/\n/g)?.length ?? 0), 0);
    return { line: info.lines - inner, cells: record.map(cellText) };
  });
  return tableOf('csv', rows);
}

function cellText(value: string): string {
  return value.length > MAX_CELL ? value.slice(0, MAX_CELL + 1) : value;
}

function tableOf(format: Table['format'], all: { line: number; cells: string[] }[]): Table {
  const nonEmpty = all.filter((r) => r.cells.some((c) => c.trim() !== ''));
  const [header, ...rows] = nonEmpty;
  if (!header) throw new RosterInputError('noRows');
  if (rows.length > MAX_ROWS) throw new RosterInputError('tooManyRows', { rows: rows.length, max: MAX_ROWS });
  return { format, header, rows };
}

async function readXlsx(bytes: Uint8Array): Promise<Table> {
  const workbook = new ExcelJS.Workbook();
  try {
    await workbook.xlsx.load(Buffer.from(bytes) as unknown as ArrayBuffer);
  } catch (err) {
    throw new RosterInputError('xlsx', { reason: (err as Error).message.slice(0, 200) });
  }
  const sheet = workbook.worksheets.find((ws) => ws.actualRowCount > 0);
  if (!sheet) throw new RosterInputError('noRows');
  const rows: { line: number; cells: string[] }[] = [];
  sheet.eachRow({ includeEmpty: false }, (row) => {
    const cells: string[] = [];
    for (let c = 1; c <= row.cellCount; c++) cells.push(cellText(xlsxCellText(row.getCell(c).value)));
    rows.push({ line: row.number, cells });
  });
  return tableOf('xlsx', rows);
}

/** A cell's value as text: a formula as `=` and its text (never its result), rich text joined, a date as YYYY-MM-DD. */
export function xlsxCellText(value: ExcelJS.CellValue): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  if (typeof value === 'object') {
    if ('formula' in value && typeof value.formula === 'string') return `=${value.formula}`;
    if ('sharedFormula' in value && typeof value.sharedFormula === 'string') return `=${value.sharedFormula}`;
    if ('richText' in value && Array.isArray(value.richText)) return value.richText.map((r) => r.text).join('');
    if ('text' in value && typeof value.text === 'string') return value.text;
    if ('error' in value) return String(value.error);
  }
  return '';
}
