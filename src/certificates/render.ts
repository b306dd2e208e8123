/** The two renderings of the one layout: a printable PDF (pdfkit) and a PNG of the same page (SVG rasterised by resvg). */
import PDFDocument from 'pdfkit';
import { Resvg } from '@resvg/resvg-js';
import { FONT_FAMILY, FONT_FILES, parsedFonts } from './fonts.js';
import { PAGE, type Measure, type Shape } from './layout.js';

/** PNG pixels per PDF point: 1.5 gives 1263 × 893, sharp on a phone and small enough for Zalo. */
const PNG_SCALE = 1.5;

let measurer: PDFKit.PDFDocument | undefined;

/** Text widths from the fonts' own metrics (pdfkit's), shared by both renderings. */
export const measure: Measure = (text, size, weight) => {
  if (!measurer) {
    measurer = new PDFDocument({ autoFirstPage: false });
    registerFonts(measurer);
  }
  return measurer.font(weight).fontSize(size).widthOfString(text);
};

function registerFonts(doc: PDFKit.PDFDocument): void {
  const fonts = parsedFonts();
  // pdfkit's types name only paths and bytes; it takes a parsed fontkit font too (PDFFontFactory.open).
  doc.registerFont('regular', fonts.regular as Buffer);
  doc.registerFont('bold', fonts.bold as Buffer);
}

export async function renderPdf(shapes: Shape[], meta: { title: string; subject: string }): Promise<Buffer> {
  const doc = new PDFDocument({ size: 'A4', layout: 'landscape', margin: 0, info: { Title: meta.title, Subject: meta.subject, Author: 'cds-tutor' } });
  registerFonts(doc);
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  for (const s of shapes) {
    if (s.kind === 'rect') {
      doc.save().lineWidth(s.lineWidth ?? 1).rect(s.x, s.y, s.w, s.h);
      if (s.fill && s.stroke) doc.fillAndStroke(s.fill, s.stroke);
      else if (s.fill) doc.fill(s.fill);
      else doc.stroke(s.stroke ?? '#000');
      doc.restore();
    } else if (s.kind === 'text') {
      doc.font(s.weight).fontSize(s.size).fillColor(s.color);
      const x = s.anchor === 'middle' ? s.x - doc.widthOfString(s.text) / 2 : s.x;
      doc.text(s.text, x, s.y, { baseline: 'alphabetic', lineBreak: false });
    } else {
      doc.save().fillColor(s.color);
      for (let r = 0; r < s.size; r++) for (let c = 0; c < s.size; c++) if (s.dark[r * s.size + c]) doc.rect(s.x + c * s.module, s.y + r * s.module, s.module, s.module);
      doc.fill().restore();
    }
  }
  doc.end();
  return done;
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (ch) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[ch]!);
}

/** The layout as an SVG document in points (the PNG's source; also handy to look at). */
export function toSvg(shapes: Shape[]): string {
  const body = shapes.map((s) => {
    if (s.kind === 'rect') {
      return `<rect x="${s.x}" y="${s.y}" width="${s.w}" height="${s.h}" fill="${s.fill ?? 'none'}"${s.stroke ? ` stroke="${s.stroke}" stroke-width="${s.lineWidth ?? 1}"` : ''}/>`;
    }
    if (s.kind === 'text') {
      const weight = s.weight === 'bold' ? 700 : 400;
      return `<text x="${s.x}" y="${s.y}" font-family="${FONT_FAMILY}" font-weight="${weight}" font-size="${s.size}" fill="${s.color}" text-anchor="${s.anchor}">${escapeXml(s.text)}</text>`;
    }
    let d = '';
    for (let r = 0; r < s.size; r++) for (let c = 0; c < s.size; c++) if (s.dark[r * s.size + c]) d += `M${s.x + c * s.module} ${s.y + r * s.module}h${s.module}v${s.module}h-${s.module}z`;
    return `<path d="${d}" fill="${s.color}" shape-rendering="crispEdges"/>`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${PAGE.width}" height="${PAGE.height}" viewBox="0 0 ${PAGE.width} ${PAGE.height}">${body.join('')}</svg>`;
}

export function renderPng(shapes: Shape[]): Buffer {
  const resvg = new Resvg(toSvg(shapes), {
    fitTo: { mode: 'zoom', value: PNG_SCALE },
    font: { loadSystemFonts: false, fontFiles: [FONT_FILES.regular, FONT_FILES.bold], defaultFontFamily: FONT_FAMILY, serifFamily: FONT_FAMILY },
    background: '#ffffff',
  });
  return resvg.render().asPng();
}
