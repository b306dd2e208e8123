/** The stats parts over a test engine's database, and learners driven through the tutor on a random path. */
import { resolve } from 'node:path';
import { beforeAll } from 'vitest';
import { ROOT, type UsedEngine } from '../../support/env.js';
import { ChatLearner, askedQuestion, letter } from '../../support/chat.js';
import { shownAt } from '../../support/final-answers.js';
import { loadContent, type LoadedContent } from '../../../src/content/load.js';
import { topicsOf } from '../../../src/core/course.js';
import { ContentCatalog } from '../../../src/content/catalog.js';
import { StatsCounters } from '../../../src/admin/stats/counters.js';
import { StatsTracker } from '../../../src/admin/stats/tracking.js';
import { MongoEnrolmentStore, MongoLearnerStore } from '../../../src/storage/stores.js';

let mini: LoadedContent | undefined;
/** The two-lesson course of tests/fixtures (provinces Hà Nội and Nghệ An): a whole journey in a dozen steps. */
export function miniContent(): LoadedContent {
  mini ??= loadContent(resolve(ROOT, 'tests/fixtures/content-min'));
  return mini;
}

export interface StatsParts {
  counters: StatsCounters;
  tracker: StatsTracker;
}

/** The engine's counters (those its tutor counts with) and a tracker over them; filled in before the tests. */
export function useStats(h: UsedEngine): StatsParts {
  const parts = {} as StatsParts;
  beforeAll(() => {
    Object.assign(parts, { counters: h.counters, tracker: new StatsTracker(h.db.conn, h.counters, new ContentCatalog(h.content)) });
  });
  return parts;
}

export const COMMUNES: Record<string, string[]> = { 'Hà Nội': ['Phường Ba Đình', 'Xã Sóc Sơn', 'Phường Hoàn Kiếm'], 'Nghệ An': ['Xã Diễn Châu', 'Xã Nghi Lộc'] };

export async function enrolmentOf(h: UsedEngine, learner: ChatLearner) {
  const l = await new MongoLearnerStore(h.db.models, h.cache).findByConversation(learner.conversation);
  return l ? new MongoEnrolmentStore(h.db.models, h.cache).find(l.id, l.cohortId) : null;
}

/** Reads each card and answers its check questions (right, or the first wrong option). */
async function studyLesson(h: UsedEngine, learner: ChatLearner, right: boolean): Promise<void> {
  await learner.press('next');
  let q = askedQuestion(h.course, learner.last.at(-1));
  while (q) {
    await learner.say(letter(right ? q.correctIndex : (q.correctIndex + 1) % q.options.length));
    q = askedQuestion(h.course, learner.last.at(-1));
  }
  if (learner.lastChoices().includes('next')) await learner.press('next');
}

async function takeFinal(h: UsedEngine, learner: ChatLearner, pass: boolean): Promise<void> {
  await learner.say('/kiemtra');
  if (!learner.lastChoices().includes('final:start')) return;
  await learner.press('final:start');
  for (let i = 0; i < h.course.final.questions; i++) {
    const attempt = (await enrolmentOf(h, learner))?.finalAttempts.at(-1);
    if (!attempt) return;
    const q = topicsOf(h.course).flatMap((t) => t.finalBank).find((x) => x.id === attempt.questionIds[i]);
    if (!q) return;
    await learner.say(letter(shownAt(attempt, i, q, pass ? q.correctIndex : (q.correctIndex + 1) % q.options.length)));
  }
}

/** One learner on a random path: leaves during onboarding, or studies some lessons, or goes on to the final test and the certificate. */
export async function randomJourney(h: UsedEngine, rnd: () => number, n: number): Promise<ChatLearner> {
  const learner = new ChatLearner(h.tutor, 'console', `stats${n}-${Date.now()}`);
  const province = rnd() < 0.6 ? 'Nghệ An' : 'Hà Nội';
  const communes = COMMUNES[province]!;
  const steps = ['/start', '1', `Học viên ${n}`, String(1 + Math.floor(rnd() * 3)), province, communes[Math.floor(rnd() * communes.length)]!, '1', '8'];
  const stopAt = rnd() < 0.2 ? 1 + Math.floor(rnd() * 7) : steps.length;
  for (const s of steps.slice(0, stopAt)) await learner.say(s);
  if (stopAt < steps.length) return learner;
  const lessons = Math.floor(rnd() * 3); // 0, 1 or 2 of the two lessons
  for (let i = 0; i < lessons; i++) await studyLesson(h, learner, rnd() < 0.7);
  if (lessons === 2 && rnd() < 0.7) {
    await takeFinal(h, learner, rnd() < 0.7);
    if (rnd() < 0.8) await learner.say('/chungnhan');
  }
  return learner;
}
