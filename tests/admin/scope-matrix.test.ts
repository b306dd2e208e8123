/**
 * The scope matrix over the report, roster and broadcast routes as the application mounts them,
 * behind the real bearer auth: the ministry, province A, province B, a revoked token and no token.
 * Also what /admin/api/docs says about the roster routes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { application } from '../support/env.js';
import { AdminAccounts } from '../../src/admin/accounts.js';
import type { App } from '../../src/app/index.js';

const BOOT = 'bootstrap-token-for-the-scope-matrix-01';
const A = 'Nghệ An';
const B = 'Hà Tĩnh';
type Who = 'ministry' | 'a' | 'b' | 'revoked' | 'none';
const WHO: Who[] = ['ministry', 'a', 'b', 'revoked', 'none'];

let app: App & { dispose(): Promise<void> };
const tokens: Partial<Record<Who, string>> = {};

function call(method: 'GET' | 'POST', url: string, who: Who, payload?: unknown, headers: Record<string, string> = {}) {
  const auth: Record<string, string> = tokens[who] ? { authorization: `Bearer ${tokens[who]}` } : {};
  return app.server!.inject({ method, url, headers: { ...auth, ...headers }, ...(payload !== undefined ? { payload: payload as string } : {}) });
}

const csv = (rows: string[]) => Buffer.from(`\uFEFFHọ tên;Chức vụ;Tỉnh;Xã;Mã\r\n${rows.join('\r\n')}\r\n`, 'utf8');
const q = encodeURIComponent;

beforeAll(async () => {
  app = await application([], { ADMIN_TOKEN: BOOT, SCHEDULER_SWEEP_SECONDS: '86400' }, { listen: true });
  const accounts = new AdminAccounts(app.db.conn, { provinces: [...app.content.provinces.values()].flat() });
  tokens.ministry = (await accounts.add({ name: 'Bộ KH&CN', scope: 'ministry' })).token;
  tokens.a = (await accounts.add({ name: 'Sở Nghệ An', scope: `province:${A}` })).token;
  tokens.b = (await accounts.add({ name: 'Sở Hà Tĩnh', scope: `province:${B}` })).token;
  const revoked = await accounts.add({ name: 'Cũ', scope: 'ministry' });
  tokens.revoked = revoked.token;
  await accounts.revoke(revoked.account.id);
}, 60_000);
afterAll(async () => {
  await app?.dispose();
});

/** Each principal's status for one request, in the order of WHO. */
async function statuses(method: 'GET' | 'POST', url: string, payload?: unknown, headers?: Record<string, string>): Promise<number[]> {
  const out: number[] = [];
  for (const who of WHO) out.push((await call(method, url, who, payload, headers)).statusCode);
  return out;
}

describe('the scope matrix (ministry, province A, province B, revoked, none)', () => {
  it('should give the reports of a province to the ministry and that province only', async () => {
    expect(await statuses('GET', `/admin/api/stats?cohort=demo&province=${q(A)}`)).toEqual([200, 200, 403, 401, 401]);
    expect(await statuses('GET', `/admin/api/stats?cohort=demo&province=${q(A)}&commune=${q('Xã Nghi Lộc')}`)).toEqual([200, 200, 403, 401, 401]);
    expect(await statuses('GET', `/admin/api/exports/progress.csv?cohort=demo&province=${q(A)}`)).toEqual([200, 200, 403, 401, 401]);
    expect(await statuses('GET', `/admin/api/feedback?province=${q(A)}`)).toEqual([200, 200, 403, 401, 401]);
    // Without a province: the ministry reads all, a province account its own.
    expect(await statuses('GET', '/admin/api/stats?cohort=demo')).toEqual([200, 200, 200, 401, 401]);
    expect(await statuses('GET', '/admin/api/questions/stats?cohort=demo')).toEqual([200, 200, 200, 401, 401]);
    const own = (await call('GET', '/admin/api/exports/progress.csv?cohort=demo', 'b')).statusCode;
    expect(own).toBe(200);
  });

  it("should import only the caller's province and show an import to its scope only", async () => {
    const file = csv([`Nguyễn Văn An;Chủ tịch UBND xã;${A};Xã Nghi Lộc;MX-1`, `Phạm Hùng;Chủ tịch UBND xã;${B};Xã Cẩm Xuyên;MX-2`]);
    const posted: Partial<Record<Who, { statusCode: number; body: { importId?: string; imported?: number; updated?: number } }>> = {};
    for (const who of WHO) {
      const res = await call('POST', '/admin/api/rosters?cohort=demo', who, file, { 'content-type': 'text/csv' });
      posted[who] = { statusCode: res.statusCode, body: res.json() };
    }
    expect(WHO.map((w) => posted[w]!.statusCode)).toEqual([200, 200, 200, 401, 401]);
    expect(posted.ministry!.body.imported).toBe(2);
    // The province accounts' rows were imported by the ministry already: the other province's row is refused, not touched.
    expect(posted.a!.body).toMatchObject({ imported: 0, updated: 0 });
    expect(posted.b!.body).toMatchObject({ imported: 0, updated: 0 });
    const byA = posted.a!.body.importId!;
    const byM = posted.ministry!.body.importId!;
    for (const path of ['', '/codes.csv', '/slips.pdf']) {
      expect(await statuses('GET', `/admin/api/rosters/${byA}${path}`), `A's import${path}`).toEqual([200, 200, 403, 401, 401]);
      expect(await statuses('GET', `/admin/api/rosters/${byM}${path}`), `the ministry's import${path}`).toEqual([200, 403, 403, 401, 401]);
    }
  });

  it('should let a province preview, create, see and stop only broadcasts to itself', async () => {
    expect(await statuses('POST', '/admin/api/broadcasts/preview', { province: A })).toEqual([200, 200, 403, 401, 401]);
    const body = { text: 'Họp trực tuyến lúc 8 giờ', segment: { province: A }, confirm: true, at: '2030-01-01T00:00:00Z' };
    const created = await call('POST', '/admin/api/broadcasts', 'a', body);
    expect(created.statusCode).toBe(201);
    const id = created.json().broadcast.id as string;
    expect((await call('POST', '/admin/api/broadcasts', 'b', body)).statusCode).toBe(403);
    for (const who of ['revoked', 'none'] as const) expect((await call('POST', '/admin/api/broadcasts', who, body)).statusCode).toBe(401);
    expect(await statuses('GET', '/admin/api/broadcasts')).toEqual([200, 200, 200, 401, 401]);
    const listed = async (who: Who) => ((await call('GET', '/admin/api/broadcasts', who)).json().broadcasts as { id: string }[]).map((b) => b.id);
    expect(await listed('ministry')).toContain(id);
    expect(await listed('a')).toContain(id);
    expect(await listed('b')).not.toContain(id);
    expect(await statuses('GET', `/admin/api/broadcasts/${id}`)).toEqual([200, 200, 403, 401, 401]);
    // B, the revoked token and no token first: nothing they send may pause it.
    for (const who of ['b', 'revoked', 'none'] as const) expect((await call('POST', `/admin/api/broadcasts/${id}/pause`, who)).statusCode).toBeGreaterThanOrEqual(401);
    expect((await call('GET', `/admin/api/broadcasts/${id}`, 'a')).json().broadcast.state).not.toBe('paused');
    expect((await call('POST', `/admin/api/broadcasts/${id}/pause`, 'a')).statusCode).toBe(200);
    expect((await call('POST', `/admin/api/broadcasts/${id}/cancel`, 'ministry')).statusCode).toBe(200);
  });
});

describe('/admin/api/docs', () => {
  it('should describe the roster routes with their parameters and the file they take', async () => {
    const res = await app.server!.inject({ method: 'GET', url: '/admin/api/docs/json' });
    expect(res.statusCode).toBe(200);
    const paths = res.json().paths;
    expect(Object.keys(paths)).toEqual(expect.arrayContaining(['/admin/api/rosters', '/admin/api/rosters/{id}', '/admin/api/rosters/{id}/codes.csv', '/admin/api/rosters/{id}/slips.pdf']));
    const post = paths['/admin/api/rosters'].post;
    expect(post.parameters).toEqual(expect.arrayContaining([expect.objectContaining({ in: 'query', name: 'cohort', required: true })]));
    expect(post.requestBody.content['multipart/form-data'].schema.properties.file).toMatchObject({ type: 'string', format: 'binary' });
    expect(post.requestBody.content['text/csv'].schema).toMatchObject({ type: 'string', format: 'binary' });
    for (const path of ['/admin/api/rosters/{id}', '/admin/api/rosters/{id}/codes.csv', '/admin/api/rosters/{id}/slips.pdf']) {
      const get = paths[path].get;
      expect(get.parameters, path).toEqual(expect.arrayContaining([expect.objectContaining({ in: 'path', name: 'id', required: true }), expect.objectContaining({ in: 'query', name: 'lang' })]));
      expect(get.tags).toEqual(['rosters']);
    }
  });

  it('should refuse malformed roster input with 400 and the reason', async () => {
    const file = csv([`Lê Minh;Chủ tịch UBND xã;${A};Xã Nghi Lộc;MX-3`]);
    const noCohort = await call('POST', '/admin/api/rosters', 'ministry', file, { 'content-type': 'text/csv' });
    expect(noCohort.statusCode).toBe(400);
    expect(noCohort.json().error).toMatch(/cohort/);
    const operator = await call('POST', `/admin/api/rosters?cohort[$ne]=x`, 'ministry', file, { 'content-type': 'text/csv' });
    expect(operator.statusCode).toBe(400);
    const badLang = await call('POST', '/admin/api/rosters?cohort=demo&lang=fr', 'ministry', file, { 'content-type': 'text/csv' });
    expect([badLang.statusCode, badLang.json().error]).toEqual([400, expect.stringMatching(/lang/)]);
    const badId = await call('GET', `/admin/api/rosters/${q('{"$gt":""}')}`, 'ministry');
    expect(badId.statusCode).toBe(400);
    expect(badId.json().error).toMatch(/import id/);
    expect((await call('GET', '/admin/api/rosters/abcdefghij0123', 'ministry')).statusCode).toBe(404);
  });
});
