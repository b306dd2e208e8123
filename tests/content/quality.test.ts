import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadContent } from '../../src/content/load.js';
import { formatProblem } from '../../src/content/problems.js';
import { contentStats, formatStats } from '../../src/content/stats.js';
import { jaccard, tokens } from '../../src/content/quality.js';
import { ROOT } from '../support/env.js';

const FIXTURE = resolve(ROOT, 'tests/fixtures/content-min');
const TOPIC = 'courses/mini/topics/a';
const dirs: string[] = [];

/** A copy of the minimal fixture with some files replaced or edited. */
function variant(files: Record<string, string | ((text: string) => string)>): string {
  const dir = mkdtempSync(join(tmpdir(), 'cds-quality-'));
  dirs.push(dir);
  cpSync(FIXTURE, dir, { recursive: true });
  for (const [file, change] of Object.entries(files)) {
    const path = join(dir, file);
    writeFileSync(path, typeof change === 'string' ? change : change(readFileSync(path, 'utf8')));
  }
  return dir;
}

const WORDS = ['lúa', 'cam', 'chè', 'cà phê', 'tiêu', 'điều', 'bưởi', 'xoài', 'nhãn', 'vải', 'mận', 'dừa', 'mía', 'sắn'];

interface Spec {
  correct: string;
  /** Index of the option made longest (the others stay short). */
  longest: number;
  difficulty?: number;
}

/** A final bank of distinct questions; in each, the option at `longest` is the longest one (-1: all equally long). */
function bank(specs: Spec[]): string {
  return specs
    .map((s, i) => {
      const options = ['Một', 'Hai', 'Bảy', 'Bốn'].map((o, k) => (k === s.longest ? `${o} lựa chọn dài hơn hẳn` : o));
      return [
        `- id: a-f${String(i + 1).padStart(2, '0')}`,
        `  difficulty: ${s.difficulty ?? 1}`,
        `  text: Thôn ${i + 1} trồng ${WORDS[i % WORDS.length]}, còn thôn ${i + 31} trồng ${WORDS[(i + 5) % WORDS.length]}, làm gì?`,
        `  options: [${options.join(', ')}]`,
        `  correct: ${s.correct}`,
        `  explanation: Vì thế.`,
        '',
      ].join('\n');
    })
    .join('');
}

/** Correct letters spread A, C, B, D, D, B, A, C, … (no cycle, no letter over 40%). */
const SPREAD = 'ACBDDBACCADBACBD';
const letterAt = (i: number) => SPREAD[i % SPREAD.length]!;
const indexOf = (letter: string) => 'ABCD'.indexOf(letter);

function errorsOf(dir: string): string[] {
  return loadContent(dir).problems.errors.map((p) => formatProblem({ ...p, file: p.file.replace(/^.*?courses\//, 'courses/') }));
}

/** Replaces the vi final bank; the en file keeps only a-f01 and a-f02, whose correct letters must match. */
function withBank(vi: string): string {
  const en = bank([
    { correct: letterAt(0), longest: 3 },
    { correct: letterAt(1), longest: 3 },
  ]);
  return variant({ [`${TOPIC}/vi/final.yaml`]: vi, [`${TOPIC}/en/final.yaml`]: en });
}

afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('content:check, bank quality', () => {
  it('should pass the shipped course with no errors, and warn only about near-limit cards and repeated check questions', () => {
    const problems = loadContent(resolve(ROOT, 'content')).problems.items;
    expect(problems.filter((p) => p.severity === 'error').map(formatProblem)).toEqual([]);
    for (const p of problems) expect(p.message).toMatch(/within 5% of the limit|has nearly the same text as .*-l\d+-q\d+/);
    expect(problems.map((p) => p.message)).not.toContainEqual(expect.stringContaining('learners can rule the longest option out'));
  });

  it('should warn when the correct option is almost never the longest, since learners can rule the longest out', () => {
    const never = Array.from({ length: 12 }, (_, i) => ({ correct: letterAt(i), longest: (indexOf(letterAt(i)) + 1) % 4 }));
    const problems = loadContent(withBank(bank(never))).problems;
    expect(problems.errors).toEqual([]);
    expect(problems.items.map((p) => p.message)).toContainEqual(expect.stringContaining('the correct option is the longest in only 0 of 12 vi final questions'));
  });

  it('should accept a bank where the correct option is the longest no more often than chance', () => {
    const specs = Array.from({ length: 12 }, (_, i) => ({ correct: letterAt(i), longest: i % 4 === 0 ? indexOf(letterAt(i)) : (indexOf(letterAt(i)) + 1) % 4 }));
    expect(errorsOf(withBank(bank(specs)))).toEqual([]);
  });

  it('should report a file whose correct option is the longest too often, with the share and each question line', () => {
    const specs = Array.from({ length: 12 }, (_, i) => ({ correct: letterAt(i), longest: i < 5 ? indexOf(letterAt(i)) : (indexOf(letterAt(i)) + 1) % 4 }));
    const found = errorsOf(withBank(bank(specs)));
    expect(found).toContainEqual(
      expect.stringMatching(/^courses\/mini\/topics\/a\/vi\/final\.yaml:1: error: the correct option is the longest in 5 of 12 final questions of .*\(42%; at most 30%\): a-f01 \(line 1\), a-f02 \(line 7\)/),
    );
  });

  it('should report a difficulty level whose correct option is the longest too often, even when the file as a whole passes', () => {
    // 30 questions: the 10 of difficulty 3 have the longest correct in 5 (50% > 40%); the file has 5 of 30 (17%).
    const specs = Array.from({ length: 30 }, (_, i) => {
      const correct = letterAt(i);
      const hard = i >= 20;
      return { correct, difficulty: hard ? 3 : 1, longest: hard && i < 25 ? indexOf(correct) : (indexOf(correct) + 2) % 4 };
    });
    const found = errorsOf(withBank(bank(specs)));
    expect(found.filter((p) => /final questions of (\S*final\.yaml|the vi bank)/.test(p))).toEqual([]);
    expect(found).toContainEqual(expect.stringMatching(/vi\/final\.yaml:121: error: the correct option is the longest in 5 of 10 vi final questions of difficulty 3 \(50%; at most 40%\)/));
  });

  it('should report a final question with the same text as a check question, at the final question', () => {
    const dir = variant({ [`${TOPIC}/vi/final.yaml`]: (t) => t.replace('text: Cuối hai?', 'text: "Câu một?"') });
    expect(errorsOf(dir)).toContainEqual(expect.stringMatching(/^courses\/mini\/topics\/a\/vi\/final\.yaml:7: error: question a-f02 has nearly the same text as a-l01-q1 .*questions\.yaml:1\) \(similarity 1\.00\)/));
  });

  it('should report two final questions whose texts differ only in case, accents and punctuation', () => {
    const dir = variant({ [`${TOPIC}/vi/final.yaml`]: (t) => t.replace('text: Cuối hai?', 'text: "CUOI MOT."') });
    expect(errorsOf(dir)).toContainEqual(expect.stringContaining('vi/final.yaml:1: error: question a-f01 has nearly the same text as a-f02'));
  });

  it('should only warn about two check questions with the same text', () => {
    const dir = variant({ [`${TOPIC}/vi/questions.yaml`]: (t) => t.replace('text: Câu hai?', 'text: Câu một?') });
    const problems = loadContent(dir).problems;
    expect(problems.errors).toEqual([]);
    expect(problems.items.map((p) => p.message)).toContainEqual(expect.stringContaining('question a-l01-q1 has nearly the same text as a-l02-q1'));
  });

  it('should report a final question that rewords a check question with the same options and answer', () => {
    const check = [
      '- id: a-l01-q1',
      '  lesson: a-l01',
      '  text: Ngày Chuyển đổi số quốc gia là ngày nào hằng năm?',
      '  options: [Ngày 10/10, Ngày 19/8, Ngày 03/6]',
      '  correct: A',
      '  explanation: Vì thế.',
      '- id: a-l02-q1',
      '  lesson: a-l02',
      '  text: Câu hai?',
      '  options: [Một, Hai]',
      '  correct: A',
      '  explanation: Vì một.',
      '',
    ].join('\n');
    const final = (t: string) => t.replace('text: Cuối một?\n  options: [X, Y, Z]', 'text: Hằng năm, nước ta lấy ngày nào làm Ngày Chuyển đổi số?\n  options: [Ngày 03/6, Ngày 19/8, Ngày 10/10]');
    const dir = variant({ [`${TOPIC}/vi/questions.yaml`]: check, [`${TOPIC}/vi/final.yaml`]: final });
    expect(errorsOf(dir)).toContainEqual(expect.stringMatching(/vi\/final\.yaml:1: error: final question a-f01 repeats check question a-l01-q1 .*with the same answer/));
    // The same wording with another answer is a different question.
    const other = variant({ [`${TOPIC}/vi/questions.yaml`]: check.replace('correct: A\n  explanation: Vì thế.', 'correct: B\n  explanation: Vì thế.'), [`${TOPIC}/vi/final.yaml`]: final });
    expect(errorsOf(other).filter((p) => p.includes('repeats check question'))).toEqual([]);
  });

  it('should report correct letters that run the same cycle three times in a row', () => {
    const cyclic = Array.from({ length: 12 }, (_, i) => ({ correct: 'ABCD'[i % 4]!, longest: (i + 1) % 4 }));
    expect(errorsOf(withBank(bank(cyclic)))).toContainEqual('courses/mini/topics/a/vi/final.yaml:1: error: the correct letters repeat the cycle A-B-C-D 3 times in a row (a-f01 to a-f12); vary the order');
    const almost = cyclic.map((s, i) => (i === 10 ? { ...s, correct: 'A' } : s));
    expect(errorsOf(withBank(bank(almost))).filter((p) => p.includes('cycle'))).toEqual([]);
  });

  it('should warn about an English card within 5% of the length limit', () => {
    const dir = variant({ [`${TOPIC}/en/lessons/a-l02.md`]: `---\nid: a-l02\ntitle: Card two\n---\n${'x'.repeat(680)}\n` });
    const problems = loadContent(dir).problems;
    expect(problems.errors).toEqual([]);
    expect(problems.items.map(formatProblem)).toContainEqual(expect.stringMatching(/en\/lessons\/a-l02\.md:\d+: warning: en lesson card is 680 characters, within 5% of the limit of 700$/));
  });

  it('should fold diacritics and case when comparing texts', () => {
    expect(tokens('Đề án 06: Dữ liệu DÂN CƯ?')).toEqual(['de', 'an', '06', 'du', 'lieu', 'dan', 'cu']);
    expect(jaccard(tokens('Chuyển đổi số là gì?'), tokens('chuyen doi so la gi'))).toBe(1);
  });
});

describe('content:stats, the longest-option strategy', () => {
  it('should print the longest-option share per difficulty and the simulated pass rate', () => {
    const out = [...loadContent(resolve(ROOT, 'content')).courses.values()].map((c) => formatStats(contentStats(c, 2000))).join('\n');
    expect(out).toMatch(/\[vi\][^]*final test, correct option is the longest: \d+% of questions; by difficulty 1: \d+% of \d+, 2: \d+% of \d+, 3: \d+% of \d+/);
    expect(out).toMatch(/\[en\][^]*always picking the longest option: mean score [\d.]+%, passes [\d.]+% of 2000 simulated attempts/);
  });

  it('should be deterministic and pass every attempt when the longest option is always right, none when it never is', () => {
    const always = Array.from({ length: 12 }, (_, i) => ({ correct: letterAt(i), longest: indexOf(letterAt(i)) }));
    const never = Array.from({ length: 12 }, (_, i) => ({ correct: letterAt(i), longest: (indexOf(letterAt(i)) + 1) % 4 }));
    const figures = (specs: Spec[]) => {
      const course = [...loadContent(withBank(bank(specs))).courses.values()][0]!;
      return contentStats(course, 500).locales.find((l) => l.locale === 'vi')!.longestOption;
    };
    expect(figures(always).simulation.passRate).toBe(1);
    expect(figures(always).share).toBe(1);
    expect(figures(never).simulation.passRate).toBe(0);
    expect(figures(never).simulation.meanScorePercent).toBe(0);
    const ties = Array.from({ length: 12 }, (_, i) => ({ correct: letterAt(i), longest: -1 }));
    const a = figures(ties);
    expect(a).toEqual(figures(ties));
    expect(a.simulation.meanScorePercent).toBeGreaterThan(15);
    expect(a.simulation.meanScorePercent).toBeLessThan(35);
  });

  it('should report the correct letters of the final bank on their own', () => {
    const course = [...loadContent(resolve(ROOT, 'content')).courses.values()][0]!;
    const vi = contentStats(course, 10).locales[0]!;
    expect(Object.values(vi.finalCorrectLetters).reduce((a, b) => a + b, 0)).toBe(vi.finalQuestions);
  });
});
