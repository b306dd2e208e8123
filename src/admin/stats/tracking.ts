/**
 * Keeps the counters in step with the records: the learner and enrolment stores the tutor uses are
 * wrapped so that each save, once written, updates the learner's mark (`stats_marks`, `_id`
 * `<learner>|<cohort>`: what they count as now) and applies the difference to the counters.
 *
 * Order, so that a crash anywhere leaves nothing counted twice: the record is saved; the mark is
 * written with its new sides and the pending op; the op is applied to each province document
 * (skipped where already applied); the pending op is cleared. A save cut short before the mark is
 * caught up by the learner's next save (the difference is taken from the mark, not the record); a
 * pending op left by a crash is finished first. A retried save of the same version finds the mark
 * already there: no difference, nothing counted. Saves run under the learner's lease (the tutor's),
 * so one learner's mark has one writer at a time.
 */
import type { Connection } from 'mongoose';
import { lessonsOf } from '../../core/course.js';
import type { ConversationId, Enrolment, Learner } from '../../core/model.js';
import type { CourseCatalog, EnrolmentStore, LearnerStore, Reachability } from '../../core/ports.js';
import { contribution, difference, enrolmentSide, learnerSide, type Delta, type EnrolmentSide, type LearnerSide } from './facts.js';
import type { StatsCounters } from './counters.js';

export const MARKS = 'stats_marks';

export interface Mark {
  _id: string;
  learnerId: string;
  cohortId: string;
  l?: LearnerSide;
  e?: EnrolmentSide;
  /** Versions of the records the sides were taken from: an older save arriving late changes nothing. */
  lv?: number;
  ev?: number;
  seq: number;
  pending?: { op: string; deltas: Delta[]; at: Date };
}

export function markId(learnerId: string, cohortId: string): string {
  return `${learnerId}|${cohortId}`;
}

export class StatsTracker {
  private readonly lessonCounts = new Map<string, number>();

  constructor(
    private readonly conn: Connection,
    private readonly counters: StatsCounters,
    private readonly catalog: CourseCatalog,
  ) {}

  private get marks() {
    return this.conn.collection<Mark>(MARKS);
  }

  lessonCount(courseId: string): number {
    let n = this.lessonCounts.get(courseId);
    if (n === undefined) {
      const course = this.catalog.get(courseId);
      n = course ? lessonsOf(course).length : 0;
      this.lessonCounts.set(courseId, n);
    }
    return n;
  }

  /** `savedVersion`: the version of the record as saved (the export's row keeps the newest). */
  async learnerSaved(l: Learner, savedVersion = l.version): Promise<void> {
    await Promise.all([this.track(l.id, l.cohortId, { l: learnerSide(l), lv: l.version }), this.counters.rows.learnerSaved(l, savedVersion)]);
  }

  async enrolmentSaved(e: Enrolment, savedVersion = e.version): Promise<void> {
    await Promise.all([this.track(e.learnerId, e.cohortId, { e: enrolmentSide(e, this.lessonCount(e.courseId)), ev: e.version }), this.counters.rows.enrolmentSaved(e, savedVersion)]);
  }

  /** Only the kept row (an enrolment just created: nothing to count yet). */
  async enrolmentRow(e: Enrolment): Promise<void> {
    await this.counters.rows.enrolmentSaved(e, e.version);
  }

  /**
   * Most saves change neither side (a new cursor, a new activity time): when the mark's Redis copy
   * (counters.markHint) shows this side as it is now, the mark would not change and is not read. The
   * copy is written only once the mark is written and has no pending op, and dropped before the mark
   * is written again (here or by a recount), so it never shows sides the mark has not: a crash between
   * a save and its mark leaves the old sides in both, and the next save that differs reads the mark.
   */
  private async track(learnerId: string, cohortId: string, change: Pick<Mark, 'l' | 'lv'> | Pick<Mark, 'e' | 'ev'>): Promise<void> {
    const id = markId(learnerId, cohortId);
    const hint = await this.counters.markHint(id);
    if (hint !== null) {
      const known = JSON.parse(hint) as Pick<Mark, 'l' | 'e'>;
      const now = 'lv' in change ? [known.l, change.l] : [known.e, (change as Pick<Mark, 'e'>).e];
      if (JSON.stringify(now[0]) === JSON.stringify(now[1])) return;
      await this.counters.dropMarkHints([id]);
    }
    const stored = await this.apply(id, learnerId, cohortId, change);
    if (stored) await this.counters.setMarkHint(id, JSON.stringify({ l: stored.l, e: stored.e }));
  }

  /** Brings the mark up to the change; returns the mark as stored (none when there is none). */
  private async apply(id: string, learnerId: string, cohortId: string, change: Pick<Mark, 'l' | 'lv'> | Pick<Mark, 'e' | 'ev'>): Promise<Mark | null> {
    let mark = await this.marks.findOne({ _id: id });
    if (mark?.pending) mark = await this.finish(mark);
    if ('lv' in change && mark?.lv !== undefined && change.lv! < mark.lv) return mark;
    if ('ev' in change && mark?.ev !== undefined && change.ev! < mark.ev) return mark;
    const base: Mark = mark ?? { _id: id, learnerId, cohortId, seq: 0 };
    const next: Mark = { ...base, ...change };
    const deltas = difference(contribution(base.l, base.e), contribution(next.l, next.e));
    if (deltas.length === 0) {
      // Sides changed without changing the counts (a learner not started yet): kept, so the next difference starts from them.
      // A save that changed neither side (most saves: a new cursor, a new activity time) writes nothing.
      if (JSON.stringify([base.l, base.e]) === JSON.stringify([next.l, next.e])) return mark;
      await this.marks.replaceOne({ _id: id }, next, { upsert: true });
      return next;
    }
    next.seq = base.seq + 1;
    next.pending = { op: `${id}#${next.seq}`, deltas, at: this.counters.now() };
    await this.marks.replaceOne({ _id: id }, next, { upsert: true });
    return this.finish(next);
  }

  /** Applies a mark's pending op (each province document once) and clears it. */
  private async finish(mark: Mark): Promise<Mark> {
    const p = mark.pending!;
    await this.counters.apply(mark.cohortId, p.deltas, p.op, new Date(p.at));
    await this.marks.updateOne({ _id: mark._id }, { $unset: { pending: '' } });
    const { pending: _p, ...rest } = mark;
    return rest;
  }
}

/**
 * Counting never fails the learner's save: the record is written, and a counter update that cannot
 * finish (a counter's lease held by a worker killed with it, Redis or the database busy) is left as a
 * crash there would leave it — the pending op in the mark, finished by the learner's next save, and
 * any drift shown and corrected by `report recount`. Failing the save instead made the update's job
 * fail and, after its last retry, lost the learner's answer (the crash test, 25 SIGKILLs).
 */
function counted(update: Promise<void>): Promise<void> {
  return update.catch(() => undefined);
}

/** The learner store, counting each save and each new learner. */
export class TrackedLearnerStore implements LearnerStore {
  constructor(
    private readonly inner: LearnerStore,
    private readonly tracker: StatsTracker,
  ) {}

  findByConversation: LearnerStore['findByConversation'] = (id) => this.inner.findByConversation(id);
  findById: LearnerStore['findById'] = (id) => this.inner.findById(id);
  findByInviteCode: LearnerStore['findByInviteCode'] = (code) => this.inner.findByInviteCode(code);
  attach: LearnerStore['attach'] = (learnerId, conversation) => this.inner.attach(learnerId, conversation);
  learnerIdOf: LearnerStore['learnerIdOf'] = (conversation) => this.inner.learnerIdOf(conversation);
  /** The learner the conversation left has one fewer: their kept row follows (the one it joined is saved by the linking). */
  async move(conversation: ConversationId, from: string, to: string): Promise<boolean> {
    const moved = await this.inner.move(conversation, from, to);
    if (moved) await counted(this.follow(from));
    return moved;
  }

  /** Counts the learner as stored now, after a change made without a save of theirs. */
  async follow(learnerId: string): Promise<void> {
    const l = await this.inner.findById(learnerId);
    if (l) await this.tracker.learnerSaved(l, l.version);
  }

  async create(learner: Omit<Learner, 'id' | 'version'>): Promise<Learner> {
    const created = await this.inner.create(learner);
    await counted(this.tracker.learnerSaved(created));
    return created;
  }

  async save(learner: Learner): Promise<Learner> {
    const saved = await this.inner.save(learner);
    await counted(this.tracker.learnerSaved(learner, saved.version));
    return saved;
  }
}

/**
 * Reachability, with the learner's kept row in step: a conversation the platform refused, or one
 * back after /start, changes the learner's `unreachable` list without a save of theirs, and the
 * dashboard's segments (unreachable, the channel a broadcast would take) count from that row.
 */
export class TrackedReachability implements Reachability {
  constructor(
    private readonly inner: Pick<Reachability, 'blockedSince'> & {
      block(conversation: ConversationId, at: Date): Promise<string | null>;
      unblock(conversation: ConversationId): Promise<string | null>;
    },
    private readonly learners: Pick<TrackedLearnerStore, 'follow'>,
  ) {}

  blockedSince: Reachability['blockedSince'] = (conversation) => this.inner.blockedSince(conversation);

  async markBlocked(conversation: ConversationId, at: Date): Promise<void> {
    const changed = await this.inner.block(conversation, at);
    if (changed) await counted(this.learners.follow(changed));
  }

  async markReachable(conversation: ConversationId): Promise<void> {
    const changed = await this.inner.unblock(conversation);
    if (changed) await counted(this.learners.follow(changed));
  }
}

/** The enrolment store, counting each save. */
export class TrackedEnrolmentStore implements EnrolmentStore {
  constructor(
    private readonly inner: EnrolmentStore,
    private readonly tracker: StatsTracker,
  ) {}

  find: EnrolmentStore['find'] = (learnerId, cohortId) => this.inner.find(learnerId, cohortId);
  /** The row gets the enrolment as soon as it exists (the listing's status), before its first save; the counters wait for that save. */
  async ensure(init: Parameters<EnrolmentStore['ensure']>[0]): Promise<Enrolment> {
    const e = await this.inner.ensure(init);
    await counted(this.tracker.enrolmentRow(e));
    return e;
  }

  async save(enrolment: Enrolment): Promise<Enrolment> {
    const saved = await this.inner.save(enrolment);
    await counted(this.tracker.enrolmentSaved(enrolment, saved.version));
    return saved;
  }
}
