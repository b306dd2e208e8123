/**
 * Benchmark: issue, render and store N certificates with realistic Vietnamese names, one after
 * another as one send worker would: the issue (counter `$inc`, code entry, insert by `_id`), the
 * PDF (pdfkit, Noto Serif embedded) and the PNG (the same layout as SVG, rasterised by resvg),
 * each file written to the cache folder.
 *   node --import tsx bench/certificates.ts --count 1000
 * Baseline in the same run: a bare A4 landscape PDF with one line in a built-in font, and an
 * empty SVG page rasterised at the same size: what pdfkit and resvg cost before our layout and font.
 * Prints p50/p95/max per step, bytes per file, and peak RSS (sampled every 20 ms).
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import PDFDocument from 'pdfkit';
import { Resvg } from '@resvg/resvg-js';
import { loadConfig } from '../src/config.js';
import { connectDatabase } from '../src/storage/mongo.js';
import { MongoCertificateStore } from '../src/storage/certificates.js';
import { CertificateFiles } from '../src/certificates/files.js';
import { PAGE } from '../src/certificates/layout.js';

const { values } = parseArgs({ options: { count: { type: 'string', default: '1000' } } });
const count = Number(values.count);

const FAMILY = ['Nguyễn', 'Trần', 'Lê', 'Phạm', 'Hoàng', 'Huỳnh', 'Phan', 'Vũ', 'Võ', 'Đặng', 'Bùi', 'Đỗ', 'Hồ', 'Ngô', 'Dương', 'Lý'];
const MIDDLE = ['Thị', 'Văn', 'Hữu', 'Đức', 'Ngọc', 'Thị Thanh', 'Minh', 'Quốc', 'Thị Kim', 'Xuân'];
const GIVEN = ['Hoà', 'Ưng', 'Hương', 'Dũng', 'Thuỷ', 'Khánh', 'Tuấn', 'Nguyệt', 'Phượng', 'Quý', 'Yến', 'Đạt', 'Sơn', 'Thắng', 'Ánh', 'Lộc'];
const PLACES = [
  ['Xã Nghi Lộc', 'Nghệ An'],
  ['Xã Diễn Châu', 'Nghệ An'],
  ['Xã Tân Phước Khánh', 'Bình Dương'],
  ['Xã Ea Kly', 'Đắk Lắk'],
  ['Xã Quảng Điền', 'Thừa Thiên Huế'],
  ['Xã Mường Phăng', 'Điện Biên'],
];
const ROLES = ['Chủ tịch UBND xã', 'Phó Chủ tịch UBND xã'];

function pick<T>(list: readonly T[], i: number): T {
  return list[i % list.length]!;
}

function stats(ms: number[]) {
  const s = [...ms].sort((a, b) => a - b);
  const at = (p: number) => s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
  return { p50: at(50).toFixed(1), p95: at(95).toFixed(1), max: s.at(-1)!.toFixed(1) };
}

let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20);
const startRss = process.memoryUsage().rss;

const base = loadConfig({ ...process.env, LOG_LEVEL: 'silent' });
const url = new URL(base.MONGODB_URL);
url.pathname = `/bench_certs_${Date.now().toString(36)}`;
const db = await connectDatabase(url.toString());
const dir = await mkdtemp(join(tmpdir(), 'cds-bench-certs-'));
const store = new MongoCertificateStore(db.conn, { serialPrefix: 'CĐS-XA', timezone: 'Asia/Ho_Chi_Minh' });
const files = new CertificateFiles(store, { dir, publicBaseUrl: 'https://cds.example.gov.vn', place: 'Hà Nội', timezone: 'Asia/Ho_Chi_Minh' });

const times = { issue: [] as number[], pdf: [] as number[], png: [] as number[], basePdf: [] as number[], basePng: [] as number[] };
const bytes = { pdf: 0, png: 0 };

try {
  const wall = performance.now();
  for (let i = 0; i < count; i++) {
    const [commune, province] = pick(PLACES, i);
    const fullName = `${pick(FAMILY, i)} ${pick(MIDDLE, Math.floor(i / 16))} ${pick(GIVEN, Math.floor(i / 7))}`;
    let t = performance.now();
    const c = await store.issue(
      { learnerId: `bench-${i}`, cohortId: 'dot-5-2022', courseId: 'cds-xa', holder: { fullName, role: pick(ROLES, i), commune, province }, courseTitle: 'Chuyển đổi số cho lãnh đạo cấp xã', cohortTitle: 'Đợt 1 (6–22/5/2022)', scorePercent: 90, passedAt: new Date() },
      new Date(),
    );
    times.issue.push(performance.now() - t);
    t = performance.now();
    const pdf = await files.file(c.code, 'pdf');
    times.pdf.push(performance.now() - t);
    t = performance.now();
    const png = await files.file(c.code, 'png');
    times.png.push(performance.now() - t);
    bytes.pdf += (await stat(pdf!.path)).size;
    bytes.png += (await stat(png!.path)).size;
  }
  const seconds = (performance.now() - wall) / 1000;

  for (let i = 0; i < Math.min(count, 200); i++) {
    let t = performance.now();
    await new Promise<Buffer>((resolve) => {
      const doc = new PDFDocument({ size: 'A4', layout: 'landscape', margin: 0 });
      const chunks: Buffer[] = [];
      doc.on('data', (b: Buffer) => chunks.push(b));
      doc.on('end', () => resolve(Buffer.concat(chunks)));
      doc.fontSize(30).text(`Certificate ${i}`, 100, 100);
      doc.end();
    });
    times.basePdf.push(performance.now() - t);
    t = performance.now();
    new Resvg(`<svg xmlns="http://www.w3.org/2000/svg" width="${PAGE.width}" height="${PAGE.height}"><rect width="100%" height="100%" fill="#fff"/></svg>`, { fitTo: { mode: 'zoom', value: 1.5 }, font: { loadSystemFonts: false } }).render().asPng();
    times.basePng.push(performance.now() - t);
  }

  console.log(`certificates: ${count} in ${seconds.toFixed(1)} s (${(count / seconds).toFixed(1)}/s, one at a time)`);
  console.log('step (ms)          p50     p95     max');
  for (const [name, ms] of Object.entries(times)) {
    const s = stats(ms);
    console.log(`${name.padEnd(16)} ${s.p50.padStart(7)} ${s.p95.padStart(7)} ${s.max.padStart(7)}`);
  }
  console.log(`bytes per file: PDF ${Math.round(bytes.pdf / count)}, PNG ${Math.round(bytes.png / count)}`);
  console.log(`RSS: ${Math.round(startRss / 1e6)} MB at start, ${Math.round(peakRss / 1e6)} MB peak`);
} finally {
  clearInterval(sampler);
  await db.conn.dropDatabase();
  await db.close();
  await rm(dir, { recursive: true, force: true });
}
