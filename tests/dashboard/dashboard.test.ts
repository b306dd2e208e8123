/**
 * The dashboard in real Chromium (playwright-core, Debian's chromium): sign in, the overview and its
 * drill-down, a province coordinator's scope by URL, sign out. Every page is checked for console
 * errors and failed requests, and photographed at 1280×800 and 360×740 (tests/dashboard/artifacts/).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { Types } from 'mongoose';
import { TestClock } from '../support/env.js';
import { launch, shoot, watched, type Watched } from './browser.js';
import { ADMIN_TOKEN, dashboardApp, seedCounters, type DashApp } from './support.js';
import { FakeTelegram } from '../support/fake-telegram.js';
import { seed, type Seeded } from '../broadcasts/population.js';
import { MongoCertificateStore } from '../../src/storage/certificates.js';
import type { Certificate } from '../../src/core/certificates.js';

// 10:00 in Vietnam: outside the broadcasts' quiet hours whenever the suite runs.
const clock = new TestClock(new Date('2026-06-02T03:00:00Z'));
let app: DashApp;
let tg: FakeTelegram;
let browser: Browser;
let w: Watched;
let haTinh: Seeded[];
let ngheAn: Seeded[];
let cert: Certificate;
let chat = 720_000_000 + Math.floor(Math.random() * 1_000_000);

beforeAll(async () => {
  tg = await new FakeTelegram().listen();
  [app, browser] = await Promise.all([dashboardApp([], { TELEGRAM_BOT_TOKEN: tg.token, TELEGRAM_API_ROOT: tg.url, TELEGRAM_RATE_PER_SEC: '1000' }, clock), launch()]);
  await seedCounters(app.counters, 'demo', new Date(clock.now().getTime() - 86_400_000), clock.now());
  haTinh = await seed(app.db.conn, Array.from({ length: 5 }, () => ({ conversations: [`telegram:${chat++}` as const], province: 'Hà Tĩnh', commune: 'Xã Kỳ Anh', role: 'vice_chair' as const })), clock.now());
  ngheAn = await seed(app.db.conn, Array.from({ length: 2 }, () => ({ conversations: [`telegram:${chat++}` as const], province: 'Nghệ An', commune: 'Xã Diễn Châu', status: 'certified' as const })), clock.now());
  const learners = app.db.conn.collection('learners');
  await learners.updateOne({ _id: new Types.ObjectId(haTinh[0]!.id) }, { $set: { 'profile.fullName': 'Trần Thị Bình', 'profile.phone': '0912345678' } });
  await learners.updateOne({ _id: new Types.ObjectId(ngheAn[0]!.id) }, { $set: { 'profile.fullName': 'Lê Văn Cường' } });
  const store = new MongoCertificateStore(app.db.conn, { serialPrefix: 'CĐS-TEST', timezone: 'Asia/Ho_Chi_Minh' });
  cert = await store.issue(
    { learnerId: ngheAn[0]!.id, cohortId: 'demo', courseId: 'cds-xa', holder: { fullName: 'Lê Văn Cường', role: 'Chủ tịch UBND xã', commune: 'Xã Diễn Châu', province: 'Nghệ An' }, courseTitle: 'Chuyển đổi số cấp xã', cohortTitle: 'Lớp thử nghiệm', scorePercent: 90, passedAt: clock.now() },
    clock.now(),
  );
  w = await watched(browser);
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await app?.counters.close();
  await app?.dispose();
  await tg?.close();
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

describe('learners', () => {
  it('should find a learner by name without accents, filter by role, and open their page', async () => {
    const { page } = w;
    await page.getByRole('link', { name: 'Học viên' }).click();
    await page.waitForURL(/\/admin\/learners/);
    expect(await page.getByTestId('learners').locator('tbody tr').count()).toBe(7);
    await page.getByLabel('Tìm theo tên, số điện thoại hoặc xã').fill('tran thi binh');
    await page.getByRole('button', { name: 'Tìm' }).click();
    await page.waitForURL(/q=/);
    expect(await page.getByTestId('learners').locator('tbody th').allTextContents()).toEqual(['Trần Thị Bình']);
    await page.getByLabel('Tìm theo tên, số điện thoại hoặc xã').fill('');
    await page.getByLabel('Chức vụ').selectOption('chair');
    await page.getByRole('button', { name: 'Tìm' }).click();
    await page.waitForURL(/role=chair/);
    expect(await page.getByTestId('learners').locator('tbody tr').count()).toBe(2);
    await shoot(page, 'learners');
    await page.getByRole('link', { name: 'Lê Văn Cường' }).click();
    await page.waitForURL(/\/admin\/learners\/[0-9a-f]{24}/);
    await expect(page.getByTestId('status').textContent()).resolves.toContain('Đã có chứng nhận');
    await expect(page.getByText(cert.serial).count()).resolves.toBe(1);
    await shoot(page, 'learner');
  });
});

describe('broadcasts', () => {
  it('should count the segment live, send after confirming, reach the fake Bot API and show 100 %', async () => {
    const { page } = w;
    await page.getByRole('link', { name: 'Thông báo' }).click();
    await page.waitForURL(/\/admin\/broadcasts/);
    // The count comes after the page (counting a segment scans the learners): htmx asks for it on load.
    await expect.poll(() => page.getByTestId('segment-count').textContent()).toContain('Số người nhận: 7');
    await page.getByLabel('Tỉnh/thành phố').fill('Hà Tĩnh');
    await page.getByLabel('Tỉnh/thành phố').blur();
    await expect.poll(() => page.getByTestId('segment-count').textContent()).toContain('Số người nhận: 5');
    await page.getByLabel('Chức vụ').selectOption('chair');
    await expect.poll(() => page.getByTestId('segment-count').textContent()).toContain('Số người nhận: 0');
    await page.getByLabel('Chức vụ').selectOption('vice_chair');
    await expect.poll(() => page.getByTestId('segment-count').textContent()).toContain('Số người nhận: 5');
    const text = `Họp trực tuyến lúc 14:00 (${Date.now()})`;
    await page.getByLabel('Nội dung (tiếng Việt)').fill(text);
    await shoot(page, 'broadcast-compose');
    // Without the confirmation the browser refuses; the server refuses too.
    await page.getByRole('button', { name: 'Gửi thông báo' }).click();
    expect(page.url()).toMatch(/\/admin\/broadcasts$/);
    await page.getByLabel('Tôi đã kiểm tra nội dung và số người nhận').check();
    await page.getByRole('button', { name: 'Gửi thông báo' }).click();
    await page.waitForURL(/\/admin\/broadcasts\/[a-z0-9]+$/);
    await expect.poll(() => page.getByTestId('progress').textContent(), { timeout: 20_000 }).toContain('(100%)');
    await expect.poll(() => page.getByTestId('state').textContent(), { timeout: 20_000 }).toContain('Đã gửi xong');
    for (const l of haTinh) expect(tg.sentTo(l.conversations[0]!.slice('telegram:'.length)).map((m) => m.text)).toContain(text);
    for (const l of ngheAn) expect(tg.sentTo(l.conversations[0]!.slice('telegram:'.length))).toEqual([]);
    await shoot(page, 'broadcast-progress');
    await page.getByRole('link', { name: 'Các thông báo đã tạo' }).click();
    await expect(page.getByTestId('broadcasts').textContent()).resolves.toContain('100%');
  });

  it('should cancel a broadcast that has not started', async () => {
    const { page } = w;
    const later = await app.broadcasts.service.create({ id: 'm', name: 'Bộ', scope: { kind: 'ministry' } }, { text: { vi: 'Tin gửi sau' }, segment: { province: 'Hà Tĩnh' }, at: new Date(clock.now().getTime() + 7 * 86_400_000) }, 'test');
    await page.goto(`${app.base}/admin/broadcasts/${later.id}`);
    await expect(page.getByTestId('state').textContent()).resolves.toContain('Đã hẹn giờ');
    await page.getByRole('button', { name: 'Hủy gửi' }).click();
    await expect.poll(() => page.getByTestId('state').textContent()).toContain('Đã hủy');
    expect(await page.getByRole('button', { name: 'Hủy gửi' }).count()).toBe(0);
  });
});

describe('certificates', () => {
  it('should find a certificate, revoke it with a reason, and /verify then says revoked', async () => {
    const { page } = w;
    await page.getByRole('link', { name: 'Chứng nhận' }).click();
    await page.waitForURL(/\/admin\/certificates/);
    await page.getByLabel('Mã xác minh hoặc số hiệu chứng nhận').fill('cuong');
    await page.getByRole('button', { name: 'Tìm' }).click();
    await page.getByRole('link', { name: cert.serial }).click();
    await page.waitForURL(/\/admin\/certificates\/[A-Z0-9]+$/);
    await expect(page.getByTestId('cert-status').textContent()).resolves.toBe('Còn hiệu lực');
    await shoot(page, 'certificate');
    await page.getByLabel('Lý do thu hồi').fill('Cấp nhầm người');
    await page.getByRole('button', { name: 'Thu hồi chứng nhận' }).click();
    await page.waitForURL(/revoked=1/);
    await expect(page.getByTestId('cert-status').textContent()).resolves.toContain('Đã thu hồi (Cấp nhầm người)');
    const verify = await page.context().request.get(`${app.base}/verify/${cert.code}`);
    expect(await verify.text()).toContain('Chứng nhận đã bị thu hồi');
  });
});

describe('questions and queues', () => {
  it('should show the question analysis and feedback, and Bull Board with nothing from a CDN', async () => {
    const { page } = w;
    await page.getByRole('link', { name: 'Câu hỏi và góp ý' }).click();
    await page.waitForURL(/\/admin\/questions/);
    await expect(page.locator('h1').textContent()).resolves.toContain('Câu hỏi và góp ý');
    await shoot(page, 'questions');
    const external: string[] = [];
    page.on('request', (r) => void (!r.url().startsWith(app.base) && !r.url().startsWith('data:') && external.push(r.url())));
    await page.getByRole('link', { name: 'Hàng đợi' }).click();
    await page.waitForURL(/\/admin\/queues\/all\//);
    await page.waitForSelector('text=inbound', { timeout: 10_000 });
    expect(external).toEqual([]);
    await page.goto(`${app.base}/admin/overview`);
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
      p.expect(`/admin/learners/${haTinh[0]!.id}`, 403);
      expect((await p.page.goto(`${app.base}/admin/learners/${haTinh[0]!.id}`))!.status()).toBe(403);
      expect((await p.page.goto(`${app.base}/admin/learners/${ngheAn[0]!.id}`))!.status()).toBe(200);
      await p.page.goto(`${app.base}/admin/learners`);
      expect(await p.page.getByTestId('learners').locator('tbody tr').count()).toBe(2);
      // Bull Board: read-only, and the managing board refused.
      await p.page.goto(`${app.base}/admin/queues`);
      await p.page.waitForURL(/\/admin\/queues\/read\//);
      const put = await p.context.request.put(`${app.base}/admin/queues/all/api/queues/pause`);
      expect(put.status()).toBe(403);
      // …and what the jobs carry (learners of every province) stays hidden from it.
      await app.queues.plan.add('secret' as never, { learner: 'Trần Thị Bình, Hà Tĩnh' } as never, { delay: 86_400_000, jobId: 'dash-hidden' });
      const listed = await p.context.request.get(`${app.base}/admin/queues/read/api/queues?activeQueue=plan&status=delayed&page=1&jobsPerPage=10`);
      const jobs = ((await listed.json()) as { queues: { name: string; jobs: { id: string; data: unknown }[] }[] }).queues.find((q) => q.name === 'plan')!.jobs;
      expect(jobs.find((j) => j.id === 'dash-hidden')?.data).toBe('(hidden: ministry accounts only)');
      expect(JSON.stringify(jobs)).not.toContain('Trần Thị Bình');
      await app.queues.plan.remove('dash-hidden');
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
