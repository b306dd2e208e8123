/** Checks that a question bank measures knowledge, not test-taking tricks: answer lengths, letter patterns, duplicates. */
import type { Locale, Question } from '../core/course.js';
import type { ProblemList } from './problems.js';

/** A question as read from one locale's file, with where it is. */
export interface PlacedQuestion {
  question: Question;
  locale: Locale;
  file: string;
  line: number;
  kind: 'check' | 'final';
}

export const QUALITY = {
  /**
   * Largest share of final questions whose correct option is the strictly longest, per file and per locale's bank.
   * With 4 options chance is 25%; 30% leaves room for a few natural cases while the "pick the longest" trick
   * stays near chance and cannot reach the pass mark.
   */
  longestPerBank: 0.3,
  /** Per difficulty level (fewer questions per level, so more noise is tolerated). */
  longestPerDifficulty: 0.4,
  /**
   * Below this share per locale's bank the correct option is almost never the longest, which is a tell too:
   * learners rule the longest option out. A warning, since short numeric answers pull the share down honestly.
   */
  longestFloor: 0.1,
  /** Below this many questions a share is too noisy to judge. */
  longestMinQuestions: 10,
  /**
   * Two question texts with a token Jaccard at or above this are "nearly identical". On the shipped course
   * distinct questions on the same subject stay at or below 0.75 (they share a subject and a decision number,
   * not a sentence), while copies reworded in a word or two score 0.85 and above.
   */
  nearDuplicateText: 0.8,
  /**
   * A final question repeats a check question when both have the same correct answer and either the texts
   * overlap this much, or they overlap `finalLikeCheckTextWithOptions` and most options are the same too.
   * Measured on the shipped course: unrelated questions with the same answer ("Trên 70%") stay below 0.5.
   */
  finalLikeCheckText: 0.55,
  finalLikeCheckTextWithOptions: 0.4,
  finalLikeCheckOptions: 0.5,
  /** A cycle of k different letters (k = 2–4) repeated this many times in a row is a pattern a learner can spot. */
  cycleRepeats: { 2: 4, 3: 3, 4: 3 } as Record<number, number>,
  /** English cards longer than this share of the card limit get a warning: little room for edits or fixes. */
  nearLimitShare: 0.95,
} as const;

const LETTERS = 'ABCDE';

/** Lower case, diacritics folded (đ → d), punctuation dropped, split into words. */
export function tokens(text: string): string[] {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[đĐ]/g, 'd')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim()
    .split(' ')
    .filter(Boolean);
}

export function jaccard(a: string[], b: string[]): number {
  const sa = new Set(a);
  const sb = new Set(b);
  if (sa.size === 0 && sb.size === 0) return 1;
  let common = 0;
  for (const t of sa) if (sb.has(t)) common++;
  return common / (sa.size + sb.size - common);
}

/** The indexes of the options that share the greatest length (in characters, trimmed). */
export function longestOptions(options: string[]): number[] {
  const lengths = options.map((o) => o.trim().length);
  const max = Math.max(...lengths);
  return lengths.flatMap((n, i) => (n === max ? [i] : []));
}

export function optionsIn(q: Question, locale: Locale): string[] {
  return q.options.map((o) => o[locale] ?? o.vi);
}

/** True when the correct option is longer than every other option. */
export function correctIsStrictlyLongest(q: Question, locale: Locale): boolean {
  const longest = longestOptions(optionsIn(q, locale));
  return longest.length === 1 && longest[0] === q.correctIndex;
}

function pct(x: number): string {
  return `${Math.round(x * 100)}%`;
}

function checkLongestShare(group: PlacedQuestion[], limit: number, what: string, problems: ProblemList): void {
  if (group.length < QUALITY.longestMinQuestions) return;
  const hits = group.filter((p) => correctIsStrictlyLongest(p.question, p.locale));
  const share = hits.length / group.length;
  if (share <= limit) return;
  const first = hits[0]!;
  problems.error(
    first.file,
    first.line,
    `the correct option is the longest in ${hits.length} of ${group.length} ${what} (${pct(share)}; at most ${pct(limit)}): ` +
      `${hits.map((h) => `${h.question.id} (line ${h.line})`).join(', ')}; make the wrong options as long and as plausible`,
  );
}

/** Final questions: per file, per locale's whole bank, and per difficulty level in each locale. */
export function checkLongestCorrect(finals: PlacedQuestion[], problems: ProblemList): void {
  const byFile = groupBy(finals, (p) => p.file);
  for (const [file, group] of byFile) checkLongestShare(group, QUALITY.longestPerBank, `final questions of ${file}`, problems);
  for (const [locale, group] of groupBy(finals, (p) => p.locale)) {
    if (byFile.size > 1) checkLongestShare(group, QUALITY.longestPerBank, `final questions of the ${locale} bank`, problems);
    const hits = group.filter((p) => correctIsStrictlyLongest(p.question, p.locale)).length;
    if (group.length >= QUALITY.longestMinQuestions && hits / group.length < QUALITY.longestFloor) {
      problems.warn(
        group[0]!.file,
        group[0]!.line,
        `the correct option is the longest in only ${hits} of ${group.length} ${locale} final questions (${pct(hits / group.length)}; chance is about 25%): learners can rule the longest option out`,
      );
    }
    for (const [level, ofLevel] of [...groupBy(group, (p) => String(p.question.difficulty ?? '?'))].sort()) {
      checkLongestShare(ofLevel, QUALITY.longestPerDifficulty, `${locale} final questions of difficulty ${level}`, problems);
    }
  }
}

/**
 * Nearly identical question texts anywhere in the course (same locale), and final questions that repeat a
 * check question (similar text and the same correct answer): the final test would then measure memory of the
 * check questions.
 */
export function checkDuplicates(all: PlacedQuestion[], problems: ProblemList): void {
  for (const group of groupBy(all, (p) => p.locale).values()) {
    const toks = group.map((p) => tokens(p.question.text[p.locale] ?? p.question.text.vi));
    const opts = group.map((p) => optionsIn(p.question, p.locale).map((o) => tokens(o).join(' ')));
    for (let i = 0; i < group.length; i++) {
      for (let j = i + 1; j < group.length; j++) {
        const a = group[i]!;
        const b = group[j]!;
        const sim = jaccard(toks[i]!, toks[j]!);
        if (sim >= QUALITY.nearDuplicateText) {
          const [at, other] = b.kind === 'final' && a.kind === 'check' ? [b, a] : [a, b];
          const message = `question ${at.question.id} has nearly the same text as ${other.question.id} (${other.file}:${other.line}) (similarity ${sim.toFixed(2)}); reword or remove one`;
          // Two check questions after different cards repeat a point (a warning); a final question must be new.
          if (a.kind === 'check' && b.kind === 'check') problems.warn(at.file, at.line, message);
          else problems.error(at.file, at.line, message);
          continue;
        }
        if (a.kind === b.kind) continue;
        const sameAnswer = opts[i]![a.question.correctIndex] === opts[j]![b.question.correctIndex];
        if (!sameAnswer) continue;
        const optionSim = jaccard(opts[i]!, opts[j]!);
        const repeats =
          sim >= QUALITY.finalLikeCheckText || (sim >= QUALITY.finalLikeCheckTextWithOptions && optionSim >= QUALITY.finalLikeCheckOptions);
        if (!repeats) continue;
        const [fin, chk] = a.kind === 'final' ? [a, b] : [b, a];
        problems.error(
          fin.file,
          fin.line,
          `final question ${fin.question.id} repeats check question ${chk.question.id} (${chk.file}:${chk.line}) with the same answer ` +
            `(text similarity ${sim.toFixed(2)}, options ${optionSim.toFixed(2)}); final questions must be new`,
        );
      }
    }
  }
}

/** Correct letters in file order that run a cycle (A-B-C-D, A-B-C-D, …) a learner can spot. */
export function checkLetterCycles(file: PlacedQuestion[], problems: ProblemList): void {
  const seq = file.map((p) => LETTERS[p.question.correctIndex] ?? '?');
  for (const [kText, repeats] of Object.entries(QUALITY.cycleRepeats)) {
    const k = Number(kText);
    const need = k * repeats;
    for (let start = 0; start + need <= seq.length; start++) {
      const cycle = seq.slice(start, start + k);
      if (new Set(cycle).size !== k) continue;
      let end = start + k;
      while (end < seq.length && seq[end] === seq[end - k]) end++;
      if (end - start < need) continue;
      const first = file[start]!;
      problems.error(
        first.file,
        first.line,
        `the correct letters repeat the cycle ${cycle.join('-')} ${Math.floor((end - start) / k)} times in a row (${file[start]!.question.id} to ${file[end - 1]!.question.id}); vary the order`,
      );
      return;
    }
  }
}

/** Warns when one letter is correct far more often than the others (learners learn to guess it). */
export function checkLetterSpread(questions: Pick<PlacedQuestion, 'question' | 'file' | 'line'>[], problems: ProblemList): void {
  if (questions.length < 8) return;
  const counts = new Map<number, number>();
  for (const { question } of questions) counts.set(question.correctIndex, (counts.get(question.correctIndex) ?? 0) + 1);
  const [topIndex, top] = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]!;
  if (top / questions.length > 0.4) {
    const first = questions[0]!;
    problems.error(
      first.file,
      first.line,
      `${LETTERS[topIndex]} is the correct answer in ${top} of ${questions.length} questions; spread correct answers across letters`,
    );
  }
}

export function groupBy<T>(items: T[], key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const it of items) {
    const k = key(it);
    const list = m.get(k);
    if (list) list.push(it);
    else m.set(k, [it]);
  }
  return m;
}
