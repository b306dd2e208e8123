/**
 * When a review item comes back: the FSRS interval, bent to the cohort's closing.
 *
 * Open-ended spaced repetition (Anki, Duolingo) lets an interval run as long as memory allows.
 * Our learners sit one test before one date, so an interval that ends after closing is wasted,
 * and an item seen once and then left for FSRS's next interval may never come back in time.
 * The rule, applied after every answer that touches an item (the first answer and each review):
 *
 * 1. Review slots are whole local days at the learner's lesson hour (moved out of quiet hours
 *    as the lesson push is), from tomorrow to the last day whose slot is before closing. So an
 *    item never comes back the day it was seen, never inside quiet hours, never after closing.
 * 2. `days` = the FSRS interval (ts-fsrs, 90 % requested retention, no short-term steps), at
 *    least one day.
 * 3. An item still owes reviews before it may retire: two for an item missed when it entered
 *    (the spacing minimum at which retrieval practice shows a clear gain), one for an item
 *    answered right the first time. With `owed` reviews owed and `left` review days left, the
 *    next review is at most `floor(left / owed)` days away, so the owed reviews fit, evenly
 *    spaced, before closing.
 * 4. An item that owes nothing and whose FSRS interval ends after the last slot retires
 *    ("mastered"): FSRS predicts recall at closing above the 90 % target without another review.
 *
 * With the defaults (FSRS-6 weights, tests/core/review-schedule.test.ts), for the 2022 cohort
 * (6–22 May, lessons at 08:00): a question missed on 6 May (16 review days left; FSRS after
 * "again": stability 0.2 d, so 1 d; cap 16 / 2 = 8 d) comes back on 7 May, then, answered right,
 * on 10 May (+3 d), 18 May (+8 d), and retires (next FSRS interval 22 d > 4 d left): 3 reviews.
 * A question answered right the first time (stability 2.3 d) comes back on 9 May (+3 d) and
 * retires (14 d > 13 d left): 1 review. Missed on 20 May (2 review days left, 2 owed: cap 1 d),
 * it comes back on 21 and 22 May.
 */
import { DateTime } from 'luxon';
import type { QuietHours } from './model.js';
import { lessonMinute } from './schedule.js';

/** Reviews an item owes before it may retire: two when it was missed, one when it was right first time. */
export const OWED_REVIEWS = { missed: 2, right: 1 } as const;

/** Where review slots may fall: the learner's hour, quiet hours, closing and the time zone. */
export interface ReviewWindow {
  closesAt: Date;
  quietHours: QuietHours | null;
  /** The learner's lesson hour (0–23). */
  hour: number;
  timezone: string;
}

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/**
 * Local time arithmetic in plain numbers: the zone's offset is looked up once per zone and hour
 * (luxon's DateTime costs tens of microseconds a call, and the simulation in bench/ makes millions).
 */
const offsets = new Map<string, number>();
function offsetMs(t: number, tz: string): number {
  const key = `${tz}|${Math.floor(t / HOUR_MS)}`;
  let off = offsets.get(key);
  if (off === undefined) {
    if (offsets.size > 100_000) offsets.clear();
    off = DateTime.fromMillis(t, { zone: tz }).offset * 60_000;
    offsets.set(key, off);
  }
  return off;
}

/** The local day an instant falls on, as a day number (days since 1970-01-01 in that zone). */
function dayOf(t: number, tz: string): number {
  return Math.floor((t + offsetMs(t, tz)) / DAY_MS);
}

/** The review slot of a local day: its lesson minute (outside quiet hours), as an instant. */
function slotOf(day: number, w: ReviewWindow): Date {
  const local = day * DAY_MS + lessonMinute(w.hour, w.quietHours) * 60_000;
  return new Date(local - offsetMs(local - offsetMs(local, w.timezone), w.timezone));
}

/** The last local day whose slot is before closing. */
function lastReviewDay(w: ReviewWindow): number {
  const last = dayOf(w.closesAt.getTime(), w.timezone);
  return slotOf(last, w).getTime() >= w.closesAt.getTime() ? last - 1 : last;
}

/** Whole local days from `now`'s day to the last day whose review slot is before closing (0: none after today). */
export function reviewDaysLeft(now: Date, w: ReviewWindow): number {
  return Math.max(0, lastReviewDay(w) - dayOf(now.getTime(), w.timezone));
}

/**
 * When an item is next due after an answer at `now`, given the FSRS due date and the reviews it
 * has had (not counting its first answer); null when it retires or no slot is left before closing.
 */
export function nextReviewAt(p: { fsrsDue: Date; reviews: number; missed: boolean; now: Date }, w: ReviewWindow): Date | null {
  const today = dayOf(p.now.getTime(), w.timezone);
  const left = Math.max(0, lastReviewDay(w) - today);
  if (left < 1) return null;
  const fsrsDays = Math.max(1, dayOf(p.fsrsDue.getTime(), w.timezone) - today);
  const owed = Math.max(0, (p.missed ? OWED_REVIEWS.missed : OWED_REVIEWS.right) - p.reviews);
  if (owed === 0 && fsrsDays > left) return null;
  const cap = owed > 0 ? Math.max(1, Math.floor(left / owed)) : left;
  return slotOf(today + Math.min(fsrsDays, cap), w);
}
