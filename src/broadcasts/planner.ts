/**
 * Planning a broadcast: stream the learners (stored order, no sort), keep those in the segment,
 * and queue one send job each, a window at a time — only while the channel has fewer than its
 * window of jobs waiting (src/scheduler/window.ts), so Redis holds what is about to be sent, not
 * the segment. The position in the stream and the counts planned so far are saved together after
 * each batch; a planner cut short (a crash, a full window, a pause) resumes there, and a batch
 * queued again is harmless (same job ids; the delivery record refuses a second send). Resuming
 * is not free: the stream has no index to start from, so it skips `position` learners (FerretDB
 * reads each: 7 s at 20,000 on a loaded machine, minutes at a million). The window should
 * therefore wait long for room (the app's waits up to 10 minutes), keeping one stream open per
 * broadcast from start to end instead of one per refill.
 *
 * Broadcast jobs carry a BullMQ priority (replies carry none, and BullMQ takes unprioritised jobs
 * first), and they are not entered in the chat's order (pacing.ts): a learner who is chatting gets
 * their replies first, never behind an announcement.
 */
import { inSegment, needsEnrolment, pickConversation, quietNow, type Broadcast, type Recipient } from '../core/broadcast.js';
import { channelOf, type ChannelName } from '../core/model.js';
import type { Clock } from '../core/ports.js';
import { durationMs } from '../core/durations.js';
import { jobId, type PushJob } from '../scheduler/jobs.js';
import type { Queues } from '../scheduler/queues.js';
import type { SendWindow } from '../scheduler/window.js';
import type { MongoBroadcastStore, PlanState } from '../storage/broadcasts.js';
import type { BroadcastLive, Deferred } from './live.js';

/** Below every reply (BullMQ: unprioritised first, then 1, 2, …). */
export const BROADCAST_PRIORITY = 10;

export interface BroadcastPlannerDeps {
  store: MongoBroadcastStore;
  live: BroadcastLive;
  queues: Queues;
  clock: Clock;
  timezone: string;
  channels: readonly ChannelName[];
  window?: SendWindow;
  /** Learners per batch. @defaultValue 500 */
  batchSize?: number;
  /** Called between batches (the lease is renewed there); throws to stop. */
  onBatch?: () => Promise<void>;
}

export type PlanOutcome = 'not yet' | 'paused' | 'quiet hours' | 'window full' | 'planned' | 'done' | 'over';

export class BroadcastPlanner {
  private readonly size: number;

  constructor(private readonly d: BroadcastPlannerDeps) {
    this.size = d.batchSize ?? 500;
  }

  /** Plans what may be planned now of one broadcast; marks it done when every recipient has an outcome. */
  async plan(id: string): Promise<PlanOutcome> {
    const b = await this.d.store.get(id);
    const now = this.d.clock.now();
    if (b?.state === 'done' && b.remindAfter && !b.plan.reminded) return this.remind(b, now);
    if (!b || b.state === 'cancelled' || b.state === 'done') return 'over';
    if (b.state === 'paused') return 'paused';
    if (b.state === 'scheduled') {
      if (now < new Date(b.sendAt)) return 'not yet';
      await this.d.store.setState(id, 'sending', { startedAt: now });
      await this.d.live.setState(id, 'sending');
    }
    if (quietNow(b, now, this.d.timezone)) return 'quiet hours';
    if (!(await this.replanDeferred(b))) return 'window full';
    const plan = b.plan;
    if (!plan.planned) {
      for await (const { rows, position } of this.d.store.recipients(b.segment, plan.position, this.size, needsEnrolment(b.segment, now))) {
        // The stream stays open while the window fills and empties (resuming it costs a read of every learner before `position`), so a pause, a cancel or quiet hours are looked for here.
        const halt = await this.halted(b);
        if (halt) return halt;
        const jobs = this.select(b, rows, plan, now);
        if (jobs.length && this.d.window && !(await this.d.window.room(jobs.map((j) => channelOf(j.data.conversation)), this.d.onBatch))) return 'window full';
        await this.add(jobs);
        plan.position = position;
        await this.d.store.savePlan(id, plan);
        await this.d.onBatch?.();
      }
      plan.planned = true;
      await this.d.store.savePlan(id, plan);
    }
    return (await this.finishIfDone(b.id, plan)) ? 'done' : 'planned';
  }

  /** Why planning must stop now: paused, cancelled (over) or quiet hours; null to go on. */
  private async halted(b: Broadcast): Promise<PlanOutcome | null> {
    const state = await this.d.live.state(b.id);
    if (state === 'paused') return 'paused';
    if (state === 'cancelled') return 'over';
    return quietNow(b, this.d.clock.now(), this.d.timezone) ? 'quiet hours' : null;
  }

  /** The batch's recipients in the segment, counted into `plan`; the unreachable are counted, not queued. */
  private select(b: Broadcast, rows: Recipient[], plan: PlanState, now: Date): { jobId: string; data: PushJob }[] {
    const jobs = [];
    for (const r of rows) {
      if (!inSegment(r, b.segment, now)) continue;
      const province = r.province ?? '';
      plan.targeted += 1;
      plan.byProvince[province] = (plan.byProvince[province] ?? 0) + 1;
      const to = pickConversation(r, b.segment, this.d.channels);
      if (!to) {
        plan.unreachable += 1;
        continue;
      }
      if (to.rerouted) plan.reroutedAtPlan += 1;
      jobs.push(this.job(b.id, { learnerId: r.learnerId, conversation: to.conversation, locale: r.locale, province }, r.cohortId));
    }
    return jobs;
  }

  private job(broadcastId: string, r: Deferred, cohortId = '', suffix?: string): { jobId: string; data: PushJob } {
    return {
      jobId: jobId('bc', broadcastId, r.learnerId, ...(suffix ? [suffix] : [])),
      data: {
        kind: 'push',
        conversation: r.conversation,
        push: { kind: 'broadcast', key: `broadcast|${broadcastId}|${r.learnerId}`, learnerId: r.learnerId, cohortId, broadcast: { id: broadcastId, locale: r.locale, province: r.province } },
      },
    };
  }

  /** Straight onto the channels' queues, with a priority below replies, outside the chats' order. */
  private async add(jobs: { jobId: string; data: PushJob }[]): Promise<void> {
    const byChannel = new Map<ChannelName, { name: 'push'; data: PushJob; opts: { jobId: string; priority: number } }[]>();
    for (const j of jobs) {
      const c = channelOf(j.data.conversation);
      const list = byChannel.get(c) ?? [];
      list.push({ name: 'push', data: j.data, opts: { jobId: j.jobId, priority: BROADCAST_PRIORITY } });
      byChannel.set(c, list);
    }
    for (const [c, list] of byChannel) await this.d.queues.send[c].addBulk(list);
  }

  /** Recipients a pause or quiet hours deferred go first, with fresh job ids (their first job is done with). False: the window is full. */
  private async replanDeferred(b: Broadcast): Promise<boolean> {
    for (;;) {
      const { raw, items } = await this.d.live.peekDeferred(b.id, this.size);
      if (!items.length) return true;
      const stamp = String(this.d.clock.now().getTime());
      const jobs = items.map((r) => this.job(b.id, r, '', `d${stamp}`));
      if (this.d.window && !(await this.d.window.room(jobs.map((j) => channelOf(j.data.conversation)), this.d.onBatch))) return false;
      await this.add(jobs);
      await this.d.live.dropDeferred(b.id, raw);
      await this.d.onBatch?.();
    }
  }

  /**
   * Once, `remindAfter` after sending started: the broadcast again, marked as a reminder, to each
   * learner it was sent to who has not acknowledged (their acknowledgement read by `_id`). Pages of
   * the delivery records are read whole (the send workers write to that collection), checkpointed.
   */
  private async remind(b: Broadcast & { plan: PlanState; startedAt?: Date }, now: Date): Promise<PlanOutcome> {
    const start = new Date(b.startedAt ?? b.sendAt).getTime();
    if (now.getTime() < start + durationMs(b.remindAfter!)) return 'not yet';
    if (quietNow(b, now, this.d.timezone)) return 'quiet hours';
    const plan = b.plan;
    for (;;) {
      const page = await this.d.store.sentPage(b.id, plan.remindPosition ?? 0, this.size);
      if (!page.length) break;
      const due = [];
      for (const r of page) if (!(await this.d.store.ackOf(b.id, r.learnerId))) due.push(r);
      const jobs = due.map((r) => {
        const j = this.job(b.id, r, '', 'r');
        j.data.push.broadcast!.reminder = true;
        return j;
      });
      if (jobs.length && this.d.window && !(await this.d.window.room(jobs.map((j) => channelOf(j.data.conversation)), this.d.onBatch))) return 'window full';
      await this.add(jobs);
      plan.remindPosition = (plan.remindPosition ?? 0) + page.length;
      await this.d.store.savePlan(b.id, plan);
      await this.d.onBatch?.();
    }
    plan.reminded = true;
    await this.d.store.savePlan(b.id, plan);
    return 'done';
  }

  /** Done when the whole segment is planned, nothing is deferred, and every recipient has an outcome: then the exact counts are kept. */
  private async finishIfDone(id: string, plan: PlanState): Promise<boolean> {
    if (!plan.planned || (await this.d.live.deferredCount(id)) > 0) return false;
    const live = await this.d.live.counts(id);
    const t = live.total;
    const final = (t.sent ?? 0) + (t.held ?? 0) + (t.cancelled ?? 0) + (t.blocked ?? 0) + Object.entries(t).reduce((a, [k, v]) => a + (k.startsWith('failed:') ? v : 0), 0);
    if (final + plan.unreachable < plan.targeted) return false;
    const exact = await this.d.store.recount(id);
    await this.d.live.setCounts(id, exact);
    await this.d.store.saveCounts(id, exact.total);
    await this.d.store.setState(id, 'done', { doneAt: this.d.clock.now() });
    await this.d.live.setState(id, 'done');
    return true;
  }
}
