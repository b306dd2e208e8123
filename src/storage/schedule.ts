/**
 * What the planner and the send worker need from MongoDB: unsorted streams of candidates in
 * batches (never a whole cohort in memory), sweep checkpoints, and the record of scheduled sends.
 * A sweep reads one collection, enrolments, which carries a copy of what it needs of each learner
 * (`learnerFacts`, written by learnerFacts() wherever a learner is saved): FerretDB 1.24 answers
 * any filter but `{_id}` with a scan and sorts in its memory, so a sweep asks for no order and
 * looks nothing up, except the learner of an enrolment written before the copy existed (once: the
 * copy is written then). The reminder and lesson sweeps read those enrolments packed ~100 to a
 * document (src/storage/sweep-buckets.ts) when the source is given the buckets.
 */
import { Types } from 'mongoose';
import type { Cohort } from '../core/model.js';
import type { Candidate, ClaimResult, LearnerFacts, ScheduledSendLog, ScheduleSource, SweepState, SweepStateStore } from '../scheduler/ports.js';
import type { Models } from './models.js';
import { readAhead } from './read-ahead.js';
import { isDuplicateKey, stringId, toEnrolment } from './stores.js';
import { learnerFacts, type FactsSource } from './learner-facts.js';
import { SWEEP_PROJECTION, type SweepBuckets } from './sweep-buckets.js';

const LEARNER_FIELDS = { conversations: 1, unreachable: 1, consent: 1, lessonHour: 1, stopped: 1, onboarded: 1, cohortId: 1 };

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
  /** `buckets`: stream the cohort's packed buckets (src/storage/sweep-buckets.ts); without, the enrolments themselves. */
  constructor(
    private readonly m: Models,
    private readonly buckets?: SweepBuckets,
  ) {}

  /** Cohorts not yet closed at `now` (a handful; after closing nothing is planned for a cohort). */
  async activeCohorts(now: Date): Promise<Cohort[]> {
    const docs = await this.m.Cohort.collection.find({ closesAt: { $gt: now } }).toArray();
    return docs.map(({ _id, ...rest }) => ({ ...rest, id: String(_id) }) as unknown as Cohort);
  }

  /**
   * A cohort's enrolments, skipping those before position `from`. From the cohort's buckets when
   * there are (built once, dirty marks folded in before streaming): a position there counts the
   * buckets passed, stored negated (−1 − buckets), so a checkpoint the enrolment stream wrote (a
   * count of enrolments, ≥ 0) is never read as a count of buckets: a sweep that began on the
   * enrolments ends on them. From the enrolments otherwise: stored order, the filter on
   * `cohortId` alone, which never changes, so the order and the count before a position hold
   * between runs (SQLite's rowid order on FerretDB, record order on MongoDB; enrolments are never
   * deleted). New enrolments (and new buckets) come at the end.
   */
  async *enrolments(cohortId: string, from: number, size: number): AsyncGenerator<{ rows: Candidate[]; position: number }> {
    const folded = this.buckets && from <= 0 ? await this.buckets.prepare(cohortId) : null;
    if (folded) {
      yield* readAhead(this.bucketRows(cohortId, from < 0 ? -1 - from : 0, size, folded));
      return;
    }
    const cursor = this.m.Enrolment.collection
      .find({ cohortId: stringId(cohortId) }, { projection: SWEEP_PROJECTION })
      .skip(Math.max(0, Math.floor(from)))
      .batchSize(size);
    try {
      // The next batch streams, and has its candidates built, while the caller queues this one.
      // The source is sequential, so a batch's backfill writes end before the next batch is read.
      yield* readAhead(this.rowsOf(batches(cursor, size), from));
    } finally {
      await cursor.close();
    }
  }

  /**
   * Each batch of bucket entries as candidates, with the (negated) position after it. An enrolment
   * created or changed while a sweep runs lands in a bucket the sweep may have passed (the
   * enrolment stream had it at its end): a resumed sweep first yields what the fold before it took,
   * and the stream ends with a last fold's. Some are yielded twice in a sweep: the same job ids.
   */
  private async *bucketRows(cohortId: string, passed: number, size: number, folded: Record<string, any>[]): AsyncGenerator<{ rows: Candidate[]; position: number }> {
    let position = passed;
    if (passed > 0 && folded.length) yield { rows: await this.candidates(folded), position: -1 - position };
    for await (const batch of this.buckets!.stream(cohortId, passed, size)) {
      position = batch.position;
      yield { rows: await this.candidates(batch.docs), position: -1 - position };
    }
    const late = await this.buckets!.fold(cohortId);
    if (late.length) yield { rows: await this.candidates(late), position: -1 - position };
  }

  /** Each batch of enrolments as candidates, with the position after it. */
  private async *rowsOf(source: AsyncIterable<Record<string, any>[]>, from: number): AsyncGenerator<{ rows: Candidate[]; position: number }> {
    let position = from;
    for await (const docs of source) {
      position += docs.length;
      yield { rows: await this.candidates(docs), position };
    }
  }

  /** Enrolments of a cohort whose last activity is in [from, to) (a slice of a minute or so: small). */
  async *inactiveEnrolments(cohortId: string, from: Date, to: Date, size: number): AsyncGenerator<Candidate[]> {
    const cursor = this.m.Enrolment.collection
      .find({ cohortId: stringId(cohortId), lastActivityAt: { $gte: from, $lt: to } }, { projection: SWEEP_PROJECTION })
      .batchSize(size);
    for await (const docs of batches(cursor, size)) yield this.candidates(docs);
  }

  /** Each enrolment with its copy of the learner; an enrolment without one has its learner read by `_id` (in parallel). */
  private async candidates(docs: Record<string, any>[]): Promise<Candidate[]> {
    const rows = await Promise.all(
      docs.map(async ({ learnerFacts: facts, ...d }) => {
        if (facts) return [{ learner: facts as LearnerFacts, enrolment: toEnrolment(d) }];
        const id = oid(String(d.learnerId));
        const learner = id ? await this.m.Learner.collection.findOne({ _id: id }, { projection: LEARNER_FIELDS }) : null;
        if (!learner) return [];
        const copy = learnerFacts({ ...(learner as unknown as FactsSource), id: String(learner._id) });
        // Written once, so the next sweep reads it; a learner saved in between writes it again at their next save.
        if (learner.cohortId === d.cohortId) {
          await this.m.Enrolment.collection.updateOne({ _id: d._id }, { $set: { learnerFacts: copy } });
          // Its bucket (if any) takes the copy at the next fold.
          await this.buckets?.mark(String(d.cohortId), String(d._id));
        }
        return [{ learner: copy, enrolment: toEnrolment(d) }];
      }),
    );
    return rows.flat();
  }
}

export class MongoSweepStates implements SweepStateStore {
  constructor(private readonly m: Models) {}

  async get(key: string): Promise<SweepState> {
    const doc = await this.m.SweepState.collection.findOne({ _id: stringId(key) });
    return { after: doc?.after ?? undefined, position: typeof doc?.position === 'number' ? doc.position : undefined, done: doc?.done === true, through: doc?.through ?? undefined };
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
