import { afterEach, describe, expect, it } from 'vitest';
import { schedulingHarness, type SchedulingHarness } from '../support/scheduling.js';
import { MongoScheduleSource } from '../../src/storage/schedule.js';
import { SendWindow } from '../../src/scheduler/window.js';

const HOUR = 3600_000;
const DAY = 24 * HOUR;
const closesAt = new Date('2026-06-10T17:00:00+07:00');
const opensAt = new Date('2026-05-20T08:00:00+07:00');

let h: SchedulingHarness;
afterEach(() => h?.close());

async function withLearners(n: number) {
  h = await schedulingHarness({ opensAt, closesAt, reminders: ['P1D'], quietHours: null, lessonHour: 8 });
  const learners = [];
  for (let i = 0; i < n; i++) learners.push(await h.learner(`Học Viên ${i}`));
  h.clock.current = new Date(closesAt.getTime() - DAY + 60_000);
  return learners;
}

/**
 * The planner over the enrolment stream, whose positions count enrolments (what these tests check);
 * the harness's default source streams the packed buckets, whose resume is tested in
 * tests/storage/sweep-buckets.test.ts.
 */
const enrolmentStream = () => new MongoScheduleSource(h.db.models);

/** A source that records where each stream started and how many enrolments it yielded. */
function countingSource(h: SchedulingHarness) {
  const inner = new MongoScheduleSource(h.db.models);
  const reads = { starts: [] as number[], rows: 0 };
  const source = Object.assign(Object.create(inner) as MongoScheduleSource, {
    async *enrolments(cohortId: string, from: number, size: number) {
      reads.starts.push(from);
      for await (const batch of inner.enrolments(cohortId, from, size)) {
        reads.rows += batch.rows.length;
        yield batch;
      }
    },
  });
  return { source, reads };
}

const queued = async () => h.queues.send.console.getJobCounts('waiting', 'delayed', 'prioritized').then((c) => Object.values(c).reduce((a, b) => a + b, 0));
const sweepState = () => h.db.models.SweepState.findById('reminder|spring|P1D').lean<{ position?: number; done?: boolean }>();
const sentRecords = () => h.db.models.ScheduledSend.countDocuments({ kind: 'reminder', state: 'sent' });

describe('sweeps: resumable, windowed', () => {
  it('should resume after a crash from the last checkpoint, re-reading only what followed it, and send each reminder once', async () => {
    const learners = await withLearners(7);
    let batches = 0;
    const dying = h.planner({
      batchSize: 2,
      source: enrolmentStream(),
      onBatch: async () => {
        if (++batches === 3) throw new Error('killed');
      },
    });
    await expect(dying.planReminders()).rejects.toThrow('killed');
    // Three batches queued; the checkpoint of the third was never written.
    expect(await h.queues.send.console.count()).toBe(6);
    expect(await sweepState()).toMatchObject({ position: 4 });

    const { source, reads } = countingSource(h);
    h.startSender();
    await h.planner({ batchSize: 2, source }).planReminders();
    expect(reads.starts).toEqual([4]);
    expect(reads.rows).toBe(3);
    expect(await sweepState()).toMatchObject({ done: true });
    await h.drained();
    for (const l of learners) expect(h.adapter.to(l.address)).toHaveLength(1);
    expect(await sentRecords()).toBe(7);

    // Done: a later tick reads nothing.
    await h.planner({ batchSize: 2, source }).planReminders();
    expect(reads.starts).toEqual([4]);
  });

  it('should stop at a full window with at most the limit and one batch queued, and resume at the next tick', async () => {
    const learners = await withLearners(8);
    const window = new SendWindow(h.queues, { limits: { console: 3 }, maxWaitMs: 0 });
    const tick = () => h.planner({ batchSize: 2, window, source: enrolmentStream() }).planReminders();

    expect(await tick()).toBe(4);
    expect(await queued()).toBe(4);
    expect(await sweepState()).toMatchObject({ position: 4 });
    expect((await sweepState())?.done).toBeFalsy();
    // Still full: the next tick queues nothing and keeps its place.
    expect(await tick()).toBe(0);
    expect(await sweepState()).toMatchObject({ position: 4 });

    h.startSender();
    await h.drained();
    expect(await tick()).toBe(4);
    expect(await sweepState()).toMatchObject({ done: true });
    await h.drained();
    for (const l of learners) expect(h.adapter.to(l.address)).toHaveLength(1);
    expect(await sentRecords()).toBe(8);
  });

  it('should wait for room while the channel sends, never holding more than the limit and one batch', async () => {
    const learners = await withLearners(8);
    h.startSender();
    const window = new SendWindow(h.queues, { limits: { console: 2 }, pollMs: 20, maxWaitMs: 30_000 });
    let peak = 0;
    let planning = true;
    const watch = (async () => {
      while (planning) {
        peak = Math.max(peak, await queued());
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    let waits = 0;
    const n = await h.planner({ batchSize: 2, window, onBatch: async () => void waits++ }).planReminders();
    planning = false;
    await watch;
    expect(n).toBe(8);
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThanOrEqual(2 + 2);
    expect(waits).toBeGreaterThan(4); // the lease was renewed while waiting, not only after batches
    await h.drained();
    for (const l of learners) expect(h.adapter.to(l.address)).toHaveLength(1);
  });
});
