import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminAccounts, hashToken } from '../../src/admin/accounts.js';
import { MongoAuditLog } from '../../src/admin/audit.js';
import { connectDatabase, type Database } from '../../src/storage/mongo.js';
import { testConfig } from '../support/env.js';

const config = testConfig();
let db: Database;
let accounts: AdminAccounts;

beforeAll(async () => {
  db = await connectDatabase(config.MONGODB_URL);
  accounts = new AdminAccounts(db.conn, { bootstrapToken: 'bootstrap-secret-0123456789', provinces: ['Nghệ An', 'Hà Tĩnh', 'Thanh Hóa'] });
});
afterAll(async () => {
  await db.conn.dropDatabase();
  await db.close();
});

describe('admin accounts', () => {
  it('should give a token once, store only its hash, and authenticate it to the account', async () => {
    const { account, token } = await accounts.add({ name: 'Sở KH&CN Nghệ An', scope: 'province:Nghệ An' });
    expect(token).toMatch(/^cdsadm_[A-Za-z0-9_-]{32}$/);
    expect(account).toMatchObject({ name: 'Sở KH&CN Nghệ An', scope: { kind: 'province', province: 'Nghệ An' } });
    const stored = await db.conn.collection('admin_accounts').find({}).toArray();
    expect(JSON.stringify(stored)).not.toContain(token);
    expect(stored.map((d) => d._id)).toContain(hashToken(token));
    expect(await accounts.authenticate(token)).toEqual({ id: account.id, name: 'Sở KH&CN Nghệ An', scope: { kind: 'province', province: 'Nghệ An' } });
    expect(await accounts.authenticate(token + 'x')).toBeNull();
    expect(await accounts.authenticate({ $ne: null })).toBeNull();
  });

  it('should take ADMIN_TOKEN as the bootstrap ministry account', async () => {
    expect(await accounts.authenticate('bootstrap-secret-0123456789')).toEqual({ id: 'bootstrap', name: 'ADMIN_TOKEN', scope: { kind: 'ministry' } });
    const off = new AdminAccounts(db.conn, { provinces: [] });
    expect(off.enabled).toBe(false);
    expect(await off.authenticate('bootstrap-secret-0123456789')).toBeNull();
  });

  it('should spell a province as the content does, whatever its Unicode form or case, and refuse one that does not exist', async () => {
    const { account } = await accounts.add({ name: 'Thanh Hoá', scope: 'province:thanh hoa'.normalize('NFD') });
    expect(account.scope).toEqual({ kind: 'province', province: 'Thanh Hóa' });
    await expect(accounts.add({ name: 'X', scope: 'province:Atlantis' })).rejects.toThrow(/not a province/);
    await expect(accounts.add({ name: 'X', scope: 'king' })).rejects.toThrow(/ministry/);
    await expect(accounts.add({ name: '  ', scope: 'ministry' })).rejects.toThrow(/name/);
  });

  it('should revoke by id or by a unique name, after which the token no longer authenticates', async () => {
    const a = await accounts.add({ name: 'Sở Hà Tĩnh', scope: 'province:Hà Tĩnh' });
    const b = await accounts.add({ name: 'Bộ', scope: 'ministry' });
    const revoked = await accounts.revoke('Sở Hà Tĩnh');
    expect(revoked.revokedAt).toBeInstanceOf(Date);
    expect(await accounts.authenticate(a.token)).toBeNull();
    await accounts.revoke(b.account.id);
    expect(await accounts.authenticate(b.token)).toBeNull();
    await expect(accounts.revoke('nobody')).rejects.toMatchObject({ statusCode: 404 });
    await expect(accounts.revoke('bootstrap')).rejects.toThrow(/ADMIN_TOKEN/);
    const listed = await accounts.list();
    expect(listed.find((x) => x.id === a.account.id)?.revokedAt).toBeDefined();
    expect(listed.filter((x) => !x.revokedAt).map((x) => x.name)).toEqual(['Sở KH&CN Nghệ An', 'Thanh Hoá']);
  });

  it('should refuse to revoke by a name two live accounts share', async () => {
    await accounts.add({ name: 'Trùng', scope: 'ministry' });
    await accounts.add({ name: 'Trùng', scope: 'ministry' });
    await expect(accounts.revoke('Trùng')).rejects.toThrow(/2 accounts are named/);
  });
});

describe('the audit log', () => {
  it('should list newest first by cursor, never keep a token, and refuse a malformed cursor', async () => {
    let t = Date.parse('2026-01-01T00:00:00Z');
    const audit = new MongoAuditLog(db.conn, () => new Date((t += 1000)));
    for (let i = 0; i < 5; i++) await audit.record({ actor: { id: 'x', name: 'X' }, action: `a.${i}`, detail: { n: i, token: 'cdsadm_secret', nested: { Authorization: 'Bearer y' } }, from: 'cli' });
    const first = await audit.list({ limit: 2 });
    expect(first.entries.map((e) => e.action)).toEqual(['a.4', 'a.3']);
    const second = await audit.list({ limit: 2, before: first.next! });
    expect(second.entries.map((e) => e.action)).toEqual(['a.2', 'a.1']);
    const third = await audit.list({ limit: 2, before: second.next! });
    expect(third).toMatchObject({ next: null });
    expect(third.entries.map((e) => e.action)).toEqual(['a.0']);
    expect(JSON.stringify(first.entries)).not.toMatch(/secret|Bearer/);
    await expect(audit.list({ limit: 2, before: '{"$gt":""}' })).rejects.toMatchObject({ statusCode: 400 });
  });
});
