/**
 * The planning sweeps: find who is due a reminder, a daily lesson or a nudge, and queue one
 * send job each with a deterministic id. Learners stream from MongoDB in batches; each sweep
 * keeps a checkpoint per batch, so a sweep cut short resumes where it stopped, and re-planning
 * a batch is harmless (same job ids; the scheduled_sends record refuses a second send).
 */
import type { Cohort } from '../core/model.js';
import { channelOf, reachableConversations } from '../core/model.js';
import type { Clock, CourseCatalog } from '../core/ports.js';
import { dueLessonHours, dueReminders, inQuietHours, localDate, nudgeThreshold, pushBlocker, type PushKind } from '../core/schedule.js';
import type { Candidate, ScheduleSource, SweepStateStore } from './ports.js';
import type { Metrics } from '../metrics.js';
import { jobId, type ScheduledPush, type SweepName } from './jobs.js';
import type { Queues } from './queues.js';
import type { Outbox, OutgoingJob } from './outbox.js';

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
  /** Learners per batch. @defaultValue 1000 */
  batchSize?: number;
  /** Called after each batch is queued, before its checkpoint is written (the lease is renewed here). */
  onBatch?: () => Promise<void>;
}

type Planned = { kind: PushKind; push: Omit<ScheduledPush, 'kind'>; id: string };

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
        const key = `reminder|${cohort.id}|${r.offset}`;
        const state = await this.d.states.get(key);
        if (state.done) continue;
        for await (const { rows, last } of this.d.source.openEnrolments(cohort.id, state.after, this.size)) {
          queued += await this.enqueue('reminder', cohort, rows, (c) => ({
            id: jobId('reminder', cohort.id, c.learner.id, r.offset),
            push: { key: `reminder|${cohort.id}|${c.learner.id}|${r.offset}`, learnerId: c.learner.id, cohortId: cohort.id },
          }));
          await this.d.onBatch?.();
          await this.d.states.save(key, { after: last }, now);
        }
        await this.d.states.save(key, { done: true }, now);
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
        const key = `lesson|${cohort.id}|${date}|${hour}`;
        const state = await this.d.states.get(key);
        if (state.done) continue;
        // Learners who never chose an hour follow the cohort's.
        const hours = hour === cohort.lessonHour ? [hour, null] : [hour];
        for await (const { rows, last } of this.d.source.learnersAtHours(cohort.id, hours, state.after, this.size)) {
          queued += await this.enqueue('lesson', cohort, rows, (c) => ({
            id: jobId('lesson', c.learner.id, date),
            push: { key: `lesson|${c.learner.id}|${date}`, learnerId: c.learner.id, cohortId: cohort.id },
          }));
          await this.d.onBatch?.();
          await this.d.states.save(key, { after: last }, now);
        }
        await this.d.states.save(key, { done: true }, now);
      }
    }
    return queued;
  }

  /**
   * Nudges the learners whose inactivity crossed N days since the last sweep: each sweep takes
   * the slice of last-activity instants [through, now − N days). Nothing moves during quiet
   * hours, so those who crossed at night are nudged when they end.
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
      for await (const rows of this.d.source.inactiveEnrolments(cohort.id, from, to, this.size)) {
        queued += await this.enqueue('nudge', cohort, rows, (c) => {
          const gap = c.enrolment!.lastActivityAt.getTime();
          return {
            id: jobId('nudge', cohort.id, c.learner.id, gap),
            push: { key: `nudge|${cohort.id}|${c.learner.id}|${gap}`, learnerId: c.learner.id, cohortId: cohort.id, gapStart: new Date(gap).toISOString() },
          };
        });
        await this.d.onBatch?.();
      }
      await this.d.states.save(key, { through: to }, now);
    }
    return queued;
  }

  /** Queues one job per eligible candidate, on the send queue of the learner's first reachable conversation. */
  private async enqueue(kind: PushKind, cohort: Cohort, rows: Candidate[], plan: (c: Candidate) => Omit<Planned, 'kind'>): Promise<number> {
    const now = this.d.clock.now();
    const course = this.d.catalog.get(cohort.courseId);
    const jobs: OutgoingJob[] = [];
    for (const c of rows) {
      if (pushBlocker(kind, { ...c, cohort, course, now })) continue;
      const conversation = reachableConversations(c.learner)[0];
      if (!conversation || !this.d.queues.send[channelOf(conversation)]) continue;
      const { id, push } = plan(c);
      jobs.push({ jobId: id, data: { kind: 'push', conversation, push: { kind, ...push } } });
    }
    const n = await this.d.outbox.add(jobs);
    this.d.metrics?.pushesPlanned.inc({ kind }, n);
    return n;
  }
}
