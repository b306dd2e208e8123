/**
 * Benchmark: the admin reports at scale. N learners (default 100,000) of one cohort in the 34
 * provinces and 3,321 communes (commune i in province i mod 34), every one invited, some started,
 * most onboarded with an enrolment in every status. Measures:
 *   - the recount (`report recount`): first run (writes every learner's mark), then a steady run;
 *   - `GET /admin/api/stats` p50/p95 for the whole cohort, a province and a commune, through
 *     Fastify (route module, zod, counters read by `_id`); baseline in the same run: the same
 *     totals computed by scanning the learners and enrolments (what the counters replace);
 *   - the progress export (the CLI's and the route's code path) to a discarding sink: rows/s and
 *     RSS sampled every 50 ms, both ways in the same run — the baseline scans of the learners and
 *     enrolments, then the kept rows (Redis) the recount built.
 *   node --import tsx bench/admin-stats.ts --learners 100000 --keep-data
 *   node --import tsx bench/admin-stats.ts --learners 100000 --keep-data   # reuses the data
 *   node --import tsx bench/admin-stats.ts --learners 100000 --keep-data --only export   # the export only (recount to build the rows, then both ways)
 *   node --import tsx bench/admin-stats.ts --ops 400                                       # the counters' write side: Redis design, then the old lease design
 *   node --import tsx bench/admin-stats.ts --ops 4000 --design redis
 * Inserts go 16 documents per command (FerretDB), 4 commands in flight.
 */
import { parseArgs } from 'node:util';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { resolve } from 'node:path';
import Fastify from 'fastify';
import { Redis } from 'ioredis';
import { loadConfig } from '../src/config.js';
import { connectDatabase } from '../src/storage/mongo.js';
import { upsertCohort } from '../src/storage/cohorts.js';
import { loadContent } from '../src/content/load.js';
import { ContentCatalog } from '../src/content/catalog.js';
import { createTranslator } from '../src/i18n/index.js';
import { RedisLeases } from '../src/scheduler/leases.js';
import { buildStats, StatsCounters } from '../src/admin/stats/index.js';
import { counterId, enc, SUMMARY } from '../src/admin/stats/counters.js';
import { FUNNEL, type Delta } from '../src/admin/stats/facts.js';
import { DateTime } from 'luxon';
import { recount } from '../src/admin/stats/recount.js';
import { progressCsv, progressRows } from '../src/admin/stats/export.js';
import { lessonsOf } from '../src/core/course.js';
import { insertPopulation } from './population.js';
import { parseScope } from '../src/admin/scope.js';

const { values } = parseArgs({ options: { learners: { type: 'string', default: '100000' }, 'keep-data': { type: 'boolean', default: false }, requests: { type: 'string', default: '100' }, ops: { type: 'string' }, design: { type: 'string' }, only: { type: 'string' }, export: { type: 'string' } } });
const N = Number(values.learners);
const REQUESTS = Number(values.requests);
const COMMUNES = 3321;
const COHORT = 'bench-admin';
const log = (...a: unknown[]) => console.log(new Date().toISOString().slice(11, 19), ...a);

const root = resolve(import.meta.dirname, '..');
const base = loadConfig({ ...process.env, LOG_LEVEL: 'silent' });
const url = new URL(base.MONGODB_URL);
url.pathname = '/bench_admin_stats';
const db = await connectDatabase(url.toString());
const content = loadContent(resolve(root, 'content'));
const catalog = new ContentCatalog(content);
const course = content.courses.get('cds-xa')!;
const lessons = lessonsOf(course).map((l) => l.id);
const provinces = catalog.provinces('current');
const redis = new Redis(base.REDIS_URL, { maxRetriesPerRequest: null });
const prefix = `benchadmin${Date.now().toString(36)}`;
const i18n = await createTranslator(resolve(root, 'locales'), 'vi');
const parts = { db, redis, prefix, clock: { now: () => new Date() }, catalog, i18n, timezone: base.TIMEZONE, defaultLocale: 'vi' as const, defaultCohort: COHORT };
const counters = new StatsCounters({ conn: db.conn, redis, prefix, clock: parts.clock, timezone: base.TIMEZONE });
const stats = buildStats({ ...parts, counters, statsCacheMs: 0 });
const cached = buildStats({ ...parts, counters });

let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
const mb = (b: number) => `${Math.round(b / 1e6)} MB`;
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;

async function seed(): Promise<void> {
  const now = Date.now();
  await upsertCohort(db.models, { id: COHORT, courseId: 'cds-xa', opensAt: new Date(now - 5 * 86400e3), closesAt: new Date(now + 12 * 86400e3), reminders: [], quietHours: null, lessonHour: 8 });
  const have = await db.models.Learner.collection.estimatedDocumentCount();
  if (have >= N) return log(`reusing ${have} learners`);
  log(`inserting ${N} learners (+ enrolments)…`);
  const t = Date.now();
  await insertPopulation(db.models, have, N, { cohort: COHORT, provinces, communes: COMMUNES, lessons, now, codePrefix: 'B' });
  log(`inserted in ${((Date.now() - t) / 1000).toFixed(1)} s`);
}

async function scanBaseline(): Promise<number> {
  // What stats would cost without counters: every learner and enrolment of the cohort read.
  const t = Date.now();
  const totals: Record<string, number> = {};
  for await (const l of db.models.Learner.collection.find({ cohortId: COHORT }, { projection: { 'profile.province': 1, onboarded: 1, conversations: 1 } }).batchSize(1000)) {
    totals.invited = (totals.invited ?? 0) + 1;
    if ((l.conversations?.length ?? 0) > 0) totals.started = (totals.started ?? 0) + 1;
  }
  for await (const e of db.models.Enrolment.collection.find({ cohortId: COHORT }, { projection: { status: 1 } }).batchSize(1000)) totals[e.status] = (totals[e.status] ?? 0) + 1;
  return Date.now() - t;
}

/**
 * The baseline of `--ops`: the previous design, kept here only to measure against. Each change
 * `$inc`s the province document and the summary document in MongoDB, each under a Redis lease of
 * that document (FerretDB's `$inc` is not atomic), the op id kept in the document's last 256 ops.
 */
const leases = new RedisLeases(redis, prefix);
async function leaseApply(cohortId: string, deltas: Delta[], op: string, at = new Date()): Promise<void> {
  const col = db.conn.collection<any>('bench_lease_counters');
  const day = DateTime.fromJSDate(at, { zone: base.TIMEZONE }).toISODate() ?? 'unknown';
  const byDoc = new Map<string, Delta[]>();
  for (const d of deltas) {
    byDoc.set(d.province, [...(byDoc.get(d.province) ?? []), d]);
    byDoc.set(SUMMARY, [...(byDoc.get(SUMMARY) ?? []), { ...d, commune: d.province }]);
  }
  for (const province of [...byDoc.keys()].sort()) {
    const id = counterId(cohortId, province);
    await leases.run(`stats:${id}`, async () => {
      const doc = await col.findOne({ _id: id }, { projection: { ops: 1 } });
      const ops: string[] = doc?.ops ?? [];
      if (ops.includes(op)) return;
      const inc: Record<string, number> = {};
      for (const d of byDoc.get(province)!) {
        const cell = `cells.${enc(d.commune)}.${enc(d.role)}.${d.metric}`;
        inc[cell] = (inc[cell] ?? 0) + d.n;
        if ((FUNNEL as readonly string[]).includes(d.metric)) inc[`days.${day}.${d.metric}`] = (inc[`days.${day}.${d.metric}`] ?? 0) + d.n;
      }
      await col.updateOne({ _id: id }, { $inc: inc, $set: { cohortId, province, ops: [...ops.slice(-255), op], updatedAt: at } }, { upsert: true });
    });
  }
}

/**
 * `--ops N`: only the write side, both designs in the same run. N counter ops from 8 concurrent
 * writers, each op a learner moving a step in a province (province i mod 34), so every op changes
 * its province and the cohort summary: what each tracked save adds to a reply.
 *   redis: one Lua script per op (SET NX op id + HINCRBY both hashes), flushed to MongoDB in the background;
 *   lease: the previous design (above).
 */
if (values.ops) {
  const total = Number(values.ops);
  const designs = (values.design ?? 'redis,lease').split(',');
  for (const design of designs) {
    const cohort = `bench-ops-${design}-${Date.now().toString(36)}`;
    const apply = design === 'lease' ? leaseApply : (c: string, d: Delta[], op: string) => counters.apply(c, d, op);
    const t = Date.now();
    let next = 0;
    const lat: number[] = [];
    await Promise.all(Array.from({ length: 8 }, async () => {
      while (next < total) {
        const i = next++;
        const province = provinces[i % provinces.length]!;
        const s0 = performance.now();
        await apply(cohort, [{ province, commune: `Xã ${i % COMMUNES}`, role: 'chair', metric: 'started', n: 1 }, { province, commune: `Xã ${i % COMMUNES}`, role: 'chair', metric: 'status:not_started', n: 1 }], `L${i}|${cohort}#1`);
        lat.push(performance.now() - s0);
      }
    }));
    const secs = (Date.now() - t) / 1000;
    let counted: number;
    let extra = '';
    if (design === 'lease') {
      const sum = await db.conn.collection<any>('bench_lease_counters').findOne({ _id: counterId(cohort, SUMMARY) });
      counted = Object.values<any>(sum?.cells ?? {}).reduce((n, roles) => n + (roles.chair?.started ?? 0), 0);
    } else {
      const f0 = performance.now();
      await counters.flush();
      extra = `; then the flush of the ${provinces.length + 1} changed hashes to their documents: ${(performance.now() - f0).toFixed(0)} ms`;
      const sum = await db.conn.collection<any>('stats_counters').findOne({ _id: counterId(cohort, SUMMARY) as never });
      counted = Object.values<any>(sum?.cells ?? {}).reduce((n, roles) => n + (roles['chair']?.started ?? 0), 0);
    }
    log(`ops (${design}): ${total} in ${secs.toFixed(1)} s = ${Math.round(total / secs)} ops/s; p50 ${pct(lat, 0.5).toFixed(1)} ms, p95 ${pct(lat, 0.95).toFixed(1)} ms per op; summary document counts ${counted} (exact: ${counted === total})${extra}`);
    await db.conn.collection('stats_counters').deleteMany({ cohortId: cohort });
    await db.conn.collection('bench_lease_counters').deleteMany({ cohortId: cohort });
  }
  await counters.close();
  clearInterval(sampler);
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length) await redis.del(...keys);
  await redis.quit();
  await db.close();
  process.exit(0);
}

await seed();

if (values.only !== 'export') {
log('recount (first: writes every mark)…');
let r = await recount({ models: db.models, conn: db.conn, counters: stats.counters, tracker: stats.tracker, cohortId: COHORT, now: new Date() });
log(`recount: ${r.learners} learners, ${(r.ms / 1000).toFixed(1)} s, ${r.drift.length} cells drifted, ${r.marksFixed} marks written`);
if (r.marksFixed > 0) r = await recount({ models: db.models, conn: db.conn, counters: stats.counters, tracker: stats.tracker, cohortId: COHORT, now: new Date() });
log(`recount (steady): ${(r.ms / 1000).toFixed(1)} s, ${r.drift.length} cells drifted, ${r.marksFixed} marks written`);

async function serve(routes: typeof stats.routes) {
  const app = Fastify();
  app.addHook('onRequest', async (req) => {
    req.admin = { id: 'bench', name: 'bench', scope: parseScope(String(req.headers['x-scope'] ?? 'ministry')) };
  });
  await app.register(async (api) => routes(api), { prefix: '/admin/api' });
  await app.ready();
  return app;
}
const app = await serve(stats.routes);
const cachedApp = await serve(cached.routes);
const province = provinces[8]!;
const commune = `Xã ${8}`;
for (const [label, server, q] of [
  ['cohort (its summary document), uncached', app, ''],
  [`province ${province}, uncached`, app, `&province=${encodeURIComponent(province)}`],
  [`commune ${commune}, uncached`, app, `&province=${encodeURIComponent(province)}&commune=${encodeURIComponent(commune)}`],
  ['cohort, served from the 15 s cache', cachedApp, ''],
] as const) {
  const times: number[] = [];
  for (let i = 0; i < REQUESTS; i++) {
    const t = performance.now();
    const res = await server.inject({ method: 'GET', url: `/admin/api/stats?cohort=${COHORT}${q}` });
    times.push(performance.now() - t);
    if (res.statusCode !== 200) throw new Error(res.body);
    if (i === 0 && q === '' && server === app) log('totals', JSON.stringify(res.json().totals));
  }
  log(`stats ${label}: p50 ${pct(times, 0.5).toFixed(1)} ms, p95 ${pct(times, 0.95).toFixed(1)} ms, max ${Math.max(...times).toFixed(1)} ms (${REQUESTS} requests)`);
}
for (let i = 0; i < 1; i++) log(`baseline: totals by scanning learners + enrolments: ${((await scanBaseline()) / 1000).toFixed(1)} s`);
await app.close();
await cachedApp.close();

}

// The export, both ways in the same run: the baseline scans the learners and enrolments (what
// a cohort never recounted still does); then the kept rows (Redis), built by a recount.
async function exportRun(label: string, rows: typeof counters.rows | undefined): Promise<void> {
  const rssBefore = process.memoryUsage().rss;
  peakRss = rssBefore;
  let n = 0;
  let bytes = 0;
  const t = Date.now();
  async function* counted(src: AsyncIterable<any>) {
    for await (const row of src) {
      n++;
      yield row;
    }
  }
  await pipeline(
    progressCsv(counted(progressRows({ ...(rows ? { rows } : {}), models: db.models, cohortId: COHORT, lessonsTotal: lessons.length })), i18n, 'vi'),
    new Writable({ write(chunk, _e, cb) { bytes += chunk.length; cb(); } }),
  );
  const s = (Date.now() - t) / 1000;
  log(`export (${label}): ${n} rows, ${mb(bytes)} in ${s.toFixed(1)} s = ${Math.round(n / s)} rows/s; RSS ${mb(rssBefore)} → peak ${mb(peakRss)}`);
}
if (values.export !== 'rows') await exportRun('baseline: scans of the learners and enrolments', undefined);
if (values.only === 'export' && !(await counters.rows.built(COHORT))) {
  log('recount (builds the kept rows)…');
  const r = await recount({ models: db.models, conn: db.conn, counters: stats.counters, tracker: stats.tracker, cohortId: COHORT, now: new Date() });
  log(`recount: ${r.learners} learners, ${(r.ms / 1000).toFixed(1)} s`);
}
await exportRun('kept rows in Redis', counters.rows);

clearInterval(sampler);

await counters.close();
if (!values['keep-data']) await db.conn.dropDatabase();
const keys = await redis.keys(`${prefix}:*`);
if (keys.length) await redis.del(...keys);
await redis.quit();
await db.close();
