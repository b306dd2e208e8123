/**
 * The Redis copies that spare the inbound path database reads: the conversation → learner links
 * (MongoLearnerStore with a cache). What they may never do: show a link that moved.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import type { Database } from '../../src/storage/mongo.js';
import { MongoLearnerStore } from '../../src/storage/stores.js';
import { closeServices, openServices, uniqueName } from '../support/env.js';
import type { ConversationId } from '../../src/core/model.js';

let db: Database;
let redis: Redis;
const prefix = uniqueName('cdscopies');

beforeAll(async () => ({ db, redis } = await openServices()));
afterAll(() => closeServices({ db, redis }, prefix));

const learner = (conversation: ConversationId) => ({
  conversations: [conversation],
  unreachable: [],
  profile: {},
  locale: 'vi' as const,
  cohortId: 'demo',
  stopped: false,
  onboarded: false,
  createdAt: new Date(),
});

describe('the conversation → learner links copied to Redis', () => {
  it('should answer from the copy, and follow a move made through any store sharing it', async () => {
    const a = new MongoLearnerStore(db.models, { redis, prefix });
    const b = new MongoLearnerStore(db.models, { redis, prefix });
    const first = await a.create(learner('telegram:1'));
    const second = await a.create(learner('zalo:1'));
    expect(await a.learnerIdOf('telegram:1')).toBe(first.id);
    expect(await redis.get(`${prefix}:conv:telegram:1`)).toBe(first.id);
    // The copy is what answers: a link changed behind the stores' back is not seen (moves go through move()).
    await db.models.Conversation.updateOne({ _id: 'telegram:1' }, { $set: { learnerId: 'elsewhere' } });
    expect(await b.learnerIdOf('telegram:1')).toBe(first.id);
    await db.models.Conversation.updateOne({ _id: 'telegram:1' }, { $set: { learnerId: first.id } });

    expect(await b.move('telegram:1', first.id, second.id)).toBe(true);
    expect(await a.learnerIdOf('telegram:1')).toBe(second.id);
    expect(await redis.get(`${prefix}:conv:telegram:1`)).toBe(second.id);
    // A move from someone who no longer holds it changes nothing, and leaves no copy of the old link.
    expect(await a.move('telegram:1', first.id, 'nobody')).toBe(false);
    expect(await b.learnerIdOf('telegram:1')).toBe(second.id);
  });

  it('should not copy a conversation without a learner', async () => {
    const store = new MongoLearnerStore(db.models, { redis, prefix });
    expect(await store.learnerIdOf('telegram:404')).toBeNull();
    expect(await redis.exists(`${prefix}:conv:telegram:404`)).toBe(0);
    const created = await store.create(learner('telegram:404'));
    expect(await store.learnerIdOf('telegram:404')).toBe(created.id);
  });
});
