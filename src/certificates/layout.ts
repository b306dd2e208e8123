/**
 * The certificate's one layout, as a list of shapes in PDF points on an A4 landscape page: the
 * PDF renderer draws them with pdfkit, the PNG renderer as SVG rasterised by resvg, so both show
 * the same page. Text positions are baselines; widths are measured with the real font.
 */
import QRCode from 'qrcode';
import { displayCode, type Certificate } from '../core/certificates.js';
import type { Weight } from './fonts.js';

export const PAGE = { width: 841.89, height: 595.28 } as const;

export type Shape =
  | { kind: 'rect'; x: number; y: number; w: number; h: number; stroke?: string; fill?: string; lineWidth?: number }
  | { kind: 'text'; text: string; x: number; y: number; size: number; weight: Weight; color: string; anchor: 'start' | 'middle' }
  /** A QR code: dark modules as squares of `module` points from (x, y). */
  | { kind: 'qr'; x: number; y: number; module: number; size: number; dark: Uint8Array; color: string };

/** Width of a text at a size, in points (the renderers' font metrics). */
export type Measure = (text: string, size: number, weight: Weight) => number;

export interface LayoutOptions {
  /** Printed before the date: "Hà Nội, ngày 20 tháng 5 năm 2022". */
  place: string;
  /** The issue date is read in this zone. */
  timezone: string;
  /** PUBLIC_BASE_URL/verify/<code>, in the QR code and under it. */
  verifyUrl: string;
}

const INK = '#1f2a44';
const ACCENT = '#a3262a';
const MUTED = '#4b5563';

/** `Hà Nội, ngày 20 tháng 5 năm 2022`, in the given zone. */
export function vietnameseDate(place: string, d: Date, timezone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en', { timeZone: timezone, day: 'numeric', month: 'numeric', year: 'numeric' }).formatToParts(d).map((p) => [p.type, p.value]),
  );
  return `${place}, ngày ${parts.day} tháng ${parts.month} năm ${parts.year}`;
}

export function certificateLayout(c: Certificate, o: LayoutOptions, measure: Measure): Shape[] {
  const { width: W, height: H } = PAGE;
  const cx = W / 2;
  const shapes: Shape[] = [
    { kind: 'rect', x: 0, y: 0, w: W, h: H, fill: '#fffdf7' },
    { kind: 'rect', x: 22, y: 22, w: W - 44, h: H - 44, stroke: ACCENT, lineWidth: 3 },
    { kind: 'rect', x: 30, y: 30, w: W - 60, h: H - 60, stroke: INK, lineWidth: 0.8 },
  ];
  const centred = (text: string, y: number, size: number, weight: Weight = 'regular', color = INK, maxWidth = W - 140) => {
    // A long name or title shrinks to fit rather than run off the page.
    const fitted = Math.min(size, (size * maxWidth) / Math.max(1, measure(text, size, weight)));
    shapes.push({ kind: 'text', text, x: cx, y, size: Math.max(6, fitted), weight, color, anchor: 'middle' });
  };
  centred('CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM', 70, 13, 'bold');
  centred('Độc lập - Tự do - Hạnh phúc', 88, 12, 'regular');
  shapes.push({ kind: 'rect', x: cx - 80, y: 94, w: 160, h: 0.01, stroke: INK, lineWidth: 0.6 });
  centred('CHỨNG NHẬN', 150, 40, 'bold', ACCENT);
  centred('HOÀN THÀNH KHÓA BỒI DƯỠNG', 176, 15, 'bold');
  centred('Chứng nhận Ông/Bà', 214, 13);
  centred(c.holder.fullName, 254, 30, 'bold', INK);
  const place = [c.holder.commune, c.holder.district, c.holder.province].filter(Boolean).join(', ');
  const who = [c.holder.role, place].filter(Boolean).join(' · ');
  if (who) centred(who, 280, 13, 'regular', MUTED);
  centred('Đã hoàn thành và đạt yêu cầu khóa bồi dưỡng', 314, 13);
  centred(c.courseTitle, 340, 17, 'bold');
  centred(`Đợt: ${c.cohortTitle}`, 362, 12.5, 'regular', MUTED);

  // Bottom band: serial and code on the left, the date on the right, the QR code between.
  const left = 70;
  const bottom = H - 80;
  shapes.push({ kind: 'text', text: `Số hiệu: ${c.serial}`, x: left, y: bottom - 36, size: 12, weight: 'bold', color: INK, anchor: 'start' });
  shapes.push({ kind: 'text', text: `Mã xác minh: ${displayCode(c.code)}`, x: left, y: bottom - 18, size: 12, weight: 'regular', color: INK, anchor: 'start' });
  shapes.push({ kind: 'text', text: o.verifyUrl, x: left, y: bottom, size: 9, weight: 'regular', color: MUTED, anchor: 'start' });
  shapes.push({ kind: 'text', text: vietnameseDate(o.place, c.issuedAt, o.timezone), x: W - 190, y: bottom - 36, size: 12, weight: 'regular', color: INK, anchor: 'middle' });
  shapes.push({ kind: 'text', text: 'BAN TỔ CHỨC', x: W - 190, y: bottom - 16, size: 12, weight: 'bold', color: INK, anchor: 'middle' });

  const qr = QRCode.create(o.verifyUrl, { errorCorrectionLevel: 'M' });
  const side = 92;
  const quiet = 4;
  const module = side / (qr.modules.size + 2 * quiet);
  const qx = cx - side / 2;
  const qy = H - 60 - side;
  shapes.push({ kind: 'rect', x: qx, y: qy, w: side, h: side, fill: '#ffffff' });
  shapes.push({ kind: 'qr', x: qx + quiet * module, y: qy + quiet * module, module, size: qr.modules.size, dark: qr.modules.data, color: '#000000' });
  return shapes;
}
