/**
 * The learner listing and the broadcast preview served from the kept rows (Redis) answer exactly
 * what the scan of the records answers: a randomised population in two built cohorts (names with
 * diacritics, statuses, roles, provinces, channels, some stopped or unreachable, some never
 * enrolled), searched with and without accents, as a ministry and as a province account, after
 * live tracked changes, with a row written before the search keys existed, and with a cohort
 * never built (the scan then).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { Redis } from 'ioredis';
import { Types } from 'mongoose';
import { AdminAccounts } from '../../src/admin/accounts.js';
import { MongoAuditLog } from '../../src/admin/audit.js';
import { registerAdminApi, type AdminApiDeps } from '../../src/http/admin/api.js';
import { createServer } from '../../src/http/server.js';
import { Metrics } from '../../src/metrics.js';
import { connectDatabase, type Database } from '../../src/storage/mongo.js';
import { MongoCertificateStore } from '../../src/storage/certificates.js';
import { MongoEnrolmentStore, MongoLearnerStore } from '../../src/storage/stores.js';
import { MongoBroadcastStore } from '../../src/storage/broadcasts.js';
import { StatsCounters } from '../../src/admin/stats/counters.js';
import { StatsTracker, TrackedEnrolmentStore, TrackedLearnerStore } from '../../src/admin/stats/tracking.js';
import { recount } from '../../src/admin/stats/recount.js';
import { KeptLearners } from '../../src/admin/stats/kept-learners.js';
import { ContentCatalog } from '../../src/content/catalog.js';
import { BroadcastService } from '../../src/broadcasts/service.js';
import { BroadcastLive } from '../../src/broadcasts/live.js';
import type { Segment } from '../../src/core/broadcast.js';
import type { AdminPrincipal } from '../../src/admin/scope.js';
import { deleteKeys } from '../support/cleanup.js';
import { seededRandom, shipped, testConfig, uniqueName } from '../support/env.js';

const config = testConfig();
const BOOT = 'bootstrap-token-for-kept-learners-0123';
const prefix = uniqueName('cdskept');
const now = new Date('2026-06-02T03:00:00Z');
const DAY = 'day-1';
const N = 200;
const NAMES = ['Nguyễn Văn An', 'Trần Thị Đào', 'Lê Minh Đức', 'Phạm Hùng', 'Hoàng Thị Ánh', 'Đặng Quốc Việt', 'Vũ Ngọc Hà', 'Bùi Thu Hương'];
const PLACES: Record<string, string[]> = { 'Nghệ An': ['Xã Nghi Lộc', 'Xã Diễn Châu'], 'Hà Tĩnh': ['Xã Cẩm Xuyên', 'Phường Hà Huy Tập'], 'Thanh Hóa': ['Xã Đông Sơn'] };
const ROLES = ['chair', 'vice_chair', 'core_staff', 'other'];
const STATUSES = ['not_started', 'in_progress', 'completed', 'certified'];

let db: Database;
let redis: Redis;
let counters: StatsCounters;
let tracker: StatsTracker;
let kept: KeptLearners;
let withRows: FastifyInstance;
let scanOnly: FastifyInstance;
const tokens: Record<string, string> = {};
const ids: string[] = [];
let cohorts = ['dot1', 'dot2'];

async function insertLearners(n: number, cohortFor: (i: number) => string, seed: number): Promise<void> {
  const rnd = seededRandom(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd.next() * xs.length)]!;
  for (let i = 0; i < n; i += 16) {
    const learners: Record<string, unknown>[] = [];
    const enrolments: Record<string, unknown>[] = [];
    for (let k = i; k < Math.min(n, i + 16); k++) {
      const _id = new Types.ObjectId();
      const id = String(_id);
      const province = pick(Object.keys(PLACES));
      const r = rnd.next();
      const conversations = r < 0.4 ? [`telegram:${seed}${k}`] : r < 0.7 ? [`zalo:z${seed}${k}`] : r < 0.85 ? [`zalo:z${seed}${k}`, `telegram:${seed}${k}`] : [];
      const named = rnd.next() < 0.9;
      const profile = {
        ...(named ? { fullName: `${pick(NAMES)} ${k}` } : {}),
        role: pick(ROLES),
        province,
        ...(rnd.next() < 0.3 ? { district: 'Huyện Một' } : {}),
        commune: pick(PLACES[province]!),
        ...(rnd.next() < 0.8 ? { phone: `0912${String(seed * 1000 + k).padStart(6, '0')}` } : {}),
      };
      const cohortId = cohortFor(k);
      learners.push({
        _id, conversations, unreachable: conversations.length && rnd.next() < 0.15 ? [conversations[0]] : [], profile, locale: rnd.next() < 0.9 ? 'vi' : 'en', cohortId,
        stopped: rnd.next() < 0.08, onboarded: named, createdAt: new Date(now.getTime() - k * 60_000), version: 1,
      });
      if (named && rnd.next() < 0.85) {
        enrolments.push({
          _id: `${id}|${cohortId}`, learnerId: id, cohortId, courseId: 'cds-xa', status: pick(STATUSES), cursor: { at: 'idle' }, completedLessons: [], checkResults: {}, finalAttempts: [],
          lastActivityAt: new Date(now.getTime() - Math.floor(rnd.next() * 10) * 86_400_000 - 3_600_000), version: 1,
        });
      }
      ids.push(id);
    }
    await db.models.Learner.collection.insertMany(learners as never[]);
    if (enrolments.length) await db.models.Enrolment.collection.insertMany(enrolments as never[]);
  }
}

function call(server: FastifyInstance, url: string, who: string) {
  return server.inject({ method: 'GET', url, headers: { authorization: `Bearer ${tokens[who]}` } });
}

/** Every page of a listing, followed by its `next`, sorted by id (the kept rows page in the hash's order). */
async function all(server: FastifyInstance, query: string, who = 'ministry', limit = 100): Promise<{ id: string }[]> {
  const out: { id: string }[] = [];
  let after: string | null = null;
  for (let pages = 0; pages < 500; pages++) {
    const res = await call(server, `/admin/api/learners?limit=${limit}${query ? `&${query}` : ''}${after ? `&after=${encodeURIComponent(after)}` : ''}`, who);
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json() as { learners: { id: string }[]; next: string | null };
    out.push(...body.learners);
    after = body.next;
    if (!after) break;
  }
  return out.sort((a, b) => a.id.localeCompare(b.id));
}

const e = encodeURIComponent;
const QUERIES = [
  '',
  'cohort=dot1',
  'cohort=dot2&status=certified',
  `province=${e('Nghệ An')}`,
  `commune=${e('Xã Nghi Lộc'.normalize('NFD'))}`,
  'role=vice_chair&status=in_progress',
  `q=${e('Đào')}`,
  'q=dao',
  `q=${e('ĐỨC')}`,
  `q=${e('nghi loc')}&status=completed`,
  `q=${e('hà')}&cohort=dot1`,
  'q=091200701',
  'q=0912%5B*%3F',
];

async function expectSame(who: string, queries = QUERIES, limit = 100): Promise<void> {
  for (const q of queries) expect(await all(withRows, q, who, limit), `${who}: ${q}`).toEqual(await all(scanOnly, q, who, limit));
}

function apiDeps(accounts: AdminAccounts, withKept: boolean): AdminApiDeps {
  return {
    accounts,
    audit: new MongoAuditLog(db.conn),
    models: db.models,
    certificates: new MongoCertificateStore(db.conn, { serialPrefix: 'CĐS-XA', timezone: 'Asia/Ho_Chi_Minh' }),
    courses: new Set(shipped().courses.keys()),
    timezone: 'Asia/Ho_Chi_Minh',
    ...(withKept ? { kept: { learners: kept, cohorts: async () => cohorts } } : {}),
  };
}

async function server(deps: AdminApiDeps): Promise<FastifyInstance> {
  const s = createServer({ metrics: new Metrics(false), logger: pino({ level: 'silent' }), checks: {} });
  await registerAdminApi(s, deps);
  await s.ready();
  return s;
}

beforeAll(async () => {
  db = await connectDatabase(config.MONGODB_URL);
  redis = new Redis(config.REDIS_URL);
  const clock = { now: () => now };
  counters = new StatsCounters({ conn: db.conn, redis, prefix, clock, timezone: 'Asia/Ho_Chi_Minh' });
  tracker = new StatsTracker(db.conn, counters, new ContentCatalog(shipped()));
  kept = new KeptLearners(redis, counters.rows);
  await insertLearners(N, (i) => (i % 4 === 0 ? 'dot2' : 'dot1'), 7);
  for (const cohortId of cohorts) await recount({ models: db.models, conn: db.conn, counters, tracker, cohortId, now });
  const accounts = new AdminAccounts(db.conn, { bootstrapToken: BOOT, provinces: Object.keys(PLACES) });
  withRows = await server(apiDeps(accounts, true));
  scanOnly = await server(apiDeps(accounts, false));
  tokens.ministry = BOOT;
  tokens.province = (await accounts.add({ name: 'Sở Nghệ An', scope: 'province:Nghệ An' })).token;
}, 120_000);
afterAll(async () => {
  await withRows?.close();
  await scanOnly?.close();
  await counters?.close();
  await deleteKeys(redis, prefix);
  await redis.quit();
  await db.conn.dropDatabase();
  await db.close();
});

describe('the learner listing from the kept rows', () => {
  it('should list exactly what the scan lists, for every filter and search, a page at a time', async () => {
    const list = vi.spyOn(kept, 'list');
    await expectSame('ministry');
    // Short pages: a page cut inside one HSCAN step goes on from the same step.
    await expectSame('ministry', [`province=${e('Hà Tĩnh')}`, 'q=an'], 9);
    expect(list).toHaveBeenCalled();
    expect((await all(withRows, '', 'ministry')).length).toBe(N);
    list.mockRestore();
  });

  it("should keep a province account to its province, and refuse another's", async () => {
    await expectSame('province');
    expect((await all(withRows, '', 'province')).every((l) => (l as unknown as { profile: { province: string } }).profile.province === 'Nghệ An')).toBe(true);
    expect((await call(withRows, `/admin/api/learners?province=${e('Hà Tĩnh')}`, 'province')).statusCode).toBe(403);
  });

  it('should follow live tracked changes: a learner renamed and moved, an enrolment saved, a learner and an enrolment created', async () => {
    const learners = new TrackedLearnerStore(new MongoLearnerStore(db.models), tracker);
    const enrolments = new TrackedEnrolmentStore(new MongoEnrolmentStore(db.models), tracker);
    const someone = (await learners.findById(ids[5]!))!;
    await learners.save({ ...someone, profile: { ...someone.profile, fullName: 'Ngô Thị Đào Mới', province: 'Hà Tĩnh', commune: 'Xã Cẩm Xuyên' }, conversations: ['zalo:moved'], stopped: false });
    const enrolled = await db.models.Enrolment.collection.findOne({ cohortId: 'dot1', status: 'in_progress' });
    const e1 = (await enrolments.find(String(enrolled!.learnerId), String(enrolled!.cohortId)))!;
    await enrolments.save({ ...e1, status: 'certified', lastActivityAt: new Date(now.getTime() - 9 * 86_400_000) });
    const fresh = await learners.create({ conversations: ['telegram:fresh'], unreachable: [], profile: { fullName: 'Đoàn Văn Mới', role: 'chair', province: 'Nghệ An', commune: 'Xã Nghi Lộc' }, locale: 'vi', cohortId: 'dot1', stopped: false, onboarded: true, createdAt: now });
    await enrolments.ensure({ learnerId: fresh.id, cohortId: 'dot1', courseId: 'cds-xa', status: 'not_started', cursor: { at: 'idle' }, completedLessons: [], checkResults: {}, finalAttempts: [], lastActivityAt: now });
    await expectSame('ministry', ['', 'q=moi', `province=${e('Hà Tĩnh')}`, 'status=certified', 'status=not_started']);
    await expectSame('province', ['', 'q=doan']);
    expect((await all(withRows, 'q=doan%20van%20moi')).map((l) => (l as unknown as { status: string }).status)).toEqual(['not_started']);
  });

  it('should decide from the records a row written before the search keys existed', async () => {
    const key = counters.rows.key('dot1');
    const id = ids.filter((_, i) => i % 4 !== 0 && i !== 5)[3]!;
    const doc = await db.models.Learner.collection.findOne({ _id: new Types.ObjectId(id) });
    const raw = JSON.parse((await redis.hget(key, id))!);
    // The learner part as it was written before (no district, locale, conversations, search keys…).
    const { fullName, role, province, commune, phone } = doc!.profile;
    raw.l = { fullName: fullName ?? null, role: role ?? null, province: province ?? null, commune: commune ?? null, phone: phone ?? null, onboarded: doc!.onboarded, started: doc!.conversations.length > 0, joinedAt: doc!.createdAt.toISOString() };
    await redis.hset(key, id, JSON.stringify(raw));
    await expectSame('ministry', ['', 'cohort=dot1', `q=${e((fullName ?? '').slice(0, 6))}`, `province=${e(province)}`]);
  });

  it('should scan while a cohort is not built, and refuse a kept cursor then; read the rows once it is built', async () => {
    await insertLearners(40, () => 'dot3', 9);
    cohorts = ['dot1', 'dot2', 'dot3'];
    const list = vi.spyOn(kept, 'list');
    await expectSame('ministry', ['cohort=dot3', '', 'q=dao']);
    expect(list).not.toHaveBeenCalled();
    list.mockRestore();
    const first = (await call(withRows, '/admin/api/learners?cohort=dot1&limit=3', 'ministry')).json();
    expect(first.next).toMatch(/^k/);
    expect((await call(withRows, `/admin/api/learners?limit=3&after=${first.next}`, 'ministry')).statusCode).toBe(409);
    expect((await call(withRows, '/admin/api/learners?after=kAAAA', 'ministry')).statusCode).toBe(400);
    await recount({ models: db.models, conn: db.conn, counters, tracker, cohortId: 'dot3', now });
    const again = vi.spyOn(kept, 'list');
    await expectSame('ministry', ['cohort=dot3', '', 'q=dao']);
    expect(again).toHaveBeenCalled();
    again.mockRestore();
  });
});

describe('the broadcast preview from the kept rows', () => {
  const SEGMENTS: Segment[] = [
    {},
    { province: 'Nghệ An' },
    { province: 'Hà Tĩnh', commune: 'Xã Cẩm Xuyên' },
    { role: 'vice_chair', status: 'in_progress' },
    { cohort: 'dot2', status: 'completed' },
    { channel: 'zalo' },
    { channel: 'telegram', role: 'chair' },
    { cohort: 'dot1', inactiveDays: 3 },
    { inactiveDays: 5, status: 'not_started' },
  ];
  const ministry: AdminPrincipal = { id: 'm', name: 'm', scope: { kind: 'ministry' } };
  const coordinator: AdminPrincipal = { id: 'p', name: 'p', scope: { kind: 'province', province: 'Nghệ An' } };

  function service(withKept: boolean, channels: ('telegram' | 'zalo')[]) {
    return new BroadcastService({
      store: new MongoBroadcastStore(db.conn),
      live: new BroadcastLive(redis, prefix),
      audit: { record: async () => undefined },
      clock: { now: () => now },
      channels,
      kick: async () => undefined,
      budget: { redis, prefix, perDay: 1, day: () => DAY },
      ...(withKept ? { kept: { learners: kept, cohorts: async () => cohorts } } : {}),
    });
  }

  it('should count exactly what the scan counts, held by the Zalo budget included, for a ministry and a province account', async () => {
    // A few Zalo conversations have spent the day's budget.
    for (const [i, id] of ids.slice(0, 120).entries()) {
      const l = await db.models.Learner.collection.findOne({ _id: new Types.ObjectId(id) });
      for (const c of (l?.conversations ?? []) as string[]) if (c.startsWith('zalo:') && i % 2 === 0) await redis.hset(`${prefix}:unprompted:zalo:${c}:${DAY}`, 'x', '1');
    }
    const count = vi.spyOn(kept, 'count');
    for (const channels of [['telegram', 'zalo'], ['zalo']] as ('telegram' | 'zalo')[][]) {
      for (const who of [ministry, coordinator]) {
        for (const s of SEGMENTS) {
          if (who === coordinator && s.province !== undefined && s.province !== 'Nghệ An') continue;
          const got = await service(true, channels).preview(who, s);
          expect(got, `${who.id} ${channels} ${JSON.stringify(s)}`).toEqual(await service(false, channels).preview(who, s));
        }
      }
    }
    expect(count).toHaveBeenCalled();
    const everyone = await service(true, ['telegram', 'zalo']).preview(ministry, {});
    expect(everyone.targeted).toBeGreaterThan(N / 2);
    expect(everyone.heldByBudget).toBeGreaterThan(0);
    count.mockRestore();
  });
});
