/**
 * Benchmark: how fast the MongoDB-wire server hands out documents, by their number or their size.
 * Inserts N compact rows (13 short fields) one per document, scans them unfiltered and filtered;
 * then the same rows packed PER to a document (one JSON string field) and scans those. In a
 * database of its own, dropped at the end.
 *   node --import tsx bench/ferretdb-scan.ts --rows 20000 --per 100
 */
import { parseArgs } from 'node:util';
import { MongoClient } from 'mongodb';
import { loadConfig } from '../src/config.js';

const { values } = parseArgs({ options: { rows: { type: 'string', default: '20000' }, per: { type: 'string', default: '100' } } });
const N = Number(values.rows);
const PER = Number(values.per);
const url = new URL(loadConfig({ ...process.env, LOG_LEVEL: 'silent' }).MONGODB_URL);
url.pathname = '/bench_ferretdb_scan';
const client = new MongoClient(url.toString());
await client.connect();
const db = client.db();
const log = (...a: unknown[]) => console.log(new Date().toISOString().slice(11, 19), ...a);
const at = new Date().toISOString();
const row = (i: number) => ({ _id: `l${i}`, fullName: `Học viên ${i}`, role: 'chair', province: 'Nghệ An', commune: `Xã ${i % 3321}`, phone: `09${String(i).padStart(8, '0')}`, onboarded: true, status: 'in_progress', lessonsDone: i % 12, bestPercent: 80, passed: false, lastActivityAt: at, joinedAt: at });

async function timed(label: string, scan: () => AsyncIterable<unknown>, count: (d: any) => number): Promise<void> {
  const t = Date.now();
  let n = 0;
  for await (const d of scan()) n += count(d);
  const s = (Date.now() - t) / 1000;
  log(`${label}: ${n} rows in ${s.toFixed(2)} s = ${Math.round(n / s)} rows/s`);
}

const single = db.collection<any>('single');
let next = 0;
await Promise.all([1, 2, 3, 4].map(async () => {
  while (next < N) {
    const from = next;
    next += 16;
    await single.insertMany(Array.from({ length: Math.min(16, N - from) }, (_, k) => row(from + k)));
  }
}));
await timed('one row per document, unfiltered scan', () => single.find({}).batchSize(1000), () => 1);
await timed('one row per document, filtered scan', () => single.find({ province: 'Nghệ An' }).batchSize(1000), () => 1);
const packed = db.collection<any>('packed');
for (let d = 0; d < N / PER; d++) await packed.insertOne({ _id: `c${d}`, rows: JSON.stringify(Array.from({ length: PER }, (_, j) => row(d * PER + j))) });
await timed(`${PER} rows per document (a JSON string)`, () => packed.find({}).batchSize(50), (d) => JSON.parse(d.rows).length);
await db.dropDatabase();
await client.close();
