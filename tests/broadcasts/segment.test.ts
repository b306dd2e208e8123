/**
 * Segment correctness: a randomised population, and for each segment the learners the broadcast
 * planner streams and keeps are exactly those a direct query over the same data selects.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { seededRandom, testConfig, uniqueName } from '../support/env.js';
import { connectDatabase, type Database } from '../../src/storage/mongo.js';
import { MongoBroadcastStore } from '../../src/storage/broadcasts.js';
import { inSegment, needsEnrolment, type Segment } from '../../src/core/broadcast.js';
import { BroadcastService } from '../../src/broadcasts/service.js';
import { BroadcastLive } from '../../src/broadcasts/live.js';
import { deleteKeys } from '../support/cleanup.js';
import { seed, selects, type Seeded, type SeedInput } from './population.js';
import type { ConversationId, EnrolmentStatus, Role } from '../../src/core/model.js';

const N = Number(process.env.SEGMENT_LEARNERS ?? 1000);
const config = testConfig();
const now = new Date('2026-06-02T03:00:00Z');
const prefix = uniqueName('cdsseg');
let db: Database;
let redis: Redis;
let people: Seeded[];
let store: MongoBroadcastStore;

const PROVINCES = ['Nghệ An', 'Hà Tĩnh', 'Thanh Hoá', 'Quảng Trị'];
const COMMUNES = ['Xã A', 'Xã B', 'Xã C'];
const ROLES: Role[] = ['chair', 'vice_chair', 'core_staff', 'other'];
const STATUSES: EnrolmentStatus[] = ['not_started', 'in_progress', 'completed', 'certified'];

beforeAll(async () => {
  db = await connectDatabase(config.MONGODB_URL);
  redis = new Redis(config.REDIS_URL);
  store = new MongoBroadcastStore(db.conn);
  const rnd = seededRandom(1405);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd.next() * xs.length)]!;
  const list: SeedInput[] = Array.from({ length: N }, (_, i) => {
    const r = rnd.next();
    const conversations: ConversationId[] = r < 0.5 ? [`telegram:${i}`] : r < 0.85 ? [`zalo:z${i}`] : r < 0.95 ? [`telegram:${i}`, `zalo:z${i}`] : [];
    return {
      conversations,
      unreachable: conversations.length && rnd.next() < 0.05 ? [conversations[0]!] : [],
      province: pick(PROVINCES),
      commune: pick(COMMUNES),
      role: pick(ROLES),
      status: pick(STATUSES),
      cohortId: rnd.next() < 0.8 ? 'demo' : 'xa-2022',
      stopped: rnd.next() < 0.05,
      locale: rnd.next() < 0.9 ? 'vi' : 'en',
      lastActivityAt: new Date(now.getTime() - Math.floor(rnd.next() * 10) * 86_400_000 - 3_600_000),
    };
  });
  people = await seed(db.conn, list, now);
}, 120_000);
afterAll(async () => {
  await deleteKeys(redis, prefix);
  await redis.quit();
  await db.conn.dropDatabase();
  await db.close();
});

const SEGMENTS: Segment[] = [
  {},
  { province: 'Nghệ An' },
  { province: 'Hà Tĩnh', commune: 'Xã B' },
  { role: 'vice_chair', status: 'in_progress' },
  { cohort: 'xa-2022', status: 'completed' },
  { channel: 'telegram', province: 'Quảng Trị', role: 'chair' },
  { cohort: 'demo', inactiveDays: 3, status: 'not_started' },
];

describe('a broadcast segment', () => {
  it.each(SEGMENTS.map((s) => [JSON.stringify(s), s] as const))('should select exactly the learners a direct query selects: %s', async (_, segment) => {
    const streamed: string[] = [];
    for await (const { rows } of store.recipients(segment, 0, 300, needsEnrolment(segment, now))) for (const r of rows) if (inSegment(r, segment, now)) streamed.push(r.learnerId);
    const expected = people.filter((l) => selects(l, segment, now)).map((l) => l.id);
    expect(streamed.sort()).toEqual(expected.sort());
  });

  it('should preview per channel and province, counting the unreachable', async () => {
    const service = new BroadcastService({ store, live: new BroadcastLive(redis, prefix), audit: { record: async () => undefined }, clock: { now: () => now }, channels: ['telegram', 'zalo'], kick: async () => undefined });
    const p = await service.preview({ id: 'm', name: 'm', scope: { kind: 'ministry' } }, { province: 'Nghệ An' });
    const chosen = people.filter((l) => selects(l, { province: 'Nghệ An' }, now));
    const reachable = chosen.filter((l) => l.conversations.some((c) => !l.unreachable.includes(c)));
    expect(p.targeted).toBe(chosen.length);
    expect(p.unreachable).toBe(chosen.length - reachable.length);
    expect((p.byChannel.telegram ?? 0) + (p.byChannel.zalo ?? 0)).toBe(reachable.length);
    expect(p.byProvince).toEqual({ 'Nghệ An': chosen.length });
  });
});
