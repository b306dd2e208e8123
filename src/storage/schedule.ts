/**
 * What the planner and the send worker need from MongoDB: streams of candidates in batches
 * (never a whole cohort in memory), sweep checkpoints, and the record of scheduled sends.
 * Queries go through the driver's collections: they are index scans with projections, and
 * skip Mongoose hydration, which matters at a million learners.
 */
import { Types } from 'mongoose';
import type { Cohort } from '../core/model.js';
import type { Candidate, ClaimResult, ScheduledSendLog, ScheduleSource, SweepState, SweepStateStore } from '../scheduler/ports.js';
import type { Models } from './models.js';
import { isDuplicateKey, stringId, toEnrolment, toLearner } from './stores.js';

const LEARNER_FIELDS = { conversations: 1, unreachable: 1, locale: 1, cohortId: 1, consent: 1, lessonHour: 1, stopped: 1, onboarded: 1 };
const ENROLMENT_FIELDS = { learnerId: 1, cohortId: 1, courseId: 1, status: 1, cursor: 1, completedLessons: 1, lastActivityAt: 1, reviewDueAt: 1 };
const OPEN_STATUSES = ['not_started', 'in_progress'];

function oid(hex: string): Types.ObjectId | null {
  return Types.ObjectId.isValid(hex) ? new Types.ObjectId(hex) : null;
}

/** Groups a cursor's documents into arrays of `size`. */
async function* batches<T>(cursor: AsyncIterable<T>, size: number): AsyncGenerator<T[]> {
  let batch: T[] = [];
  for await (const doc of cursor) {
    batch.push(doc);
    if (batch.length >= size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length) yield batch;
}

export class MongoScheduleSource implements ScheduleSource {
  constructor(private readonly m: Models) {}

  /** Cohorts not yet closed at `now` (a handful; after closing nothing is planned for a cohort). */
  async activeCohorts(now: Date): Promise<Cohort[]> {
    const docs = await this.m.Cohort.collection.find({ closesAt: { $gt: now } }).toArray();
    return docs.map(({ _id, ...rest }) => ({ ...rest, id: String(_id) }) as unknown as Cohort);
  }

  /** Enrolments of a cohort not yet completed, with their learners, in learner order after `after`. */
  openEnrolments(cohortId: string, after: string | undefined, size: number): AsyncGenerator<{ rows: Candidate[]; last: string }> {
    return this.merged({ cohortId }, cohortId, after, size);
  }

  /** Learners of a cohort whose lesson hour is one of `hours` (null: the cohort's default) with an open enrolment, in _id order after `after`. */
  learnersAtHours(cohortId: string, hours: (number | null)[], after: string | undefined, size: number): AsyncGenerator<{ rows: Candidate[]; last: string }> {
    return this.merged({ cohortId, lessonHour: { $in: hours } }, cohortId, after, size);
  }

  /** Enrolments of a cohort whose last activity is in [from, to), with their learners (a slice of a minute or so: small). */
  async *inactiveEnrolments(cohortId: string, from: Date, to: Date, size: number): AsyncGenerator<Candidate[]> {
    const cursor = this.m.Enrolment.collection
      .find({ cohortId, lastActivityAt: { $gte: from, $lt: to } }, { projection: ENROLMENT_FIELDS })
      .batchSize(size);
    for await (const docs of batches(cursor, size)) yield this.withLearners(docs);
  }

  /**
   * The learners matching `learnerFilter` paired with their open enrolment in the cohort, in
   * learner order after `after`: a merge of two streams sorted alike (learnerId strings and
   * ObjectId _ids sort alike as hex), so each collection is read once, in index order, with no
   * per-batch lookup (FerretDB 1.24 answers `$in` lookups with full scans).
   */
  private async *merged(learnerFilter: Record<string, unknown>, cohortId: string, after: string | undefined, size: number): AsyncGenerator<{ rows: Candidate[]; last: string }> {
    const from = after ? oid(after) : null;
    const enrolments = this.m.Enrolment.collection
      .find({ cohortId, status: { $in: OPEN_STATUSES }, ...(after ? { learnerId: { $gt: after } } : {}) }, { projection: ENROLMENT_FIELDS })
      .sort({ learnerId: 1 })
      .batchSize(size);
    const learners = this.m.Learner.collection
      .find({ ...learnerFilter, ...(from ? { _id: { $gt: from } } : {}) }, { projection: LEARNER_FIELDS })
      .sort({ _id: 1 })
      .batchSize(size)
      [Symbol.asyncIterator]();
    const nextLearner = async () => ((await learners.next()).value ?? undefined) as Record<string, any> | undefined;
    let learner = await nextLearner();
    let rows: Candidate[] = [];
    let last = '';
    try {
      for await (const e of enrolments) {
        const id = String(e.learnerId);
        while (learner && String(learner._id) < id) learner = await nextLearner();
        if (!learner) break;
        if (String(learner._id) === id) rows.push({ learner: toLearner(learner), enrolment: toEnrolment(e) });
        last = id;
        if (rows.length >= size) {
          yield { rows, last };
          rows = [];
        }
      }
      if (rows.length) yield { rows, last };
    } finally {
      await learners.return?.();
      await enrolments.close();
    }
  }

  /** Point lookups by _id, in parallel: index hits on MongoDB and on FerretDB alike, unlike `$in`. */
  private async withLearners(docs: Record<string, any>[]): Promise<Candidate[]> {
    const rows = await Promise.all(
      docs.map(async (d) => {
        const id = oid(String(d.learnerId));
        const learner = id ? await this.m.Learner.collection.findOne({ _id: id }, { projection: LEARNER_FIELDS }) : null;
        return learner ? [{ learner: toLearner(learner), enrolment: toEnrolment(d) }] : [];
      }),
    );
    return rows.flat();
  }
}

export class MongoSweepStates implements SweepStateStore {
  constructor(private readonly m: Models) {}

  async get(key: string): Promise<SweepState> {
    const doc = await this.m.SweepState.collection.findOne({ _id: stringId(key) });
    return { after: doc?.after ?? undefined, done: doc?.done === true, through: doc?.through ?? undefined };
  }

  async save(key: string, state: Partial<SweepState>, now: Date): Promise<void> {
    const write = () => this.m.SweepState.collection.updateOne({ _id: stringId(key) }, { $set: { ...state, updatedAt: now } }, { upsert: true });
    try {
      await write();
    } catch (err) {
      // Two sweeps created the document at once: the other insert won, so this is now an update.
      if (!isDuplicateKey(err)) throw err;
      await write();
    }
  }
}

/** The record of scheduled sends: claimed by one job before sending, marked when done. */
export class MongoScheduledSendLog implements ScheduledSendLog {
  constructor(private readonly m: Models) {}

  /**
   * Claims `key` for the job `owner`. The same owner may claim again (a retry of its own job,
   * or a restart while it was sending); any other owner finds it taken.
   */
  async claim(key: string, meta: { kind: string; learnerId: string; owner: string }, now: Date): Promise<ClaimResult> {
    try {
      await this.m.ScheduledSend.collection.insertOne({ _id: stringId(key), ...meta, state: 'claimed', claimedAt: now });
      return 'claimed';
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      const doc = await this.m.ScheduledSend.collection.findOne({ _id: stringId(key) });
      return doc?.owner === meta.owner && doc.state === 'claimed' ? 'claimed' : 'already_sent';
    }
  }

  /** Marks the claim as sent, or as skipped (no longer due when its turn came). */
  async finish(key: string, state: 'sent' | 'skipped', now: Date): Promise<void> {
    await this.m.ScheduledSend.collection.updateOne({ _id: stringId(key) }, { $set: { state, doneAt: now } });
  }

  async get(key: string): Promise<{ state: string; owner: string } | null> {
    const doc = await this.m.ScheduledSend.collection.findOne({ _id: stringId(key) });
    return doc ? { state: String(doc.state), owner: String(doc.owner) } : null;
  }
}
