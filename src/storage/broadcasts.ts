/**
 * Broadcasts in MongoDB. Three collections, each read by `_id` on the hot path:
 * - `broadcasts`: the composed broadcast, its state, and its planning checkpoint (`plan`: position
 *   in the learners' stream, targeted and unreachable so far), written only by the planner that
 *   holds the broadcast's lease, in one `$set` with the position (so `targeted` is exact).
 * - `broadcast_deliveries`, `_id` `<broadcast>|<learner>`: inserted by the send worker just before
 *   the first send — the insert decides exactly-once — then marked with its outcome.
 * - `broadcast_acks`, `_id` `<broadcast>|<learner>`: the first acknowledgement, inserted once.
 * Live counts are kept in Redis (src/broadcasts/counts.ts); `recount` derives them from these records.
 */
import { ObjectId, type Collection, type Document } from 'mongodb';
import type { Connection } from 'mongoose';
import type { Broadcast, BroadcastState, Outcome, Recipient, Segment } from '../core/broadcast.js';
import type { ConversationId, EnrolmentStatus } from '../core/model.js';
import type { Locale } from '../core/course.js';
import { enrolmentId, isDuplicateKey } from './stores.js';
import { readAhead } from './read-ahead.js';

export interface PlanState {
  position: number;
  /** Targeted per province (the breakdown's denominators). */
  byProvince: Record<string, number>;
  targeted: number;
  unreachable: number;
  reroutedAtPlan: number;
  /** The whole stream has been planned. */
  planned: boolean;
  /** Deferred recipients (paused, quiet hours) re-planned so far: makes their new job ids. */
  round: number;
  /** The reminder to those who have not acknowledged: records of the sent read so far, and whether it is all planned. */
  remindPosition?: number;
  reminded?: boolean;
}

export interface DeliveryRecord {
  broadcastId: string;
  learnerId: string;
  province: string;
  conversation: ConversationId;
  locale?: Locale;
  owner: string;
  state: 'claimed' | Outcome;
  reason?: string;
  at: Date;
}

const LEARNER_FIELDS = { conversations: 1, unreachable: 1, profile: 1, locale: 1, cohortId: 1, stopped: 1 };

const str = (v: unknown) => String(v);

export class MongoBroadcastStore {
  readonly broadcasts: Collection<Document>;
  readonly deliveries: Collection<Document>;
  readonly acks: Collection<Document>;

  constructor(private readonly conn: Connection) {
    this.broadcasts = conn.collection('broadcasts');
    this.deliveries = conn.collection('broadcast_deliveries');
    this.acks = conn.collection('broadcast_acks');
  }

  /** Indexes used only for the admin listing and recounts on MongoDB (FerretDB scans anyway). */
  async ensureIndexes(): Promise<void> {
    await this.deliveries.createIndex({ broadcastId: 1 }).catch(() => undefined);
    await this.acks.createIndex({ broadcastId: 1 }).catch(() => undefined);
  }

  async create(b: Broadcast): Promise<void> {
    const { id, ...rest } = b;
    await this.broadcasts.insertOne({ _id: id as never, ...rest, plan: emptyPlan() });
  }

  async get(id: string): Promise<(Broadcast & { plan: PlanState; counts?: Record<string, number> }) | null> {
    const doc = await this.broadcasts.findOne({ _id: str(id) as never });
    return doc ? toBroadcast(doc) : null;
  }

  /** Every broadcast, newest first (a handful a day: a scan of a small collection). */
  async list(limit = 100): Promise<(Broadcast & { plan: PlanState })[]> {
    const docs = await this.broadcasts.find({}).sort({ createdAt: -1 }).limit(limit).toArray();
    return docs.map(toBroadcast);
  }

  /** Broadcasts that may still plan or send, and finished ones with a reminder still to plan. */
  async active(): Promise<(Broadcast & { plan: PlanState })[]> {
    const docs = await this.broadcasts
      .find({ $or: [{ state: { $in: ['scheduled', 'sending', 'paused'] } }, { state: 'done', remindAfter: { $exists: true }, 'plan.reminded': { $ne: true } }] })
      .toArray();
    return docs.map(toBroadcast);
  }

  /** One page of the learners a broadcast was sent to, in stored order after `from` (read whole, then closed: the send workers write to this collection). */
  async sentPage(broadcastId: string, from: number, size: number): Promise<{ learnerId: string; conversation: ConversationId; province: string; locale: Locale }[]> {
    const docs = await this.deliveries
      .find({ broadcastId: str(broadcastId), state: 'sent' }, { projection: { learnerId: 1, conversation: 1, province: 1, locale: 1 } })
      .skip(from)
      .limit(size)
      .toArray();
    return docs.map((d) => ({ learnerId: String(d.learnerId), conversation: d.conversation as ConversationId, province: String(d.province ?? ''), locale: d.locale === 'en' ? 'en' : 'vi' }));
  }

  async setState(id: string, state: BroadcastState, extra: Record<string, unknown> = {}): Promise<void> {
    await this.broadcasts.updateOne({ _id: str(id) as never }, { $set: { state, ...extra } });
  }

  async savePlan(id: string, plan: PlanState): Promise<void> {
    await this.broadcasts.updateOne({ _id: str(id) as never }, { $set: { plan } });
  }

  /** Final counts kept with the broadcast (Redis may be flushed later). */
  async saveCounts(id: string, counts: Record<string, number>): Promise<void> {
    await this.broadcasts.updateOne({ _id: str(id) as never }, { $set: { counts } });
  }

  /**
   * Claims the delivery of a broadcast to a learner for the job `owner`: true if this owner holds it
   * (first insert, or its own retry still in hand); false if it is someone else's or done.
   */
  async claim(r: Omit<DeliveryRecord, 'state'>): Promise<boolean> {
    const _id = `${r.broadcastId}|${r.learnerId}`;
    try {
      await this.deliveries.insertOne({ _id: _id as never, ...r, state: 'claimed' });
      return true;
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      const doc = await this.deliveries.findOne({ _id: _id as never });
      return doc?.owner === r.owner && doc.state === 'claimed';
    }
  }

  async delivery(broadcastId: string, learnerId: string): Promise<DeliveryRecord | null> {
    const doc = await this.deliveries.findOne({ _id: `${broadcastId}|${learnerId}` as never });
    return doc ? (doc as unknown as DeliveryRecord) : null;
  }

  /**
   * Marks the outcome (one write by `_id`; rerouted is a mark, not a final state: the message then
   * goes, or not, on the other channel). The live count is raised by the caller each time: a job
   * re-run after a crash between its send and its completion counts twice, which the recount at
   * the end of the broadcast corrects.
   */
  async finish(broadcastId: string, learnerId: string, state: Outcome, at: Date, reason?: string, conversation?: ConversationId): Promise<void> {
    const _id = `${broadcastId}|${learnerId}` as never;
    const set = state === 'rerouted' ? { rerouted: true } : { state, at, ...(reason ? { reason } : {}) };
    await this.deliveries.updateOne({ _id }, { $set: { ...set, ...(conversation ? { conversation } : {}) } });
  }

  /** Records the first acknowledgement; false when there was one already. */
  async ack(broadcastId: string, learnerId: string, conversation: ConversationId, at: Date, province: string): Promise<boolean> {
    try {
      await this.acks.insertOne({ _id: `${broadcastId}|${learnerId}` as never, broadcastId, learnerId, conversation, province, at });
      return true;
    } catch (err) {
      if (isDuplicateKey(err)) return false;
      throw err;
    }
  }

  async ackOf(broadcastId: string, learnerId: string): Promise<{ at: Date } | null> {
    const doc = await this.acks.findOne({ _id: `${broadcastId}|${learnerId}` as never });
    return doc ? { at: doc.at as Date } : null;
  }

  /** Counts from the records (a scan per broadcast: for `show --recount` and the end of a broadcast, never per send). */
  async recount(broadcastId: string): Promise<{ total: Record<string, number>; byProvince: Record<string, Record<string, number>> }> {
    const total: Record<string, number> = {};
    const byProvince: Record<string, Record<string, number>> = {};
    const add = (province: string, key: string) => {
      total[key] = (total[key] ?? 0) + 1;
      const p = (byProvince[province] ??= {});
      p[key] = (p[key] ?? 0) + 1;
    };
    for await (const d of this.deliveries.find({ broadcastId: str(broadcastId) }, { projection: { state: 1, reason: 1, province: 1, rerouted: 1 } })) {
      const key = d.state === 'failed' ? `failed:${d.reason ?? 'unknown'}` : String(d.state);
      add(String(d.province ?? ''), key);
      if (d.rerouted === true) add(String(d.province ?? ''), 'rerouted');
    }
    for await (const a of this.acks.find({ broadcastId: str(broadcastId) }, { projection: { province: 1 } })) add(String(a.province ?? ''), 'acknowledged');
    return { total, byProvince };
  }

  /**
   * The learners' collection in stored order, no sort, skipping the first `from` (learners are never
   * deleted, new ones come at the end, so a position holds between runs), as recipients in batches.
   * The enrolment in each learner's current cohort is read by `_id` only when the segment needs it.
   */
  recipients(segment: Segment, from: number, size: number, withEnrolment: boolean | ((r: Recipient) => boolean)): AsyncGenerator<{ rows: Recipient[]; position: number }> {
    // The next batch streams while the caller queues this one.
    return readAhead(this.recipientBatches(segment, from, size, withEnrolment));
  }

  private async *recipientBatches(segment: Segment, from: number, size: number, withEnrolment: boolean | ((r: Recipient) => boolean)): AsyncGenerator<{ rows: Recipient[]; position: number }> {
    const learners = this.conn.collection('learners');
    const cursor = learners.find({}, { projection: LEARNER_FIELDS }).skip(Math.max(0, Math.floor(from))).batchSize(size);
    let position = from;
    let batch: Document[] = [];
    const flush = async () => {
      position += batch.length;
      const rows = batch.map(toRecipient);
      if (withEnrolment) {
        await Promise.all(
          rows.map(async (r) => {
            if (segment.cohort !== undefined && r.cohortId !== segment.cohort) return;
            if (typeof withEnrolment === 'function' && !withEnrolment(r)) return;
            await this.addEnrolment(r);
          }),
        );
      }
      batch = [];
      return { rows, position };
    };
    try {
      for await (const doc of cursor) {
        batch.push(doc);
        // Read a page, then let the caller write (never write while a cursor over the same collection is open on FerretDB: ours reads learners, writes elsewhere).
        if (batch.length >= size) yield await flush();
      }
      if (batch.length) yield await flush();
    } finally {
      await cursor.close();
    }
  }

  /** One learner as a recipient, by `_id`, with the enrolment in their current cohort. */
  async recipient(learnerId: string): Promise<Recipient | null> {
    if (!/^[0-9a-f]{24}$/.test(learnerId)) return null;
    const doc = await this.conn.collection('learners').findOne({ _id: new ObjectId(learnerId) }, { projection: LEARNER_FIELDS });
    if (!doc) return null;
    const r = toRecipient(doc);
    await this.addEnrolment(r);
    return r;
  }

  /** The recipient's status and last activity from their enrolment in their cohort (one read by `_id`), when they have one. */
  private async addEnrolment(r: Recipient): Promise<void> {
    const e = await this.conn.collection('enrolments').findOne({ _id: enrolmentId(r.learnerId, r.cohortId) as never }, { projection: { status: 1, lastActivityAt: 1 } });
    if (e) Object.assign(r, { status: e.status as EnrolmentStatus, lastActivityAt: e.lastActivityAt as Date });
  }
}

export function emptyPlan(): PlanState {
  return { position: 0, byProvince: {}, targeted: 0, unreachable: 0, reroutedAtPlan: 0, planned: false, round: 0 };
}

function toRecipient(d: Document): Recipient {
  const p = (d.profile ?? {}) as Record<string, string | undefined>;
  return {
    learnerId: String(d._id),
    cohortId: String(d.cohortId ?? ''),
    locale: d.locale === 'en' ? 'en' : 'vi',
    province: p.province,
    commune: p.commune,
    role: p.role,
    stopped: d.stopped === true,
    conversations: (d.conversations ?? []) as ConversationId[],
    unreachable: (d.unreachable ?? []) as ConversationId[],
  };
}

function toBroadcast(doc: Document): Broadcast & { plan: PlanState; counts?: Record<string, number> } {
  const { _id, plan, ...rest } = doc;
  return { ...(rest as Omit<Broadcast, 'id'>), id: String(_id), plan: { ...emptyPlan(), ...(plan ?? {}) } };
}
