import { afterEach, describe, expect, it } from 'vitest';
import { lessonsOf } from '../../src/core/course.js';
import { shipped } from '../support/env.js';
import { schedulingHarness, type SchedulingHarness } from '../support/scheduling.js';

const opensAt = new Date('2026-05-20T00:00:00+07:00');
const closesAt = new Date('2026-06-10T23:59:00+07:00');
const QUIET = { start: 21 * 60, end: 7 * 60 };

let h: SchedulingHarness;
afterEach(() => h?.close());

async function lessonsAt(iso: string): Promise<number> {
  h.clock.current = new Date(iso);
  const n = await h.planner().planLessons();
  await h.drained();
  return n;
}

/** Lesson pushes received: each starts with the "today's lesson" line (the worker sends a job's messages one by one). */
const lessonPushes = (address: string) => h.adapter.to(address).flat().filter((m) => m.text.includes('Bài học hôm nay')).length;

describe('daily lesson push', () => {
  it('should push the next lesson at the learners hour, once a day, moving the cursor as /hoc would', async () => {
    h = await schedulingHarness({ opensAt, closesAt, reminders: [], quietHours: QUIET, lessonHour: 8 });
    const a = await h.learner();
    await a.press('next');
    h.startSender();
    expect(await lessonsAt('2026-05-21T07:59:00+07:00')).toBe(0);
    await lessonsAt('2026-05-21T08:00:30+07:00');
    await lessonsAt('2026-05-21T12:00:00+07:00');
    await lessonsAt('2026-05-21T20:00:00+07:00');
    const pushed = h.adapter.to(a.address).flat();
    expect(lessonPushes(a.address)).toBe(1);
    expect(pushed[0]!.text).toContain('Bài học hôm nay');
    // The learner stood at the first check question: that is what the push shows again.
    expect(pushed[1]!.text).toContain('Câu hỏi nhanh');
    await lessonsAt('2026-05-22T08:01:00+07:00');
    expect(lessonPushes(a.address)).toBe(2);
  });

  it('should follow /nhacnho to a new hour, and move an hour inside quiet hours to their end', async () => {
    h = await schedulingHarness({ opensAt, closesAt, reminders: [], quietHours: QUIET, lessonHour: 8 });
    const a = await h.learner();
    await a.say('/nhacnho');
    await a.say('22');
    expect(a.text()).toContain('22:00');
    h.startSender();
    expect(await lessonsAt('2026-05-21T06:59:00+07:00')).toBe(0);
    expect(await lessonsAt('2026-05-21T07:00:00+07:00')).toBe(1);
    expect(await lessonsAt('2026-05-21T22:00:00+07:00')).toBe(0);
    expect(lessonPushes(a.address)).toBe(1);
  });

  it('should push nothing to a learner who has nothing left to learn, or who stopped, until /hoc', async () => {
    h = await schedulingHarness({ opensAt, closesAt, reminders: [], quietHours: QUIET, lessonHour: 8 });
    const finished = await h.learner('Xong Hết Bài');
    const stopped = await h.learner('Dừng Lại');
    const all = lessonsOf(shipped().courses.get('cds-xa')!).map((l) => l.id);
    await h.change(finished.id, { enrolment: { completedLessons: all, cursor: { at: 'idle' } } });
    await stopped.say('/dung');
    h.startSender();
    await lessonsAt('2026-05-21T08:05:00+07:00');
    expect(h.adapter.to(finished.address)).toHaveLength(0);
    expect(h.adapter.to(stopped.address)).toHaveLength(0);
    await stopped.say('/hoc');
    await lessonsAt('2026-05-22T08:05:00+07:00');
    expect(lessonPushes(stopped.address)).toBe(1);
    expect(h.adapter.to(finished.address)).toHaveLength(0);
  });
});

describe('inactivity nudge', () => {
  it('should nudge a learner inactive for N days once per gap, and again after a new gap', async () => {
    h = await schedulingHarness({ opensAt, closesAt, reminders: [], quietHours: QUIET, lessonHour: 8 });
    h.clock.current = new Date('2026-05-21T10:00:00+07:00');
    const a = await h.learner();
    h.startSender();
    const nudgesAt = async (iso: string) => {
      h.clock.current = new Date(iso);
      await h.planner().planNudges();
      await h.drained();
      return h.adapter.texts(a.address).filter((t) => t.includes('chưa vào học')).length;
    };
    expect(await nudgesAt('2026-05-23T09:59:00+07:00')).toBe(0);
    expect(await nudgesAt('2026-05-23T10:01:00+07:00')).toBe(1);
    expect(h.adapter.texts(a.address)[0]).toContain('Đã 2 ngày');
    expect(await nudgesAt('2026-05-24T12:00:00+07:00')).toBe(1);
    expect(await nudgesAt('2026-05-26T12:00:00+07:00')).toBe(1);
    // Active again on the 26th; two days later, a second gap.
    await a.say('/tiendo');
    expect(await nudgesAt('2026-05-28T11:00:00+07:00')).toBe(1);
    expect(await nudgesAt('2026-05-28T12:01:00+07:00')).toBe(2);
  });

  it('should wait for the end of quiet hours to nudge', async () => {
    h = await schedulingHarness({ opensAt, closesAt, reminders: [], quietHours: QUIET, lessonHour: 8 });
    h.clock.current = new Date('2026-05-21T22:30:00+07:00');
    const a = await h.learner();
    h.startSender();
    h.clock.current = new Date('2026-05-23T23:00:00+07:00');
    expect(await h.planner().planNudges()).toBe(0);
    h.clock.current = new Date('2026-05-24T07:00:00+07:00');
    expect(await h.planner().planNudges()).toBe(1);
    await h.drained();
    expect(h.adapter.to(a.address)).toHaveLength(1);
  });
});
