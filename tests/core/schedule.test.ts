import { describe, expect, it } from 'vitest';
import {
  dueLessonHours,
  dueReminders,
  inQuietHours,
  lessonMinute,
  localDate,
  quietHoursEnd,
  reminderSendAt,
  timeLeft,
} from '../../src/core/schedule.js';
import type { Cohort } from '../../src/core/model.js';

const TZ = 'Asia/Ho_Chi_Minh';
const QUIET = { start: 21 * 60, end: 7 * 60 };
const at = (iso: string) => new Date(iso);

/** The 2022 commune-leader cohort, as the programme ran it. */
const cohort2022: Cohort = {
  id: 'xa-2022',
  courseId: 'cds-xa',
  opensAt: at('2022-05-06T00:00:00+07:00'),
  closesAt: at('2022-05-22T23:59:59+07:00'),
  reminders: ['P7D', 'P3D', 'P1D', 'PT3H'],
  quietHours: QUIET,
  lessonHour: 8,
  usesDistrict: true,
  provinceList: '2022',
};

describe('quiet hours', () => {
  it('should hold overnight quiet hours across midnight in the learners time zone, whatever the server zone', () => {
    expect(inQuietHours(at('2022-05-10T21:00:00+07:00'), QUIET, TZ)).toBe(true);
    expect(inQuietHours(at('2022-05-10T23:30:00+07:00'), QUIET, TZ)).toBe(true);
    expect(inQuietHours(at('2022-05-11T06:59:00+07:00'), QUIET, TZ)).toBe(true);
    expect(inQuietHours(at('2022-05-11T07:00:00+07:00'), QUIET, TZ)).toBe(false);
    expect(inQuietHours(at('2022-05-10T20:59:00+07:00'), QUIET, TZ)).toBe(false);
    expect(inQuietHours(at('2022-05-10T23:30:00+07:00'), null, TZ)).toBe(false);
    // 14:30 UTC is 21:30 in Hanoi but 16:30 in Paris.
    expect(inQuietHours(at('2022-05-10T14:30:00Z'), QUIET, 'Europe/Paris')).toBe(false);
  });

  it('should end quiet hours entered before midnight at 07:00 the next morning', () => {
    expect(quietHoursEnd(at('2022-05-10T22:00:00+07:00'), QUIET, TZ)).toEqual(at('2022-05-11T07:00:00+07:00'));
    expect(quietHoursEnd(at('2022-05-11T03:00:00+07:00'), QUIET, TZ)).toEqual(at('2022-05-11T07:00:00+07:00'));
    expect(quietHoursEnd(at('2022-05-11T12:00:00+07:00'), QUIET, TZ)).toEqual(at('2022-05-11T12:00:00+07:00'));
  });
});

describe('reminder send time', () => {
  it('should send a reminder due outside quiet hours when due', () => {
    const due = at('2022-05-22T20:59:59+07:00');
    expect(reminderSendAt(due, cohort2022.closesAt, QUIET, TZ)).toEqual(due);
  });

  it('should delay a reminder due in quiet hours until they end', () => {
    // P1D before 22/5 23:59:59 is 21/5 23:59:59: quiet; it goes at 07:00 on 22/5.
    expect(reminderSendAt(at('2022-05-21T23:59:59+07:00'), cohort2022.closesAt, QUIET, TZ)).toEqual(at('2022-05-22T07:00:00+07:00'));
  });

  it('should send at once when quiet hours would end after the deadline', () => {
    const due = at('2022-05-22T22:59:59+07:00');
    expect(reminderSendAt(due, cohort2022.closesAt, QUIET, TZ)).toEqual(due);
  });
});

describe('due reminders', () => {
  it('should make each offset due at its send time and name it', () => {
    expect(dueReminders(cohort2022, at('2022-05-15T23:59:00+07:00'), TZ)).toEqual([]);
    // P7D falls on 15/5 23:59:59, inside quiet hours: due at 07:00 on 16/5.
    expect(dueReminders(cohort2022, at('2022-05-16T06:59:00+07:00'), TZ)).toEqual([]);
    expect(dueReminders(cohort2022, at('2022-05-16T07:00:00+07:00'), TZ).map((r) => r.offset)).toEqual(['P7D']);
    expect(dueReminders(cohort2022, at('2022-05-22T21:00:00+07:00'), TZ).map((r) => r.offset)).toEqual(['PT3H']);
  });

  it('should keep only the offset closest to the deadline when several are due at once', () => {
    expect(dueReminders(cohort2022, at('2022-05-22T12:00:00+07:00'), TZ).map((r) => r.offset)).toEqual(['P1D']);
  });

  it('should plan nothing once the cohort has closed, or before it opens', () => {
    expect(dueReminders(cohort2022, at('2022-05-23T00:00:00+07:00'), TZ)).toEqual([]);
    expect(dueReminders(cohort2022, at('2022-05-05T12:00:00+07:00'), TZ)).toEqual([]);
  });

  it('should plan nothing during quiet hours unless the deadline comes before they end', () => {
    expect(dueReminders(cohort2022, at('2022-05-19T22:00:00+07:00'), TZ)).toEqual([]);
    const lateNight = { ...cohort2022, reminders: ['PT1H'] };
    expect(dueReminders(lateNight, at('2022-05-22T23:00:00+07:00'), TZ).map((r) => r.offset)).toEqual(['PT1H']);
  });

  it('should never make due an offset that falls before the cohort opens', () => {
    expect(dueReminders({ ...cohort2022, reminders: ['P30D'] }, at('2022-05-10T12:00:00+07:00'), TZ)).toEqual([]);
  });
});

describe('daily lesson hours', () => {
  it('should make an hour due from that hour on, in the learners zone', () => {
    expect(dueLessonHours(cohort2022, at('2022-05-10T08:00:00+07:00'), TZ)).toContain(8);
    expect(dueLessonHours(cohort2022, at('2022-05-10T07:59:00+07:00'), TZ)).not.toContain(8);
    expect(localDate(at('2022-05-10T23:30:00+07:00'), TZ)).toBe('2022-05-10');
    expect(localDate(at('2022-05-10T17:30:00Z'), TZ)).toBe('2022-05-11');
  });

  it('should move an hour inside quiet hours to their end, and send nothing during them', () => {
    expect(lessonMinute(22, QUIET)).toBe(7 * 60);
    expect(lessonMinute(5, QUIET)).toBe(7 * 60);
    expect(lessonMinute(8, QUIET)).toBe(8 * 60);
    expect(lessonMinute(22, null)).toBe(22 * 60);
    expect(dueLessonHours(cohort2022, at('2022-05-10T21:30:00+07:00'), TZ)).toEqual([]);
    expect(dueLessonHours(cohort2022, at('2022-05-11T07:00:00+07:00'), TZ)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 21, 22, 23]);
  });

  it('should send no lesson after closing', () => {
    expect(dueLessonHours(cohort2022, at('2022-05-23T09:00:00+07:00'), TZ)).toEqual([]);
  });
});

describe('time left', () => {
  it('should say days, hours or minutes as a person would', () => {
    const closes = cohort2022.closesAt;
    expect(timeLeft(closes, new Date(closes.getTime() - 3 * 86400_000 + 60_000))).toEqual({ unit: 'days', count: 3 });
    expect(timeLeft(closes, new Date(closes.getTime() - 3 * 3600_000))).toEqual({ unit: 'hours', count: 3 });
    expect(timeLeft(closes, new Date(closes.getTime() - 30_000))).toEqual({ unit: 'minutes', count: 1 });
  });
});
