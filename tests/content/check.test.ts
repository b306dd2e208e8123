import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { loadContent } from '../../src/content/load.js';
import { formatProblem } from '../../src/content/problems.js';
import { ROOT } from '../support/env.js';

const FIXTURE = resolve(ROOT, 'tests/fixtures/content-min');
const TOPIC = 'courses/mini/topics/a';
const dirs: string[] = [];

/** A copy of the minimal valid content, changed by `edit(path → text)` for one file. */
function broken(file: string, edit: (text: string) => string): string {
  const dir = mkdtempSync(join(tmpdir(), 'cds-content-'));
  dirs.push(dir);
  cpSync(FIXTURE, dir, { recursive: true });
  const path = join(dir, file);
  writeFileSync(path, edit(readFileSync(path, 'utf8')));
  return dir;
}

function problemsOf(dir: string): string[] {
  return loadContent(dir).problems.errors.map((p) => formatProblem({ ...p, file: p.file.replace(/^.*?courses\//, 'courses/') }));
}

afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('content:check', () => {
  it('should pass the shipped course and the minimal fixture', () => {
    // Warnings (cards near the length limit) are allowed in the shipped course; tests/content/quality.test.ts lists their kinds.
    expect(loadContent(resolve(ROOT, 'content')).problems.errors).toEqual([]);
    expect(loadContent(FIXTURE).problems.items).toEqual([]);
  });

  it('should report a duplicate question id with file and line', () => {
    const dir = broken(`${TOPIC}/vi/final.yaml`, (t) => t.replace('id: a-f02', 'id: a-l01-q1'));
    expect(problemsOf(dir)).toContainEqual(expect.stringMatching(/^courses\/mini\/topics\/a\/vi\/final\.yaml:7: error: duplicate id a-l01-q1 \(first used at .*questions\.yaml:1\)/));
  });

  it('should report a question without a correct option with file and line', () => {
    const dir = broken(`${TOPIC}/vi/questions.yaml`, (t) => t.replace('  correct: A\n', ''));
    expect(problemsOf(dir)).toContainEqual('courses/mini/topics/a/vi/questions.yaml:7: error: question a-l02-q1 has no correct option');
  });

  it('should report a correct letter that is not one of the options', () => {
    const dir = broken(`${TOPIC}/vi/questions.yaml`, (t) => t.replace('correct: B', 'correct: D'));
    expect(problemsOf(dir)).toContainEqual(expect.stringContaining('questions.yaml:1: error: question a-l01-q1 marks "D" correct'));
  });

  it('should report a lesson over the length limit at the line where its card starts', () => {
    const dir = broken(`${TOPIC}/vi/lessons/a-l02.md`, (t) => t.replace('Một ý tưởng', 'x'.repeat(800)));
    expect(problemsOf(dir)).toContainEqual(expect.stringMatching(/a-l02\.md:5: error: lesson card is \d+ characters; the limit is 700$/));
  });

  it('should report a topic that refers to a missing lesson', () => {
    const dir = broken(`${TOPIC}/topic.yaml`, (t) => t.replace('[a-l01, a-l02]', '[a-l01, a-l02, a-l03]'));
    expect(problemsOf(dir)).toContainEqual('courses/mini/topics/a/topic.yaml:3: error: topic a refers to lesson a-l03, which has no vi/lessons/a-l03.md');
  });

  it('should report a part that refers to a missing topic', () => {
    const dir = broken('courses/mini/course.yaml', (t) => t.replace('topics: [a]', 'topics: [a, b]'));
    expect(problemsOf(dir)).toContainEqual(expect.stringMatching(/course\.yaml:6: error: part p1 refers to topic b/));
  });

  it('should report options that are not distinct, missing explanations and figures without sources', () => {
    const dir = broken(`${TOPIC}/vi/questions.yaml`, (t) => t.replace('[Một, Hai, Ba]', '[Một, Hai, Một]').replace('explanation: Vì một.', 'explanation: ""'));
    const found = problemsOf(dir);
    expect(found).toContainEqual(expect.stringContaining('question a-l01-q1 has options that are not distinct'));
    expect(found).toContainEqual(expect.stringContaining('question a-l02-q1 has no explanation'));
    const noSources = broken(`${TOPIC}/vi/lessons/a-l02.md`, (t) => t.replace('không có con số', 'có 80% con số'));
    expect(problemsOf(noSources)).toContainEqual(expect.stringMatching(/a-l02\.md:\d+: error: the card has figures or dates but no sources/));
  });

  it('should report en ids and answers that do not match vi', () => {
    const dir = broken(`${TOPIC}/en/final.yaml`, (t) => t.replace('id: a-f02', 'id: a-f09').replace('correct: C', 'correct: A'));
    const found = problemsOf(dir);
    expect(found).toContainEqual(expect.stringContaining('en/final.yaml:7: error: en question a-f09 has no vi question with the same id'));
    expect(found).toContainEqual(expect.stringContaining('en question a-f01 marks A correct but vi marks C'));
  });

  it('should report a card that no check question follows', () => {
    const dir = broken(`${TOPIC}/vi/questions.yaml`, (t) => t.replace('lesson: a-l02', 'lesson: a-l01'));
    expect(problemsOf(dir)).toContainEqual('courses/mini/topics/a/vi/questions.yaml:1: error: lesson a-l02 has 0 check questions; each card is followed by 1–3');
  });

  it('should report YAML syntax errors with their line', () => {
    const dir = broken(`${TOPIC}/vi/final.yaml`, (t) => t.replace('options: [X, Y, Z]\n  correct: C', 'options: [X, Y, Z\n  correct: C'));
    expect(problemsOf(dir).some((p) => /vi\/final\.yaml:\d+: error: YAML/.test(p))).toBe(true);
  });

  it('should report a merged province that points outside its list or is still in it', () => {
    const dir = broken('provinces.yaml', (t) => `${t}merged:\n  current:\n    Hà Tây: Hà Nội\n    Hà Tĩnh: Paris\n    Nghệ An: Hà Nội\n  old: {}\n`);
    expect(problemsOf(dir).map((p) => p.replace(/^.*provinces\.yaml/, 'provinces.yaml'))).toEqual([
      'provinces.yaml:1: error: "merged.current": "Hà Tĩnh" must name a province of the list "current"',
      'provinces.yaml:1: error: "merged.current": "Nghệ An" is still in the list "current"',
      'provinces.yaml:1: error: "merged" names a province list "old" that does not exist',
    ]);
    expect([...loadContent(dir).formerProvinces.get('current')!]).toEqual([['Hà Tây', 'Hà Nội']]);
  });

  it('should flag a bank whose correct answers are mostly one letter', () => {
    const many = Array.from({ length: 10 }, (_, i) => `- id: a-f${i + 10}\n  text: Q${i}?\n  options: [X, Y, Z]\n  correct: A\n  explanation: X.\n`).join('');
    const dir = broken(`${TOPIC}/vi/final.yaml`, (t) => t + many);
    expect(problemsOf(dir)).toContainEqual(expect.stringContaining('A is the correct answer in 11 of 12 questions'));
  });

  it('should exit non-zero from the command line and print each problem', () => {
    const dir = broken(`${TOPIC}/vi/questions.yaml`, (t) => t.replace('  correct: A\n', ''));
    let out = '';
    let code = 0;
    try {
      execFileSync(process.execPath, ['--import', 'tsx', 'src/content/cli.ts', 'check', '--dir', dir], { cwd: ROOT, encoding: 'utf8' });
    } catch (err) {
      const e = err as { status: number; stdout: string };
      code = e.status;
      out = e.stdout;
    }
    expect(code).toBe(1);
    expect(out).toMatch(/questions\.yaml:7: error: question a-l02-q1 has no correct option/);
    expect(out).toContain('FAILED');
  });
});
