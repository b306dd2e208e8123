/** The dashboard's sessions and CSRF without a browser: cookie flags, what Redis keeps, tampering, expiry, open redirects. */
import { createHash } from 'node:crypto';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, TestClock } from '../support/env.js';
import { AdminAccounts } from '../../src/admin/accounts.js';
import { ACCOUNT_CHECK_MS } from '../../src/web/dashboard/index.js';
import { ADMIN_TOKEN, dashboardApp, type DashApp } from './support.js';
import { safeNext } from '../../src/web/dashboard/pages/auth.js';

let app: DashApp;
const inject = (o: InjectOptions) => app.server!.inject(o);

beforeAll(async () => {
  app = await dashboardApp([], {}, new TestClock(new Date('2026-06-02T03:00:00Z')));
}, 60_000);
afterAll(async () => {
  await app?.counters.close();
  await app?.dispose();
});

async function signIn(headers: Record<string, string> = {}, token = ADMIN_TOKEN) {
  const res = await inject({ method: 'POST', url: '/admin/login', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, payload: `token=${encodeURIComponent(token)}&next=%2Fadmin%2Fbroadcasts` });
  const setCookie = String(res.headers['set-cookie'] ?? '');
  const cookie = /cds_dash=([^;]+)/.exec(setCookie)?.[1];
  return { res, setCookie, cookie };
}

/** The CSRF token of a session, as its pages carry it. */
async function csrfOf(cookie: string): Promise<string> {
  const page = await inject({ method: 'GET', url: '/admin/broadcasts', headers: { cookie: `cds_dash=${cookie}` } });
  return /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
}

describe('dashboard sessions', () => {
  it('should set an HttpOnly, SameSite=Strict, 8-hour cookie, Secure only behind HTTPS, and go to the page asked for', async () => {
    const plain = await signIn();
    expect(plain.res.statusCode).toBe(303);
    expect(plain.res.headers.location).toBe('/admin/broadcasts');
    expect(plain.setCookie).toMatch(/HttpOnly/);
    expect(plain.setCookie).toMatch(/SameSite=Strict/);
    expect(plain.setCookie).toMatch(/Max-Age=28800/);
    expect(plain.setCookie).toMatch(/Path=\/admin/);
    expect(plain.setCookie).not.toMatch(/Secure/);
    const https = await signIn({ 'x-forwarded-proto': 'https' });
    expect(https.setCookie).toMatch(/Secure/);
  });

  it('should keep only a hash of the session id in Redis, expiring in 8 hours, and refuse a tampered cookie', async () => {
    const { cookie } = await signIn();
    const signed = decodeURIComponent(cookie!);
    const id = signed.slice(0, signed.lastIndexOf('.'));
    const key = `${app.queues.settings.prefix}:dash:session:${createHash('sha256').update(id).digest('hex')}`;
    const stored = await app.redis.get(key);
    expect(stored).not.toBeNull();
    expect(stored).not.toContain(id);
    expect(stored).not.toContain(ADMIN_TOKEN);
    const ttl = await app.redis.ttl(key);
    expect(ttl).toBeGreaterThan(8 * 3600 - 60);
    expect(ttl).toBeLessThanOrEqual(8 * 3600);
    expect((await inject({ method: 'GET', url: '/admin/overview', headers: { cookie: `cds_dash=${cookie}` } })).statusCode).toBe(200);
    // The id without its signature, or signed by someone else: back to the sign-in page.
    for (const bad of [encodeURIComponent(id), encodeURIComponent(`${id}.AAAA`), 'x']) {
      const res = await inject({ method: 'GET', url: '/admin/overview', headers: { cookie: `cds_dash=${bad}` } });
      expect(res.statusCode).toBe(302);
      expect(res.headers.location).toMatch(/^\/admin\/login/);
    }
    await app.redis.del(key); // expired
    expect((await inject({ method: 'GET', url: '/admin/overview', headers: { cookie: `cds_dash=${cookie}` } })).statusCode).toBe(302);
  });

  it('should refuse every post without the session\'s CSRF token, by form field or htmx header', async () => {
    const { cookie } = await signIn();
    const csrf = await csrfOf(cookie!);
    const post = (headers: Record<string, string>, payload: string) =>
      inject({ method: 'POST', url: '/admin/broadcasts/preview', headers: { cookie: `cds_dash=${cookie}`, 'content-type': 'application/x-www-form-urlencoded', ...headers }, payload });
    expect((await post({}, 'province=')).statusCode).toBe(403);
    expect((await post({}, '_csrf=wrong')).statusCode).toBe(403);
    expect((await post({ 'x-csrf-token': `${csrf}x` }, '')).statusCode).toBe(403);
    expect((await post({}, `_csrf=${encodeURIComponent(csrf)}`)).statusCode).toBe(200);
    expect((await post({ 'x-csrf-token': csrf }, '')).statusCode).toBe(200);
    // Another session's token does not do.
    const other = await signIn();
    expect((await inject({ method: 'POST', url: '/admin/broadcasts/preview', headers: { cookie: `cds_dash=${other.cookie}`, 'x-csrf-token': csrf } })).statusCode).toBe(403);
    // Without a session a post is 401, never run.
    expect((await inject({ method: 'POST', url: '/admin/broadcasts', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'text=x&confirm=yes' })).statusCode).toBe(401);
  });

  it('should refuse a wrong or revoked token and never redirect outside the dashboard', async () => {
    expect((await signIn({}, 'cdsadm_nope')).res.statusCode).toBe(401);
    expect((await signIn({}, 'cdsadm_nope')).cookie).toBeUndefined();
    for (const next of ['//evil.example/admin', 'https://evil.example', '/admin/../x', '/adminx', '/admin\\@evil', '/admin/login']) expect(safeNext(next)).toBe('/admin/overview');
    expect(safeNext('/admin/learners?q=An')).toBe('/admin/learners?q=An');
  });

  it('should end the sessions of an account revoked meanwhile', async () => {
    const accounts = new AdminAccounts(app.db.conn, { provinces: [...app.content.provinces.values()].flat() });
    const { account, token } = await accounts.add({ name: 'Sẽ bị thu hồi', scope: 'province:Hà Tĩnh' });
    const { cookie } = await signIn({}, token);
    expect((await inject({ method: 'GET', url: '/admin/overview', headers: { cookie: `cds_dash=${cookie}` } })).statusCode).toBe(200);
    await accounts.revoke(account.id);
    await eventually(async () => (await inject({ method: 'GET', url: '/admin/overview', headers: { cookie: `cds_dash=${cookie}` } })).statusCode === 302, 'the session ended', ACCOUNT_CHECK_MS + 5_000);
    expect((await signIn({}, token)).res.statusCode).toBe(401);
  });

  it('should sign out: the session is gone from Redis and its cookie cleared', async () => {
    const { cookie } = await signIn();
    const csrf = await csrfOf(cookie!);
    const out = await inject({ method: 'POST', url: '/admin/logout', headers: { cookie: `cds_dash=${cookie}`, 'content-type': 'application/x-www-form-urlencoded' }, payload: `_csrf=${encodeURIComponent(csrf)}` });
    expect(out.statusCode).toBe(303);
    expect(String(out.headers['set-cookie'])).toMatch(/cds_dash=;/);
    expect((await inject({ method: 'GET', url: '/admin/overview', headers: { cookie: `cds_dash=${cookie}` } })).statusCode).toBe(302);
  });
});
