/**
 * The segment counters and the search text kept beside the kept rows (rows.ts) stay exact: after a
 * random sequence of tracked changes (moves, renames, conversations added, reordered, made
 * unreachable, learners stopped and started again, statuses changed, learners created), the
 * counters equal what a direct read of the records gives, the broadcast preview equals the scan's
 * for every kind of segment the dashboard asks (everyone, a province, a commune, status and role,
 * channel), and the search equals the scan's. Counters damaged by hand and a learner deleted from
 * the records are put right by the recount.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { Redis } from 'ioredis';
import { Types } from 'mongoose';
import { AdminAccounts } from '../../src/admin/accounts.js';
import { MongoAuditLog } from '../../src/admin/audit.js';
import { registerAdminApi } from '../../src/http/admin/api.js';
import { createServer } from '../../src/http/server.js';
import { Metrics } from '../../src/metrics.js';
import { connectDatabase, type Database } from '../../src/storage/mongo.js';
import { MongoCertificateStore } from '../../src/storage/certificates.js';
import { MongoEnrolmentStore, MongoLearnerStore, enrolmentId } from '../../src/storage/stores.js';
import { MongoBroadcastStore } from '../../src/storage/broadcasts.js';
import { StatsCounters } from '../../src/admin/stats/counters.js';
import { StatsTracker, TrackedEnrolmentStore, TrackedLearnerStore } from '../../src/admin/stats/tracking.js';
import { recount } from '../../src/admin/stats/recount.js';
import { KeptLearners } from '../../src/admin/stats/kept-learners.js';
import { ContentCatalog } from '../../src/content/catalog.js';
import { BroadcastService } from '../../src/broadcasts/service.js';
import { BroadcastLive } from '../../src/broadcasts/live.js';
import type { Segment } from '../../src/core/broadcast.js';
import type { ConversationId } from '../../src/core/model.js';
import type { AdminPrincipal } from '../../src/admin/scope.js';
import { deleteKeys } from '../support/cleanup.js';
import { seededRandom, shipped, testConfig, uniqueName } from '../support/env.js';

const config = testConfig();
const BOOT = 'bootstrap-token-for-kept-counters-0123';
const prefix = uniqueName('cdscnt');
const now = new Date('2026-06-02T03:00:00Z');
const DAY = 'day-1';
const COHORT = 'dot1';
const N = 120;
const NAMES = ['Nguyễn Văn An', 'Trần Thị Đào', 'Lê Minh Đức', 'Phạm Hùng', 'Hoàng Thị Ánh', 'Đặng Quốc Việt'];
const PLACES: Record<string, string[]> = { 'Nghệ An': ['Xã Nghi Lộc', 'Xã Diễn Châu'], 'Hà Tĩnh': ['Xã Cẩm Xuyên', 'Phường Hà Huy Tập'], 'Thanh Hóa': ['Xã Đông Sơn'] };
const ROLES = ['chair', 'vice_chair', 'other'] as const;
const STATUSES = ['not_started', 'in_progress', 'completed', 'certified'] as const;

let db: Database;
let redis: Redis;
let counters: StatsCounters;
let tracker: StatsTracker;
let kept: KeptLearners;
let withRows: FastifyInstance;
let scanOnly: FastifyInstance;
const rnd = seededRandom(11);
const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd.next() * xs.length)]!;
const ids: string[] = [];

function randomConversations(k: number): ConversationId[] {
  const r = rnd.next();
  if (r < 0.15) return [];
  const all: ConversationId[] = [`telegram:${k}`, `zalo:z${k}`, `zalo:y${k}`];
  const n = 1 + Math.floor(rnd.next() * 3);
  return Array.from({ length: n }, () => pick(all)).filter((c, i, xs) => xs.indexOf(c) === i);
}

async function insertLearners(n: number): Promise<void> {
  const learners: Record<string, unknown>[] = [];
  const enrolments: Record<string, unknown>[] = [];
  for (let k = 0; k < n; k++) {
    const _id = new Types.ObjectId();
    const id = String(_id);
    const province = pick(Object.keys(PLACES));
    const conversations = randomConversations(k);
    learners.push({
      _id, conversations, unreachable: conversations.filter(() => rnd.next() < 0.2),
      profile: { fullName: `${pick(NAMES)} ${k}`, role: pick(ROLES), province, commune: pick(PLACES[province]!), phone: `0913${String(k).padStart(6, '0')}` },
      locale: 'vi', cohortId: COHORT, stopped: rnd.next() < 0.1, onboarded: true, createdAt: new Date(now.getTime() - k * 60_000), version: 1,
    });
    if (rnd.next() < 0.85) {
      enrolments.push({ _id: enrolmentId(id, COHORT), learnerId: id, cohortId: COHORT, courseId: 'cds-xa', status: pick(STATUSES), cursor: { at: 'idle' }, completedLessons: [], checkResults: {}, finalAttempts: [], lastActivityAt: new Date(now.getTime() - k * 3_600_000), version: 1 });
    }
    ids.push(id);
  }
  for (let i = 0; i < learners.length; i += 16) await db.models.Learner.collection.insertMany(learners.slice(i, i + 16) as never[]);
  for (let i = 0; i < enrolments.length; i += 16) await db.models.Enrolment.collection.insertMany(enrolments.slice(i, i + 16) as never[]);
}

/** The counters as the records say they should be: written here independently of the Lua that keeps them. */
async function countersFromRecords(): Promise<{ coarse: Record<string, string>; byCommune: Record<string, Record<string, string>> }> {
  const s = (v: unknown) => (typeof v === 'string' ? v.replace(/[\u0001-\u0005]/g, ' ') : '');
  const coarse: Record<string, number> = {};
  const byCommune: Record<string, Record<string, number>> = {};
  for (const l of await db.models.Learner.collection.find({ cohortId: COHORT }).toArray()) {
    if (l.stopped) continue;
    const e = await db.models.Enrolment.collection.findOne({ _id: enrolmentId(String(l._id), COHORT) as never });
    const convs = (l.conversations ?? []) as string[];
    const blocked = new Set((l.unreachable ?? []) as string[]);
    const reach = convs
      .map((c, i) => {
        const first = convs.indexOf(c);
        if (first < i) return `d${first + 1}`;
        const ch = c.includes(':') ? c.slice(0, c.indexOf(':')) : '';
        return `c${s(ch)}${blocked.has(c) ? '\u0003' : ''}`;
      })
      .join('\u0005');
    const p = l.profile as Record<string, unknown>;
    const field = `${s(e?.status)}\u0001${s(p.province)}\u0001${s(p.role)}\u0001${reach}`;
    coarse[field] = (coarse[field] ?? 0) + 1;
    const c = (byCommune[s(p.commune)] ??= {});
    c[field] = (c[field] ?? 0) + 1;
  }
  const str = (o: Record<string, number>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, String(v)]));
  return { coarse: str(coarse), byCommune: Object.fromEntries(Object.entries(byCommune).map(([c, o]) => [c, str(o)])) };
}

/** The communes' counters as Redis holds them (those left empty are left out). */
async function communeCounters(): Promise<Record<string, Record<string, string>>> {
  const out: Record<string, Record<string, string>> = {};
  for (const c of await redis.smembers(counters.rows.communesKey(COHORT))) {
    const h = await redis.hgetall(counters.rows.communeCountersKey(COHORT, c));
    if (Object.keys(h).length) out[c] = h;
  }
  return out;
}

async function expectCountersExact(): Promise<void> {
  const want = await countersFromRecords();
  expect(await redis.hgetall(counters.rows.countersKey(COHORT))).toEqual(want.coarse);
  expect(await communeCounters()).toEqual(want.byCommune);
}

const ministry: AdminPrincipal = { id: 'm', name: 'm', scope: { kind: 'ministry' } };
const coordinator: AdminPrincipal = { id: 'p', name: 'p', scope: { kind: 'province', province: 'Nghệ An' } };
const SEGMENTS: Segment[] = [
  {},
  { province: 'Nghệ An' },
  { province: 'Hà Tĩnh', commune: 'Phường Hà Huy Tập' },
  { commune: 'Xã Nghi Lộc', status: 'certified' },
  { province: 'Nghệ An', status: 'in_progress', role: 'chair' },
  { status: 'not_started' },
  { role: 'other' },
  { channel: 'zalo' },
  { channel: 'telegram', province: 'Thanh Hóa' },
  { cohort: COHORT, commune: 'Xã Đông Sơn', channel: 'zalo' },
];

function service(withKept: boolean, channels: ('telegram' | 'zalo')[]) {
  return new BroadcastService({
    store: new MongoBroadcastStore(db.conn),
    live: new BroadcastLive(redis, prefix),
    audit: { record: async () => undefined },
    clock: { now: () => now },
    channels,
    kick: async () => undefined,
    budget: { redis, prefix, perDay: 1, day: () => DAY },
    ...(withKept ? { kept: { learners: kept, cohorts: async () => [COHORT] } } : {}),
  });
}

async function expectPreviewsExact(): Promise<void> {
  const counted = vi.spyOn(redis as unknown as { cdsRowsCountCounted: () => unknown }, 'cdsRowsCountCounted');
  for (const channels of [['telegram', 'zalo'], ['zalo'], ['telegram']] as ('telegram' | 'zalo')[][]) {
    for (const who of [ministry, coordinator]) {
      for (const s of SEGMENTS) {
        if (who === coordinator && s.province !== undefined && s.province !== 'Nghệ An') continue;
        expect(await service(true, channels).preview(who, s), `${who.id} ${channels} ${JSON.stringify(s)}`).toEqual(await service(false, channels).preview(who, s));
      }
    }
  }
  // Answered from the counters, not by walking the index.
  expect(counted).toHaveBeenCalled();
  counted.mockRestore();
}

/** Every page of a listing, sorted by id (the kept rows page in their own order). */
async function listing(server: FastifyInstance, query: string, limit: number): Promise<string[]> {
  const out: string[] = [];
  let after: string | null = null;
  for (let pages = 0; pages < 200; pages++) {
    const res = await server.inject({ method: 'GET', url: `/admin/api/learners?limit=${limit}&${query}${after ? `&after=${encodeURIComponent(after)}` : ''}`, headers: { authorization: `Bearer ${BOOT}` } });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json() as { learners: { id: string }[]; next: string | null };
    out.push(...body.learners.map((l) => l.id));
    after = body.next;
    if (!after) break;
  }
  return out.sort();
}

async function expectSearchExact(): Promise<void> {
  const searched = vi.spyOn(redis as unknown as { cdsRowsSearch: () => unknown }, 'cdsRowsSearch');
  const e = encodeURIComponent;
  for (const q of ['q=an', `q=${e('Đào')}`, 'q=van%20an%201', 'q=0913000', `q=${e('xã nghi')}&status=certified`, `q=${e('hùng')}&province=${e('Hà Tĩnh')}`, `q=${e('Đức')}&commune=${e('Xã Đông Sơn')}&role=chair`, 'q=zzz', 'q=%5Cn', 'status=certified', `province=${e('Hà Tĩnh')}&role=chair`, `commune=${e('Xã Nghi Lộc')}`, 'status=in_progress&role=other', `province=${e('Nghệ An')}&status=completed&role=vice_chair`]) {
    for (const limit of [7, 100]) expect(await listing(withRows, q, limit), `${q} by ${limit}`).toEqual(await listing(scanOnly, q, limit));
  }
  expect(searched).toHaveBeenCalled();
  searched.mockRestore();
}

beforeAll(async () => {
  db = await connectDatabase(config.MONGODB_URL);
  redis = new Redis(config.REDIS_URL);
  counters = new StatsCounters({ conn: db.conn, redis, prefix, clock: { now: () => now }, timezone: 'Asia/Ho_Chi_Minh' });
  tracker = new StatsTracker(db.conn, counters, new ContentCatalog(shipped()));
  kept = new KeptLearners(redis, counters.rows);
  await insertLearners(N);
  await recount({ models: db.models, conn: db.conn, counters, tracker, cohortId: COHORT, now });
  const accounts = new AdminAccounts(db.conn, { bootstrapToken: BOOT, provinces: Object.keys(PLACES) });
  const deps = (withKept: boolean) => ({
    accounts,
    audit: new MongoAuditLog(db.conn),
    models: db.models,
    certificates: new MongoCertificateStore(db.conn, { serialPrefix: 'CĐS-XA', timezone: 'Asia/Ho_Chi_Minh' }),
    courses: new Set(shipped().courses.keys()),
    timezone: 'Asia/Ho_Chi_Minh',
    ...(withKept ? { kept: { learners: kept, cohorts: async () => [COHORT] } } : {}),
  });
  for (const [which, d] of [[true, deps(true)], [false, deps(false)]] as const) {
    const s = createServer({ metrics: new Metrics(false), logger: pino({ level: 'silent' }), checks: {} });
    await registerAdminApi(s, d);
    await s.ready();
    if (which) withRows = s;
    else scanOnly = s;
  }
  // Some Zalo conversations have spent the day's budget.
  for (let k = 0; k < N; k += 3) await redis.hset(`${prefix}:unprompted:zalo:zalo:z${k}:${DAY}`, 'x', '1');
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

describe('the segment counters and the search text beside the kept rows', () => {
  it('should be exact after the recount', async () => {
    expect(await kept.servable([COHORT])).toBe(true);
    await expectCountersExact();
    await expectPreviewsExact();
    const everyone = await service(true, ['telegram', 'zalo']).preview(ministry, {});
    expect(everyone.heldByBudget).toBeGreaterThan(0);
    expect(everyone.unreachable).toBeGreaterThan(0);
    await expectSearchExact();
  });

  it('should stay exact through a random sequence of tracked changes', async () => {
    const learners = new TrackedLearnerStore(new MongoLearnerStore(db.models), tracker);
    const enrolments = new TrackedEnrolmentStore(new MongoEnrolmentStore(db.models), tracker);
    for (let step = 0; step < 150; step++) {
      const r = rnd.next();
      if (r < 0.12) {
        const k = N + step;
        const province = pick(Object.keys(PLACES));
        const fresh = await learners.create({ conversations: randomConversations(k), unreachable: [], profile: { fullName: `${pick(NAMES)} mới ${k}`, role: pick(ROLES), province, commune: pick(PLACES[province]!) }, locale: 'vi', cohortId: COHORT, stopped: false, onboarded: true, createdAt: now });
        ids.push(fresh.id);
        if (rnd.next() < 0.7) await enrolments.ensure({ learnerId: fresh.id, cohortId: COHORT, courseId: 'cds-xa', status: 'not_started', cursor: { at: 'idle' }, completedLessons: [], checkResults: {}, finalAttempts: [], lastActivityAt: now });
        continue;
      }
      const id = pick(ids);
      if (r < 0.55) {
        const l = (await learners.findById(id))!;
        const province = rnd.next() < 0.3 ? pick(Object.keys(PLACES)) : (l.profile.province ?? 'Nghệ An');
        const conversations = rnd.next() < 0.4 ? randomConversations(ids.indexOf(id)) : rnd.next() < 0.5 ? [...l.conversations].reverse() : l.conversations;
        await learners.save({
          ...l,
          conversations,
          unreachable: rnd.next() < 0.4 ? conversations.filter(() => rnd.next() < 0.4) : l.unreachable,
          stopped: rnd.next() < 0.15 ? !l.stopped : l.stopped,
          profile: { ...l.profile, province, commune: province === l.profile.province && rnd.next() < 0.7 ? l.profile.commune : pick(PLACES[province]!), role: rnd.next() < 0.2 ? pick(ROLES) : l.profile.role, ...(rnd.next() < 0.2 ? { fullName: `${pick(NAMES)} đổi ${step}` } : {}) },
        });
      } else {
        const e = await enrolments.find(id, COHORT);
        if (!e) continue;
        await enrolments.save({ ...e, status: pick(STATUSES), lastActivityAt: new Date(now.getTime() - step * 60_000) });
      }
    }
    await expectCountersExact();
    await expectPreviewsExact();
    await expectSearchExact();
  });

  it('should be rebuilt exact by the recount: counters damaged by hand, a learner gone from the records', async () => {
    const key = counters.rows.countersKey(COHORT);
    const [field] = Object.keys(await redis.hgetall(key));
    await redis.hincrby(key, field!, 5);
    await redis.hset(key, 'certified\u0001Nghệ An\u0001chair\u0001ctelegram', '40');
    const commune = counters.rows.communeCountersKey(COHORT, 'Xã Đông Sơn');
    await redis.hdel(commune, ...Object.keys(await redis.hgetall(commune)).slice(0, 2));
    await redis.hset(counters.rows.searchKey(COHORT), '7', 'an\u0002000000000000000000000000\n');
    const gone = ids[0]!;
    await db.models.Learner.collection.deleteOne({ _id: new Types.ObjectId(gone) });
    await expect(expectCountersExact()).rejects.toThrow();
    // The preview reads the counters: damaged, it no longer agrees with the scan.
    expect(await service(true, ['telegram', 'zalo']).preview(ministry, { status: 'certified' })).not.toEqual(await service(false, ['telegram', 'zalo']).preview(ministry, { status: 'certified' }));
    await recount({ models: db.models, conn: db.conn, counters, tracker, cohortId: COHORT, now });
    await expectCountersExact();
    expect(await redis.hget(counters.rows.key(COHORT), gone)).toBeNull();
    await expectPreviewsExact();
    await expectSearchExact();
  });
});
