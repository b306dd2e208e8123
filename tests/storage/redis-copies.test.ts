/**
 * The Redis copies that spare the inbound path database reads: the conversation → learner links
 * and the learner and enrolment records (MongoLearnerStore, MongoEnrolmentStore with a cache).
 * What they may never do: show a link that moved, or a record older than the database's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import type { Database } from '../../src/storage/mongo.js';
import { MongoEnrolmentStore, MongoLearnerStore } from '../../src/storage/stores.js';
import { MongoReachability } from '../../src/storage/reachability.js';
import { enrolmentField, LEARNER_FIELD, RecordCopies } from '../../src/storage/record-copies.js';
import { MongoReviewStore } from '../../src/storage/review.js';
import { newEnrolment } from '../support/store-contract.js';
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

describe('the learner and enrolment records copied to Redis', () => {
  const key = (learnerId: string) => `${prefix}:rec:${learnerId}`;

  it('should serve the next read from the copy a save wrote, dates and all', async () => {
    const learners = new MongoLearnerStore(db.models, { redis, prefix });
    const enrolments = new MongoEnrolmentStore(db.models, { redis, prefix });
    const l = await learners.create(learner('telegram:20'));
    const e = await enrolments.ensure(newEnrolment(l.id, { cohortId: 'demo' }));
    const savedL = await learners.save({ ...l, lessonHour: 9, prompt: undefined });
    const savedE = await enrolments.save({ ...e, status: 'in_progress', completedLessons: ['t1-l01'], lastActivityAt: new Date('2026-03-02T01:02:03.004Z') });
    expect(await redis.hexists(key(l.id), LEARNER_FIELD)).toBe(1);
    expect(await redis.ttl(key(l.id))).toBeGreaterThan(0);
    // Changed behind the stores' back (nothing in the app does): the copy is what answers.
    await db.models.Learner.updateOne({ _id: l.id }, { $set: { lessonHour: 20 } });
    await db.models.Enrolment.updateOne({ _id: e.id }, { $set: { status: 'completed' } });
    expect(await learners.findById(l.id)).toEqual(savedL);
    const found = await enrolments.find(l.id, 'demo');
    expect(found).toEqual(savedE);
    expect(found?.lastActivityAt).toBeInstanceOf(Date);
  });

  it('should give back from a copy what the database gives back', async () => {
    const copied = { learners: new MongoLearnerStore(db.models, { redis, prefix }), enrolments: new MongoEnrolmentStore(db.models, { redis, prefix }), reviews: new MongoReviewStore(db.models, { redis, prefix }) };
    const stored = { learners: new MongoLearnerStore(db.models), enrolments: new MongoEnrolmentStore(db.models), reviews: new MongoReviewStore(db.models) };
    const l = await copied.learners.create({ ...learner('telegram:24'), prompt: 'hour', profile: { fullName: 'Nguyễn Văn An', province: 'Nghệ An' } });
    await copied.learners.save({ ...l, prompt: undefined, onboarded: true, lessonHour: 8 });
    const e = await copied.enrolments.ensure(newEnrolment(l.id, { cohortId: 'demo' }));
    await copied.enrolments.save({ ...e, cursor: { at: 'question', lessonId: 't1-l01', questionId: 'q1' }, checkResults: { q0: true }, reviewDueAt: new Date('2026-03-05T00:00:00.000Z') });
    const due = new Date('2026-03-04T00:00:00.000Z');
    await copied.reviews.save({ learnerId: l.id, cohortId: 'demo', items: [{ questionId: 'q0', lessonId: 't1-l01', due, stability: 1.5, difficulty: 5, reps: 1, lapses: 0, state: 'review', lastReview: due }] as never, version: 0 });
    expect(await redis.hlen(`${prefix}:rec:${l.id}`)).toBe(3);
    expect(await copied.learners.findById(l.id)).toEqual(await stored.learners.findById(l.id));
    expect(await copied.enrolments.find(l.id, 'demo')).toEqual(await stored.enrolments.find(l.id, 'demo'));
    expect(await copied.reviews.find(l.id, 'demo')).toEqual(await stored.reviews.find(l.id, 'demo'));
  });

  it('should fill a missing copy from the database, never over a newer one', async () => {
    const learners = new MongoLearnerStore(db.models, { redis, prefix });
    const l = await learners.create(learner('telegram:21'));
    expect(await redis.hexists(key(l.id), LEARNER_FIELD)).toBe(0);
    const read = await learners.findById(l.id);
    expect(await redis.hexists(key(l.id), LEARNER_FIELD)).toBe(1);
    const saved = await learners.save({ ...read!, lessonHour: 7 });
    // A read outside the learner's lease that began before the save ends after it: its fill loses.
    await new RecordCopies(redis, prefix).fill(l.id, LEARNER_FIELD, read!);
    expect((await learners.findById(l.id))?.lessonHour).toBe(7);
    expect((await learners.findById(l.id))?.version).toBe(saved.version);
  });

  it('should leave no copy when a save stops before or after its database write', async () => {
    const enrolments = new MongoEnrolmentStore(db.models, { redis, prefix });
    const e = await enrolments.ensure(newEnrolment('6500000000000000000000aa', { cohortId: 'demo' }));
    expect(await enrolments.find(e.learnerId, 'demo')).toEqual(e);
    const field = enrolmentField('demo');

    // The database refuses the write: the copy was dropped first, and the record reads as stored.
    const updateOne = db.models.Enrolment.updateOne;
    db.models.Enrolment.updateOne = (() => Promise.reject(new Error('database gone'))) as never;
    try {
      await expect(enrolments.save({ ...e, status: 'in_progress' })).rejects.toThrow('database gone');
    } finally {
      db.models.Enrolment.updateOne = updateOne;
    }
    expect(await redis.hexists(key(e.learnerId), field)).toBe(0);
    expect((await enrolments.find(e.learnerId, 'demo'))?.status).toBe('not_started');

    // Written, then the process stops before the copy (its write fails here): the next read is the database's.
    const put = RecordCopies.prototype.put;
    RecordCopies.prototype.put = () => Promise.reject(new Error('stopped'));
    try {
      await expect(enrolments.save({ ...e, status: 'completed' })).rejects.toThrow('stopped');
    } finally {
      RecordCopies.prototype.put = put;
    }
    expect(await redis.hexists(key(e.learnerId), field)).toBe(0);
    expect((await enrolments.find(e.learnerId, 'demo'))?.status).toBe('completed');
  });

  it('should drop the learner\u2019s copy when a conversation is marked blocked, found again, or moved away', async () => {
    const learners = new MongoLearnerStore(db.models, { redis, prefix });
    const reachability = new MongoReachability(db.models, undefined, new RecordCopies(redis, prefix));
    const l = await learners.create({ ...learner('telegram:22'), conversations: ['telegram:22', 'zalo:22'] });
    const other = await learners.create(learner('zalo:23'));
    await learners.findById(l.id);
    await reachability.markBlocked('zalo:22', new Date());
    expect((await learners.findById(l.id))?.unreachable).toEqual(['zalo:22']);
    await reachability.markReachable('zalo:22');
    expect((await learners.findById(l.id))?.unreachable).toEqual([]);
    expect(await learners.move('zalo:22', l.id, other.id)).toBe(true);
    expect((await learners.findById(l.id))?.conversations).toEqual(['telegram:22']);
  });
});
