import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { parse } from 'csv-parse/sync';
import { useEngine, ROOT } from '../../support/env.js';
import { serveAdminRoutes, as } from '../../support/admin-routes.js';
import { createTranslator } from '../../../src/i18n/index.js';
import { ContentCatalog } from '../../../src/content/catalog.js';
import { MongoCohortStore, MongoEnrolmentStore } from '../../../src/storage/stores.js';
import { statsRoutes } from '../../../src/admin/stats/routes.js';
import { QuestionAnalysis } from '../../../src/admin/stats/questions.js';
import type { Delta } from '../../../src/admin/stats/facts.js';
import { miniContent, useStats } from './support.js';

const h = useEngine({ content: miniContent(), courseId: 'mini' });
const s = useStats(h);
let app: FastifyInstance;

function d(province: string, commune: string, metric: Delta['metric'], n: number, role = 'chair'): Delta {
  return { province, commune, role, metric, n };
}

async function learner(p: { name: string; province: string; commune: string; onboarded: boolean; status?: string; lessons?: string[]; score?: number }) {
  const doc = await h.db.models.Learner.create({ conversations: [], unreachable: [], profile: { fullName: p.name, role: 'chair', province: p.province, commune: p.commune }, locale: 'vi', cohortId: 'demo', onboarded: p.onboarded, stopped: false, createdAt: new Date('2026-05-06T03:00:00Z') });
  if (!p.onboarded) return String(doc._id);
  const store = new MongoEnrolmentStore(h.db.models, h.cache);
  const e = await store.ensure({ learnerId: String(doc._id), cohortId: 'demo', courseId: 'mini', status: 'not_started', cursor: { at: 'idle' }, completedLessons: [], checkResults: {}, finalAttempts: [], lastActivityAt: new Date('2026-05-07T03:00:00Z') });
  const attempts = p.score === undefined ? [] : [{ n: 1, questionIds: [], correct: 1, answered: 2, startedAt: new Date(), finishedAt: new Date(), scorePercent: p.score, passed: p.score >= 50 }];
  await store.save({ ...e, status: (p.status ?? 'in_progress') as never, completedLessons: p.lessons ?? [], finalAttempts: attempts });
  return String(doc._id);
}

beforeAll(async () => {
  await s.counters.apply('demo', [d('Nghệ An', 'Xã Diễn Châu', 'invited', 10), d('Nghệ An', 'Xã Diễn Châu', 'started', 6), d('Nghệ An', 'Xã Diễn Châu', 'status:in_progress', 6), d('Nghệ An', 'Xã Nghi Lộc', 'invited', 4), d('Hà Nội', 'Phường Ba Đình', 'invited', 5), d('Hà Nội', 'Phường Ba Đình', 'started', 5, 'vice_chair'), d('Hà Nội', 'Phường Ba Đình', 'certified', 2, 'vice_chair')], 'seed-1');
  await s.counters.apply('demo', [d('Nghệ An', 'Xã Diễn Châu', 'invited', 10)], 'seed-1'); // the same op again: skipped
  await learner({ name: 'Nguyễn Văn An', province: 'Nghệ An', commune: 'Xã Diễn Châu', onboarded: true, status: 'certified', lessons: ['a-l01', 'a-l02'], score: 100 });
  await learner({ name: '=HYPERLINK("http://evil","x")', province: 'Nghệ An', commune: 'Xã Nghi Lộc', onboarded: false });
  await learner({ name: 'Trần Thị Bình', province: 'Hà Nội', commune: 'Phường Ba Đình', onboarded: true, lessons: ['a-l01'] });
  const i18n = await createTranslator(resolve(ROOT, 'locales'), 'vi');
  const catalog = new ContentCatalog(h.content);
  const cohorts = new MongoCohortStore(h.db.models);
  const questions = new QuestionAnalysis({ models: h.db.models, cohorts, catalog, clock: h.clock });
  app = await serveAdminRoutes(statsRoutes({ models: h.db.models, counters: s.counters, cohorts, catalog, i18n, clock: h.clock, questions, defaultLocale: 'vi' }));
});
afterAll(async () => {
  await app?.close();
});

const get = (url: string, scope: Parameters<typeof as>[0] = 'ministry') => app.inject({ method: 'GET', url: `/admin/api${url}`, headers: as(scope) });

describe('GET /admin/api/stats', () => {
  it('should give the ministry the funnel, statuses, roles and provinces of a cohort, each op counted once', async () => {
    const res = await get('/stats?cohort=demo');
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.totals).toMatchObject({ invited: 19, started: 11, certified: 2, invitedNotStarted: 8 });
    expect(body.funnel[1]).toEqual({ step: 'started', n: 11, percentOfPrevious: 57.9 });
    expect(body.byStatus).toMatchObject({ in_progress: 6 });
    expect(body.byRole.map((r: { role: string }) => r.role)).toEqual(['chair', 'vice_chair']);
    expect(body.breakdown.level).toBe('province');
    expect(body.breakdown.rows.find((r: { name: string }) => r.name === 'Nghệ An')).toMatchObject({ invited: 14, started: 6, startedPercent: 42.9 });
    expect(body.daily.length).toBe(1);
    expect(body.cohort.daysLeft).toBeGreaterThan(0);
  });

  it('should drill down from a province to its communes and list those where nobody started', async () => {
    const body = (await get('/stats?cohort=demo&province=' + encodeURIComponent('Nghệ An'))).json();
    expect(body.breakdown).toMatchObject({ level: 'commune' });
    expect(body.breakdown.rows.map((r: { name: string }) => r.name)).toEqual(['Xã Diễn Châu', 'Xã Nghi Lộc']);
    expect(body.communesNotStarted).toEqual(['Xã Nghi Lộc']);
    const commune = (await get('/stats?cohort=demo&province=' + encodeURIComponent('Nghệ An') + '&commune=' + encodeURIComponent('Xã Diễn Châu'))).json();
    expect(commune.totals).toMatchObject({ invited: 10, started: 6 });
  });

  it('should give a province account its own province and refuse another with 403', async () => {
    const own = await get('/stats?cohort=demo', 'province:Nghệ An');
    expect(own.json()).toMatchObject({ province: 'Nghệ An', totals: { invited: 14 } });
    const other = await get('/stats?cohort=demo&province=' + encodeURIComponent('Hà Nội'), 'province:Nghệ An');
    expect(other.statusCode).toBe(403);
  });

  it('should answer bad input with 400 or 404 and a reason', async () => {
    expect((await get('/stats')).statusCode).toBe(400);
    expect((await get('/stats?cohort=' + encodeURIComponent('{"$gt":""}'))).statusCode).toBe(400);
    expect((await get('/stats?cohort=nope')).statusCode).toBe(404);
    expect((await get('/stats?cohort=demo&province=Atlantis')).json().error).toMatch(/not a province/);
    expect((await get('/stats?cohort=demo&commune=X')).statusCode).toBe(400);
  });
});

describe('GET /admin/api/exports/progress.csv', () => {
  it('should stream one row per learner with a BOM and formula cells neutralised', async () => {
    const res = await get('/exports/progress.csv?cohort=demo');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/csv/);
    expect(res.rawPayload.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    const rows: string[][] = parse(res.body.slice(1));
    expect(rows[0]![1]).toBe('Họ và tên');
    expect(rows.length).toBe(4);
    const names = rows.slice(1).map((r) => r[1]);
    expect(names).toEqual(expect.arrayContaining(['Nguyễn Văn An', 'Trần Thị Bình', `'=HYPERLINK("http://evil","x")`]));
    const an = rows.find((r) => r[1] === 'Nguyễn Văn An')!;
    expect(an.slice(7, 13)).toEqual(['certified', '2', '2', '100', '1', '1']);
  });

  it('should give a province account only its province and refuse another', async () => {
    const rows: string[][] = parse((await get('/exports/progress.csv?cohort=demo&lang=en', 'province:Hà Nội')).body.slice(1));
    expect(rows[0]![1]).toBe('Full name');
    expect(rows.slice(1).map((r) => r[1])).toEqual(['Trần Thị Bình']);
    expect((await get('/exports/progress.csv?cohort=demo&province=' + encodeURIComponent('Nghệ An'), 'province:Hà Nội')).statusCode).toBe(403);
  });
});

describe('GET /admin/api/questions/stats and /admin/api/feedback', () => {
  it('should answer the question analysis and the feedback of the scope, refusing another province', async () => {
    const q = await get('/questions/stats?cohort=demo');
    expect(q.statusCode).toBe(200);
    expect(q.json()).toMatchObject({ cohort: 'demo', questions: [] });
    const own = await get('/feedback', 'province:Hà Nội');
    expect(own.statusCode).toBe(200);
    expect(own.json()).toMatchObject({ items: [], next: null, ratings: [] });
    expect((await get('/feedback?province=' + encodeURIComponent('Nghệ An'), 'province:Hà Nội')).statusCode).toBe(403);
    expect((await get('/feedback?before=nope')).statusCode).toBe(400);
  });
});
