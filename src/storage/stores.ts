/** The core's store ports over Mongoose. Every change is one atomic single-document update. */
import { Types, trusted } from 'mongoose';
import type { Redis } from 'ioredis';
import type { Answer, Cohort, ConversationId, Enrolment, Learner } from '../core/model.js';
import {
  ConcurrentUpdateError,
  type AnswerStore,
  type CohortStore,
  type EnrolmentStore,
  type FeedbackStore,
  type LearnerStore,
  type LinkCodeStore,
  type RecordResult,
} from '../core/ports.js';
import type { Models } from './models.js';
import { learnerFacts, learnerProfileCopy } from './learner-facts.js';
import { markDirty, type SweepMarks } from './sweep-buckets.js';
import { enrolmentField, LEARNER_FIELD, recordCache, type RecordCache } from './record-copies.js';

const DUPLICATE_KEY = 11000;

export function isDuplicateKey(err: unknown): boolean {
  const e = err as { code?: number; writeErrors?: { code?: number }[] };
  return e?.code === DUPLICATE_KEY || (e?.writeErrors ?? []).some((w) => w.code === DUPLICATE_KEY);
}

function validId(id: string): boolean {
  return Types.ObjectId.isValid(id) && String(new Types.ObjectId(id)) === id;
}

export function toLearner(doc: any): Learner {
  const { _id, ...rest } = doc;
  return { ...rest, id: String(_id), profile: rest.profile ?? {}, prompt: rest.prompt ?? undefined } as Learner;
}

export function toEnrolment(doc: any): Enrolment {
  // learnerFacts is the sweeps' copy of the learner, written with the learner: never saved back from here.
  const { _id, learnerFacts: _facts, learnerProfile: _profile, ...rest } = doc;
  return { ...rest, id: String(_id) } as Enrolment;
}

/** An update that writes every field of the record and `version + 1`: `$set` for values, `$unset` for fields now undefined. */
function replaceFields<T extends { id: string; version: number }>(record: T): Record<string, unknown> {
  const { id: _id, version, ...rest } = record;
  const set: Record<string, unknown> = { version: version + 1 };
  const unset: Record<string, ''> = {};
  for (const [k, v] of Object.entries(rest)) {
    if (v === undefined) unset[k] = '';
    else set[k] = v;
  }
  return { $set: set, ...(Object.keys(unset).length ? { $unset: unset } : {}) };
}

/** Where the stores keep their Redis copies of what every inbound update reads (keys under `prefix`). */
export interface RedisCopies {
  redis: Redis;
  prefix: string;
  /** How long a copy lives. @defaultValue a day */
  ttlSeconds?: number;
}

/**
 * A Redis copy of the conversation → learner links, read on every inbound update. A link is only
 * created (attach, never overwritten) or moved (linking); a copy is written after a read that found
 * one (`SET NX`), and `move` drops the copy before its update and writes the new link after it, so a
 * read racing a move cannot leave the old link behind (a reader's late `SET NX` loses to the mover's
 * `SET`). A process killed between the move's update and its `SET` leaves the key absent (dropped
 * before), unless a read in that instant copied the old link: the TTL bounds that case.
 */

export class MongoLearnerStore implements LearnerStore {
  private readonly records: RecordCache;

  constructor(
    private readonly m: Models,
    private readonly cache?: RedisCopies,
  ) {
    this.records = recordCache(cache);
  }

  async findByConversation(id: ConversationId): Promise<Learner | null> {
    const learnerId = await this.learnerIdOf(id);
    return learnerId ? this.findById(learnerId) : null;
  }

  private linkKey(conversation: ConversationId): string {
    return `${this.cache!.prefix}:conv:${conversation}`;
  }

  async learnerIdOf(conversation: ConversationId): Promise<string | null> {
    const cached = this.cache ? await this.cache.redis.get(this.linkKey(conversation)) : null;
    if (cached) return cached;
    const link = await this.m.Conversation.findById(conversation, { learnerId: 1 }).lean<{ learnerId: string }>();
    const learnerId = link?.learnerId ?? null;
    // Only links that exist are copied: a conversation without a learner gets one soon (its first message).
    if (learnerId && this.cache) await this.cache.redis.set(this.linkKey(conversation), String(learnerId), 'EX', this.cache.ttlSeconds ?? 86_400, 'NX');
    return learnerId;
  }

  async findById(id: string): Promise<Learner | null> {
    if (!validId(id)) return null;
    return this.records.read(id, LEARNER_FIELD, async () => {
      const doc = await this.m.Learner.findById(id).lean();
      return doc ? toLearner(doc) : null;
    });
  }

  async findByInviteCode(code: string): Promise<Learner | null> {
    const doc = await this.m.Learner.findOne({ inviteCode: code }).lean();
    return doc ? toLearner(doc) : null;
  }

  async create(learner: Omit<Learner, 'id' | 'version'>): Promise<Learner> {
    const doc = await this.m.Learner.create({ ...learner, version: 0 });
    const id = String(doc._id);
    for (const conversation of learner.conversations) {
      if (!(await this.attach(id, conversation))) {
        // Another process registered this conversation first: theirs stands.
        await this.m.Learner.deleteOne({ _id: doc._id });
        const existing = await this.findByConversation(conversation);
        if (existing) return existing;
        throw new ConcurrentUpdateError(`conversation ${conversation} is being registered`);
      }
    }
    return toLearner(doc.toObject());
  }

  async attach(learnerId: string, conversation: ConversationId): Promise<boolean> {
    try {
      await this.m.Conversation.create({ _id: conversation, learnerId });
      return true;
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      const link = await this.m.Conversation.findById(conversation).lean<{ learnerId: string }>();
      return link?.learnerId === learnerId;
    }
  }

  async move(conversation: ConversationId, from: string, to: string): Promise<boolean> {
    if (this.cache) await this.cache.redis.del(this.linkKey(conversation));
    const res = await this.m.Conversation.updateOne({ _id: conversation, learnerId: from }, { $set: { learnerId: to } });
    if (this.cache && res.matchedCount > 0) await this.cache.redis.set(this.linkKey(conversation), to, 'EX', this.cache.ttlSeconds ?? 86_400);
    if (res.matchedCount === 0) return false;
    // The conversations collection is the truth; the arrays follow (no multi-document transactions).
    if (validId(from)) {
      await this.m.Learner.updateOne({ _id: from }, { $pull: { conversations: conversation }, $inc: { version: 1 } });
      await this.records.drop(from, LEARNER_FIELD);
    }
    return true;
  }

  async save(learner: Learner): Promise<Learner> {
    return this.records.write(learner.id, LEARNER_FIELD, async () => {
      await this.m.Learner.updateOne({ _id: learner.id }, replaceFields(learner));
      // The sweeps' copy, on the enrolment in the learner's cohort (none yet: ensure() writes it),
      // then the enrolment marked for its sweep bucket (src/storage/sweep-buckets.ts).
      const id = enrolmentId(learner.id, learner.cohortId);
      const res = await this.m.Enrolment.collection.updateOne({ _id: stringId(id) }, { $set: { learnerFacts: learnerFacts(learner), learnerProfile: learnerProfileCopy(learner) } });
      if (res.matchedCount > 0) await markDirty(this.cache, learner.cohortId, id);
      return { ...learner, version: learner.version + 1 };
    });
  }
}

/** An enrolment's `_id`: one per learner and cohort, found without a secondary index. */
export function enrolmentId(learnerId: string, cohortId: string): string {
  return `${learnerId}|${cohortId}`;
}

/**
 * `marks`: where a written enrolment is marked for its cohort's sweep buckets (the app's Redis and
 * prefix; src/storage/sweep-buckets.ts). Marked after each write, so the fold that takes the mark
 * reads the write; every save is marked (the store does not know the fields before: a fold of an
 * unchanged enrolment rewrites its entry as it was).
 */
export class MongoEnrolmentStore implements EnrolmentStore {
  private readonly records: RecordCache;

  constructor(
    private readonly m: Models,
    private readonly marks?: SweepMarks,
  ) {
    this.records = recordCache(marks);
  }

  async find(learnerId: string, cohortId: string): Promise<Enrolment | null> {
    return this.records.read(learnerId, enrolmentField(cohortId), async () => {
      const doc = await this.m.Enrolment.findById(enrolmentId(learnerId, cohortId)).lean();
      return doc ? toEnrolment(doc) : null;
    });
  }

  async ensure(init: Omit<Enrolment, 'id' | 'version'>): Promise<Enrolment> {
    try {
      const learner = validId(init.learnerId) ? await this.m.Learner.findById(init.learnerId).lean() : null;
      const facts = learner ? { learnerFacts: learnerFacts(toLearner(learner)), learnerProfile: learnerProfileCopy(toLearner(learner)) } : {};
      return await this.records.write(init.learnerId, enrolmentField(init.cohortId), async () => {
        const doc = await this.m.Enrolment.create({ _id: enrolmentId(init.learnerId, init.cohortId), ...init, ...facts, version: 0 });
        await markDirty(this.marks, init.cohortId, String(doc._id));
        return toEnrolment(doc.toObject());
      });
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      const existing = await this.find(init.learnerId, init.cohortId);
      if (!existing) throw err;
      // The creator marks it; marked again in case it stopped between its write and its mark.
      await markDirty(this.marks, init.cohortId, existing.id);
      return existing;
    }
  }

  async save(enrolment: Enrolment): Promise<Enrolment> {
    return this.records.write(enrolment.learnerId, enrolmentField(enrolment.cohortId), async () => {
      await this.m.Enrolment.updateOne({ _id: enrolment.id }, replaceFields(enrolment));
      await markDirty(this.marks, enrolment.cohortId, enrolment.id);
      return { ...enrolment, version: enrolment.version + 1 };
    });
  }
}

export function answerSlot(a: Pick<Answer, 'learnerId' | 'cohortId' | 'context' | 'attempt' | 'questionId'>): string {
  // A final-test question once per attempt; a review question once per review of that item.
  const attempt = a.context === 'final' || a.context === 'review' ? `:${a.attempt ?? 0}` : '';
  return `${a.learnerId}:${a.cohortId}:${a.context}${attempt}:${a.questionId}`;
}

export class MongoAnswerStore implements AnswerStore {
  constructor(private readonly m: Models) {}

  async record(answer: Answer): Promise<RecordResult> {
    const slot = answerSlot(answer);
    try {
      await this.m.Answer.create({ ...answer, slot });
      return 'recorded';
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      // The same update answering the same slot again is a retry of ours (a lost race re-runs
      // the handling): it stands recorded. Anything else is a second answer, refused.
      const mine = await this.m.Answer.exists({ slot, channel: answer.channel, updateId: answer.updateId });
      return mine ? 'recorded' : 'duplicate';
    }
  }

  async listByLearner(learnerId: string, cohortId: string): Promise<Answer[]> {
    const docs = await this.m.Answer.find({ learnerId, cohortId }).sort({ at: 1 }).lean();
    return docs.map(({ _id, slot: _s, ...rest }: any) => rest as Answer);
  }
}

/**
 * Cohorts change rarely (content sync at start-up, `cohort upsert`), and every update reads one:
 * each is kept for `ttlMs`, so a change made elsewhere is seen within that time.
 */
export class MongoCohortStore implements CohortStore {
  private readonly cache = new Map<string, { cohort: Cohort; until: number }>();

  constructor(
    private readonly m: Models,
    /** @defaultValue 30000 */
    private readonly ttlMs = 30_000,
  ) {}

  async get(id: string): Promise<Cohort | null> {
    const hit = this.cache.get(id);
    if (hit && hit.until > Date.now()) return hit.cohort;
    const doc = await this.m.Cohort.findById(id).lean<any>();
    if (!doc) return null;
    const { _id, managedBy: _m, ...rest } = doc;
    const cohort = { ...rest, id: String(_id) } as Cohort;
    this.cache.set(id, { cohort, until: Date.now() + this.ttlMs });
    return cohort;
  }
}

export class MongoFeedbackStore implements FeedbackStore {
  constructor(private readonly m: Models) {}

  async add(entry: { learnerId: string; text: string; channel: string; at: Date }): Promise<void> {
    await this.m.Feedback.create({ ...entry, text: cut(entry.text, FEEDBACK_MAX) });
  }
}

const FEEDBACK_MAX = 2000;

/** The first `max` UTF-16 units of `text`, less one when the last would be half of a surrogate pair (an emoji). */
function cut(text: string, max: number): string {
  const head = text.slice(0, max);
  return head.length === max && /[\uD800-\uDBFF]$/.test(head) ? head.slice(0, -1) : head;
}

/** The driver's collections skip mongoose's filter sanitising: an id must be a plain string, never an operator object. */
export function stringId(id: string): never {
  if (typeof id !== 'string') throw new TypeError('an id must be a string');
  return id as never;
}

export class MongoLinkCodeStore implements LinkCodeStore {
  constructor(private readonly m: Models) {}

  async issue(code: string, learnerId: string, expiresAt: Date, now: Date): Promise<boolean> {
    await this.m.LinkCode.deleteMany({ learnerId });
    await this.m.LinkCode.deleteMany({ expiresAt: trusted({ $lt: now }) });
    try {
      await this.m.LinkCode.create({ _id: code, learnerId, expiresAt });
      return true;
    } catch (err) {
      if (isDuplicateKey(err)) return false;
      throw err;
    }
  }

  async find(code: string): Promise<{ learnerId: string; expiresAt: Date } | null> {
    const doc = await this.m.LinkCode.findById(code).lean<{ learnerId: string; expiresAt: Date }>();
    return doc ? { learnerId: doc.learnerId, expiresAt: new Date(doc.expiresAt) } : null;
  }

  async consume(code: string): Promise<boolean> {
    const res = await this.m.LinkCode.deleteOne({ _id: code });
    return res.deletedCount === 1;
  }
}
