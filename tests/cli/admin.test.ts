import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addAdmin, listAdmins, revokeAdmin, type AdminCliDeps } from '../../src/cli/admin.js';
import { AdminAccounts } from '../../src/admin/accounts.js';
import { MongoAuditLog } from '../../src/admin/audit.js';
import { createTranslator } from '../../src/i18n/index.js';
import { connectDatabase, type Database } from '../../src/storage/mongo.js';
import { ROOT, testConfig } from '../support/env.js';

const run = promisify(execFile);
const config = testConfig();
let db: Database;
let deps: AdminCliDeps;
let audit: MongoAuditLog;
const printed: string[] = [];

beforeAll(async () => {
  db = await connectDatabase(config.MONGODB_URL);
  audit = new MongoAuditLog(db.conn);
  deps = {
    accounts: new AdminAccounts(db.conn, { provinces: ['Nghệ An', 'Hà Tĩnh'] }),
    audit,
    i18n: await createTranslator(resolve(ROOT, 'locales'), 'vi'),
    locale: 'vi',
    print: (t) => void printed.push(t),
  };
});
afterAll(async () => {
  await db.conn.dropDatabase();
  await db.close();
});

describe('admin CLI', () => {
  it('should add through the command line, print the token once with a warning, and audit it without the token', async () => {
    const r = await run('node', ['--import', 'tsx', 'src/cli/index.ts', 'admin', 'add', '--name', 'Sở KH&CN Nghệ An', '--scope', 'province:Nghệ An'], { cwd: ROOT, env: { ...process.env, MONGODB_URL: config.MONGODB_URL, DEFAULT_LOCALE: 'vi' } });
    const token = /^(cdsadm_\S+)$/m.exec(r.stdout)?.[1];
    expect(token).toBeDefined();
    expect(r.stdout).toContain('không được hiển thị lại');
    expect(await deps.accounts.authenticate(token)).toMatchObject({ name: 'Sở KH&CN Nghệ An', scope: { kind: 'province', province: 'Nghệ An' } });
    const { entries } = await audit.list({ limit: 10 });
    expect(entries[0]).toMatchObject({ action: 'admin.add', from: 'cli', actor: { id: 'cli' } });
    expect(JSON.stringify(entries)).not.toContain(token!);
    await expect(addAdmin(deps, { name: 'X', scope: 'province:Atlantis' })).rejects.toMatchObject({ name: 'CliInputError', message: expect.stringContaining('not a province') });
  }, 30_000);

  it('should list accounts as a table and revoke by id, audited', async () => {
    await addAdmin(deps, { name: 'Bộ', scope: 'ministry' });
    const id = /tài khoản quản trị (adm_\w+)/.exec(printed[0]!)?.[1];
    expect(id).toBeDefined();
    printed.length = 0;
    await revokeAdmin(deps, id!);
    expect(printed[0]).toContain(`Đã thu hồi tài khoản ${id}`);
    printed.length = 0;
    await listAdmins(deps);
    const lines = printed[0]!.split('\n');
    expect(lines[0]).toMatch(/^id\s+name\s+scope\s+created\s+revoked$/);
    expect(lines.find((l) => l.includes(id!))).toMatch(/ministry\s+\S+\s+\d{4}-\d\d-\d\dT\S+Z$/);
    expect(lines.find((l) => l.includes('Nghệ An'))).toMatch(/-$/);
    expect((await audit.list({ limit: 1 })).entries[0]).toMatchObject({ action: 'admin.revoke', target: id, from: 'cli' });
    await expect(revokeAdmin(deps, 'adm_nobody')).rejects.toThrow(/no admin account/);
  });
});
