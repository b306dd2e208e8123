/** The whole application listening on a free port with ADMIN_TOKEN, a province account, and counters seeded for the overview. */
import type { AddressInfo } from 'node:net';
import { application, type TestClock } from '../support/env.js';
import { AdminAccounts } from '../../src/admin/accounts.js';
import { StatsCounters } from '../../src/admin/stats/counters.js';
import type { Delta } from '../../src/admin/stats/facts.js';
import type { ChannelAdapter } from '../../src/channels/types.js';

export const ADMIN_TOKEN = `cdsadm_test_${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;

export type DashApp = Awaited<ReturnType<typeof application>> & { base: string; provinceToken: string; counters: StatsCounters };

export async function dashboardApp(channels: ChannelAdapter[], overrides: Record<string, string>, clock: TestClock): Promise<DashApp> {
  const app = await application(channels, { ADMIN_TOKEN, SCHEDULER_SWEEP_SECONDS: '86400', ...overrides }, { listen: true, clock });
  const port = (app.server!.server.address() as AddressInfo).port;
  const accounts = new AdminAccounts(app.db.conn, { provinces: [...app.content.provinces.values()].flat() });
  const { token } = await accounts.add({ name: 'Điều phối Nghệ An', scope: 'province:Nghệ An' });
  const counters = new StatsCounters({ conn: app.db.conn, redis: app.redis, prefix: app.queues.settings.prefix, clock, timezone: 'Asia/Ho_Chi_Minh' });
  return Object.assign(app, { base: `http://127.0.0.1:${port}`, provinceToken: token, counters });
}

export function d(province: string, commune: string, metric: Delta['metric'], n: number, role = 'chair'): Delta {
  return { province, commune, role, metric, n };
}

/** Two provinces, three communes (one where nobody started), over two days. */
export async function seedCounters(counters: StatsCounters, cohort: string, day1: Date, day2: Date): Promise<void> {
  await counters.apply(cohort, [d('Nghệ An', 'Xã Diễn Châu', 'invited', 10), d('Nghệ An', 'Xã Nghi Lộc', 'invited', 4), d('Hà Tĩnh', 'Xã Kỳ Anh', 'invited', 8), d('Hà Tĩnh', 'Xã Kỳ Anh', 'started', 8)], 'dash-seed-1', day1);
  await counters.apply(cohort, [d('Nghệ An', 'Xã Diễn Châu', 'started', 6), d('Nghệ An', 'Xã Diễn Châu', 'finished', 3), d('Nghệ An', 'Xã Diễn Châu', 'passed', 2), d('Nghệ An', 'Xã Diễn Châu', 'certified', 2), d('Hà Tĩnh', 'Xã Kỳ Anh', 'finished', 5)], 'dash-seed-2', day2);
}
