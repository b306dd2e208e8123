/**
 * When scheduled messages are due: quiet hours, deadline reminders, the daily lesson hour,
 * inactivity nudges and who may receive them. Pure functions of their arguments: the caller
 * passes the instant (from the injected clock) and the learners' time zone.
 */
import { DateTime } from 'luxon';
import { nextLesson, type Course } from './course.js';
import { durationMs } from './durations.js';
import type { Cohort, Enrolment, Learner, QuietHours } from './model.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export type PushKind = 'lesson' | 'reminder' | 'nudge';

function local(at: Date, tz: string): DateTime {
  return DateTime.fromJSDate(at, { zone: tz });
}

/** Minutes (with fractions) since local midnight. */
function minuteOfDay(at: Date, tz: string): number {
  const d = local(at, tz);
  return d.hour * 60 + d.minute + d.second / 60 + d.millisecond / 60_000;
}

function insideQuiet(minute: number, q: QuietHours): boolean {
  if (q.start === q.end) return false;
  return q.start < q.end ? minute >= q.start && minute < q.end : minute >= q.start || minute < q.end;
}

export function inQuietHours(at: Date, quiet: QuietHours | null, tz: string): boolean {
  return quiet !== null && insideQuiet(minuteOfDay(at, tz), quiet);
}

/** The instant the quiet hours containing `at` end; `at` itself when it is outside them. */
export function quietHoursEnd(at: Date, quiet: QuietHours | null, tz: string): Date {
  if (!quiet || !inQuietHours(at, quiet, tz)) return at;
  const d = local(at, tz);
  const sameDay = d.startOf('day').plus({ minutes: quiet.end });
  // Overnight quiet hours (21:00–07:00) entered before midnight end on the next day.
  const end = sameDay <= d ? sameDay.plus({ days: 1 }) : sameDay;
  return end.toJSDate();
}

/**
 * When a reminder due at `due` goes out: at once outside quiet hours; when they end otherwise,
 * unless they end at or after the deadline, in which case at once (late but before closing).
 */
export function reminderSendAt(due: Date, closesAt: Date, quiet: QuietHours | null, tz: string): Date {
  const end = quietHoursEnd(due, quiet, tz);
  return end.getTime() >= closesAt.getTime() ? due : end;
}

export interface DueReminder {
  offset: string;
  dueAt: Date;
  sendAt: Date;
}

/**
 * The reminder offsets to plan at `now`: those whose send instant has come, before closing.
 * Of several due at once (a cohort created late, or a long outage) only the closest to the
 * deadline is kept: "3 days left" is wrong once "1 day left" is due. Offsets that fall before
 * the cohort opens are never due.
 */
export function dueReminders(cohort: Cohort, now: Date, tz: string): DueReminder[] {
  const t = now.getTime();
  if (t >= cohort.closesAt.getTime() || t < cohort.opensAt.getTime()) return [];
  const closes = cohort.closesAt.getTime();
  const deadlineBeforeQuietEnds = quietHoursEnd(now, cohort.quietHours, tz).getTime() >= closes;
  if (inQuietHours(now, cohort.quietHours, tz) && !deadlineBeforeQuietEnds) return [];
  const due = cohort.reminders
    .map((offset) => {
      const dueAt = new Date(closes - durationMs(offset));
      return { offset, dueAt, sendAt: reminderSendAt(dueAt, cohort.closesAt, cohort.quietHours, tz) };
    })
    .filter((r) => r.dueAt.getTime() >= cohort.opensAt.getTime() && r.sendAt.getTime() <= t)
    .sort((a, b) => b.dueAt.getTime() - a.dueAt.getTime());
  return due.slice(0, 1);
}

/** The learner's calendar date, e.g. 2022-05-21: daily pushes are at most one per local date. */
export function localDate(at: Date, tz: string): string {
  return local(at, tz).toISODate()!;
}

/** Minute of the day the lesson for `hour` goes out: the hour itself, or the end of quiet hours containing it. */
export function lessonMinute(hour: number, quiet: QuietHours | null): number {
  return quiet && insideQuiet(hour * 60, quiet) ? quiet.end : hour * 60;
}

/** The lesson hours (0–23) whose push time has come today at `now`; none during quiet hours or outside the window. */
export function dueLessonHours(cohort: Cohort, now: Date, tz: string): number[] {
  const t = now.getTime();
  if (t < cohort.opensAt.getTime() || t >= cohort.closesAt.getTime()) return [];
  if (inQuietHours(now, cohort.quietHours, tz)) return [];
  const minute = minuteOfDay(now, tz);
  return Array.from({ length: 24 }, (_, h) => h).filter((h) => lessonMinute(h, cohort.quietHours) <= minute);
}

/** How much time is left before closing, in the unit a person would say it. */
export function timeLeft(closesAt: Date, now: Date): { unit: 'days' | 'hours' | 'minutes'; count: number } {
  const ms = Math.max(0, closesAt.getTime() - now.getTime());
  if (ms >= DAY) return { unit: 'days', count: Math.round(ms / DAY) };
  if (ms >= HOUR) return { unit: 'hours', count: Math.round(ms / HOUR) };
  return { unit: 'minutes', count: Math.max(1, Math.ceil(ms / MINUTE)) };
}

/** Whole days since the learner was last active. */
export function daysInactive(lastActivityAt: Date, now: Date): number {
  return Math.floor((now.getTime() - lastActivityAt.getTime()) / DAY);
}

/** The instant before which a learner's last activity makes them due for a nudge. */
export function nudgeThreshold(now: Date, afterDays: number): Date {
  return new Date(now.getTime() - afterDays * DAY);
}

/** A review item is due at `now` (the enrolment keeps the deck's earliest due date). */
export function reviewDue(e: Enrolment, now: Date): boolean {
  return e.reviewDueAt !== undefined && e.reviewDueAt !== null && new Date(e.reviewDueAt).getTime() <= now.getTime();
}

export function hasUnfinishedLessons(course: Course, e: Enrolment): boolean {
  if (e.status === 'completed' || e.status === 'certified') return false;
  return nextLesson(course, new Set(e.completedLessons)) !== undefined || e.cursor.at === 'card' || e.cursor.at === 'question';
}

/**
 * Why this push must not go to this learner now, or null when it may. The planner asks before
 * queueing and the send worker asks again just before sending, since hours may pass between.
 */
export function pushBlocker(
  kind: PushKind,
  p: { learner: Pick<Learner, 'stopped' | 'consent' | 'onboarded'> | null; enrolment: Enrolment | null; cohort: Cohort | null; course: Course | undefined; now: Date },
): string | null {
  const { learner, enrolment, cohort, course, now } = p;
  if (!learner || !cohort || !course) return 'gone';
  if (learner.stopped) return 'stopped';
  if (learner.consent === false) return 'no_consent';
  if (!learner.onboarded) return 'not_onboarded';
  if (now.getTime() < cohort.opensAt.getTime()) return 'not_open';
  if (now.getTime() >= cohort.closesAt.getTime()) return 'closed';
  if (!enrolment) return 'not_enrolled';
  if (enrolment.status === 'completed' || enrolment.status === 'certified') return 'completed';
  // Lessons done: the daily push still goes while review items are due (a copy of the earliest on the enrolment).
  if (kind === 'lesson' && !hasUnfinishedLessons(course, enrolment) && !reviewDue(enrolment, now)) return 'nothing_left';
  return null;
}
