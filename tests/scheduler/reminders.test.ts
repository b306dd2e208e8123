import { afterEach, describe, expect, it } from 'vitest';
import { schedulingHarness, type SchedulingHarness } from '../support/scheduling.js';

const HOUR = 3600_000;
const DAY = 24 * HOUR;
const closesAt = new Date('2026-06-10T17:00:00+07:00');
const opensAt = new Date('2026-05-20T08:00:00+07:00');

let h: SchedulingHarness;
afterEach(() => h?.close());

/** Moves the clock to `ms` before closing, plans reminders and delivers them. */
async function sweepAt(ms: number): Promise<number> {
  h.clock.current = new Date(closesAt.getTime() - ms);
  const n = await h.planner().planReminders();
  await h.drained();
  return n;
}

async function sentRecords(): Promise<number> {
  return h.db.models.ScheduledSend.countDocuments({ kind: 'reminder', state: 'sent' });
}

describe('deadline reminders', () => {
  it('should remind each unfinished learner once per offset, worded for the time left and the topics left', async () => {
    h = await schedulingHarness({ opensAt, closesAt, reminders: ['P3D', 'P1D', 'PT3H'], quietHours: null, lessonHour: 8 });
    const a = await h.learner('Trần Văn An');
    h.startSender();

    expect(await sweepAt(3 * DAY + HOUR)).toBe(0);
    expect(h.adapter.to(a.address)).toHaveLength(0);

    await sweepAt(3 * DAY - 60_000);
    await sweepAt(3 * DAY - 120_000);
    expect(h.adapter.texts(a.address)).toHaveLength(1);
    expect(h.adapter.texts(a.address)[0]).toContain('còn 3 ngày');
    expect(h.adapter.texts(a.address)[0]).toContain('còn 5 chuyên đề chưa học xong và chưa làm bài kiểm tra cuối khóa');
    expect(h.adapter.texts(a.address)[0]).toContain('10/06/2026 17:00');

    await sweepAt(DAY);
    await sweepAt(3 * HOUR);
    await sweepAt(HOUR);
    const texts = h.adapter.texts(a.address);
    expect(texts).toHaveLength(3);
    expect(texts[1]).toContain('còn 1 ngày');
    expect(texts[2]).toContain('còn 3 giờ');
  });

  it('should word reminders in the learners language', async () => {
    h = await schedulingHarness({ opensAt, closesAt, reminders: ['PT3H'], quietHours: null, lessonHour: 8 });
    const b = await h.learner();
    await b.say('/ngonngu');
    await b.say('2');
    h.startSender();
    await sweepAt(3 * HOUR);
    expect(h.adapter.texts(b.address)[0]).toContain('3 hours left before the course closes');
  });

  it('should skip learners who completed the course, stopped messages or refused consent', async () => {
    h = await schedulingHarness({ opensAt, closesAt, reminders: ['P1D'], quietHours: null, lessonHour: 8 });
    const done = await h.learner('Lê Thị Hoàn');
    const stopped = await h.learner('Phạm Văn Dừng');
    const refused = await h.learner('Đỗ Văn Không');
    const active = await h.learner('Vũ Thị Học');
    await h.change(done.id, { enrolment: { status: 'completed' } });
    await stopped.say('/dung');
    await h.change(refused.id, { learner: { consent: false } });
    h.startSender();
    await sweepAt(DAY - 60_000);
    expect(h.adapter.to(active.address)).toHaveLength(1);
    expect(h.adapter.to(done.address)).toHaveLength(0);
    expect(h.adapter.to(stopped.address)).toHaveLength(0);
    expect(h.adapter.to(refused.address)).toHaveLength(0);
  });

  it('should skip a learner who finished between planning and sending', async () => {
    h = await schedulingHarness({ opensAt, closesAt, reminders: ['P1D'], quietHours: null, lessonHour: 8 });
    const a = await h.learner();
    h.clock.current = new Date(closesAt.getTime() - DAY + 60_000);
    expect(await h.planner().planReminders()).toBe(1);
    await h.change(a.id, { enrolment: { status: 'completed' } });
    h.startSender();
    await h.drained();
    expect(h.adapter.to(a.address)).toHaveLength(0);
  });

  it('should hold a reminder due in quiet hours until they end, and send at once when the deadline comes first', async () => {
    const closes = new Date('2026-06-10T23:30:00+07:00');
    h = await schedulingHarness({ opensAt, closesAt: closes, reminders: ['P1D', 'PT1H'], quietHours: { start: 21 * 60, end: 7 * 60 }, lessonHour: 8 });
    const a = await h.learner();
    h.startSender();
    const plan = async (iso: string) => {
      h.clock.current = new Date(iso);
      await h.planner().planReminders();
      await h.drained();
      return h.adapter.to(a.address).length;
    };
    // P1D is due 9/6 23:30, in quiet hours: nothing until 07:00.
    expect(await plan('2026-06-09T23:31:00+07:00')).toBe(0);
    expect(await plan('2026-06-10T06:59:00+07:00')).toBe(0);
    expect(await plan('2026-06-10T07:00:00+07:00')).toBe(1);
    expect(h.adapter.texts(a.address)[0]).toContain('còn 17 giờ');
    // PT1H is due 22:30, in quiet hours that end after closing: it goes at once.
    expect(await plan('2026-06-10T22:29:00+07:00')).toBe(1);
    expect(await plan('2026-06-10T22:30:00+07:00')).toBe(2);
    expect(h.adapter.texts(a.address)[1]).toContain('còn 1 giờ');
  });

  it('should plan nothing for a cohort that has closed', async () => {
    h = await schedulingHarness({ opensAt, closesAt, reminders: ['PT3H'], quietHours: null, lessonHour: 8 });
    await h.learner();
    h.clock.current = new Date(closesAt.getTime() + 60_000);
    expect(await h.planner().planReminders()).toBe(0);
    expect(await h.planner().planLessons()).toBe(0);
    expect(await h.planner().planNudges()).toBe(0);
    expect(await h.queues.send.console.count()).toBe(0);
  });

  it('should send no duplicate when the sweep runs twice, on two workers at once, or again after its jobs were removed', async () => {
    h = await schedulingHarness({ opensAt, closesAt, reminders: ['P1D'], quietHours: null, lessonHour: 8 });
    const learners = [await h.learner('A Một'), await h.learner('B Hai'), await h.learner('C Ba')];
    h.clock.current = new Date(closesAt.getTime() - DAY + 60_000);
    await Promise.all([h.planner({ batchSize: 1 }).planReminders(), h.planner({ batchSize: 2 }).planReminders()]);
    await h.planner().planReminders();
    expect(await h.queues.send.console.count()).toBe(3);
    h.startSender();
    await h.drained();
    // Completed jobs are removed, the checkpoint forgotten: the sweep queues all three again.
    await h.queues.send.console.clean(0, 1000, 'completed');
    await h.db.models.SweepState.deleteMany({});
    expect(await h.planner().planReminders()).toBe(3);
    await h.drained();
    for (const l of learners) expect(h.adapter.to(l.address)).toHaveLength(1);
    expect(await sentRecords()).toBe(3);
  });

  it('should neither miss nor repeat a reminder when the planner dies after queueing a batch', async () => {
    h = await schedulingHarness({ opensAt, closesAt, reminders: ['P1D'], quietHours: null, lessonHour: 8 });
    const learners = [];
    for (let i = 0; i < 5; i++) learners.push(await h.learner(`Học Viên ${i}`));
    h.clock.current = new Date(closesAt.getTime() - DAY + 60_000);
    let batches = 0;
    const dying = h.planner({
      batchSize: 2,
      onBatch: async () => {
        if (++batches === 2) throw new Error('killed');
      },
    });
    await expect(dying.planReminders()).rejects.toThrow('killed');
    expect(await h.queues.send.console.count()).toBe(4);
    const state = await h.db.models.SweepState.findById('reminder|spring|P1D').lean<{ after: string; done: boolean }>();
    expect(state?.done).toBeFalsy();
    h.startSender();
    await h.drained();
    await h.planner({ batchSize: 2 }).planReminders();
    await h.drained();
    for (const l of learners) expect(h.adapter.to(l.address)).toHaveLength(1);
    expect(await sentRecords()).toBe(5);
  });
});
