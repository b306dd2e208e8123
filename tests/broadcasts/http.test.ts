/** The broadcasts' admin API: validation, the explicit confirm, scope (a province sees and targets only itself), audit. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { application, TestClock } from '../support/env.js';
import { as, serveAdminRoutes } from '../support/admin-routes.js';
import { broadcastRoutes } from '../../src/broadcasts/http.js';
import { BroadcastService } from '../../src/broadcasts/service.js';
import type { AuditEntry } from '../../src/admin/scope.js';
import { CaptureAdapter } from '../support/scheduling.js';
import { seed } from './population.js';
import { announceCommand } from '../../src/broadcasts/chat.js';
import { pino } from 'pino';
import { AdminAccounts } from '../../src/admin/accounts.js';
import { MongoAuditLog } from '../../src/admin/audit.js';
import { registerAdminApi } from '../../src/http/admin/api.js';
import { createServer } from '../../src/http/server.js';
import { Metrics } from '../../src/metrics.js';
import { MongoCertificateStore } from '../../src/storage/certificates.js';

const clock = new TestClock(new Date('2026-06-02T03:00:00Z'));
let app: Awaited<ReturnType<typeof application>>;
let api: FastifyInstance;
/** The same routes behind the real admin API (auth, its zod error handler, OpenAPI). */
let real: FastifyInstance;
const BOOT = 'broadcast-bootstrap-token-0123456789';
const audit: AuditEntry[] = [];

beforeAll(async () => {
  app = await application([new CaptureAdapter()], { SCHEDULER_SWEEP_SECONDS: '86400' }, { clock });
  const b = app.broadcasts;
  const service = new BroadcastService({ store: b.store, live: b.live, clock, channels: ['console'], kick: b.kick, audit: { record: async (e) => void audit.push(e) } });
  api = await serveAdminRoutes(broadcastRoutes({ service }));
  real = createServer({ metrics: new Metrics(false), logger: pino({ level: 'silent' }), checks: {} });
  await registerAdminApi(
    real,
    {
      accounts: new AdminAccounts(app.db.conn, { bootstrapToken: BOOT, provinces: ['Nghệ An', 'Hà Tĩnh'] }),
      audit: new MongoAuditLog(app.db.conn),
      models: app.db.models,
      certificates: new MongoCertificateStore(app.db.conn, { serialPrefix: 'CĐS-XA', timezone: 'Asia/Ho_Chi_Minh' }),
      courses: new Set(['cds-xa']),
      timezone: 'Asia/Ho_Chi_Minh',
    },
    [broadcastRoutes({ service })],
  );
  await real.ready();
  await seed(
    app.db.conn,
    [
      { conversations: ['console:h1'], province: 'Nghệ An', role: 'chair' },
      { conversations: ['console:h2'], province: 'Nghệ An', role: 'vice_chair' },
      { conversations: ['console:h3'], province: 'Hà Tĩnh', role: 'chair' },
    ],
    clock.now(),
  );
}, 60_000);
afterAll(async () => {
  await api?.close();
  await real?.close();
  await app?.dispose();
});

describe('the broadcasts admin API', () => {
  it('should preview a segment per channel and province, sending nothing', async () => {
    const res = await api.inject({ method: 'POST', url: '/admin/api/broadcasts/preview', headers: as('ministry'), payload: { role: 'chair' } });
    expect(res.statusCode).toBe(200);
    expect(res.json().preview).toMatchObject({ targeted: 2, byChannel: { console: 2 }, byProvince: { 'Nghệ An': 1, 'Hà Tĩnh': 1 }, unreachable: 0 });
    expect((await app.broadcasts.store.list()).length).toBe(0);
  });

  it('should refuse to create without confirm, and a bad body, with a 400 naming the field', async () => {
    const noConfirm = await api.inject({ method: 'POST', url: '/admin/api/broadcasts', headers: as('ministry'), payload: { text: 'Xin chào' } });
    expect(noConfirm.statusCode).toBe(400);
    expect(noConfirm.json().error).toContain('confirm');
    const badRole = await api.inject({ method: 'POST', url: '/admin/api/broadcasts/preview', headers: as('ministry'), payload: { role: { $ne: 1 } } });
    expect(badRole.statusCode).toBe(400);
    expect(badRole.json().error).toContain('role');
  });

  it('should describe every broadcast route in OpenAPI at /admin/api/docs, with its body schema', async () => {
    const doc = (await real.inject({ method: 'GET', url: '/admin/api/docs/json', headers: { authorization: `Bearer ${BOOT}` } })).json();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/admin/api/broadcasts', '/admin/api/broadcasts/preview', '/admin/api/broadcasts/{id}', '/admin/api/broadcasts/{id}/pause', '/admin/api/broadcasts/{id}/resume', '/admin/api/broadcasts/{id}/cancel']),
    );
    const create = JSON.stringify(doc.paths['/admin/api/broadcasts'].post.requestBody);
    for (const field of ['text', 'segment', 'confirm', 'remindAfter', 'quietHours']) expect(create).toContain(`"${field}"`);
    expect(JSON.stringify(doc.paths['/admin/api/broadcasts/preview'].post.requestBody)).toContain('"inactiveDays"');
  });

  it('should answer malformed bodies with a 400 naming the field, behind the real admin API, creating nothing', async () => {
    const before = (await app.broadcasts.store.list()).length;
    const post = (url: string, payload: unknown) => real.inject({ method: 'POST', url, headers: { authorization: `Bearer ${BOOT}`, 'content-type': 'application/json' }, payload: JSON.stringify(payload) });
    const cases: [string, unknown, string][] = [
      ['/admin/api/broadcasts', { text: 'Xin chào' }, 'confirm'],
      ['/admin/api/broadcasts', { text: '', confirm: true }, 'text'],
      ['/admin/api/broadcasts', { text: { $gt: '' }, confirm: true }, 'text'],
      ['/admin/api/broadcasts', { text: 'Tin', confirm: true, at: 'tomorrow' }, 'at'],
      ['/admin/api/broadcasts', { text: 'Tin', confirm: true, remindAfter: '24 hours' }, 'remindAfter'],
      ['/admin/api/broadcasts', { text: 'Tin', confirm: true, image: 'javascript:alert(1)' }, 'image'],
      ['/admin/api/broadcasts', { text: 'Tin', confirm: true, extra: 1 }, 'extra'],
      ['/admin/api/broadcasts', { text: 'Tin', confirm: true, segment: { status: 'sleeping' } }, 'status'],
      ['/admin/api/broadcasts/preview', { role: { $ne: 1 } }, 'role'],
      ['/admin/api/broadcasts/preview', { inactiveDays: -3 }, 'inactiveDays'],
      ['/admin/api/broadcasts/preview', [1, 2], 'body'],
    ];
    for (const [url, payload, field] of cases) {
      const res = await post(url, payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.json().error, JSON.stringify(payload)).toContain(field);
    }
    const badId = await real.inject({ method: 'GET', url: '/admin/api/broadcasts/..%2F..%2Fx', headers: { authorization: `Bearer ${BOOT}` } });
    expect(badId.statusCode).toBe(400);
    expect((await app.broadcasts.store.list()).length).toBe(before);
    const ok = await real.inject({ method: 'POST', url: '/admin/api/broadcasts/preview', headers: { authorization: `Bearer ${BOOT}` } });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json().preview.targeted).toBe(3);
  });

  it('should let a province account target only its own province (403 otherwise), and default to it', async () => {
    const other = await api.inject({ method: 'POST', url: '/admin/api/broadcasts', headers: as('province:Nghệ An'), payload: { text: 'Tin tỉnh', segment: { province: 'Hà Tĩnh' }, confirm: true } });
    expect(other.statusCode).toBe(403);
    const own = await api.inject({ method: 'POST', url: '/admin/api/broadcasts', headers: as('province:Nghệ An'), payload: { text: 'Tin tỉnh', confirm: true } });
    expect(own.statusCode).toBe(201);
    expect(own.json().broadcast.segment).toEqual({ province: 'Nghệ An' });
    expect(audit.at(-1)).toMatchObject({ action: 'broadcast.create', target: own.json().broadcast.id });
  });

  it('should hide another province\'s broadcast and the other provinces of a ministry one', async () => {
    const ministry = await api.inject({ method: 'POST', url: '/admin/api/broadcasts', headers: as('ministry'), payload: { text: 'Tin của Bộ', segment: { province: 'Hà Tĩnh' }, confirm: true, at: '2030-01-01T00:00:00Z' } });
    const id = ministry.json().broadcast.id as string;
    expect((await api.inject({ method: 'GET', url: `/admin/api/broadcasts/${id}`, headers: as('province:Nghệ An') })).statusCode).toBe(403);
    expect((await api.inject({ method: 'POST', url: `/admin/api/broadcasts/${id}/cancel`, headers: as('province:Nghệ An') })).statusCode).toBe(403);
    const list = await api.inject({ method: 'GET', url: '/admin/api/broadcasts', headers: as('province:Nghệ An') });
    expect(list.json().broadcasts.map((b: { id: string }) => b.id)).not.toContain(id);
    expect(list.json().broadcasts.every((b: { segment: { province: string } }) => b.segment.province === 'Nghệ An')).toBe(true);
  });

  it('should pause, resume and cancel, auditing each', async () => {
    const created = await api.inject({ method: 'POST', url: '/admin/api/broadcasts', headers: as('ministry'), payload: { text: 'Tin sau', confirm: true, at: '2030-01-01T00:00:00Z' } });
    const id = created.json().broadcast.id as string;
    for (const [action, state] of [['pause', 'paused'], ['resume', 'sending'], ['cancel', 'cancelled']] as const) {
      const res = await api.inject({ method: 'POST', url: `/admin/api/broadcasts/${id}/${action}`, headers: as('ministry') });
      expect(res.statusCode).toBe(200);
      expect(res.json().broadcast.state).toBe(state);
      expect(audit.at(-1)).toMatchObject({ action: `broadcast.${action}`, target: id });
    }
    expect((await api.inject({ method: 'POST', url: `/admin/api/broadcasts/${id}/resume`, headers: as('ministry') })).statusCode).toBe(400);
    expect((await api.inject({ method: 'GET', url: '/admin/api/broadcasts/nosuchid', headers: as('ministry') })).statusCode).toBe(404);
  });
});

describe('the /thongbao chat command', () => {
  const ctx = (text: string, command: boolean, args = '') => ({
    principal: { id: 'chat:console:admin', name: 'Admin', scope: { kind: 'ministry' as const } },
    conversation: 'console:admin',
    locale: 'vi' as const,
    text,
    args,
    command,
    at: clock.now(),
  });

  it('should ask for the text, preview, and send only after "1", keeping the dialogue open until then', async () => {
    const cmd = announceCommand({ service: app.broadcasts.service, i18n: app.i18n, redis: app.redis, prefix: `${app.queues.settings.prefix}` });
    expect(cmd.names).toEqual(['thongbao', 'announce']);
    const ask = await cmd.handle(ctx('/thongbao', true));
    expect(ask).toMatchObject({ open: true, reply: [{ text: 'Nhập nội dung thông báo (tiếng Việt):' }] });
    const before = (await app.broadcasts.store.list()).length;
    const preview = await cmd.handle(ctx('Họp trực tuyến lúc 14:00', false));
    expect(preview.open).toBe(true);
    expect(preview.reply[0]!.text).toContain('Số người nhận: 3');
    expect(preview.reply[0]!.text).toContain('Nhóm nhận: tất cả học viên');
    expect(preview.reply[1]!.choices!.map((c) => c.label)).toEqual(['Gửi', 'Huỷ', 'Chọn đợt học', 'Chọn tỉnh/thành', 'Chọn vai trò', 'Chọn trạng thái']);
    expect((await app.broadcasts.store.list()).length).toBe(before);
    expect((await cmd.handle(ctx('sao', false))).open).toBe(true);
    const sent = await cmd.handle(ctx('1', false));
    expect(sent.open).toBeFalsy();
    expect(sent.reply[0]!.text).toMatch(/^Đã tạo thông báo \w+\. Đang gửi tới 3 người\.$/);
    expect((await app.broadcasts.store.list()).length).toBe(before + 1);
  });

  it('should narrow the segment by province, role, status and cohort, previewing each time, and send to that segment', async () => {
    const cmd = announceCommand({ service: app.broadcasts.service, i18n: app.i18n, redis: app.redis, prefix: `${app.queues.settings.prefix}` });
    await cmd.handle(ctx('/thongbao Họp các chủ tịch xã', true, 'Họp các chủ tịch xã'));
    const provinces = await cmd.handle(ctx('4', false));
    expect(provinces.open).toBe(true);
    const labels = provinces.reply[0]!.choices!.map((c) => c.label);
    expect(labels).toEqual(['Nghệ An', 'Hà Tĩnh', 'Tất cả']);
    const byProvince = await cmd.handle(ctx('1', false));
    expect(byProvince.reply[0]!.text).toContain('Số người nhận: 2');
    expect(byProvince.reply[0]!.text).toContain('Nhóm nhận: Nghệ An');
    const roles = await cmd.handle(ctx('5', false));
    expect(roles.reply[0]!.choices!.map((c) => c.label)).toEqual(['Chủ tịch UBND xã', 'Phó Chủ tịch UBND xã', 'Cán bộ Sở / đội ngũ nòng cốt CĐS', 'Chức vụ khác', 'Tất cả']);
    const byRole = await cmd.handle(ctx('1', false));
    expect(byRole.reply[0]!.text).toContain('Số người nhận: 1');
    expect(byRole.reply[0]!.text).toContain('Nhóm nhận: Nghệ An · Chủ tịch UBND xã');
    // A status nobody has: 0 reached; then back to every status.
    await cmd.handle(ctx('6', false));
    expect((await cmd.handle(ctx('4', false))).reply[0]!.text).toContain('Số người nhận: 0');
    await cmd.handle(ctx('6', false));
    expect((await cmd.handle(ctx('tất cả', false))).reply[0]!.text).toContain('Số người nhận: 1');
    // A cohort is typed.
    expect((await cmd.handle(ctx('3', false))).reply[0]!.text).toBe('Nhập mã đợt học (0: mọi đợt):');
    const byCohort = await cmd.handle(ctx('demo', false));
    expect(byCohort.reply[0]!.text).toContain('Nhóm nhận: đợt demo · Nghệ An · Chủ tịch UBND xã');
    const before = (await app.broadcasts.store.list()).length;
    const sent = await cmd.handle(ctx('1', false));
    expect(sent.reply[0]!.text).toMatch(/^Đã tạo thông báo \w+\. Đang gửi tới 1 người\.$/);
    const list = await app.broadcasts.store.list();
    expect(list.length).toBe(before + 1);
    expect(list.find((b) => b.text.vi === 'Họp các chủ tịch xã')!.segment).toEqual({ cohort: 'demo', province: 'Nghệ An', role: 'chair' });
  });

  it('should keep a province admin to their province: no province choice, and the preview and the broadcast scoped', async () => {
    const cmd = announceCommand({ service: app.broadcasts.service, i18n: app.i18n, redis: app.redis, prefix: `${app.queues.settings.prefix}` });
    const province = { ...ctx('', true), principal: { id: 'chat:console:ht', name: 'Sở Hà Tĩnh', scope: { kind: 'province' as const, province: 'Hà Tĩnh' } }, conversation: 'console:ht' };
    const menu = await cmd.handle({ ...province, text: '/thongbao Tin của tỉnh', args: 'Tin của tỉnh' });
    expect(menu.reply[0]!.text).toContain('Số người nhận: 1');
    expect(menu.reply[0]!.text).toContain('Nhóm nhận: Hà Tĩnh');
    expect(menu.reply[1]!.choices!.map((c) => c.label)).toEqual(['Gửi', 'Huỷ', 'Chọn đợt học', 'Chọn vai trò', 'Chọn trạng thái']);
    // "4" is the role here; choosing every role leaves the province in place.
    expect((await cmd.handle({ ...province, text: '4', command: false })).reply[0]!.text).toBe('Chọn vai trò:');
    expect((await cmd.handle({ ...province, text: '0', command: false })).reply[0]!.text).toContain('Nhóm nhận: Hà Tĩnh');
    await cmd.handle({ ...province, text: '1', command: false });
    const mine = (await app.broadcasts.store.list()).find((b) => b.text.vi === 'Tin của tỉnh')!;
    expect(mine.segment).toEqual({ province: 'Hà Tĩnh' });
  });

  it('should read the menu and each choice by its words, as typed on Zalo, not only by number', async () => {
    const cmd = announceCommand({ service: app.broadcasts.service, i18n: app.i18n, redis: app.redis, prefix: `${app.queues.settings.prefix}` });
    await cmd.handle(ctx('/thongbao Tin theo chữ', true, 'Tin theo chữ'));
    expect((await cmd.handle(ctx('vai trò', false))).reply[0]!.text).toBe('Chọn vai trò:');
    expect((await cmd.handle(ctx('pho chu tich', false))).reply[0]!.text).toContain('Nhóm nhận: Phó Chủ tịch UBND xã');
    expect((await cmd.handle(ctx('trạng thái', false))).reply[0]!.text).toBe('Chọn trạng thái học:');
    expect((await cmd.handle(ctx('đang học', false))).reply[0]!.text).toContain('Nhóm nhận: Phó Chủ tịch UBND xã · Đang học');
    expect((await cmd.handle(ctx('huỷ', false))).reply[0]!.text).toBe('Đã huỷ, không gửi gì.');
  });

  it('should take the text after the command and send nothing on "2"', async () => {
    const cmd = announceCommand({ service: app.broadcasts.service, i18n: app.i18n, redis: app.redis, prefix: `${app.queues.settings.prefix}` });
    const before = (await app.broadcasts.store.list()).length;
    expect((await cmd.handle(ctx('/thongbao Tin thử', true, 'Tin thử'))).open).toBe(true);
    expect((await cmd.handle(ctx('Huỷ', false))).reply[0]!.text).toBe('Đã huỷ, không gửi gì.');
    expect((await app.broadcasts.store.list()).length).toBe(before);
  });
});
