import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { AdminAccounts } from '../../src/admin/accounts.js';
import { MongoAuditLog } from '../../src/admin/audit.js';
import { registerAdminApi, type AdminApiDeps } from '../../src/http/admin/api.js';
import { createServer } from '../../src/http/server.js';
import { Metrics } from '../../src/metrics.js';
import { connectDatabase, type Database } from '../../src/storage/mongo.js';
import { MongoCertificateStore } from '../../src/storage/certificates.js';
import { MongoEnrolmentStore, MongoLearnerStore } from '../../src/storage/stores.js';
import type { Learner } from '../../src/core/model.js';
import { shipped, testConfig } from '../support/env.js';

const config = testConfig();
const BOOT = 'bootstrap-token-for-tests-0123456789';
let db: Database;
let server: FastifyInstance;
let deps: AdminApiDeps;
const tokens: Record<string, string> = {};
const people: Record<string, Learner> = {};

function call(method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, who?: string, body?: unknown) {
  const headers: Record<string, string> = who ? { authorization: `Bearer ${tokens[who] ?? who}` } : {};
  return server.inject({ method, url, headers, ...(body !== undefined ? { payload: body as object } : {}) });
}

async function learner(key: string, fullName: string, province: string, commune: string, status?: string) {
  const store = new MongoLearnerStore(db.models);
  const l = await store.create({ conversations: [], unreachable: [], profile: { fullName, role: 'chair', province, commune, phone: '0912' + String(Object.keys(people).length).padStart(6, '0') }, locale: 'vi', cohortId: 'dot1', stopped: false, onboarded: true, createdAt: new Date() } as never);
  if (status) await new MongoEnrolmentStore(db.models).ensure({ learnerId: l.id, cohortId: 'dot1', courseId: 'cds-xa', status: status as never, cursor: { at: 'idle' }, completedLessons: [], checkResults: {}, finalAttempts: [], lastActivityAt: new Date() });
  people[key] = l;
}

beforeAll(async () => {
  db = await connectDatabase(config.MONGODB_URL);
  const content = shipped();
  const accounts = new AdminAccounts(db.conn, { bootstrapToken: BOOT, provinces: [...content.provinces.values()].flat() });
  deps = {
    accounts,
    audit: new MongoAuditLog(db.conn),
    models: db.models,
    certificates: new MongoCertificateStore(db.conn, { serialPrefix: 'CĐS-XA', timezone: 'Asia/Ho_Chi_Minh' }),
    courses: new Set(content.courses.keys()),
    timezone: 'Asia/Ho_Chi_Minh',
  };
  server = createServer({ metrics: new Metrics(false), logger: pino({ level: 'silent' }), checks: {} });
  await registerAdminApi(server, deps);
  await server.ready();
  tokens.boot = BOOT;
  tokens.ministry = (await accounts.add({ name: 'Bộ KH&CN', scope: 'ministry' })).token;
  tokens.a = (await accounts.add({ name: 'Sở Nghệ An', scope: 'province:Nghệ An' })).token;
  tokens.b = (await accounts.add({ name: 'Sở Hà Tĩnh', scope: 'province:Hà Tĩnh' })).token;
  const revoked = await accounts.add({ name: 'Cũ', scope: 'ministry' });
  tokens.revoked = revoked.token;
  await accounts.revoke(revoked.account.id);
  await learner('an1', 'Nguyễn Văn An', 'Nghệ An', 'Xã Nghi Lộc', 'in_progress');
  await learner('an2', 'Trần Thị Đào', 'Nghệ An', 'Xã Diễn Châu', 'completed');
  await learner('an3', 'Lê Minh', 'Nghệ An', 'Xã Nghi Lộc');
  await learner('ht1', 'Phạm Hùng', 'Hà Tĩnh', 'Xã Cẩm Xuyên', 'in_progress');
});
afterAll(async () => {
  await server?.close();
  await db.conn.dropDatabase();
  await db.close();
});

describe('the admin API', () => {
  it('should answer 401 with www-authenticate without a valid live token', async () => {
    for (const who of [undefined, 'not-a-token', 'revoked']) {
      const res = await call('GET', '/admin/api/me', who);
      expect(res.statusCode).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
    }
  });

  it('should know who each token is', async () => {
    expect((await call('GET', '/admin/api/me', 'boot')).json()).toEqual({ id: 'bootstrap', name: 'ADMIN_TOKEN', scope: { kind: 'ministry' } });
    expect((await call('GET', '/admin/api/me', 'a')).json()).toMatchObject({ name: 'Sở Nghệ An', scope: { kind: 'province', province: 'Nghệ An' } });
  });

  it('should keep accounts, the audit log and cohorts to ministry accounts (403 for a province)', async () => {
    const matrix: [string, string, string, unknown?][] = [
      ['GET', '/admin/api/admins', ''],
      ['POST', '/admin/api/admins', '', { name: 'X', scope: 'ministry' }],
      ['DELETE', '/admin/api/admins/adm_nothere', ''],
      ['GET', '/admin/api/audit', ''],
      ['PUT', '/admin/api/cohorts/dot9', '', { course: 'cds-xa', opens: '2026-01-01T00:00:00+07:00', closes: '2026-02-01T00:00:00+07:00' }],
    ];
    for (const [method, url, , body] of matrix) {
      for (const who of ['a', 'b']) expect((await call(method as never, url, who, body)).statusCode, `${who} ${method} ${url}`).toBe(403);
      expect((await call(method as never, url, undefined, body)).statusCode).toBe(401);
    }
    expect((await call('GET', '/admin/api/admins', 'ministry')).statusCode).toBe(200);
    expect((await call('GET', '/admin/api/audit', 'boot')).statusCode).toBe(200);
  });

  it('should add an account with its token once, revoke it, and audit both without the token', async () => {
    const added = await call('POST', '/admin/api/admins', 'ministry', { name: 'Sở Thanh Hoá', scope: 'province:thanh hoa' });
    expect(added.statusCode).toBe(201);
    const { id, token, scope } = added.json();
    expect(scope).toBe('province:Thanh Hóa');
    expect((await call('GET', '/admin/api/me', token)).statusCode).toBe(200);
    expect(JSON.stringify((await call('GET', '/admin/api/admins', 'ministry')).json())).not.toContain(token);
    expect((await call('DELETE', `/admin/api/admins/${id}`, 'ministry')).json().revokedAt).toBeTruthy();
    expect((await call('GET', '/admin/api/me', token)).statusCode).toBe(401);
    const bad = await call('POST', '/admin/api/admins', 'ministry', { name: 'X', scope: 'province:Atlantis' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatch(/not a province/);
    const audit = (await call('GET', '/admin/api/audit?limit=200', 'boot')).json().entries as { action: string; target?: string; actor: { id: string }; detail?: { status?: number }; from: string }[];
    expect(audit.find((e) => e.action === 'admin.add' && e.target === id)).toMatchObject({ actor: { id: expect.stringMatching(/^adm_/) }, from: '127.0.0.1' });
    expect(audit.find((e) => e.action === 'admin.revoke' && e.target === id)).toBeDefined();
    expect(audit.find((e) => e.action === 'DELETE /admin/api/admins/:id')?.detail?.status).toBe(200);
    expect(audit.some((e) => e.action === 'GET /admin/api/admins' && e.detail?.status === 403)).toBe(true);
    expect(JSON.stringify(audit)).not.toContain(token);
  });

  it('should never write the query string to the audit log', async () => {
    await call('GET', '/admin/api/learners?q=secret-in-query', 'ministry');
    // The entry is written once the response has gone (onResponse): wait for it rather than race it.
    const audit = await vi.waitFor(async () => {
      const page = (await call('GET', '/admin/api/audit?limit=50', 'boot')).json();
      expect(page.entries.map((e: { action: string }) => e.action)).toContain('GET /admin/api/learners');
      return page;
    });
    expect(JSON.stringify(audit)).not.toContain('secret-in-query');
  });

  it('should page the audit log by cursor and refuse a malformed one', async () => {
    const first = (await call('GET', '/admin/api/audit?limit=2', 'ministry')).json();
    expect(first.entries).toHaveLength(2);
    const second = (await call('GET', `/admin/api/audit?limit=2&before=${encodeURIComponent(first.next)}`, 'ministry')).json();
    expect(second.entries[0].id < first.entries[1].id).toBe(true);
    expect((await call('GET', '/admin/api/audit?before=zzz', 'ministry')).statusCode).toBe(400);
    const tooMany = await call('GET', '/admin/api/audit?limit=5000', 'ministry');
    expect(tooMany.statusCode).toBe(400);
    expect(tooMany.json().error).toMatch(/limit/);
  });

  it('should list learners within the scope, filter, search without accents, and page by cursor', async () => {
    const names = async (url: string, who: string) => ((await call('GET', url, who)).json().learners as { profile: { fullName: string } }[]).map((l) => l.profile.fullName).sort();
    expect(await names('/admin/api/learners', 'a')).toEqual(['Lê Minh', 'Nguyễn Văn An', 'Trần Thị Đào']);
    expect(await names('/admin/api/learners', 'b')).toEqual(['Phạm Hùng']);
    expect(await names('/admin/api/learners', 'ministry')).toHaveLength(4);
    expect(await names(`/admin/api/learners?province=${encodeURIComponent('Hà Tĩnh')}`, 'ministry')).toEqual(['Phạm Hùng']);
    expect((await call('GET', `/admin/api/learners?province=${encodeURIComponent('Hà Tĩnh')}`, 'a')).statusCode).toBe(403);
    expect(await names('/admin/api/learners?q=DAO', 'a')).toEqual(['Trần Thị Đào']);
    expect(await names('/admin/api/learners?q=nghi%20loc', 'ministry')).toEqual(['Lê Minh', 'Nguyễn Văn An']);
    expect(await names('/admin/api/learners?status=in_progress', 'ministry')).toEqual(['Nguyễn Văn An', 'Phạm Hùng']);
    expect(await names(`/admin/api/learners?commune=${encodeURIComponent('Xã Nghi Lộc'.normalize('NFD'))}`, 'a')).toEqual(['Lê Minh', 'Nguyễn Văn An']);
    const p1 = (await call('GET', '/admin/api/learners?limit=3', 'ministry')).json();
    const p2 = (await call('GET', `/admin/api/learners?limit=3&after=${p1.next}`, 'ministry')).json();
    expect(p1.learners.length + p2.learners.length).toBe(4);
    expect(p2.next).toBeNull();
    expect((await call('GET', '/admin/api/learners?after=%7B%22%24gt%22%3A%22%22%7D', 'ministry')).statusCode).toBe(400);
    expect((await call('GET', '/admin/api/learners?status=sleeping', 'ministry')).statusCode).toBe(400);
  });

  it("should show a learner's history to its province and the ministry only", async () => {
    const url = `/admin/api/learners/${people.an1!.id}`;
    const seen = await call('GET', url, 'a');
    expect(seen.statusCode).toBe(200);
    expect(seen.json()).toMatchObject({ learner: { profile: { fullName: 'Nguyễn Văn An' } }, enrolment: { status: 'in_progress' }, answers: [], certificate: null });
    expect((await call('GET', url, 'ministry')).statusCode).toBe(200);
    expect((await call('GET', url, 'b')).statusCode).toBe(403);
    expect((await call('GET', url, 'revoked')).statusCode).toBe(401);
    expect((await call('GET', '/admin/api/learners/ffffffffffffffffffffffff', 'ministry')).statusCode).toBe(404);
    expect((await call('GET', '/admin/api/learners/abc', 'ministry')).statusCode).toBe(400);
  });

  it('should create and update a cohort with the checks of the CLI, and audit it', async () => {
    const body = { course: 'cds-xa', opens: '2026-01-05T00:00:00+07:00', closes: '2026-02-05T23:59:59+07:00', reminders: ['P3D'], lessonHour: 7 };
    const created = await call('POST', '/admin/api/cohorts', 'ministry', { id: 'dot-api', ...body });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ id: 'dot-api', course: 'cds-xa', reminders: ['P3D'], lessonHour: 7 });
    const updated = await call('PUT', '/admin/api/cohorts/dot-api', 'boot', { ...body, lessonHour: 9 });
    expect(updated.json()).toMatchObject({ lessonHour: 9, reminders: ['P3D'] });
    const bad = await call('PUT', '/admin/api/cohorts/dot-api', 'boot', { ...body, course: 'nope', closes: '2025-01-01' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatch(/course "nope"/);
    const audit = (await call('GET', '/admin/api/audit?limit=50', 'boot')).json().entries.map((e: { action: string }) => e.action);
    expect(audit).toEqual(expect.arrayContaining(['cohort.create', 'cohort.update']));
  });

  it('should describe its routes in OpenAPI at /admin/api/docs', async () => {
    const doc = (await server.inject({ method: 'GET', url: '/admin/api/docs/json' })).json();
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/admin/api/me', '/admin/api/audit', '/admin/api/admins', '/admin/api/admins/{id}', '/admin/api/learners', '/admin/api/learners/{id}', '/admin/api/cohorts', '/admin/api/cohorts/{id}']));
    expect(JSON.stringify(doc.paths['/admin/api/learners'].get.parameters)).toContain('"status"');
    expect((await server.inject({ method: 'GET', url: '/admin/api/docs' })).statusCode).toBeLessThan(400);
  });

  it('should be off (404) when ADMIN_TOKEN is unset', async () => {
    const off = createServer({ metrics: new Metrics(false), logger: pino({ level: 'silent' }), checks: {} });
    await registerAdminApi(off, { ...deps, accounts: new AdminAccounts(db.conn, { provinces: [] }) });
    expect((await off.inject({ method: 'GET', url: '/admin/api/me', headers: { authorization: `Bearer ${tokens.ministry}` } })).statusCode).toBe(404);
    await off.close();
  });
});
