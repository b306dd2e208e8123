import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addAdmin, linkChat, listAdmins, revokeAdmin, unlinkChat, type AdminCliDeps } from '../../src/cli/admin.js';
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
    expect(lines[0]).toMatch(/^id\s+name\s+scope\s+created\s+revoked\s+chats$/);
    expect(lines.find((l) => l.includes(id!))).toMatch(/ministry\s+\S+\s+\d{4}-\d\d-\d\dT\S+Z\s+-$/);
    expect(lines.find((l) => l.includes('Nghệ An'))).toMatch(/\s-\s+-$/);
    expect((await audit.list({ limit: 1 })).entries[0]).toMatchObject({ action: 'admin.revoke', target: id, from: 'cli' });
    await expect(revokeAdmin(deps, 'adm_nobody')).rejects.toThrow(/no admin account/);
  });

  it('should link a chat to an account by its name, move it to another, list it, unlink it, audited; and refuse a bad chat id or a revoked account', async () => {
    await addAdmin(deps, { name: 'Sở Hà Tĩnh', scope: 'province:Hà Tĩnh' });
    const ht = /tài khoản quản trị (adm_\w+)/.exec(printed.at(-3)!)?.[1];
    printed.length = 0;
    await linkChat(deps, 'Sở KH&CN Nghệ An', 'Telegram:555001');
    expect(printed[0]).toMatch(/^Đã liên kết telegram:555001 với tài khoản adm_\w+ \(Sở KH&CN Nghệ An, phạm vi province:Nghệ An\)/);
    expect(await deps.accounts.chatPrincipal('telegram:555001')).toMatchObject({ name: 'Sở KH&CN Nghệ An', scope: { kind: 'province', province: 'Nghệ An' } });
    const na = (await deps.accounts.list()).find((a) => a.name === 'Sở KH&CN Nghệ An')!.id;
    printed.length = 0;
    await linkChat(deps, ht!, 'telegram:555001');
    expect(printed[1]).toBe(`Khung chat này trước đó liên kết với tài khoản ${na}.`);
    expect(await deps.accounts.chatPrincipal('telegram:555001')).toMatchObject({ id: ht, scope: { province: 'Hà Tĩnh' } });
    expect((await audit.list({ limit: 1 })).entries[0]).toMatchObject({ action: 'admin.link', target: ht, detail: { chat: 'telegram:555001', movedFrom: na }, from: 'cli' });
    printed.length = 0;
    await listAdmins(deps);
    expect(printed[0]!.split('\n').find((l) => l.includes(ht!))).toMatch(/\s-\s+telegram:555001$/);
    await expect(linkChat(deps, ht!, 'telegram:12ab')).rejects.toMatchObject({ name: 'CliInputError', message: expect.stringContaining('not a chat id') });
    await expect(linkChat(deps, ht!, 'zalo:{"$ne":1}')).rejects.toMatchObject({ name: 'CliInputError' });
    printed.length = 0;
    await unlinkChat(deps, 'telegram:555001');
    expect(printed[0]).toBe('Đã bỏ liên kết telegram:555001: khung chat này không còn quyền của tài khoản nào.');
    expect(await deps.accounts.chatPrincipal('telegram:555001')).toBeNull();
    expect((await audit.list({ limit: 1 })).entries[0]).toMatchObject({ action: 'admin.unlink', target: 'telegram:555001', from: 'cli' });
    await unlinkChat(deps, 'telegram:555001');
    expect(printed[1]).toBe('telegram:555001 chưa liên kết với tài khoản nào.');
    // A revoked account takes no new chat, and a chat linked before it was revoked has no rights.
    await linkChat(deps, ht!, 'zalo:AbC-9');
    await revokeAdmin(deps, ht!);
    expect(await deps.accounts.chatPrincipal('zalo:AbC-9')).toBe('revoked');
    await expect(linkChat(deps, ht!, 'telegram:555002')).rejects.toMatchObject({ name: 'CliInputError', message: expect.stringContaining('revoked') });
  });
});
