/** Numbers an editor wants about a course, per locale. */
import { LOCALES, topicsOf, type Course, type Locale } from '../core/course.js';

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
}

export function contentStats(course: Course): { course: string; locales: LocaleStats[] } {
  const topics = topicsOf(course);
  const locales = LOCALES.map((locale) => {
    const cards = topics.flatMap((t) => t.lessons);
    const written = cards.filter((l) => l.body[locale] !== undefined);
    const questions = topics.flatMap((t) => [...t.lessons.flatMap((l) => l.questions), ...t.finalBank]);
    const letters: Record<string, number> = {};
    for (const q of questions) {
      const letter = String.fromCharCode(65 + q.correctIndex);
      letters[letter] = (letters[letter] ?? 0) + 1;
    }
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
        `  correct answers by letter: ${Object.entries(l.correctLetters).sort().map(([k, v]) => `${k} ${v}`).join(', ')}`,
      ].join('\n'),
    )
    .join('\n');
}
