/**
 * One headless Chromium per test file (Debian's package; scripts/browser.sh installs it), with
 * every console error, page error and failed request of a page collected so a test can assert none.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { ROOT } from '../support/env.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const ARTIFACTS = join(ROOT, 'tests/dashboard/artifacts');

export async function launch(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
}

export interface Watched {
  context: BrowserContext;
  page: Page;
  /** Console errors, uncaught page errors, failed requests and 4xx/5xx answers not expected by the test. */
  problems: string[];
  /** Status codes the test expects for a URL part (e.g. a 403 page it opens on purpose). */
  expect(urlPart: string, status: number): void;
}

export async function watched(browser: Browser, viewport = { width: 1280, height: 800 }): Promise<Watched> {
  const context = await browser.newContext({ viewport, locale: 'vi-VN' });
  const page = await context.newPage();
  const problems: string[] = [];
  const expected: [string, number][] = [];
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    // The browser logs every 4xx page it loads; those the test opens on purpose are not problems.
    const status = /status of (\d{3})/.exec(m.text())?.[1];
    if (status && expected.some(([u, s]) => String(s) === status && m.location().url.includes(u))) return;
    problems.push(`console: ${m.text()} (${m.location().url})`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ''}`));
  page.on('response', (r) => {
    if (r.status() >= 400 && !expected.some(([u, s]) => r.url().includes(u) && r.status() === s)) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  return { context, page, problems, expect: (u, s) => void expected.push([u, s]) };
}

/** Screenshots of the current page at 1280×800 and 360×740 under tests/dashboard/artifacts/. */
export async function shoot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.screenshot({ path: join(ARTIFACTS, `${name}-1280.png`), fullPage: true });
  await page.setViewportSize({ width: 360, height: 740 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  await page.screenshot({ path: join(ARTIFACTS, `${name}-360.png`), fullPage: true });
  await page.setViewportSize({ width: 1280, height: 800 });
  if (overflow > 2) throw new Error(`${name}: the page is ${overflow}px wider than a 360px phone`);
}
