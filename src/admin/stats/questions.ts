/**
 * Question analysis, as a quiz's item statistics: for each check and final-test question, how
 * many answered, the share right on the first try, a discrimination index, and how often each
 * option was picked, with flags for content editors. Check answers are first tries by
 * construction (one answer per learner and question); final answers are taken from each
 * learner's first attempt only (Moodle's "first attempt" analysis), review answers never.
 *
 * Discrimination is the upper–lower index: learners ranked by their first-attempt final-test
 * score, D = (share right in the top 27%) − (share right in the bottom 27%), from −1 to 1; null
 * when either group has fewer than MIN_GROUP learners who answered the question. It is two batch
 * scans of `answers` (the scores, then the questions), so the result is kept for a few minutes.
 */
import type { Course, Question } from '../../core/course.js';
import type { Clock, CohortStore, CourseCatalog } from '../../core/ports.js';
import type { Models } from '../../storage/models.js';

const MIN_GROUP = 5;
/** Flags need this many answers: below it a share says little. */
const MIN_FLAG_SAMPLE = 20;
export const TOO_EASY_PERCENT = 95;
export const DEAD_DISTRACTOR_PERCENT = 2;

export type QuestionFlag = 'too_easy' | 'negative_discrimination' | 'dead_distractor';

export interface QuestionStats {
  courseId: string;
  questionId: string;
  kind: 'check' | 'final';
  topicId: string;
  lessonId: string | null;
  text: string;
  answered: number;
  firstTryCorrectPercent: number | null;
  discrimination: number | null;
  options: { index: number; correct: boolean; pickedPercent: number | null }[];
  flags: QuestionFlag[];
}

export interface QuestionReport {
  cohort: string | null;
  computedAt: string;
  discriminationMethod: string;
  learnersScored: number;
  questions: QuestionStats[];
}

interface Tally {
  courseId: string;
  questionId: string;
  kind: 'check' | 'final';
  answered: number;
  correct: number;
  picks: number[];
  upper: [number, number];
  lower: [number, number];
}

export interface QuestionAnalysisOptions {
  models: Models;
  cohorts: CohortStore;
  catalog: CourseCatalog;
  clock: Clock;
  /** How long a result is served before the answers are scanned again. @defaultValue 300000 */
  ttlMs?: number;
}

function pct(n: number, of: number): number | null {
  return of > 0 ? Math.round((1000 * n) / of) / 10 : null;
}

function questionsOf(course: Course): Map<string, { q: Question; kind: 'check' | 'final' }> {
  const m = new Map<string, { q: Question; kind: 'check' | 'final' }>();
  for (const p of course.parts)
    for (const t of p.topics) {
      for (const l of t.lessons) for (const q of l.questions) m.set(q.id, { q, kind: 'check' });
      for (const q of t.finalBank) m.set(q.id, { q, kind: 'final' });
    }
  return m;
}

export class QuestionAnalysis {
  private readonly cache = new Map<string, { until: number; report: Promise<QuestionReport> }>();
  private readonly ttlMs: number;

  constructor(private readonly o: QuestionAnalysisOptions) {
    this.ttlMs = o.ttlMs ?? 300_000;
  }

  /** The report for one cohort, or all of them; computed at most once per `ttlMs` (concurrent callers share it). */
  analyse(cohortId?: string): Promise<QuestionReport> {
    const key = cohortId ?? '*';
    const hit = this.cache.get(key);
    if (hit && hit.until > Date.now()) return hit.report;
    const report = this.compute(cohortId);
    this.cache.set(key, { until: Date.now() + this.ttlMs, report });
    report.catch(() => this.cache.delete(key));
    return report;
  }

  private async compute(cohortId?: string): Promise<QuestionReport> {
    const base = cohortId === undefined ? {} : { cohortId: String(cohortId) };
    const answers = this.o.models.Answer.collection;
    // 1. Each learner's first-attempt final score.
    const scores = new Map<string, [number, number]>();
    for await (const a of answers.find({ ...base, context: 'final', attempt: 1 } as never, { projection: { learnerId: 1, correct: 1 } }).batchSize(1000)) {
      const s = scores.get(a.learnerId) ?? [0, 0];
      s[0] += a.correct === true ? 1 : 0;
      s[1] += 1;
      scores.set(a.learnerId, s);
    }
    const ranked = [...scores].map(([id, [c, n]]) => [id, c / n] as const).sort((a, b) => a[1] - b[1]);
    const cut = Math.floor(ranked.length * 0.27);
    const lower = new Set(ranked.slice(0, cut).map(([id]) => id));
    const upper = new Set(ranked.slice(ranked.length - cut).map(([id]) => id));

    // 2. The questions.
    const courses = new Map<string, string | null>();
    const courseOf = async (cohort: string) => {
      if (!courses.has(cohort)) courses.set(cohort, (await this.o.cohorts.get(cohort))?.courseId ?? null);
      return courses.get(cohort)!;
    };
    const tallies = new Map<string, Tally>();
    const filter = { ...base, context: { $in: ['lesson', 'final'] } };
    for await (const a of answers.find(filter as never, { projection: { learnerId: 1, cohortId: 1, questionId: 1, chosenIndex: 1, correct: 1, context: 1, attempt: 1 } }).batchSize(1000)) {
      if (a.context === 'final' && a.attempt !== 1) continue;
      const courseId = await courseOf(String(a.cohortId));
      if (!courseId) continue;
      const key = `${courseId}|${a.questionId}`;
      let t = tallies.get(key);
      if (!t) tallies.set(key, (t = { courseId, questionId: String(a.questionId), kind: a.context === 'final' ? 'final' : 'check', answered: 0, correct: 0, picks: [], upper: [0, 0], lower: [0, 0] }));
      t.answered++;
      if (a.correct === true) t.correct++;
      if (Number.isInteger(a.chosenIndex) && a.chosenIndex >= 0 && a.chosenIndex < 10) t.picks[a.chosenIndex] = (t.picks[a.chosenIndex] ?? 0) + 1;
      const group = upper.has(a.learnerId) ? t.upper : lower.has(a.learnerId) ? t.lower : null;
      if (group) {
        group[0] += a.correct === true ? 1 : 0;
        group[1] += 1;
      }
    }

    const content = new Map<string, ReturnType<typeof questionsOf>>();
    const questions: QuestionStats[] = [];
    for (const t of tallies.values()) {
      if (!content.has(t.courseId)) {
        const course = this.o.catalog.get(t.courseId);
        content.set(t.courseId, course ? questionsOf(course) : new Map());
      }
      const found = content.get(t.courseId)!.get(t.questionId);
      const optionCount = Math.max(found?.q.options.length ?? 0, t.picks.length);
      const correctIndex = found?.q.correctIndex ?? -1;
      const options = Array.from({ length: optionCount }, (_, index) => ({ index, correct: index === correctIndex, pickedPercent: pct(t.picks[index] ?? 0, t.answered) }));
      const discrimination = t.upper[1] >= MIN_GROUP && t.lower[1] >= MIN_GROUP ? Math.round(100 * (t.upper[0] / t.upper[1] - t.lower[0] / t.lower[1])) / 100 : null;
      const correctPercent = pct(t.correct, t.answered);
      const flags: QuestionFlag[] = [];
      if (t.answered >= MIN_FLAG_SAMPLE && correctPercent !== null && correctPercent >= TOO_EASY_PERCENT) flags.push('too_easy');
      if (discrimination !== null && discrimination < 0) flags.push('negative_discrimination');
      if (t.answered >= MIN_FLAG_SAMPLE && options.some((o) => !o.correct && (o.pickedPercent ?? 0) < DEAD_DISTRACTOR_PERCENT)) flags.push('dead_distractor');
      questions.push({
        courseId: t.courseId,
        questionId: t.questionId,
        kind: found?.kind ?? t.kind,
        topicId: found?.q.topicId ?? '',
        lessonId: found?.q.lessonId ?? null,
        text: (found?.q.text.vi ?? '').slice(0, 160),
        answered: t.answered,
        firstTryCorrectPercent: correctPercent,
        discrimination,
        options,
        flags,
      });
    }
    questions.sort((a, b) => a.courseId.localeCompare(b.courseId) || a.kind.localeCompare(b.kind) || a.questionId.localeCompare(b.questionId));
    return {
      cohort: cohortId ?? null,
      computedAt: this.o.clock.now().toISOString(),
      discriminationMethod: 'upper-lower 27% by first-attempt final-test score (D = p_upper - p_lower)',
      learnersScored: ranked.length,
      questions,
    };
  }
}
