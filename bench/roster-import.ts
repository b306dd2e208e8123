/**
 * Benchmark: a roster of N officials (default 22,000: the 2022 programme's commune chairs and vice
 * chairs) in 34 provinces and 3,321 communes, as a CSV with phones and external ids for half of
 * them, imported end to end with `importRoster` (read, check, match by point lookups, write in
 * batches of at most 16), then the same file again (every row unchanged), then the codes CSV
 * and, with --slips, the printable slips PDF of every row.
 *   node --import tsx bench/roster-import.ts --rows 22000 [--slips]
 * Runs in a database of its own, dropped at the end. Prints each phase's wall time and rows/s,
 * and peak RSS (sampled every 50 ms).
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.js';
import { connectDatabase } from '../src/storage/mongo.js';
import { loadContent } from '../src/content/load.js';
import { ContentCatalog } from '../src/content/catalog.js';
import { syncContentCohorts } from '../src/storage/cohorts.js';
import { MongoCohortStore } from '../src/storage/stores.js';
import { createTranslator } from '../src/i18n/index.js';
import { findImport, importRoster, importRows, type ImportRow } from '../src/admin/roster/import.js';
import { codesCsv, slipsPdf } from '../src/admin/roster/outputs.js';

const { values } = parseArgs({ options: { rows: { type: 'string', default: '22000' }, slips: { type: 'boolean', default: false } } });
const rows = Number(values.rows);
const root = resolve(import.meta.dirname, '..');

const FAMILY = ['Nguyễn', 'Trần', 'Lê', 'Phạm', 'Hoàng', 'Huỳnh', 'Phan', 'Vũ', 'Võ', 'Đặng', 'Bùi', 'Đỗ', 'Hồ', 'Ngô', 'Dương', 'Lý'];
const MIDDLE = ['Thị', 'Văn', 'Hữu', 'Đức', 'Ngọc', 'Thị Thanh', 'Minh', 'Quốc', 'Thị Kim', 'Xuân'];
const GIVEN = ['Hoà', 'Ưng', 'Hương', 'Dũng', 'Thuỷ', 'Khánh', 'Tuấn', 'Nguyệt', 'Phượng', 'Quý', 'Yến', 'Đạt', 'Sơn', 'Thắng', 'Ánh', 'Lộc'];

let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);

const base = loadConfig({ ...process.env, LOG_LEVEL: 'silent' });
const url = new URL(base.MONGODB_URL);
url.pathname = `/bench_roster_${Date.now().toString(36)}`;
const db = await connectDatabase(url.toString());
try {
  const content = loadContent(resolve(root, 'content'));
  await syncContentCohorts(db.models, content.cohorts, new Date());
  const provinces = content.provinces.get('current')!;
  const lines = ['STT;Họ và tên;Chức vụ;Tỉnh/thành phố;Xã/phường;Số điện thoại;Mã cán bộ'];
  for (let i = 0; i < rows; i++) {
    const commune = i % 3321;
    const name = `${FAMILY[i % 16]} ${MIDDLE[Math.floor(i / 16) % 10]} ${GIVEN[Math.floor(i / 160) % 16]} ${Math.floor(i / 2560) || ''}`.trim();
    const phone = i % 2 === 0 ? `09${String(10_000_000 + i).slice(-8)}` : '';
    const ext = i % 2 === 0 ? `CB-${String(i).padStart(6, '0')}` : '';
    lines.push([i + 1, name, i % 2 ? 'Phó Chủ tịch UBND xã' : 'Chủ tịch UBND xã', provinces[commune % provinces.length], `Xã Số ${commune} ${Math.floor(i / 6642)}`, phone, ext].join(';'));
  }
  const bytes = Buffer.from(`\ufeff${lines.join('\r\n')}\r\n`, 'utf8');
  const deps = {
    conn: db.conn,
    cohorts: new MongoCohortStore(db.models),
    catalog: new ContentCatalog(content),
    i18n: await createTranslator(resolve(root, 'locales'), 'vi'),
    clock: { now: () => new Date() },
    telegramBot: 'cds_tutor_bot',
  };
  const principal = { id: 'bench', name: 'bench', scope: { kind: 'ministry' as const } };
  console.log(`roster: ${rows} rows, ${(bytes.length / 1048576).toFixed(1)} MB, FerretDB/MongoDB at ${url.host}`);

  const phase = async <T>(label: string, f: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    const out = await f();
    const s = (performance.now() - t0) / 1000;
    console.log(`${label.padEnd(34)} ${s.toFixed(1).padStart(7)} s  ${Math.round(rows / s).toLocaleString('en').padStart(7)} rows/s`);
    return out;
  };
  const first = await phase('import (all new)', () => importRoster(deps, { bytes, cohortId: 'demo', principal, from: 'bench' }));
  console.log(`  imported ${first.imported}, errors ${first.errors.length}`);
  const again = await phase('import again (all unchanged)', () => importRoster(deps, { bytes, cohortId: 'demo', principal, from: 'bench' }));
  console.log(`  unchanged ${again.unchanged}, imported ${again.imported}, updated ${again.updated}`);
  const all: ImportRow[] = [];
  await phase('read the import record', async () => {
    for await (const r of importRows(db.conn, (await findImport(db.conn, first.importId))!)) all.push(r);
  });
  const csv = await phase('codes CSV', async () => codesCsv(all, { i18n: deps.i18n, locale: 'vi', telegramBot: deps.telegramBot }));
  console.log(`  ${(csv.length / 1048576).toFixed(1)} MB`);
  if (values.slips) {
    const pdf = await phase('slips PDF', () => slipsPdf(all, { i18n: deps.i18n, locale: 'vi', telegramBot: deps.telegramBot }));
    console.log(`  ${(pdf.length / 1048576).toFixed(1)} MB, ${Math.ceil(all.length / 8)} pages`);
  }
  console.log(`peak RSS ${(peakRss / 1048576).toFixed(0)} MB`);
} finally {
  clearInterval(sampler);
  await db.conn.dropDatabase();
  await db.close();
}
