/** The core's store ports over Mongoose. Every change is one atomic single-document update. */
import { Types, trusted } from 'mongoose';
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
  type UpdateLog,
} from '../core/ports.js';
import type { Models } from './models.js';

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
  const { _id, ...rest } = doc;
  return { ...rest, id: String(_id) } as Enrolment;
}

/** An update that writes every field of the record: `$set` for values, `$unset` for fields now undefined. */
function replaceFields<T extends { id: string; version: number }>(record: T): Record<string, unknown> {
  const { id: _id, version: _v, ...rest } = record;
  const set: Record<string, unknown> = {};
  const unset: Record<string, ''> = {};
  for (const [k, v] of Object.entries(rest)) {
    if (v === undefined) unset[k] = '';
    else set[k] = v;
  }
  return { $set: set, ...(Object.keys(unset).length ? { $unset: unset } : {}), $inc: { version: 1 } };
}

export class MongoLearnerStore implements LearnerStore {
  constructor(private readonly m: Models) {}

  async findByConversation(id: ConversationId): Promise<Learner | null> {
    const link = await this.m.Conversation.findById(id).lean<{ learnerId: string }>();
    return link ? this.findById(link.learnerId) : null;
  }

  async findById(id: string): Promise<Learner | null> {
    if (!validId(id)) return null;
    const doc = await this.m.Learner.findById(id).lean();
    return doc ? toLearner(doc) : null;
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
    const res = await this.m.Conversation.updateOne({ _id: conversation, learnerId: from }, { $set: { learnerId: to } });
    if (res.matchedCount === 0) return false;
    // The conversations collection is the truth; the arrays follow (no multi-document transactions).
    if (validId(from)) await this.m.Learner.updateOne({ _id: from }, { $pull: { conversations: conversation }, $inc: { version: 1 } });
    return true;
  }

  async save(learner: Learner): Promise<Learner> {
    const res = await this.m.Learner.updateOne(
      { _id: learner.id, version: learner.version },
      replaceFields(learner),
    );
    if (res.matchedCount === 0) throw new ConcurrentUpdateError(`learner ${learner.id} changed meanwhile`);
    return { ...learner, version: learner.version + 1 };
  }
}

export class MongoEnrolmentStore implements EnrolmentStore {
  constructor(private readonly m: Models) {}

  async find(learnerId: string, cohortId: string): Promise<Enrolment | null> {
    const doc = await this.m.Enrolment.findOne({ learnerId, cohortId }).lean();
    return doc ? toEnrolment(doc) : null;
  }

  async ensure(init: Omit<Enrolment, 'id' | 'version'>): Promise<Enrolment> {
    try {
      const doc = await this.m.Enrolment.create({ ...init, version: 0 });
      return toEnrolment(doc.toObject());
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      const existing = await this.find(init.learnerId, init.cohortId);
      if (!existing) throw err;
      return existing;
    }
  }

  async save(enrolment: Enrolment): Promise<Enrolment> {
    const res = await this.m.Enrolment.updateOne(
      { _id: enrolment.id, version: enrolment.version },
      replaceFields(enrolment),
    );
    if (res.matchedCount === 0) throw new ConcurrentUpdateError(`enrolment ${enrolment.id} changed meanwhile`);
    return { ...enrolment, version: enrolment.version + 1 };
  }
}

export function answerSlot(a: Pick<Answer, 'learnerId' | 'cohortId' | 'context' | 'attempt' | 'questionId'>): string {
  const attempt = a.context === 'final' ? `:${a.attempt ?? 0}` : '';
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

export class MongoCohortStore implements CohortStore {
  constructor(private readonly m: Models) {}

  async get(id: string): Promise<Cohort | null> {
    const doc = await this.m.Cohort.findById(id).lean<any>();
    if (!doc) return null;
    const { _id, ...rest } = doc;
    return { ...rest, id: String(_id) } as Cohort;
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

export class MongoUpdateLog implements UpdateLog {
  constructor(private readonly m: Models) {}

  async claim(key: string): Promise<boolean> {
    try {
      await this.m.Update.create({ _id: key, at: new Date() });
      return true;
    } catch (err) {
      if (isDuplicateKey(err)) return false;
      throw err;
    }
  }

  async release(key: string): Promise<void> {
    await this.m.Update.deleteOne({ _id: key });
  }
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
