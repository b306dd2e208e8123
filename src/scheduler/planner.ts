/**
 * The planning sweeps: find who is due a reminder, a daily lesson or a nudge, and queue one send
 * job each with a deterministic id. Each sweep is one unsorted stream over the enrolments (which
 * carry what a sweep needs of their learner), checkpointed by position after every batch: a sweep
 * cut short — by a crash, a shutdown, or a full send window — resumes where it stopped, and
 * re-planning a batch is harmless (same job ids; the scheduled_sends record refuses a second send).
 * With a SendWindow, a batch is queued only while the channels have room (see window.ts).
 */
import type { Cohort } from '../core/model.js';
import { channelOf } from '../core/model.js';
import type { Clock, CourseCatalog } from '../core/ports.js';
import type { Course } from '../core/course.js';
import { dueLessonHours, dueReminders, inQuietHours, localDate, nudgeThreshold, pushBlocker, type PushKind } from '../core/schedule.js';
import type { Candidate, ScheduleSource, SweepStateStore } from './ports.js';
import type { Metrics } from '../metrics.js';
import { jobId, type ScheduledPush, type SweepName } from './jobs.js';
import type { Queues } from './queues.js';
import type { Outbox, OutgoingJob } from './outbox.js';
import type { SendWindow } from './window.js';

export interface PlannerDeps {
  queues: Queues;
  outbox: Outbox;
  source: ScheduleSource;
  states: SweepStateStore;
  catalog: CourseCatalog;
  clock: Clock;
  timezone: string;
  nudgeAfterDays: number;
  metrics?: Metrics;
  /** Keeps only what the channels send in the next minutes queued; without one, everything due is queued at once. */
  window?: SendWindow;
  /** Enrolments per batch. @defaultValue 1000 */
  batchSize?: number;
  /** Called after each batch is queued, before its checkpoint is written, and while waiting for the window (the lease is renewed here). */
  onBatch?: () => Promise<void>;
}

type Planned = { id: string; push: Omit<ScheduledPush, 'kind'> };

/** What a sweep pass decides about one candidate: whether it is due, and the job if so. */
interface Pass {
  kind: PushKind;
  cohort: Cohort;
  select(c: Candidate, course: Course | undefined): boolean;
  plan(c: Candidate): Planned;
}

/** May this learner get `kind` now (the same rule the send worker applies again before sending)? */
function mayReceive(kind: PushKind, c: Candidate, cohort: Cohort, course: Course | undefined, now: Date): boolean {
  return pushBlocker(kind, { learner: c.learner, enrolment: c.enrolment, cohort, course, now }) === null;
}

/**
 * Who gets the daily lesson of `hour` today: the learners who chose that hour, and at the cohort's
 * hour those who chose none, if they may receive a lesson push (an open enrolment with a lesson left).
 */
export function selectForLesson(c: Candidate, hour: number, cohort: Cohort, course: Course | undefined, now: Date): boolean {
  return (c.learner.lessonHour ?? cohort.lessonHour) === hour && mayReceive('lesson', c, cohort, course, now);
}

/** Who gets a deadline reminder: every learner who may receive one (not completed, not stopped…). */
export function selectForReminder(c: Candidate, cohort: Cohort, course: Course | undefined, now: Date): boolean {
  return mayReceive('reminder', c, cohort, course, now);
}

export class Planner {
  private readonly size: number;

  constructor(private readonly d: PlannerDeps) {
    this.size = d.batchSize ?? 1000;
  }

  /** Runs one sweep; returns how many send jobs it queued (existing ids included). */
  sweep(name: SweepName): Promise<number> {
    if (name === 'reminders') return this.planReminders();
    if (name === 'lessons') return this.planLessons();
    return this.planNudges();
  }

  async planReminders(): Promise<number> {
    const now = this.d.clock.now();
    let queued = 0;
    for (const cohort of await this.d.source.activeCohorts(now)) {
      for (const r of dueReminders(cohort, now, this.d.timezone)) {
        queued += await this.pass(`reminder|${cohort.id}|${r.offset}`, {
          kind: 'reminder',
          cohort,
          select: (c, course) => selectForReminder(c, cohort, course, now),
          plan: (c) => ({
            id: jobId('reminder', cohort.id, c.learner.id, r.offset),
            push: { key: `reminder|${cohort.id}|${c.learner.id}|${r.offset}`, learnerId: c.learner.id, cohortId: cohort.id },
          }),
        });
      }
    }
    return queued;
  }

  async planLessons(): Promise<number> {
    const now = this.d.clock.now();
    const date = localDate(now, this.d.timezone);
    let queued = 0;
    for (const cohort of await this.d.source.activeCohorts(now)) {
      for (const hour of dueLessonHours(cohort, now, this.d.timezone)) {
        queued += await this.pass(`lesson|${cohort.id}|${date}|${hour}`, {
          kind: 'lesson',
          cohort,
          select: (c, course) => selectForLesson(c, hour, cohort, course, now),
          plan: (c) => ({
            id: jobId('lesson', c.learner.id, date),
            push: { key: `lesson|${c.learner.id}|${date}`, learnerId: c.learner.id, cohortId: cohort.id },
          }),
        });
      }
    }
    return queued;
  }

  /**
   * Nudges the learners whose inactivity crossed N days since the last sweep: each sweep takes
   * the slice of last-activity instants [through, now − N days). Nothing moves during quiet
   * hours, so those who crossed at night are nudged when they end. A slice the window cut short
   * is taken again whole at the next tick (same job ids).
   */
  async planNudges(): Promise<number> {
    const now = this.d.clock.now();
    const to = nudgeThreshold(now, this.d.nudgeAfterDays);
    let queued = 0;
    for (const cohort of await this.d.source.activeCohorts(now)) {
      if (now < cohort.opensAt || inQuietHours(now, cohort.quietHours, this.d.timezone)) continue;
      const key = `nudge|${cohort.id}`;
      const from = (await this.d.states.get(key)).through ?? new Date(0);
      if (from >= to) continue;
      const pass: Pass = {
        kind: 'nudge',
        cohort,
        select: (c, course) => mayReceive('nudge', c, cohort, course, now),
        plan: (c) => {
          const gap = c.enrolment.lastActivityAt.getTime();
          return {
            id: jobId('nudge', cohort.id, c.learner.id, gap),
            push: { key: `nudge|${cohort.id}|${c.learner.id}|${gap}`, learnerId: c.learner.id, cohortId: cohort.id, gapStart: new Date(gap).toISOString() },
          };
        },
      };
      let finished = true;
      for await (const rows of this.d.source.inactiveEnrolments(cohort.id, from, to, this.size)) {
        const n = await this.enqueue(pass, rows);
        if (n === null) {
          finished = false;
          break;
        }
        queued += n;
        await this.d.onBatch?.();
      }
      if (finished) await this.d.states.save(key, { through: to }, now);
    }
    return queued;
  }

  /** One sweep over a cohort's enrolments from its checkpoint; marks it done at the end of the stream. */
  private async pass(key: string, pass: Pass): Promise<number> {
    const now = this.d.clock.now();
    const state = await this.d.states.get(key);
    if (state.done) return 0;
    let queued = 0;
    for await (const { rows, position } of this.d.source.enrolments(pass.cohort.id, state.position ?? 0, this.size)) {
      const n = await this.enqueue(pass, rows);
      if (n === null) return queued; // the window is full: resume from the last checkpoint at the next tick
      queued += n;
      await this.d.onBatch?.();
      await this.d.states.save(key, { position }, now);
    }
    await this.d.states.save(key, { done: true }, now);
    return queued;
  }

  /**
   * Queues one job per selected candidate, on the send queue of the learner's first reachable
   * conversation; null (nothing queued) when the window stayed full.
   */
  private async enqueue(pass: Pass, rows: Candidate[]): Promise<number | null> {
    const course = this.d.catalog.get(pass.cohort.courseId);
    const jobs: OutgoingJob[] = [];
    for (const c of rows) {
      if (!pass.select(c, course)) continue;
      const conversation = c.learner.conversation;
      if (!conversation || !this.d.queues.send[channelOf(conversation)]) continue;
      const { id, push } = pass.plan(c);
      jobs.push({ jobId: id, data: { kind: 'push', conversation, push: { kind: pass.kind, ...push } } });
    }
    if (!jobs.length) return 0;
    if (this.d.window && !(await this.d.window.room(jobs.map((j) => channelOf(j.data.conversation)), this.d.onBatch))) return null;
    const n = await this.d.outbox.add(jobs);
    this.d.metrics?.pushesPlanned.inc({ kind: pass.kind }, n);
    return n;
  }
}
