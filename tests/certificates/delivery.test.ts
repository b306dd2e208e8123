import { mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SendError } from '../../src/channels/shared/errors.js';
import { CertificateDelivery } from '../../src/certificates/delivery.js';
import { CertificateFiles } from '../../src/certificates/files.js';
import { renderPdf, renderPng } from '../../src/certificates/render.js';
import { lessonsOf } from '../../src/core/course.js';
import { MongoCertificateStore } from '../../src/storage/certificates.js';
import { MongoEnrolmentStore } from '../../src/storage/stores.js';
import { replyJobs } from '../../src/scheduler/reply-jobs.js';
import { schedulingHarness, type SchedulingHarness } from '../support/scheduling.js';

const opensAt = new Date('2026-05-06T00:00:00+07:00');
const closesAt = new Date('2026-05-22T23:59:00+07:00');

let h: SchedulingHarness;
let dir: string;
beforeAll(async () => {
  h = await schedulingHarness({ opensAt, closesAt, reminders: [], quietHours: null, lessonHour: 8 });
  dir = await mkdtemp(join(tmpdir(), 'cds-cert-send-'));
}, 30_000);
afterAll(async () => {
  await h?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('sending a certificate', () => {
  it('should finish a send cut short by a failed render and a failed send with the same serial and code, and record it sent', async () => {
    const store = new MongoCertificateStore(h.db.conn, { serialPrefix: 'CĐS-XA', timezone: 'Asia/Ho_Chi_Minh' });
    let renders = 0;
    const files = new CertificateFiles(store, {
      dir,
      publicBaseUrl: 'https://cds.example.vn',
      place: 'Hà Nội',
      timezone: 'Asia/Ho_Chi_Minh',
      render: {
        png: renderPng,
        async pdf(shapes, meta) {
          renders += 1;
          if (renders === 1) throw new Error('the process died while rendering');
          return renderPdf(shapes, meta);
        },
      },
    });
    const learner = await h.learner('Trần Thị Ánh');
    const enrolments = new MongoEnrolmentStore(h.db.models, h.cache);
    const e = await enrolments.ensure({ learnerId: learner.id, cohortId: h.cohortId, courseId: 'cds-xa', status: 'in_progress', cursor: { at: 'idle' }, completedLessons: [], checkResults: {}, finalAttempts: [], lastActivityAt: h.clock.now() });
    e.completedLessons = lessonsOf(h.deps.catalog.get('cds-xa')!).map((l) => l.id);
    e.finalAttempts = [{ n: 1, questionIds: [], correct: 30, answered: 30, startedAt: h.clock.now(), finishedAt: h.clock.now(), scorePercent: 100, passed: true }];
    await enrolments.save(e);

    const event = learner.event('/chungnhan');
    const reply = await h.tutor.handle(event);
    const issued = await store.findFor(learner.id, h.cohortId);
    expect(issued?.sentAt).toBeUndefined();
    const jobs = replyJobs(learner.conversation, 'console', event.updateId, reply);
    expect(jobs.map((j) => j.data.kind)).toEqual(['document']);
    // Quick retries: the point is what the retry sends, not the back-off.
    await h.outbox.add(jobs.map((j) => ({ ...j, opts: { attempts: 4, backoff: { type: 'fixed', delay: 100 } } })));
    h.adapter.failNext(learner.address, new SendError('network', 'ECONNRESET'));
    h.startSender({ documents: new CertificateDelivery(files, store, h.clock) });
    await h.drained();

    expect(renders).toBe(2);
    expect(h.adapter.calls).toBe(2);
    const [sent] = h.adapter.to(learner.address).at(-1)!;
    expect(sent!.document?.certificate).toBe(issued!.code);
    expect(sent!.document?.file).toMatchObject({ url: `https://cds.example.vn/certificates/${issued!.code}.pdf`, imageUrl: `https://cds.example.vn/certificates/${issued!.code}.png` });
    expect(existsSync(sent!.document!.file!.path)).toBe(true);
    const after = await store.findFor(learner.id, h.cohortId);
    expect(after).toMatchObject({ serial: issued!.serial, code: issued!.code });
    expect(after!.sentAt).toEqual(h.clock.now());
  });
});
