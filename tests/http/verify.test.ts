import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from '../../src/http/server.js';
import { registerVerifyRoutes } from '../../src/http/verify.js';
import { CertificateFiles } from '../../src/certificates/files.js';
import { displayCode, type Certificate } from '../../src/core/certificates.js';
import { connectDatabase, type Database } from '../../src/storage/mongo.js';
import { MongoCertificateStore } from '../../src/storage/certificates.js';
import { Metrics } from '../../src/metrics.js';
import { deleteKeys } from '../support/cleanup.js';
import { testConfig, uniqueName } from '../support/env.js';

const config = testConfig();
const prefix = uniqueName('cdsverify');
let db: Database;
let redis: Redis;
let dir: string;
let store: MongoCertificateStore;
let files: CertificateFiles;
let valid: Certificate;
let revoked: Certificate;

async function server(perMinute: number): Promise<FastifyInstance> {
  const s = createServer({ metrics: new Metrics(), logger: pino({ level: 'silent' }), checks: {} });
  await registerVerifyRoutes(s, { store, files, redis, prefix: uniqueName(prefix), perMinute, timezone: 'Asia/Ho_Chi_Minh' });
  return s;
}

beforeAll(async () => {
  db = await connectDatabase(config.MONGODB_URL);
  redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: null });
  dir = await mkdtemp(join(tmpdir(), 'cds-verify-'));
  store = new MongoCertificateStore(db.conn, { serialPrefix: 'CĐS-XA', timezone: 'Asia/Ho_Chi_Minh' });
  files = new CertificateFiles(store, { dir, publicBaseUrl: 'https://cds.example.vn', place: 'Hà Nội', timezone: 'Asia/Ho_Chi_Minh' });
  const draft = (learnerId: string, fullName: string) => ({
    learnerId,
    cohortId: 'dot1',
    courseId: 'cds-xa',
    holder: { fullName, role: 'Chủ tịch UBND xã', commune: 'Xã Nghi Lộc', province: 'Nghệ An' },
    courseTitle: 'Chuyển đổi số cấp xã',
    cohortTitle: 'Đợt 1',
    scorePercent: 93.3,
    passedAt: new Date('2022-05-20T02:00:00Z'),
  });
  valid = await store.issue(draft('learner-a', 'Nguyễn Thị Hoà'), new Date('2022-05-20T03:00:00Z'));
  revoked = await store.issue(draft('learner-b', 'Đặng Văn Ưng'), new Date('2022-05-20T03:00:00Z'));
  await store.revoke(revoked.code, 'trùng hồ sơ', new Date('2022-06-01T03:00:00Z'));
});

afterAll(async () => {
  await deleteKeys(redis, prefix);
  await redis.quit();
  await db.conn.dropDatabase();
  await db.close();
  await rm(dir, { recursive: true, force: true });
});

describe('GET /verify/:code', () => {
  it('should show a valid certificate in Vietnamese with only what it prints', async () => {
    const s = await server(100);
    const res = await s.inject({ url: `/verify/${valid.code}`, headers: { accept: 'text/html' } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/html');
    for (const text of ['Chứng nhận hợp lệ', 'Nguyễn Thị Hoà', valid.serial, 'Chuyển đổi số cấp xã', 'Đợt 1', '20/05/2022', 'Xã Nghi Lộc, Nghệ An']) expect(res.body).toContain(text);
    expect(res.body).not.toContain('learner-a');
    expect(res.body).not.toContain('93.3');
  });

  it('should answer JSON when asked, read the code in lower case with spaces and dashes, and carry nothing personal beyond the certificate', async () => {
    const s = await server(100);
    const typed = displayCode(valid.code).toLowerCase().replace('-', ' - ');
    const res = await s.inject({ url: `/verify/${encodeURIComponent(typed)}`, headers: { accept: 'application/json' } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      ok: true,
      status: 'valid',
      serial: valid.serial,
      code: displayCode(valid.code),
      holder: 'Nguyễn Thị Hoà',
      role: 'Chủ tịch UBND xã',
      place: 'Xã Nghi Lộc, Nghệ An',
      course: 'Chuyển đổi số cấp xã',
      cohort: 'Đợt 1',
      issuedOn: '2022-05-20',
    });
  });

  it('should say a revoked certificate is revoked, with the date', async () => {
    const s = await server(100);
    const page = await s.inject({ url: `/verify/${revoked.code}` });
    expect(page.body).toContain('đã bị thu hồi ngày 01/06/2022');
    expect(page.body).not.toContain('trùng hồ sơ');
    const json = await s.inject({ url: `/verify/${revoked.code}`, headers: { accept: 'application/json' } });
    expect(json.json()).toMatchObject({ status: 'revoked', revokedOn: '2022-06-01' });
  });

  it('should answer 404 to an unknown or malformed code', async () => {
    const s = await server(100);
    expect((await s.inject({ url: '/verify/AAAA-BBBB-CCCC' })).statusCode).toBe(404);
    expect((await s.inject({ url: '/verify/%7B%22%24gt%22%3A%22%22%7D', headers: { accept: 'application/json' } })).statusCode).toBe(404);
  });

  it('should answer 429 once a client passes the limit, so codes cannot be enumerated', async () => {
    const s = await server(5);
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await s.inject({ url: `/verify/AAAA-BBBB-CCC${i}` })).statusCode);
    expect(statuses).toEqual([404, 404, 404, 404, 404, 429, 429]);
    expect((await s.inject({ url: `/verify/${valid.code}` })).statusCode).toBe(429);
  });
});

describe('GET /certificates/:code.(pdf|png)', () => {
  it('should serve the PDF and the PNG of a valid certificate, 404 an unknown code and 410 a revoked one', async () => {
    const s = await server(100);
    const pdf = await s.inject({ url: `/certificates/${valid.code}.pdf` });
    expect(pdf.statusCode).toBe(200);
    expect(pdf.headers['content-type']).toBe('application/pdf');
    expect(pdf.rawPayload.subarray(0, 5).toString()).toBe('%PDF-');
    const png = await s.inject({ url: `/certificates/${valid.code.toLowerCase()}.png` });
    expect(png.headers['content-type']).toBe('image/png');
    expect(png.rawPayload.subarray(1, 4).toString()).toBe('PNG');
    expect((await s.inject({ url: '/certificates/AAAABBBBCCCC.pdf' })).statusCode).toBe(404);
    expect((await s.inject({ url: `/certificates/${valid.code}.exe` })).statusCode).toBe(404);
    expect((await s.inject({ url: `/certificates/${revoked.code}.pdf` })).statusCode).toBe(410);
  });
});
