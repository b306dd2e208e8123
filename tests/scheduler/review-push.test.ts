import { afterEach, describe, expect, it } from 'vitest';
import { lessonsOf } from '../../src/core/course.js';
import { shipped } from '../support/env.js';
import { askedQuestion, letter } from '../support/chat.js';
import { schedulingHarness, type SchedulingHarness } from '../support/scheduling.js';

const opensAt = new Date('2026-05-20T00:00:00+07:00');
const closesAt = new Date('2026-06-05T23:59:00+07:00');
const QUIET = { start: 21 * 60, end: 7 * 60 };
const course = shipped().courses.get('cds-xa')!;

let h: SchedulingHarness;
afterEach(() => h?.close());

async function lessonsAt(iso: string): Promise<number> {
  h.clock.current = new Date(iso);
  const n = await h.planner().planLessons();
  await h.drained();
  return n;
}

/** A learner (lesson hour 08:00) who misses the first check question of lesson 1 on 20 May and answers the lesson's others right. */
async function learnerWhoMissedOne() {
  h.clock.current = new Date('2026-05-20T09:00:00+07:00');
  const a = await h.learner();
  await a.press('next');
  const missed = askedQuestion(course, a.last.at(-1))!;
  await a.say(letter((missed.correctIndex + 1) % missed.options.length));
  let q = askedQuestion(course, a.last.at(-1));
  while (q) {
    await a.say(letter(q.correctIndex));
    q = askedQuestion(course, a.last.at(-1));
  }
  return { a, missed };
}

const texts = (address: string) => h.adapter.to(address).flat().map((m) => m.text);

describe('review in the daily push', () => {
  it('should push the review round to a learner whose lessons are done while a question is due, and not before', async () => {
    h = await schedulingHarness({ opensAt, closesAt, reminders: [], quietHours: QUIET, lessonHour: 8 });
    const { a, missed } = await learnerWhoMissedOne();
    await h.change(a.id, { enrolment: { completedLessons: lessonsOf(course).map((l) => l.id), cursor: { at: 'idle' } } });
    h.startSender();
    // Not the day it was missed (the sweep finds nothing due), nor inside quiet hours.
    expect(await lessonsAt('2026-05-20T20:00:00+07:00')).toBe(0);
    await lessonsAt('2026-05-21T06:30:00+07:00');
    expect(texts(a.address)).toEqual([]);

    await lessonsAt('2026-05-21T08:05:00+07:00');
    const pushed = texts(a.address);
    expect(pushed[0]).toContain('Đến giờ ôn tập');
    expect(pushed[1]).toContain('🔁 Ôn tập 1/');
    expect(pushed[1]).toContain(missed.text.vi);
    // Once a day: a second sweep the same day pushes nothing more.
    await lessonsAt('2026-05-21T12:00:00+07:00');
    expect(texts(a.address)).toHaveLength(pushed.length);

    // The learner answers what the push asked, by its letter.
    await a.say(letter(missed.correctIndex));
    expect(a.last[0]!.text).toContain('✅');
    while (a.lastChoices()[0]?.startsWith('rev:')) await a.say('A');
    expect(a.text()).toContain('Ôn xong');
    expect(await h.db.models.Answer.countDocuments({ learnerId: a.id, context: 'review' })).toBeGreaterThanOrEqual(1);

    // Nothing due the next day (answered right: FSRS gives it 3 days); back on 24 May, after the
    // lesson's other question (right first time on 20 May, due on the 23rd: overdue, so first).
    const before = texts(a.address).length;
    await lessonsAt('2026-05-22T08:05:00+07:00');
    expect(texts(a.address)).toHaveLength(before);
    await lessonsAt('2026-05-24T08:05:00+07:00');
    const again = texts(a.address).slice(before);
    expect(again[0]).toContain('Hôm nay có 2 câu');
    expect(again[1]).toContain('🔁 Ôn tập 1/2');
    await a.say('A');
    expect(a.last.at(-1)!.text).toContain('🔁 Ôn tập 2/2');
    expect(a.last.at(-1)!.text).toContain(missed.text.vi);
  });

  it('should tell a learner with lessons left that review follows today\u2019s lesson', async () => {
    h = await schedulingHarness({ opensAt, closesAt, reminders: [], quietHours: QUIET, lessonHour: 8 });
    const { a } = await learnerWhoMissedOne();
    h.startSender();
    await lessonsAt('2026-05-21T08:05:00+07:00');
    const pushed = texts(a.address);
    expect(pushed[0]).toContain('Bài học hôm nay');
    expect(pushed.join('\n')).toContain('Học xong bài hôm nay, bạn sẽ ôn lại 1 câu');
    expect(pushed.at(-1)).toContain('Chuyên đề 1 · Bài 2/');
  });

  it('should push nothing after closing, whatever is due', async () => {
    h = await schedulingHarness({ opensAt, closesAt, reminders: [], quietHours: QUIET, lessonHour: 8 });
    const { a } = await learnerWhoMissedOne();
    await h.change(a.id, { enrolment: { completedLessons: lessonsOf(course).map((l) => l.id), cursor: { at: 'idle' }, reviewDueAt: new Date('2026-05-21T08:00:00+07:00') } });
    h.startSender();
    await lessonsAt('2026-06-06T08:05:00+07:00');
    expect(texts(a.address)).toEqual([]);
  });
});
