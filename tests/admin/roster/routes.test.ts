import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs';
import * as jsqr from 'jsqr';
import { useEngine } from '../../support/env.js';
import { as, serveAdminRoutes } from '../../support/admin-routes.js';
import { rosterRoutes } from '../../../src/admin/roster/routes.js';
import { BOT, messyCsv, rosterDeps, xlsxRoster } from './rig.js';

/** jsqr is CommonJS with an ES default: Node and Vite hand it over differently. */
type Decode = (data: Uint8ClampedArray, width: number, height: number) => { data: string } | null;
const loaded = jsqr as unknown as { default: Decode | { default: Decode } };
const jsQR: Decode = typeof loaded.default === 'function' ? loaded.default : loaded.default.default;

const h = useEngine();
let app: FastifyInstance;
beforeAll(async () => {
  app = await serveAdminRoutes(rosterRoutes(await rosterDeps(h)));
});
afterAll(() => app?.close());

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

function post(body: Buffer | string, headers: Record<string, string>, cohort = 'demo') {
  return app.inject({ method: 'POST', url: `/admin/api/rosters?cohort=${encodeURIComponent(cohort)}`, payload: body, headers });
}

async function pdfPage(bytes: Buffer) {
  const pdf = await getDocument({ data: new Uint8Array(bytes), useSystemFonts: false }).promise;
  const page = await pdf.getPage(1);
  const text = (await page.getTextContent()).items.map((i) => ('str' in i ? i.str : '')).join('\n').normalize('NFC');
  const viewport = page.getViewport({ scale: 3 });
  // pdf.js's own canvas for Node (its @napi-rs/canvas dependency).
  const factory = (pdf as unknown as { canvasFactory: { create(w: number, h: number): { canvas: { width: number; height: number }; context: CanvasRenderingContext2D } } }).canvasFactory;
  const { canvas, context } = factory.create(Math.ceil(viewport.width), Math.ceil(viewport.height));
  context.fillStyle = '#ffffff';
  context.fillRect(0, 0, canvas.width, canvas.height);
  await page.render({ canvas: canvas as never, canvasContext: context as never, viewport }).promise;
  // The first slip's QR sits in the top-right quarter of the top-left slip.
  const w = Math.floor(canvas.width / 2);
  const hgt = Math.floor(canvas.height / 4);
  const image = context.getImageData(0, 0, w, hgt);
  await pdf.destroy();
  return { text, qr: jsQR(new Uint8ClampedArray(image.data), w, hgt)?.data };
}

describe('POST /admin/api/rosters', () => {
  let ministryImport: string;

  it('should import a CSV body and answer the counts and each bad row with its line and reason', async () => {
    const res = await post(messyCsv(), { ...as('ministry'), 'content-type': 'text/csv' });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ ok: true, rows: 8, imported: 5, updated: 0, unchanged: 0 });
    expect(body.errors).toEqual([
      { line: 7, reason: 'tỉnh "Atlantis" không có trong danh sách tỉnh, thành phố' },
      { line: 8, reason: 'trùng với dòng 2' },
      { line: 9, reason: 'thiếu chức vụ / role' },
    ]);
    ministryImport = body.importId;
  });

  it("should import only a province account's own rows, reporting the others", async () => {
    const res = await post(messyCsv(), { ...as('province:Nghệ An'), 'content-type': 'text/csv', 'accept-language': 'en' }, 'xa-2022');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ imported: 4 });
    expect(res.json().errors).toContainEqual({ line: 10, reason: "province Hà Tĩnh is outside this account's scope (Nghệ An)" });
  });

  it('should take an .xlsx file by multipart', async () => {
    const file = await xlsxRoster([['Vũ Thị Lan', 'Phó Chủ tịch UBND xã', 'Lào Cai', 'Xã Bát Xát', '0987000111', 'LC-1']]);
    const boundary = '----roster1234';
    const body = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="danh-sach.xlsx"\r\nContent-Type: ${XLSX}\r\n\r\n`),
      file,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const res = await post(body, { ...as('ministry'), 'content-type': `multipart/form-data; boundary=${boundary}` });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ imported: 1, errors: [] });
  });

  it('should refuse a file that is not CSV or XLSX, a JSON body, missing columns and an unknown cohort with 400 and a reason', async () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
    const notFile = await post(png, { ...as('ministry'), 'content-type': 'image/png' });
    expect([notFile.statusCode, notFile.json().error]).toEqual([400, 'Tệp không phải CSV hay .xlsx.']);
    const json = await post('{"rows":[]}', { ...as('ministry'), 'content-type': 'application/json' });
    expect(json.statusCode).toBe(400);
    const columns = await post('Họ tên;Email\r\nA;b@c.vn\r\n', { ...as('ministry'), 'content-type': 'text/csv' });
    expect(columns.statusCode).toBe(400);
    expect(columns.json().error).toContain('Thiếu cột: chức vụ / role, tỉnh / province, xã / commune');
    const cohort = await post(messyCsv(), { ...as('ministry'), 'content-type': 'text/csv' }, 'nope');
    expect([cohort.statusCode, cohort.json().error]).toEqual([400, 'Không có đợt học "nope".']);
  });

  it('should refuse a file over 50 MB with 413, importing nothing', async () => {
    const big = Buffer.alloc(50 * 1024 * 1024 + 1, 0x41);
    const res = await post(big, { ...as('ministry'), 'content-type': 'text/csv' });
    expect(res.statusCode).toBe(413);
  });

  describe('GET /admin/api/rosters/:id/…', () => {
    it('should give the codes as an Excel-friendly CSV with Telegram links and formulas neutralised', async () => {
      const res = await app.inject({ url: `/admin/api/rosters/${ministryImport}/codes.csv`, headers: as('ministry') });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toContain('text/csv');
      const raw = res.rawPayload;
      expect([...raw.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
      const text = raw.subarray(3).toString('utf8');
      const lines = text.trim().split('\r\n');
      expect(lines).toHaveLength(6);
      expect(lines[0]).toBe('Dòng,Mã mời,Họ tên,Chức vụ,Xã/phường,Tỉnh/thành phố,Số điện thoại,Liên kết Telegram,Zalo,Kết quả');
      const an = lines.find((l) => l.includes('Nguyễn Văn An'))!;
      const code = an.split(',')[1]!;
      expect(an).toContain(`https://t.me/${BOT}?start=${code}`);
      expect(an).toContain('+84912345678');
      expect(text).toContain(`"'=HYPERLINK(""http://evil.example/"";""Xã Yên Thành"")"`);
      expect(text).not.toMatch(/(^|,)"?=HYPERLINK/m);
    });

    it('should print A4 slips with the names and a QR of the Telegram link', async () => {
      const res = await app.inject({ url: `/admin/api/rosters/${ministryImport}/slips.pdf`, headers: as('ministry') });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('application/pdf');
      const { text, qr } = await pdfPage(res.rawPayload);
      for (const name of ['Nguyễn Văn An', 'Trần Thị Bình', 'Nguyễn Văn Cường', 'Lê Văn Dũng', 'Lê Thị Hoa', 'Chủ tịch UBND xã', 'Xã Nghi Lộc', 'Nghệ An']) expect(text).toContain(name);
      const code = /start=([A-Z0-9]{8})$/.exec(qr ?? '')?.[1];
      expect(qr).toBe(`https://t.me/${BOT}?start=${code}`);
      expect(text).toContain(code);
    });

    it("should refuse a province account another scope's import (403) and an unknown id (404)", async () => {
      const other = await app.inject({ url: `/admin/api/rosters/${ministryImport}/codes.csv`, headers: as('province:Nghệ An') });
      expect(other.statusCode).toBe(403);
      const slips = await app.inject({ url: `/admin/api/rosters/${ministryImport}/slips.pdf`, headers: as('province:Hà Tĩnh') });
      expect(slips.statusCode).toBe(403);
      const unknown = await app.inject({ url: '/admin/api/rosters/zzzzzzzzzzzzzz/codes.csv', headers: as('ministry') });
      expect(unknown.statusCode).toBe(404);
      const report = await app.inject({ url: `/admin/api/rosters/${ministryImport}`, headers: as('ministry') });
      expect(report.json()).toMatchObject({ state: 'done', counts: { imported: 5, errors: 3 } });
      expect(report.json().errors).toHaveLength(3);
    });
  });
});
