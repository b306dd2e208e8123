import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lessonsOf, topicsOf } from '../../src/core/course.js';
import type { Enrolment, FinalAttempt } from '../../src/core/model.js';
import { Tutor } from '../../src/core/tutor.js';
import { MongoEnrolmentStore } from '../../src/storage/stores.js';
import { certificateId, MongoCertificateStore } from '../../src/storage/certificates.js';
import { schedulingHarness, type SchedulingHarness } from '../support/scheduling.js';
import { shownAt } from '../support/final-answers.js';
import { letter } from '../support/chat.js';

const opensAt = new Date('2026-05-06T00:00:00+07:00');
const closesAt = new Date('2026-05-22T23:59:00+07:00');

let h: SchedulingHarness;
let enrolments: MongoEnrolmentStore;
beforeAll(async () => {
  h = await schedulingHarness({ opensAt, closesAt, reminders: [], quietHours: null, lessonHour: 8 });
  enrolments = new MongoEnrolmentStore(h.db.models, h.cache);
}, 30_000);
afterAll(() => h?.close());

const course = () => h.deps.catalog.get('cds-xa')!;
const certs = () => h.db.conn.collection('certificates');

/** A learner with every lesson done and these final attempts already finished. */
async function learnerWith(attempts: Partial<FinalAttempt>[], lessons = lessonsOf(course()).map((l) => l.id)) {
  const learner = await h.learner('Đặng Văn Ưng');
  const e = await enrolments.ensure({
    learnerId: learner.id,
    cohortId: h.cohortId,
    courseId: 'cds-xa',
    status: 'in_progress',
    cursor: { at: 'idle' },
    completedLessons: [],
    checkResults: {},
    finalAttempts: [],
    lastActivityAt: h.clock.now(),
  });
  e.completedLessons = lessons;
  e.finalAttempts = attempts.map((a, i) => ({ n: i + 1, questionIds: [], correct: 0, answered: 0, startedAt: h.clock.now(), ...a }));
  await enrolments.save(e);
  return learner;
}

const passed = (finishedAt = h.clock.now()): Partial<FinalAttempt> => ({ finishedAt, scorePercent: 90, passed: true, correct: 27, answered: 30 });
const failed = (): Partial<FinalAttempt> => ({ finishedAt: h.clock.now(), scorePercent: 40, passed: false, correct: 12, answered: 30 });

describe('certificates: who gets one', () => {
  it('should name the topics and lessons still missing, and issue nothing', async () => {
    const first = topicsOf(course())[0]!;
    const learner = await learnerWith([], first.lessons.map((l) => l.id));
    await learner.say('/chungnhan');
    const text = learner.text();
    expect(text).toContain('chưa đủ điều kiện');
    expect(text).toContain(`còn ${lessonsOf(course()).length - first.lessons.length} bài`);
    expect(text).toContain(topicsOf(course())[1]!.title.vi);
    expect(learner.last.some((m) => m.document)).toBe(false);
    expect(await certs().countDocuments({ learnerId: learner.id })).toBe(0);
  });

  it('should say the test is not passed yet, with the attempts left', async () => {
    const learner = await learnerWith([failed()]);
    await learner.say('/chungnhan');
    expect(learner.text()).toContain('chưa đạt bài kiểm tra cuối khóa');
    expect(learner.text()).toContain(`còn ${course().final.attempts - 1} lượt`);
    expect(await certs().countDocuments({ learnerId: learner.id })).toBe(0);
  });

  it('should say the course closed when the window ended before a pass, even for a pass after the closing', async () => {
    const learner = await learnerWith([passed(new Date(closesAt.getTime() + 60_000))]);
    const before = h.clock.current;
    h.clock.current = new Date(closesAt.getTime() + 3600_000);
    try {
      await learner.say('/chungnhan');
    } finally {
      h.clock.current = before;
    }
    expect(learner.text()).toContain('không thể cấp chứng nhận');
    expect(learner.text()).toContain('22/05/2026 23:59');
    expect(await certs().countDocuments({ learnerId: learner.id })).toBe(0);
  });

  it('should issue on /chungnhan to a learner who passed inside the window, mark the enrolment certified, and send the same one again', async () => {
    const learner = await learnerWith([failed(), passed()]);
    await learner.say('/chungnhan');
    const doc = learner.last.find((m) => m.document);
    expect(doc?.text).toContain('Đặng Văn Ưng');
    const stored = await h.deps.certificates.findFor(learner.id, h.cohortId);
    expect(stored).toMatchObject({ code: doc!.document!.certificate, scorePercent: 90, holder: { fullName: 'Đặng Văn Ưng', role: 'Chủ tịch UBND xã', province: 'Nghệ An' } });
    expect(stored!.serial).toMatch(/^CĐS-XA-2026-\d{6}$/);
    expect((await enrolments.find(learner.id, h.cohortId))!.status).toBe('certified');

    await learner.say('/certificate');
    expect(learner.last.find((m) => m.document)?.document?.certificate).toBe(stored!.code);
    expect(await certs().countDocuments({ learnerId: learner.id })).toBe(1);
  });
});

/** A learner on the last question of a final attempt with every earlier answer right: the next right answer passes. */
async function onLastQuestion() {
  const learner = await learnerWith([]);
  await learner.say('/kiemtra');
  await learner.say('1');
  const e = (await enrolments.find(learner.id, h.cohortId)) as Enrolment;
  const attempt = e.finalAttempts.at(-1)!;
  const last = attempt.questionIds.length - 1;
  Object.assign(attempt, { answered: last, correct: last });
  e.cursor = { at: 'final', attempt: attempt.n, index: last };
  await enrolments.save(e);
  const q = topicsOf(course()).flatMap((t) => t.finalBank).find((x) => x.id === attempt.questionIds[last])!;
  return { learner, answer: letter(shownAt(attempt, last, q)) };
}

describe('certificates: issued exactly once', () => {
  it('should issue on the passing answer, once, when that update is handled twice and by two workers at once', async () => {
    const { learner, answer } = await onLastQuestion();
    const event = learner.event(answer);
    const other = new Tutor(h.deps);
    const [a, b] = await Promise.all([h.tutor.handle(event), other.handle(event)]);
    const again = await h.tutor.handle(event);
    const codes = [a, b, again].map((r) => r.find((m) => m.document)?.document?.certificate);
    expect(codes[0]).toMatch(/^[0-9A-HJKMNP-TV-Z]{12}$/);
    expect(new Set(codes).size).toBe(1);
    expect(a.map((m) => m.text).join('\n')).toContain('100%');
    await h.tutor.delivered(event);
    expect(await h.tutor.handle(event)).toEqual([]);
    expect(await certs().countDocuments({ learnerId: learner.id })).toBe(1);
  });

  it('should give one certificate, one serial and one code to concurrent issues that bypass the lease', async () => {
    const store = new MongoCertificateStore(h.db.conn, { serialPrefix: 'CĐS-XA', timezone: 'Asia/Ho_Chi_Minh' });
    const draft = {
      learnerId: 'race-learner',
      cohortId: 'race-cohort',
      courseId: 'cds-xa',
      holder: { fullName: 'Nguyễn Thị Hoà' },
      courseTitle: 'Chuyển đổi số',
      cohortTitle: 'Đợt 1',
      scorePercent: 100,
      passedAt: new Date(),
    };
    const issued = await Promise.all(Array.from({ length: 6 }, () => store.issue(draft, new Date('2026-05-20T03:00:00Z'))));
    expect(new Set(issued.map((c) => `${c.serial} ${c.code}`)).size).toBe(1);
    expect(await certs().countDocuments({ cohortId: 'race-cohort' })).toBe(1);
    expect((await store.findByCode(issued[0]!.code.toLowerCase()))?.id).toBe(certificateId('race-learner', 'race-cohort'));
    // Codes drawn by the losers of the race point at the winner's record but verify as nothing.
    const orphans = await h.db.conn.collection('certificate_codes').find({ certificateId: certificateId('race-learner', 'race-cohort') }).toArray();
    for (const o of orphans) if (o._id !== (issued[0]!.code as unknown)) expect(await store.findByCode(String(o._id))).toBeNull();
  });

  it('should complete an issue cut short after the code was claimed: the next attempt issues whole, the claimed code verifies as nothing', async () => {
    const store = new MongoCertificateStore(h.db.conn, { serialPrefix: 'CĐS-XA', timezone: 'Asia/Ho_Chi_Minh' });
    const id = certificateId('crash-learner', 'crash-cohort');
    // What steps 1 and 2 leave behind when the process dies before step 3.
    await h.db.conn.collection('certificate_serials').insertOne({ _id: 'crash-cohort' as never, n: 1 });
    await h.db.conn.collection('certificate_codes').insertOne({ _id: 'ZZZZZZZZZZZZ' as never, certificateId: id });
    const c = await store.issue({ learnerId: 'crash-learner', cohortId: 'crash-cohort', courseId: 'cds-xa', holder: { fullName: 'Lê Văn Tám' }, courseTitle: 'C', cohortTitle: 'K', scorePercent: 80, passedAt: new Date() }, new Date('2026-05-20T03:00:00Z'));
    expect(c.serial).toBe('CĐS-XA-2026-000002');
    expect(await store.findByCode('ZZZZ-ZZZZ-ZZZZ')).toBeNull();
    expect((await store.findByCode(c.code))?.serial).toBe(c.serial);
  });
});
