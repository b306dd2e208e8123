/**
 * What a province hands out after an import: a CSV of the codes and links (UTF-8 with BOM so
 * Excel reads the diacritics, every cell safe from formula injection) and a printable A4 PDF of
 * invitation slips (name, role, commune, province, the QR of the Telegram link, the code to send
 * on Zalo), eight to a page, in the certificates' typeface (Noto Serif covers Vietnamese).
 */
import PDFDocument from 'pdfkit';
import QRCode from 'qrcode';
import { stringify } from 'csv-stringify/sync';
import type { Locale } from '../../core/course.js';
import type { Translator } from '../../core/ports.js';
import { parsedFonts } from '../../certificates/fonts.js';
import type { ImportRow } from './import.js';

/** The deep link that starts the bot with the code; empty when no bot username is configured. */
export function telegramLink(bot: string | undefined, code: string): string {
  return bot ? `https://t.me/${bot}?start=${code}` : '';
}

/** A cell Excel would run as a formula (=, +, -, @, tab, CR first) gets a leading apostrophe. */
export function formulaSafe(text: string): string {
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

export interface OutputOptions {
  i18n: Translator;
  locale: Locale;
  telegramBot?: string;
}

/** Only the rows that carry a code (imported, updated or unchanged), in line order. */
function invited(rows: Iterable<ImportRow>): ImportRow[] {
  return [...rows].filter((r) => r.code);
}

export function codesCsv(rows: Iterable<ImportRow>, o: OutputOptions): Buffer {
  const t = (key: string) => o.i18n.t(o.locale, `roster.csv.${key}`);
  const header = ['line', 'code', 'fullName', 'role', 'commune', 'province', 'phone', 'telegram', 'zalo', 'outcome'].map(t);
  const lines = invited(rows).map((r) => [
    String(r.line),
    r.code!,
    r.fullName ?? '',
    r.role ? o.i18n.t(o.locale, `role.${r.role}`) : '',
    r.commune ?? '',
    r.province ?? '',
    r.phone ?? '',
    telegramLink(o.telegramBot, r.code!),
    o.i18n.t(o.locale, 'roster.csv.zaloHow', { code: r.code }),
    o.i18n.t(o.locale, `roster.outcome.${r.outcome}`),
  ]);
  const text = stringify([header, ...lines].map((cells) => cells.map(formulaSafe)), { record_delimiter: 'windows' });
  return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')]);
}

const A4 = { width: 595.28, height: 841.89 };
const COLS = 2;
const ROWS = 4;
const INK = '#1f2a44';
const MUTED = '#4b5563';

/** Draws a QR code of `text` as filled squares, `side` points wide with its quiet zone. */
function drawQr(doc: PDFKit.PDFDocument, text: string, x: number, y: number, side: number): void {
  const qr = QRCode.create(text, { errorCorrectionLevel: 'M' });
  const quiet = 4;
  const n = qr.modules.size;
  const m = side / (n + 2 * quiet);
  doc.save().rect(x, y, side, side).fill('#ffffff');
  doc.fillColor('#000000');
  for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) if (qr.modules.data[r * n + c]) doc.rect(x + (c + quiet) * m, y + (r + quiet) * m, m, m);
  doc.fill().restore();
}

/** Text that fits the width: shrunk down to 7 points, then cut with an ellipsis. */
function fitted(doc: PDFKit.PDFDocument, text: string, font: string, size: number, width: number): { text: string; size: number } {
  doc.font(font);
  let s = size;
  while (s > 7 && doc.fontSize(s).widthOfString(text) > width) s -= 0.5;
  let t = text;
  while (t.length > 1 && doc.fontSize(s).widthOfString(t) > width) t = `${t.slice(0, -2)}…`;
  return { text: t, size: s };
}

export async function slipsPdf(rows: Iterable<ImportRow>, o: OutputOptions): Promise<Buffer> {
  const t = (key: string, vars?: Record<string, unknown>) => o.i18n.t(o.locale, `roster.slip.${key}`, vars);
  const doc = new PDFDocument({ size: 'A4', margin: 0, autoFirstPage: false, info: { Title: t('title'), Author: 'cds-tutor' } });
  const fonts = parsedFonts();
  doc.registerFont('regular', fonts.regular as Buffer);
  doc.registerFont('bold', fonts.bold as Buffer);
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  const list = invited(rows);
  const w = A4.width / COLS;
  const h = A4.height / ROWS;
  if (list.length === 0) {
    doc.addPage();
    doc.font('regular').fontSize(12).fillColor(INK).text(t('none'), 40, 60, { lineBreak: false });
  }
  list.forEach((r, i) => {
    const slot = i % (COLS * ROWS);
    if (slot === 0) doc.addPage();
    const x = (slot % COLS) * w;
    const y = Math.floor(slot / COLS) * h;
    // Cut lines.
    doc.save().lineWidth(0.5).dash(3, { space: 3 }).strokeColor('#9ca3af').rect(x + 4, y + 4, w - 8, h - 8).stroke().undash().restore();
    const pad = 16;
    const qrSide = 104;
    const textWidth = w - 2 * pad - qrSide - 8;
    const line = (text: string, font: 'regular' | 'bold', size: number, top: number, color = INK) => {
      const f = fitted(doc, text, font, size, textWidth);
      doc.font(font).fontSize(f.size).fillColor(color).text(f.text, x + pad, top, { lineBreak: false });
    };
    line(t('title'), 'bold', 9.5, y + pad, MUTED);
    line(r.fullName ?? '', 'bold', 14, y + pad + 22);
    line(r.role ? o.i18n.t(o.locale, `role.${r.role}`) : '', 'regular', 10, y + pad + 44);
    line(r.commune ?? '', 'regular', 10, y + pad + 60);
    line(r.province ?? '', 'regular', 10, y + pad + 76);
    line(t('zalo'), 'regular', 9, y + pad + 104, MUTED);
    doc.font('bold').fontSize(20).fillColor(INK).text(r.code!, x + pad, y + pad + 118, { lineBreak: false, characterSpacing: 2 });
    const link = telegramLink(o.telegramBot, r.code!);
    if (link) {
      drawQr(doc, link, x + w - pad - qrSide, y + pad + 14, qrSide);
      const caption = fitted(doc, t('telegram'), 'regular', 8.5, qrSide + 10);
      doc.font('regular').fontSize(caption.size).fillColor(MUTED).text(caption.text, x + w - pad - qrSide - 5, y + pad + 14 + qrSide + 4, { width: qrSide + 10, align: 'center', lineBreak: false });
    }
  });
  doc.end();
  return done;
}
