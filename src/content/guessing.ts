/** How far "always pick the longest option" gets in the final test: a deterministic simulation of the real draw. */
import { topicsOf, type Course, type Locale } from '../core/course.js';
import { drawFinalQuestions } from '../core/final-test.js';
import { correctIsStrictlyLongest, longestOptions, optionsIn } from './quality.js';
import { seededRandom } from '../core/random.js';

export interface LongestOptionFigures {
  /** Share of final questions whose correct option is the strictly longest. */
  share: number;
  byDifficulty: Record<string, { questions: number; share: number }>;
  simulation: {
    attempts: number;
    seed: number;
    /** Average score of the strategy, in percent. */
    meanScorePercent: number;
    /** Share of attempts at or above the pass mark. */
    passRate: number;
  };
}


/**
 * Draws `attempts` tests with the course's own rules (count, proportion per topic, pass mark) and answers each
 * question with its longest option, ties broken at random. The score is rounded as the tutor rounds it.
 */
export function longestOptionFigures(course: Course, locale: Locale, attempts = 100_000, seed = 20_221_010): LongestOptionFigures {
  const bank = topicsOf(course).flatMap((t) => t.finalBank);
  // Chance that the strategy answers each question correctly: 1/k when the correct option is among k longest.
  const hitChance = new Map<string, number>();
  for (const q of bank) {
    const longest = longestOptions(optionsIn(q, locale));
    hitChance.set(q.id, longest.includes(q.correctIndex) ? 1 / longest.length : 0);
  }
  const byDifficulty: LongestOptionFigures['byDifficulty'] = {};
  for (const level of [...new Set(bank.map((q) => String(q.difficulty ?? '?')))].sort()) {
    const ofLevel = bank.filter((q) => String(q.difficulty ?? '?') === level);
    byDifficulty[level] = { questions: ofLevel.length, share: ofLevel.filter((q) => correctIsStrictlyLongest(q, locale)).length / ofLevel.length };
  }
  const random = seededRandom(seed);
  let passed = 0;
  let scoreSum = 0;
  for (let n = 0; n < attempts; n++) {
    const ids = drawFinalQuestions(course, random);
    let correct = 0;
    for (const id of ids) {
      const p = hitChance.get(id) ?? 0;
      if (p === 1 || (p > 0 && random.next() < p)) correct++;
    }
    const score = ids.length === 0 ? 0 : Math.round((correct * 1000) / ids.length) / 10;
    scoreSum += score;
    if (score >= course.final.passPercent) passed++;
  }
  return {
    share: bank.length === 0 ? 0 : bank.filter((q) => correctIsStrictlyLongest(q, locale)).length / bank.length,
    byDifficulty,
    simulation: { attempts, seed, meanScorePercent: attempts ? scoreSum / attempts : 0, passRate: attempts ? passed / attempts : 0 },
  };
}
