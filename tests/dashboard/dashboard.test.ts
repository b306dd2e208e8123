/**
 * The dashboard in real Chromium (playwright-core, Debian's chromium): sign in, the overview and its
 * drill-down, a province coordinator's scope by URL, sign out. Every page is checked for console
 * errors and failed requests, and photographed at 1280×800 and 360×740 (tests/dashboard/artifacts/).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { TestClock } from '../support/env.js';
import { launch, shoot, watched, type Watched } from './browser.js';
import { ADMIN_TOKEN, dashboardApp, seedCounters, type DashApp } from './support.js';

const clock = new TestClock(new Date());
let app: DashApp;
let browser: Browser;
let w: Watched;

beforeAll(async () => {
  [app, browser] = await Promise.all([dashboardApp([], {}, clock), launch()]);
  await seedCounters(app.counters, 'demo', new Date(clock.now().getTime() - 86_400_000), clock.now());
  w = await watched(browser);
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await app?.dispose();
});

async function signIn(x: Watched, token: string): Promise<void> {
  await x.page.goto(`${app.base}/admin`);
  await x.page.getByLabel('Mã quản trị').fill(token);
  await x.page.getByRole('button', { name: 'Đăng nhập' }).click();
  await x.page.waitForURL(/\/admin\/overview/);
}

describe('the dashboard, signed in as the ministry', () => {
  it('should refuse a wrong token and sign in with ADMIN_TOKEN, in Vietnamese', async () => {
    const { page } = w;
    w.expect('/admin/login', 401);
    await page.goto(`${app.base}/admin/overview`);
    await expect.poll(() => page.url()).toContain('/admin/login');
    await page.getByLabel('Mã quản trị').fill('cdsadm_wrong');
    await page.getByRole('button', { name: 'Đăng nhập' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toContain('Mã không đúng');
    await shoot(page, 'login');
    await page.getByLabel('Mã quản trị').fill(ADMIN_TOKEN);
    await page.getByRole('button', { name: 'Đăng nhập' }).click();
    await page.waitForURL(/\/admin\/overview/);
    const cookie = (await w.context.cookies()).find((c) => c.name === 'cds_dash')!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/admin' });
    expect(cookie.expires).toBeGreaterThan(Date.now() / 1000 + 7 * 3600);
  });

  it('should show the funnel, the provinces sortable with bars, the trend and the days left', async () => {
    const { page } = w;
    await expect(page.locator('h1').textContent()).resolves.toContain('Tổng quan');
    const funnel = (await page.locator('svg.funnel').textContent()) ?? '';
    expect(funnel).toContain('Được mời: 22');
    expect(funnel).toContain('Đã bắt đầu: 14');
    expect(funnel).toContain('Được cấp chứng nhận: 2');
    expect(Number(await page.getByTestId('days-left').textContent())).toBeGreaterThan(0);
    expect(await page.locator('svg.trend polyline').count()).toBe(3);
    const table = page.getByTestId('breakdown');
    expect(await table.locator('tbody tr').count()).toBe(34);
    await table.getByRole('link', { name: '% bắt đầu' }).click();
    await page.waitForURL(/sort=startedPercent/);
    await table.getByRole('link', { name: /% bắt đầu/ }).click();
    await page.waitForURL(/dir=desc/);
    const first = await page.getByTestId('breakdown').locator('tbody tr').first().locator('th').textContent();
    expect(first).toBe('Hà Tĩnh'); // 100 % started
    expect(await page.getByTestId('breakdown').locator('tbody tr').first().locator('svg.bar rect.bar-fg').first().getAttribute('width')).toBe('100.0');
    await shoot(page, 'overview');
  });

  it('should drill down from a province to its communes and a commune', async () => {
    const { page } = w;
    await page.getByTestId('breakdown').getByRole('link', { name: 'Nghệ An' }).click();
    await page.waitForURL(/province=/);
    await expect(page.locator('h1').textContent()).resolves.toContain('Nghệ An');
    const names = await page.getByTestId('breakdown').locator('tbody th').allTextContents();
    expect(names.sort()).toEqual(['Xã Diễn Châu', 'Xã Nghi Lộc']);
    await expect(page.getByTestId('communes-not-started').textContent()).resolves.toContain('Xã Nghi Lộc');
    await shoot(page, 'overview-province');
    await page.getByTestId('breakdown').getByRole('link', { name: 'Xã Diễn Châu' }).click();
    await page.waitForURL(/commune=/);
    expect((await page.locator('svg.funnel').textContent()) ?? '').toContain('Được mời: 10');
  });

  it('should switch to English and back', async () => {
    const { page } = w;
    await page.getByRole('link', { name: 'English' }).click();
    await expect.poll(() => page.locator('h1').textContent()).toContain('Overview');
    await page.getByRole('link', { name: 'Tiếng Việt' }).click();
    await expect.poll(() => page.locator('h1').textContent()).toContain('Tổng quan');
  });
});

describe('a province coordinator', () => {
  it('should see only their province, and get 403 for another province or its commune by URL', async () => {
    const p = await watched(browser);
    try {
      await signIn(p, app.provinceToken);
      await expect(p.page.locator('h1').textContent()).resolves.toContain('Nghệ An');
      expect((await p.page.getByTestId('breakdown').locator('tbody th').allTextContents()).sort()).toEqual(['Xã Diễn Châu', 'Xã Nghi Lộc']);
      p.expect('/admin/overview', 403);
      const res = await p.page.goto(`${app.base}/admin/overview?province=${encodeURIComponent('Hà Tĩnh')}&commune=${encodeURIComponent('Xã Kỳ Anh')}`);
      expect(res!.status()).toBe(403);
      expect(await p.page.getByRole('alert').textContent()).toContain('không được xem');
      expect(p.problems).toEqual([]);
    } finally {
      await p.context.close();
    }
  });
});

describe('signing out and CSRF', () => {
  it('should refuse a form post without the CSRF token, then sign out and close the session', async () => {
    const { page } = w;
    const cookie = (await w.context.cookies()).find((c) => c.name === 'cds_dash')!;
    const forged = await fetch(`${app.base}/admin/logout`, { method: 'POST', headers: { cookie: `cds_dash=${cookie.value}`, 'content-type': 'application/x-www-form-urlencoded' }, body: 'x=1', redirect: 'manual' });
    expect(forged.status).toBe(403);
    await page.goto(`${app.base}/admin/overview`);
    await page.getByRole('button', { name: 'Đăng xuất' }).click();
    await page.waitForURL(/\/admin\/login/);
    const after = await fetch(`${app.base}/admin/overview`, { headers: { cookie: `cds_dash=${cookie.value}` }, redirect: 'manual' });
    expect(after.status).toBe(302);
    expect(w.problems).toEqual([]);
  });
});
