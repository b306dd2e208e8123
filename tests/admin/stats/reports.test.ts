import { describe, expect, it, beforeAll } from 'vitest';
import { resolve } from 'node:path';
import { useEngine, ROOT } from '../../support/env.js';
import { createTranslator } from '../../../src/i18n/index.js';
import { ContentCatalog } from '../../../src/content/catalog.js';
import { MongoCohortStore } from '../../../src/storage/stores.js';
import { QuestionAnalysis } from '../../../src/admin/stats/questions.js';
import { StatsChatCommand } from '../../../src/admin/stats/chat.js';
import { listFeedback, RATINGS } from '../../../src/admin/stats/feedback.js';
import type { Translator } from '../../../src/core/ports.js';
import { miniContent, useStats } from './support.js';

const h = useEngine({ content: miniContent(), courseId: 'mini' });
const s = useStats(h);
let i18n: Translator;

beforeAll(async () => {
  i18n = await createTranslator(resolve(ROOT, 'locales'), 'vi');
});

async function insert(collection: string, docs: object[]) {
  for (let i = 0; i < docs.length; i += 16) await h.db.conn.collection(collection).insertMany(docs.slice(i, i + 16) as never[]);
}

describe('question analysis', () => {
  it('should give first-try correctness, upper–lower discrimination, distractor picks and flags, without review answers', async () => {
    const answers: object[] = [];
    const at = new Date();
    const answer = (i: number, questionId: string, context: string, chosenIndex: number, correct: boolean, attempt?: number) =>
      answers.push({ learnerId: `L${i}`, cohortId: 'demo', questionId, chosenIndex, correct, context, ...(attempt ? { attempt } : {}), channel: 'console', updateId: `${i}-${questionId}-${context}-${attempt ?? 0}`, slot: `${i}:${questionId}:${context}:${attempt ?? 0}`, at });
    for (let i = 0; i < 40; i++) {
      // Final scores: 0% for 0–9, 50% for 10–19 and 30–39, 100% for 20–29.
      answer(i, 'a-f01', 'final', i >= 20 ? 2 : i % 2, i >= 20, 1);
      answer(i, 'a-f02', 'final', i >= 10 && i < 30 ? 0 : 1, i >= 10 && i < 30, 1);
      answer(i, 'a-l01-q1', 'lesson', i < 10 ? 1 : 0, i < 10); // the weak get it right: negative discrimination
      answer(i, 'a-l02-q1', 'lesson', 0, true); // everyone: too easy, and its distractor is dead
    }
    answer(0, 'a-l02-q1', 'review', 1, false, 1);
    answer(0, 'a-f01', 'final', 0, false, 2);
    await insert('answers', answers);
    const q = new QuestionAnalysis({ models: h.db.models, cohorts: new MongoCohortStore(h.db.models), catalog: new ContentCatalog(h.content), clock: h.clock });
    const report = await q.analyse('demo');
    expect(report.learnersScored).toBe(40);
    const by = Object.fromEntries(report.questions.map((x) => [x.questionId, x]));
    expect(by['a-f01']).toMatchObject({ kind: 'final', answered: 40, firstTryCorrectPercent: 50, discrimination: 1, flags: [] });
    expect(by['a-f01']!.options).toEqual([
      { index: 0, correct: false, pickedPercent: 25 },
      { index: 1, correct: false, pickedPercent: 25 },
      { index: 2, correct: true, pickedPercent: 50 },
    ]);
    expect(by['a-l01-q1']).toMatchObject({ kind: 'check', lessonId: 'a-l01', discrimination: -1, flags: ['negative_discrimination', 'dead_distractor'] }); // option C: nobody
    expect(by['a-l02-q1']).toMatchObject({ answered: 40, firstTryCorrectPercent: 100, flags: ['too_easy', 'dead_distractor'] });
    // Cached: answers recorded meanwhile show after the cache's few minutes.
    await insert('answers', [{ learnerId: 'L99', cohortId: 'demo', questionId: 'a-l02-q1', chosenIndex: 1, correct: false, context: 'lesson', channel: 'console', updateId: 'late', slot: 'late', at }]);
    expect((await q.analyse('demo')).questions.find((x) => x.questionId === 'a-l02-q1')!.answered).toBe(40);
  });
});

describe('/thongke', () => {
  it('should answer with the funnel and the five provinces that started least', async () => {
    const provinces = ['Hà Nội', 'Nghệ An'];
    await s.counters.apply('demo', provinces.flatMap((province, k) => [
      { province, commune: 'X', role: 'chair', metric: 'invited' as const, n: 10 },
      { province, commune: 'X', role: 'chair', metric: 'started' as const, n: 2 + 5 * k },
    ]), 'chat-seed');
    const cmd = new StatsChatCommand({ counters: s.counters, cohorts: new MongoCohortStore(h.db.models), catalog: new ContentCatalog(h.content), i18n, clock: h.clock, defaultCohort: 'demo' });
    expect(cmd.names).toEqual(['thongke', 'stats']);
    const ctx = { principal: { id: 'chat:telegram:1', name: 'chat', scope: { kind: 'ministry' as const } }, conversation: 'telegram:1', locale: 'vi' as const, text: '/thongke', args: '', command: true, at: h.clock.now() };
    const out = await cmd.handle(ctx);
    const text = out.reply[0]!.text;
    expect(text).toContain('Được mời: 20');
    expect(text).toContain('Đã bắt đầu: 9 (45%)');
    expect(text.indexOf('1. Hà Nội: 2/10 (20%)')).toBeLessThan(text.indexOf('2. Nghệ An: 7/10 (70%)'));
    expect(out.open).toBeUndefined();
    const unknown = await cmd.handle({ ...ctx, args: 'khong-co', text: '/thongke khong-co' });
    expect(unknown.reply[0]!.text).toContain('Không có khóa học "khong-co"');
  });
});

describe('feedback', () => {
  it('should list the /gopy texts of the scope newest first, page by page, with the topic ratings averaged', async () => {
    const [an, binh] = await h.db.models.Learner.create([
      { conversations: [], unreachable: [], profile: { fullName: 'An', province: 'Nghệ An', commune: 'Xã A' }, locale: 'vi', cohortId: 'demo', createdAt: new Date() },
      { conversations: [], unreachable: [], profile: { fullName: 'Bình', province: 'Hà Nội', commune: 'Xã B' }, locale: 'vi', cohortId: 'demo', createdAt: new Date() },
    ]);
    for (let i = 0; i < 5; i++) await h.db.models.Feedback.create({ learnerId: String(i % 2 ? binh!._id : an!._id), text: `góp ý ${i}`, channel: 'console', at: new Date(Date.UTC(2026, 4, 6, i)) });
    await insert(RATINGS, [
      { _id: `${an!._id}|demo|a`, learnerId: String(an!._id), cohortId: 'demo', courseId: 'mini', topicId: 'a', province: 'Nghệ An', rating: 5 },
      { _id: `${binh!._id}|demo|a`, learnerId: String(binh!._id), cohortId: 'demo', courseId: 'mini', topicId: 'a', province: 'Hà Nội', rating: 2 },
    ]);
    const first = await listFeedback({ models: h.db.models, catalog: new ContentCatalog(h.content), limit: 2 });
    expect(first.items.map((x) => x.text)).toEqual(['góp ý 4', 'góp ý 3']);
    const second = await listFeedback({ models: h.db.models, limit: 2, before: first.next! });
    expect(second.items.map((x) => x.text)).toEqual(['góp ý 2', 'góp ý 1']);
    expect(first.ratings).toEqual([{ courseId: 'mini', topicId: 'a', title: 'Chủ đề A', n: 2, average: 3.5, counts: [0, 1, 0, 0, 1] }]);
    const nghean = await listFeedback({ models: h.db.models, province: 'Nghệ An', limit: 50 });
    expect(nghean.items.map((x) => x.text)).toEqual(['góp ý 4', 'góp ý 2', 'góp ý 0']);
    expect(nghean.items[0]).toMatchObject({ fullName: 'An', commune: 'Xã A' });
    expect(nghean.next).toBeNull();
    expect(nghean.ratings[0]).toMatchObject({ title: null, n: 1, average: 5 });
  });
});
