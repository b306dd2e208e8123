/**
 * What the store contract suites share: records to store, hostile inputs, and the MongoDB
 * implementations wired on a fresh database per test file (dropped when the file ends).
 */
import { randomBytes } from 'node:crypto';
import { afterAll } from 'vitest';
import { Redis } from 'ioredis';
import type { Answer, Cohort, ConversationId, Enrolment, Learner } from '../../src/core/model.js';
import { connectDatabase, type Database } from '../../src/storage/mongo.js';
import { testConfig, uniqueName } from './env.js';
import { deleteKeys } from './cleanup.js';

/** A fresh test fixture per suite: the ports under test, and a way to empty them between tests. */
export type Make<T> = () => Promise<T & { reset(): Promise<void> }>;

export type NewLearner = Omit<Learner, 'id' | 'version'>;
export type NewEnrolment = Omit<Enrolment, 'id' | 'version'>;

export function conversation(channel: 'telegram' | 'zalo' | 'console' = 'console'): ConversationId {
  return `${channel}:${randomBytes(6).toString('hex')}`;
}

export function newLearner(over: Partial<NewLearner> = {}): NewLearner {
  return {
    conversations: [conversation()],
    unreachable: [],
    profile: {},
    locale: 'vi',
    cohortId: 'spring',
    stopped: false,
    onboarded: false,
    createdAt: new Date('2026-03-01T08:00:00.000Z'),
    ...over,
  };
}

export function newEnrolment(learnerId: string, over: Partial<NewEnrolment> = {}): NewEnrolment {
  return {
    learnerId,
    cohortId: 'spring',
    courseId: 'cds-basic',
    status: 'not_started',
    cursor: { at: 'idle' },
    completedLessons: [],
    checkResults: {},
    finalAttempts: [],
    lastActivityAt: new Date('2026-03-01T08:00:00.000Z'),
    ...over,
  };
}

export function newAnswer(learnerId: string, over: Partial<Answer> = {}): Answer {
  return {
    learnerId,
    cohortId: 'spring',
    questionId: 't1-l01-q1',
    chosenIndex: 1,
    correct: true,
    context: 'lesson',
    channel: 'telegram',
    updateId: randomBytes(4).toString('hex'),
    at: new Date('2026-03-02T09:00:00.000Z'),
    ...over,
  };
}

export function newCohort(id: string, over: Partial<Cohort> = {}): Cohort {
  return {
    id,
    courseId: 'cds-basic',
    title: `Cohort ${id}`,
    opensAt: new Date('2026-03-01T00:00:00.000Z'),
    closesAt: new Date('2026-06-01T00:00:00.000Z'),
    reminders: ['P7D', 'PT3H'],
    quietHours: { start: 21 * 60, end: 7 * 60 },
    lessonHour: 8,
    usesDistrict: false,
    provinceList: 'current',
    ...over,
  };
}

/**
 * Strings a chat message or a crafted payload could carry where an id or code is expected,
 * and the objects a careless JSON parse would let through: none may match a stored record.
 */
export const HOSTILE_STRINGS: readonly string[] = ['{ "$gt": "" }', '{"$ne":null}', '$where', '$gt', '.*', ''];
export const HOSTILE_OBJECTS: readonly string[] = [{ $gt: '' }, { $ne: null }, { $regex: '.*' }, { $exists: true }].map(
  (o) => o as unknown as string,
);

/** Resolves to what a lookup with a hostile input gave: its value, or 'rejected' when it threw. */
export async function settle<T>(p: Promise<T>): Promise<T | 'rejected'> {
  try {
    return await p;
  } catch {
    return 'rejected';
  }
}

/** Runs `n` copies of `task` at once. */
export function together<T>(n: number, task: (i: number) => Promise<T>): Promise<T[]> {
  return Promise.all(Array.from({ length: n }, (_, i) => task(i)));
}

/** The database of one test file: connected on first use, dropped after the file's last test. */
export function mongoDatabase(): () => Promise<Database> {
  let db: Promise<Database> | undefined;
  afterAll(async () => {
    if (!db) return;
    const d = await db;
    await d.conn.dropDatabase();
    await d.close();
  });
  return () => (db ??= connectDatabase(testConfig().MONGODB_URL));
}

/**
 * The Redis copies the app's stores read through (src/storage/record-copies.ts), for a contract
 * run "as the app builds it": a key prefix of the file's own, emptied with the database between
 * tests and removed when the file ends.
 */
export function redisCopies(): { cache: { redis: Redis; prefix: string }; reset(db: Database): Promise<void> } {
  const redis = new Redis(testConfig().REDIS_URL);
  const prefix = uniqueName('cdscopies');
  afterAll(async () => {
    await deleteKeys(redis, prefix);
    await redis.quit();
  });
  return {
    cache: { redis, prefix },
    async reset(db) {
      await clearDatabase(db);
      await deleteKeys(redis, prefix);
    },
  };
}

/** Empties every collection (indexes stay). */
export async function clearDatabase(db: Database): Promise<void> {
  await Promise.all(Object.values(db.models).map((m) => (m as { deleteMany(f: object): Promise<unknown> }).deleteMany({})));
}

/** Stores a cohort the way content sync and the CLI do: CohortStore itself only reads. */
export async function storeCohort(db: Database, c: Cohort): Promise<void> {
  const { id, ...rest } = c;
  await db.models.Cohort.create({ _id: id, ...rest });
}
