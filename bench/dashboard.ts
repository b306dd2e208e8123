/**
 * Benchmark: the dashboard's pages at scale. N learners (default 100,000) of one cohort in the 34
 * provinces and 3,321 communes (as bench/admin-stats.ts), their enrolments, and the stats counters
 * written straight from the seeded facts (what the tracked saves and `report recount` would hold).
 * Then the whole web role (createApp, role web) with ADMIN_TOKEN, signed in once as the ministry
 * and once as a province coordinator, and each page requested R times through Fastify's `inject`
 * (template, in-process admin API, services, database): p50 / p95 / max server time per page.
 * The learner pages and the broadcast live counts are measured twice in the same run: first as the
 * scan of the records (`--scan-requests` each, default 1: tens of seconds at 100,000), then from
 * the kept rows in Redis once `report recount` (timed) has built the cohort; every page is then
 * requested R times. With --baseline (the default; --no-baseline to skip) each learner page and live
 * count is first measured the way before the segment counters and the search text (the filter
 * index walked: `KeptLearners.baseline`), then as now, one after the other in the same run.
 * The Redis keys of the run are deleted at the end, unless BENCH_PREFIX names them: then they are
 * kept, and a later run with the same BENCH_PREFIX and --no-recount reuses the kept rows.
 *   node --import tsx bench/dashboard.ts --learners 100000 --keep-data
 *   node --import tsx bench/dashboard.ts --learners 100000 --keep-data --requests 20   # reuses the data
 *   node --import tsx bench/dashboard.ts --learners 100000 --keep-data --scan-requests 0   # rows only
 * Inserts go 16 documents per command (FerretDB), 4 commands in flight.
 */
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../src/config.js';
import { createApp } from '../src/app/index.js';
import { upsertCohort } from '../src/storage/cohorts.js';
import { lessonsOf } from '../src/core/course.js';
import { insertPopulation, type Member } from './population.js';
import { AdminAccounts } from '../src/admin/accounts.js';
import { StatsCounters } from '../src/admin/stats/counters.js';
import type { Delta } from '../src/admin/stats/facts.js';
import { StatsTracker } from '../src/admin/stats/tracking.js';
import { recount } from '../src/admin/stats/recount.js';
import { ContentCatalog } from '../src/content/catalog.js';
import { KeptLearners } from '../src/admin/stats/kept-learners.js';

const { values } = parseArgs({ options: { learners: { type: 'string', default: '100000' }, 'keep-data': { type: 'boolean', default: false }, requests: { type: 'string', default: '20' }, 'scan-requests': { type: 'string', default: '1' }, baseline: { type: 'boolean', default: true }, recount: { type: 'boolean', default: true } }, allowNegative: true });
const N = Number(values.learners);
const REQUESTS = Number(values.requests);
const SCAN_REQUESTS = Number(values['scan-requests']);
const COMMUNES = 3321;
const COHORT = 'bench-dash';
const TOKEN = `cdsadm_bench_${Date.now().toString(36)}_${Math.random().toString(36).slice(2)}`;
const log = (...a: unknown[]) => console.log(new Date().toISOString().slice(11, 19), ...a);
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;

const root = resolve(import.meta.dirname, '..');
const env = loadConfig({ ...process.env, LOG_LEVEL: 'silent' });
const url = new URL(env.MONGODB_URL);
url.pathname = '/bench_dashboard';
const config = loadConfig({ ...process.env, LOG_LEVEL: 'silent', MONGODB_URL: url.toString(), ADMIN_TOKEN: TOKEN, HTTP_PORT: '0', DEFAULT_COHORT: COHORT });
// BENCH_PREFIX: reuse the Redis keys (kept rows) of an earlier run that kept them (--no-recount then skips the rebuild).
const prefix = process.env.BENCH_PREFIX ?? `benchdash${Date.now().toString(36)}`;
const app = await createApp({ config, role: 'web', root, channels: [], listen: true, queuePrefix: prefix, logger: pino({ level: 'silent' }) });
const server = app.server!;
const db = app.db;
const course = app.content.courses.get('cds-xa')!;
const lessons = lessonsOf(course).map((l) => l.id);
const provinces = app.content.provinces.get('current')!;
const counters = new StatsCounters({ conn: db.conn, redis: app.redis, prefix, clock: { now: () => new Date() }, timezone: config.TIMEZONE });

async function seed(): Promise<void> {
  const now = Date.now();
  await upsertCohort(db.models, { id: COHORT, courseId: 'cds-xa', opensAt: new Date(now - 5 * 86400e3), closesAt: new Date(now + 12 * 86400e3), reminders: [], quietHours: null, lessonHour: 8 });
  const have = await db.models.Learner.collection.estimatedDocumentCount();
  if (have >= N) return log(`reusing ${have} learners`);
  log(`inserting ${N} learners (+ enrolments) and their counters…`);
  const t = Date.now();
  // Counter deltas by province and day, applied once each at the end.
  const deltas = new Map<string, Map<string, Delta>>();
  const count = (province: string, commune: string, role: string, metric: Delta['metric'], day: number) => {
    const k = `${province}|${day}`;
    const m = deltas.get(k) ?? deltas.set(k, new Map()).get(k)!;
    const key = `${commune}|${role}|${metric}`;
    const d = m.get(key) ?? m.set(key, { province, commune, role, metric, n: 0 }).get(key)!;
    d.n += 1;
  };
  const tally = (m: Member) => {
    const at = (metric: Delta['metric']) => count(m.province, m.commune, m.role, metric, m.day);
    at('invited');
    if (m.started) at('started');
    if (!m.onboarded) return;
    at('onboarded');
    at(`status:${m.status}` as Delta['metric']);
    if (m.finished) at('finished');
    if (m.passed) at('passed');
    if (m.status === 'certified') at('certified');
  };
  await insertPopulation(db.models, have, N, { cohort: COHORT, provinces, communes: COMMUNES, lessons, now, codePrefix: 'D' }, tally, (from) => {
    if (from % 10_000 < 16) log(`  ${from} learners`);
  });
  log(`inserted in ${((Date.now() - t) / 1000).toFixed(1)} s; writing the counters…`);
  for (const [k, m] of deltas) {
    const day = Number(k.split('|')[1]);
    await counters.apply(COHORT, [...m.values()], `bench-seed|${k}`, new Date(now - day * 86400e3));
  }
  log(`seeded in ${((Date.now() - t) / 1000).toFixed(1)} s`);
}

async function signIn(token: string): Promise<{ cookie: string; csrf: string }> {
  const res = await server.inject({ method: 'POST', url: '/admin/login', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `token=${encodeURIComponent(token)}` });
  const cookie = /cds_dash=([^;]+)/.exec(String(res.headers['set-cookie']))![1]!;
  const page = await server.inject({ method: 'GET', url: '/admin/certificates', headers: { cookie: `cds_dash=${cookie}` } });
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? /"x-csrf-token": "([^"]+)"/.exec(page.body)![1]!;
  return { cookie, csrf };
}

log(`Redis key prefix ${prefix}`);
await seed();
const accounts = new AdminAccounts(db.conn, { provinces: [...app.content.provinces.values()].flat() });
const province = provinces[8]!;
const { token: provinceToken } = await accounts.add({ name: 'bench province', scope: `province:${province}` });
const ministry = await signIn(TOKEN);
const coordinator = await signIn(provinceToken);
const someone = await db.models.Learner.collection.findOne({ 'profile.province': province, onboarded: true });
const e = encodeURIComponent;
type Page = [string, { cookie: string; csrf: string }, string, ('GET' | 'POST')?, string?];
const pages: Page[] = [
  ['overview, whole cohort', ministry, `/admin/overview?cohort=${COHORT}`],
  ['overview, a province', ministry, `/admin/overview?cohort=${COHORT}&province=${e(province)}`],
  ['overview, a commune', ministry, `/admin/overview?cohort=${COHORT}&province=${e(province)}&commune=${e('Xã 8')}`],
  ['learners, first page', ministry, '/admin/learners'],
  ['learners, search by name (one match)', ministry, `/admin/learners?q=${e('hoc vien 99999')}`],
  ['learners, status certified', ministry, '/admin/learners?status=certified'],
  ['learners, province coordinator', coordinator, '/admin/learners'],
  ['learners, coordinator, certified chairs', coordinator, '/admin/learners?status=certified&role=chair'],
  ['learners, coordinator, search (no match)', coordinator, `/admin/learners?q=${e('không có ai')}`],
  ['learners, search by phone (one match)', ministry, `/admin/learners?q=${e('0900012345')}`],
  ['learners, search matching many (first page)', ministry, `/admin/learners?q=${e('viên 12')}`],
  ["a learner's page", ministry, `/admin/learners/${String(someone!._id)}`],
  ['broadcasts (compose + list)', ministry, '/admin/broadcasts'],
  ['live count, everyone (htmx, on load)', ministry, '/admin/broadcasts/preview', 'POST', ''],
  ['live count, one province (htmx)', ministry, '/admin/broadcasts/preview', 'POST', `province=${e(province)}`],
  ['live count, coordinator, certified (htmx)', coordinator, '/admin/broadcasts/preview', 'POST', 'status=certified'],
  ['live count, province + status + role (htmx)', ministry, '/admin/broadcasts/preview', 'POST', `province=${e(province)}&status=in_progress&role=chair`],
  ['live count, one commune (htmx)', ministry, '/admin/broadcasts/preview', 'POST', `province=${e(province)}&commune=${e('Xã 8')}`],
  ['certificates', ministry, `/admin/certificates?cohort=${COHORT}`],
  ['questions and feedback', ministry, `/admin/questions?cohort=${COHORT}`],
];
const scanned = (p: Page) => p[0].startsWith('learners,') || p[0].startsWith('live count');

async function measure(label: string, [, who, path, method = 'GET', body]: Page, requests: number): Promise<string> {
  const times: number[] = [];
  const started = performance.now();
  // At most a minute per page (at least 3 requests, or fewer when fewer are asked): a slow page is reported, not waited on for ever.
  for (let i = 0; i < requests && (i < 3 || performance.now() - started < 60_000); i++) {
    const t = performance.now();
    const res = await server.inject({ method, url: path, headers: { cookie: `cds_dash=${who.cookie}`, ...(method === 'POST' ? { 'content-type': 'application/x-www-form-urlencoded', 'x-csrf-token': who.csrf } : {}) }, ...(body ? { payload: body } : {}) });
    times.push(performance.now() - t);
    if (res.statusCode !== 200) throw new Error(`${path}: ${res.statusCode} ${res.body.slice(0, 300)}`);
  }
  const line = `| ${label} | ${times[0]!.toFixed(0)} ms | ${pct(times, 0.5).toFixed(0)} ms | ${pct(times, 0.95).toFixed(0)} ms | ${Math.max(...times).toFixed(0)} ms | ${times.length} |`;
  log(line);
  return line;
}

const rows: string[] = [];
// The rows of an earlier run live under its own prefix: this run's cohort is not built until the recount below.
if (SCAN_REQUESTS > 0) {
  log(`${N} learners; the scan of the records (cohort not built), ${SCAN_REQUESTS} request(s) per page`);
  for (const p of pages.filter(scanned)) rows.push(await measure(`${p[0]} — scan`, p, SCAN_REQUESTS));
}
const tracker = new StatsTracker(db.conn, counters, new ContentCatalog(app.content));
if (values.recount || !(await counters.rows.indexed(COHORT))) {
  const tRecount = performance.now();
  const r = await recount({ models: db.models, conn: db.conn, counters, tracker, cohortId: COHORT, now: new Date() });
  log(`report recount (builds the kept rows): ${((performance.now() - tRecount) / 1000).toFixed(1)} s, ${r.learners} learners, ${r.marksFixed} marks written`);
}
// A listing or count without a cohort covers every stored cohort: the content's cohorts have no learner
// in this database, and are marked built empty (what their recount would write, without its scan).
for (const c of await db.models.Cohort.find({}, { _id: 1 }).lean<{ _id: string }[]>()) if (String(c._id) !== COHORT) await counters.rows.builder(String(c._id)).done();
log(`${N} learners; ${REQUESTS} requests per page, one after another`);
for (const p of pages) {
  if (scanned(p) && values.baseline) {
    // Side by side: the kept rows the way before the segment counters and the search text (the index walked), then as now.
    KeptLearners.baseline = true;
    rows.push(await measure(`${p[0]} — index walk (before)`, p, REQUESTS));
    KeptLearners.baseline = false;
  }
  rows.push(await measure(scanned(p) ? `${p[0]} — kept rows` : p[0], p, REQUESTS));
}
console.log(['| page | first request | p50 | p95 | max | requests |', '| --- | --- | --- | --- | --- | --- |', ...rows].join('\n'));
if (!values['keep-data']) await db.conn.dropDatabase();
if (!process.env.BENCH_PREFIX) {
  let cursor = '0';
  do {
    const [next, keys] = await app.redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await app.redis.unlink(...keys);
  } while (cursor !== '0');
}
await app.stop();
process.exit(0);
