/** The course as the tutor sees it: parts → topics → lessons with check questions, and a final-test bank. */
export type Locale = 'vi' | 'en';
export const LOCALES: readonly Locale[] = ['vi', 'en'];

/** Text in every locale the content provides; `vi` is always present. */
export type Localized = { vi: string } & Partial<Record<Locale, string>>;

export interface Question {
  id: string;
  topicId: string;
  /** The lesson a check question follows; undefined for final-test questions. */
  lessonId?: string;
  text: Localized;
  options: Localized[];
  correctIndex: number;
  explanation: Localized;
  difficulty?: number;
}

export interface Lesson {
  id: string;
  topicId: string;
  title: Localized;
  body: Localized;
  sources: string[];
  image?: string;
  questions: Question[];
}

export interface Topic {
  id: string;
  partId: string;
  title: Localized;
  lessons: Lesson[];
  finalBank: Question[];
}

export interface Part {
  id: string;
  title: Localized;
  topics: Topic[];
}

export interface FinalTestRules {
  questions: number;
  passPercent: number;
  attempts: number;
  timeLimitMinutes: number | null;
}

export interface Course {
  id: string;
  title: Localized;
  parts: Part[];
  final: FinalTestRules;
}

export function pick(text: Localized, locale: Locale): string {
  return text[locale] ?? text.vi;
}

export function topicsOf(course: Course): Topic[] {
  return course.parts.flatMap((p) => p.topics);
}

export function lessonsOf(course: Course): Lesson[] {
  return topicsOf(course).flatMap((t) => t.lessons);
}

export function findLesson(course: Course, id: string): Lesson | undefined {
  return lessonsOf(course).find((l) => l.id === id);
}

export function findFinalQuestion(course: Course, id: string): Question | undefined {
  for (const t of topicsOf(course)) {
    const q = t.finalBank.find((x) => x.id === id);
    if (q) return q;
  }
  return undefined;
}

/** The first lesson, in teaching order, that is not completed. */
export function nextLesson(course: Course, completed: ReadonlySet<string>): Lesson | undefined {
  return lessonsOf(course).find((l) => !completed.has(l.id));
}
