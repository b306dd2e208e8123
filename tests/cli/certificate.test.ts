import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { listCertificates, reissueCertificate, revokeCertificate, showCertificate, type CertificateCliDeps } from '../../src/cli/certificate.js';
import type { AuditEntry } from '../../src/admin/scope.js';
import { createTranslator } from '../../src/i18n/index.js';
import { connectDatabase, type Database } from '../../src/storage/mongo.js';
import { MongoCertificateStore } from '../../src/storage/certificates.js';
import { MongoLearnerStore } from '../../src/storage/stores.js';
import { ROOT, testConfig } from '../support/env.js';

const run = promisify(execFile);
const config = testConfig();
let db: Database;
let dir: string;
let deps: CertificateCliDeps;
let learners: MongoLearnerStore;
const printed: string[] = [];
const audit: AuditEntry[] = [];

beforeAll(async () => {
  db = await connectDatabase(config.MONGODB_URL);
  dir = await mkdtemp(join(tmpdir(), 'cds-cert-cli-'));
  learners = new MongoLearnerStore(db.models);
  deps = {
    store: new MongoCertificateStore(db.conn, { serialPrefix: 'CĐS-XA', timezone: 'Asia/Ho_Chi_Minh' }),
    learners,
    i18n: await createTranslator(resolve(ROOT, 'locales'), 'vi'),
    now: () => new Date('2022-06-01T03:00:00Z'),
    audit: { record: async (e) => void audit.push(e) },
    print: (t) => void printed.push(t),
  };
});
afterAll(async () => {
  await db.conn.dropDatabase();
  await db.close();
  await rm(dir, { recursive: true, force: true });
});

async function issued(fullName: string, commune = 'Xã Nghi Lộc') {
  const learner = await learners.create({ conversations: [], unreachable: [], profile: { fullName, role: 'chair', commune, province: 'Nghệ An' }, locale: 'vi', cohortId: 'dot1', stopped: false, onboarded: true, createdAt: new Date() } as never);
  const c = await deps.store.issue({ learnerId: learner.id, cohortId: 'dot1', courseId: 'cds-xa', holder: { fullName, commune }, courseTitle: 'Chuyển đổi số', cohortTitle: 'Đợt 1', scorePercent: 90, passedAt: new Date() }, new Date('2022-05-20T03:00:00Z'));
  return { learner, c };
}

const last = () => JSON.parse(printed.at(-1)!);

describe('certificate CLI', () => {
  it('should show, revoke with a reason, and refuse a second revocation', async () => {
    const { c } = await issued('Phạm Văn Đồng');
    await showCertificate(deps, c.code.toLowerCase());
    expect(last()).toMatchObject({ serial: c.serial, status: 'valid', holder: { fullName: 'Phạm Văn Đồng' } });
    await expect(revokeCertificate(deps, c.code, '  ')).rejects.toThrow(/--reason/);
    await revokeCertificate(deps, c.code, 'cấp nhầm');
    expect(last()).toMatchObject({ status: 'revoked', revoked: { reason: 'cấp nhầm', at: '2022-06-01T03:00:00.000Z' } });
    expect(audit.at(-1)).toMatchObject({ action: 'certificate.revoke', target: c.serial, from: 'cli' });
    await expect(revokeCertificate(deps, c.code, 'again')).rejects.toThrow(/already revoked/);
    await expect(showCertificate(deps, 'not a code')).rejects.toThrow(/not a verification code/);
  });

  it('should reissue from the corrected profile: a new serial and code, the old one revoked pointing to it, and again gives the same', async () => {
    const { learner, c } = await issued('Nguyen Thi Hoa');
    await learners.save({ ...learner, profile: { ...learner.profile, fullName: 'Nguyễn Thị Hoà' } });
    await reissueCertificate(deps, c.code, 'sửa tên');
    const { old, current } = last();
    expect(current).toMatchObject({ status: 'valid', holder: { fullName: 'Nguyễn Thị Hoà', role: 'Chủ tịch UBND xã' }, replaces: old.code });
    expect(current.serial).not.toBe(c.serial);
    expect(old).toMatchObject({ status: 'revoked', revoked: { reason: 'sửa tên', replacedBy: current.code } });
    expect((await deps.store.findFor(learner.id, 'dot1'))?.serial).toBe(current.serial);
    await reissueCertificate(deps, c.code, 'sửa tên');
    expect(last().current.serial).toBe(current.serial);
    expect(audit.filter((a) => a.action === 'certificate.reissue')).toHaveLength(2);
  });

  it('should list a cohort as CSV with formula cells neutralised, through the command line', async () => {
    await issued('=HYPERLINK("http://evil")', '+Xã Lạ');
    const out = join(dir, 'dot1.csv');
    const r = await run('node', ['--import', 'tsx', 'src/cli/index.ts', 'certificate', 'list', '--cohort', 'dot1', '--out', out], { cwd: ROOT, env: { ...process.env, MONGODB_URL: config.MONGODB_URL } });
    expect(r.stdout).toContain('4 certificates of cohort dot1');
    const rows = parse(await readFile(out), { bom: true, columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(4);
    const evil = rows.find((r) => r.full_name!.includes('HYPERLINK'))!;
    expect(evil.full_name).toBe(`'=HYPERLINK("http://evil")`);
    expect(evil.commune).toBe("'+Xã Lạ");
    expect(rows.map((r) => r.status).sort()).toEqual(['revoked', 'revoked', 'valid', 'valid']);
    printed.length = 0;
    await listCertificates(deps, 'dot1');
    expect(printed[0]!.split('\n')[0]).toBe('serial,code,status,full_name,role,commune,district,province,score_percent,issued_at,sent_at,revoked_at,revoked_reason');
  }, 30_000);
});
