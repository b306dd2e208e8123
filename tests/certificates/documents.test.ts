import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs';
import * as jsqr from 'jsqr';
import { PNG } from 'pngjs';
import { CertificateFiles } from '../../src/certificates/files.js';
import { vietnameseDate } from '../../src/certificates/layout.js';
import type { Certificate } from '../../src/core/certificates.js';

/** jsqr is CommonJS with an ES default: Node and Vite hand it over differently. */
type Decode = (data: Uint8ClampedArray, width: number, height: number) => { data: string } | null;
const loaded = jsqr as unknown as { default: Decode | { default: Decode } };
const jsQR: Decode = typeof loaded.default === 'function' ? loaded.default : loaded.default.default;

const certificate: Certificate = {
  id: 'l1|c1',
  learnerId: 'l1',
  cohortId: 'c1',
  courseId: 'cds-xa',
  serial: 'CĐS-XA-2022-000123',
  code: 'K7M2Q9TX4HCE',
  holder: { fullName: 'Nguyễn Thị Hoà', role: 'Phó Chủ tịch UBND xã', commune: 'Xã Nghi Lộc', province: 'Nghệ An' },
  courseTitle: 'Chuyển đổi số cho lãnh đạo cấp xã',
  cohortTitle: 'Đợt 1 (6–22/5/2022)',
  scorePercent: 100,
  passedAt: new Date('2022-05-20T02:00:00Z'),
  issuedAt: new Date('2022-05-20T03:00:00Z'),
};

let dir: string;
let files: CertificateFiles;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cds-cert-'));
  files = new CertificateFiles({ findByCode: async (c) => (c === certificate.code ? certificate : null) }, { dir, publicBaseUrl: 'https://cds.example.vn/', place: 'Hà Nội', timezone: 'Asia/Ho_Chi_Minh' });
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function pdfText(bytes: Buffer): Promise<string> {
  const pdf = await getDocument({ data: new Uint8Array(bytes), useSystemFonts: false }).promise;
  const page = await pdf.getPage(1);
  const content = await page.getTextContent();
  const view = page.view;
  await pdf.destroy();
  return `${view.join(',')}\n${content.items.map((i) => ('str' in i ? i.str : '')).join('\n')}`.normalize('NFC');
}

describe('certificate documents', () => {
  it('should print the name with its diacritics, role, place, course, cohort, Vietnamese date, serial and code on an A4 landscape PDF', async () => {
    const found = await files.file('k7m2-q9tx-4hce', 'pdf');
    const text = await pdfText(await readFile(found!.path));
    expect(text.startsWith('0,0,841.89,595.28')).toBe(true);
    for (const expected of ['Nguyễn Thị Hoà', 'Phó Chủ tịch UBND xã', 'Xã Nghi Lộc, Nghệ An', 'Chuyển đổi số cho lãnh đạo cấp xã', 'Đợt 1 (6–22/5/2022)', 'Hà Nội, ngày 20 tháng 5 năm 2022', 'CĐS-XA-2022-000123', 'K7M2-Q9TX-4HCE']) {
      expect(text).toContain(expected);
    }
  });

  it('should draw a QR code of the verification URL that a reader decodes from the PNG', async () => {
    const found = await files.file(certificate.code, 'png');
    const png = PNG.sync.read(await readFile(found!.path));
    expect([png.width, png.height]).toEqual([1263, 893]);
    const qr = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
    expect(qr?.data).toBe('https://cds.example.vn/verify/K7M2Q9TX4HCE');
  });

  it('should find nothing for an unknown or malformed code, touching no path', async () => {
    expect(await files.file('../../etc/passwd', 'pdf')).toBeNull();
    expect(await files.file('AAAAAAAAAAAA', 'png')).toBeNull();
  });

  it('should serve a cached file as it is, and render it again when the cache is gone', async () => {
    const first = await files.file(certificate.code, 'pdf');
    await writeFile(first!.path, 'cached');
    expect((await readFile((await files.file(certificate.code, 'pdf'))!.path, 'utf8'))).toBe('cached');
    await rm(first!.path);
    expect((await readFile((await files.file(certificate.code, 'pdf'))!.path)).subarray(0, 5).toString()).toBe('%PDF-');
  });

  it('should write the date of the issue day in the learners zone', () => {
    expect(vietnameseDate('Huế', new Date('2022-05-19T18:30:00Z'), 'Asia/Ho_Chi_Minh')).toBe('Huế, ngày 20 tháng 5 năm 2022');
  });
});
