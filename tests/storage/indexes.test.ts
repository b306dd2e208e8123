import mongoose, { type Connection } from 'mongoose';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureIndexes, registerModels, type Models } from '../../src/storage/models.js';
import { testConfig } from '../support/env.js';

const opened: Connection[] = [];

/** A connection of its own, as another process would have. */
async function connect(url: string): Promise<Connection> {
  const conn = mongoose.createConnection(url, { autoIndex: false, sanitizeFilter: true });
  opened.push(conn);
  await conn.asPromise();
  return conn;
}

/** Starts `n` "processes" at once on a fresh database; resolves how each ensureIndexes ended and the learners' indexes after. */
async function startTogether(n: number) {
  const url = testConfig().MONGODB_URL;
  const conns = await Promise.all(Array.from({ length: n }, () => connect(url)));
  const models = conns.map((c) => registerModels(c));
  const results = await Promise.allSettled(models.map((m) => ensureIndexes(m)));
  const indexes = (await models[0]!.Learner.listIndexes()) as { name: string; unique?: boolean }[];
  await conns[0]!.dropDatabase();
  return { results, indexes };
}

function fakeModels(syncIndexes: () => Promise<unknown>): Models {
  return { Only: { syncIndexes } } as unknown as Models;
}

afterAll(async () => {
  await Promise.all(opened.map((c) => c.close()));
});

describe('ensureIndexes', () => {
  it('should succeed in two processes starting at once on a fresh database', async () => {
    for (let round = 0; round < 6; round++) {
      const { results, indexes } = await startTogether(2);
      for (const r of results) expect(r.status === 'rejected' ? String(r.reason) : 'ok').toBe('ok');
      expect(indexes.find((i) => i.name === 'inviteCode_1')).toMatchObject({ unique: true });
    }
  });

  it('should succeed when many start together, where losing the race is likely', async () => {
    for (let round = 0; round < 6; round++) {
      const { results } = await startTogether(6);
      for (const r of results) expect(r.status === 'rejected' ? String(r.reason) : 'ok').toBe('ok');
    }
  });

  it('should sync a model again after losing the race, and give up only after several losses', async () => {
    let calls = 0;
    const race = () => Object.assign(new Error('index not found with name [inviteCode_1]'), { code: 27 });
    await ensureIndexes(fakeModels(async () => (++calls < 3 ? Promise.reject(race()) : undefined)));
    expect(calls).toBe(3);

    calls = 0;
    const exists = () => new Error('index with name inviteCode_1 already exists');
    await expect(ensureIndexes(fakeModels(async () => { calls++; throw exists(); }), 3)).rejects.toThrow('already exists');
    expect(calls).toBe(3);
  });

  it('should throw any other error at once', async () => {
    let calls = 0;
    const other = Object.assign(new Error('not authorized'), { code: 13 });
    await expect(ensureIndexes(fakeModels(async () => { calls++; throw other; }))).rejects.toBe(other);
    expect(calls).toBe(1);
  });
});
