/** Numbers an editor wants about a course, per locale. */
import { LOCALES, topicsOf, type Course, type Locale } from '../core/course.js';
import { longestOptionFigures, type LongestOptionFigures } from './guessing.js';

export interface LocaleStats {
  locale: Locale;
  topics: number;
  cards: number;
  checkQuestions: number;
  finalQuestions: number;
  averageCardChars: number;
  /** Cards, check questions and final questions written in this locale (others fall back to vi). */
  translatedCards: number;
  perTopic: { id: string; cards: number; checkQuestions: number; finalQuestions: number }[];
  /** How often each letter is the correct answer, over check and final questions. */
  correctLetters: Record<string, number>;
  /** The same, over the final-test bank only. */
  finalCorrectLetters: Record<string, number>;
  /** How often the correct final option is the longest, and how "always pick the longest" does in the final test. */
  longestOption: LongestOptionFigures;
}

/** Attempts simulated for the longest-option figures: enough for a pass rate to ±0.1 percentage point. */
export const SIMULATED_ATTEMPTS = 100_000;

function letterCounts(questions: { correctIndex: number }[]): Record<string, number> {
  const letters: Record<string, number> = {};
  for (const q of questions) {
    const letter = String.fromCharCode(65 + q.correctIndex);
    letters[letter] = (letters[letter] ?? 0) + 1;
  }
  return letters;
}

export function contentStats(course: Course, attempts = SIMULATED_ATTEMPTS): { course: string; locales: LocaleStats[] } {
  const topics = topicsOf(course);
  const locales = LOCALES.map((locale) => {
    const cards = topics.flatMap((t) => t.lessons);
    const written = cards.filter((l) => l.body[locale] !== undefined);
    const questions = topics.flatMap((t) => [...t.lessons.flatMap((l) => l.questions), ...t.finalBank]);
    const letters = letterCounts(questions);
    const chars = written.map((l) => l.body[locale]!.length);
    return {
      locale,
      topics: topics.length,
      cards: written.length,
      checkQuestions: topics.flatMap((t) => t.lessons.flatMap((l) => l.questions)).filter((q) => q.text[locale] !== undefined).length,
      finalQuestions: topics.flatMap((t) => t.finalBank).filter((q) => q.text[locale] !== undefined).length,
      averageCardChars: chars.length ? Math.round(chars.reduce((a, b) => a + b, 0) / chars.length) : 0,
      translatedCards: written.length,
      perTopic: topics.map((t) => ({
        id: t.id,
        cards: t.lessons.filter((l) => l.body[locale] !== undefined).length,
        checkQuestions: t.lessons.flatMap((l) => l.questions).filter((q) => q.text[locale] !== undefined).length,
        finalQuestions: t.finalBank.filter((q) => q.text[locale] !== undefined).length,
      })),
      correctLetters: letters,
      finalCorrectLetters: letterCounts(topics.flatMap((t) => t.finalBank)),
      longestOption: longestOptionFigures(course, locale, attempts),
    };
  });
  return { course: course.id, locales };
}

export function formatStats(s: { course: string; locales: LocaleStats[] }): string {
  return s.locales
    .map((l) =>
      [
        `${s.course} [${l.locale}]: ${l.topics} topics, ${l.cards} cards (average ${l.averageCardChars} characters), ${l.checkQuestions} check questions, ${l.finalQuestions} final-test questions`,
        ...l.perTopic.map((t) => `  ${t.id}: ${t.cards} cards, ${t.checkQuestions} check, ${t.finalQuestions} final`),
        `  correct answers by letter: ${letterList(l.correctLetters)} (final test only: ${letterList(l.finalCorrectLetters)})`,
        `  final test, correct option is the longest: ${pct(l.longestOption.share)} of questions; by difficulty ${Object.entries(l.longestOption.byDifficulty)
          .map(([d, x]) => `${d}: ${pct(x.share)} of ${x.questions}`)
          .join(', ')}`,
        `  final test, always picking the longest option: mean score ${l.longestOption.simulation.meanScorePercent.toFixed(1)}%, passes ${pct(l.longestOption.simulation.passRate, 2)} of ${l.longestOption.simulation.attempts} simulated attempts`,
      ].join('\n'),
    )
    .join('\n');
}

function letterList(letters: Record<string, number>): string {
  return Object.entries(letters).sort().map(([k, v]) => `${k} ${v}`).join(', ');
}

function pct(x: number, digits = 0): string {
  return `${(x * 100).toFixed(digits)}%`;
}
