/** Loads course content from `content/` (format: content/README.md) and reports every problem with file and line. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import matter from 'gray-matter';
import type { Course, Lesson, Locale, Localized, Part, Question, Topic } from '../core/course.js';
import { ProblemList } from './problems.js';
import { YamlFile } from './yaml-file.js';
import { loadCohortDefinitions, type CohortDefinition } from './cohorts.js';
import { checkDuplicates, checkLetterCycles, checkLetterSpread, checkLongestCorrect, groupBy, QUALITY, type PlacedQuestion } from './quality.js';

export const LIMITS = {
  cardChars: 700,
  questionChars: 300,
  optionChars: 100,
  explanationChars: 200,
  minOptions: 2,
  maxOptions: 5,
} as const;

export interface LoadedContent {
  courses: Map<string, Course>;
  cohorts: CohortDefinition[];
  provinces: Map<string, string[]>;
  /** Per province list, the former names learners still type → the province each is part of now (`merged` in provinces.yaml). */
  formerProvinces: Map<string, Map<string, string>>;
  problems: ProblemList;
}

const CONTENT_LOCALES: Locale[] = ['vi', 'en'];
const LETTERS = 'ABCDE';

export function loadContent(dir: string): LoadedContent {
  const problems = new ProblemList();
  const show = (p: string) => relative(process.cwd(), p) || p;
  const courses = new Map<string, Course>();
  const coursesDir = join(dir, 'courses');
  if (!existsSync(coursesDir)) problems.error(show(coursesDir), 1, 'no courses folder');
  else {
    for (const id of readdirSync(coursesDir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort()) {
      const course = loadCourse(join(coursesDir, id), show, problems);
      if (course) courses.set(course.id, course);
    }
  }
  const { provinces, formerProvinces } = loadProvinces(join(dir, 'provinces.yaml'), show, problems);
  const cohorts = loadCohortDefinitions(join(dir, 'cohorts.yaml'), show, problems, courses, provinces);
  return { courses, cohorts, provinces, formerProvinces, problems };
}

function loadProvinces(path: string, show: (p: string) => string, problems: ProblemList): Pick<LoadedContent, 'provinces' | 'formerProvinces'> {
  const provinces = new Map<string, string[]>();
  const formerProvinces = new Map<string, Map<string, string>>();
  const file = YamlFile.read(path, show(path), problems);
  if (!file) {
    problems.error(show(path), 1, 'missing provinces.yaml');
    return { provinces, formerProvinces };
  }
  const data = file.toJSON();
  if (!data || typeof data !== 'object') return { provinces, formerProvinces };
  const { merged, ...lists } = data as Record<string, unknown>;
  for (const [name, list] of Object.entries(lists)) {
    if (!Array.isArray(list) || list.some((p) => typeof p !== 'string')) {
      problems.error(file.file, 1, `province list "${name}" must be a list of names`);
      continue;
    }
    provinces.set(name, list as string[]);
  }
  if (merged === undefined) return { provinces, formerProvinces };
  if (!merged || typeof merged !== 'object') {
    problems.error(file.file, 1, '"merged" must map a province list to its former names');
    return { provinces, formerProvinces };
  }
  for (const [name, names] of Object.entries(merged as Record<string, unknown>)) {
    const list = provinces.get(name);
    if (!list) {
      problems.error(file.file, 1, `"merged" names a province list "${name}" that does not exist`);
      continue;
    }
    const map = new Map<string, string>();
    for (const [former, now] of Object.entries((names ?? {}) as Record<string, unknown>)) {
      if (typeof now !== 'string' || !list.includes(now)) problems.error(file.file, 1, `"merged.${name}": "${former}" must name a province of the list "${name}"`);
      else if (list.includes(former)) problems.error(file.file, 1, `"merged.${name}": "${former}" is still in the list "${name}"`);
      else map.set(former, now);
    }
    formerProvinces.set(name, map);
  }
  return { provinces, formerProvinces };
}

function localized(value: unknown): Localized | null {
  if (typeof value === 'string') return { vi: value };
  if (value && typeof value === 'object' && typeof (value as Record<string, unknown>).vi === 'string') {
    const v = value as Record<string, unknown>;
    return { vi: v.vi as string, ...(typeof v.en === 'string' ? { en: v.en } : {}) };
  }
  return null;
}

function loadCourse(courseDir: string, show: (p: string) => string, problems: ProblemList): Course | null {
  const path = join(courseDir, 'course.yaml');
  const file = YamlFile.read(path, show(path), problems);
  if (!file) {
    problems.error(show(path), 1, 'missing course.yaml');
    return null;
  }
  const data = (file.toJSON() ?? {}) as Record<string, unknown>;
  const root = file.root;
  const id = typeof data.id === 'string' ? data.id : '';
  if (!id) problems.error(file.file, file.keyLine(root, 'id'), 'course id is missing');
  const title = localized(data.title);
  if (!title) problems.error(file.file, file.keyLine(root, 'title'), 'course title needs at least a vi text');

  const final = (data.final ?? {}) as Record<string, unknown>;
  const rules = {
    questions: Number(final.questions ?? 30),
    passPercent: Number(final.passPercent ?? 70),
    attempts: Number(final.attempts ?? 3),
    timeLimitMinutes: final.timeLimitMinutes == null ? null : Number(final.timeLimitMinutes),
  };
  const finalLine = file.keyLine(root, 'final');
  if (!Number.isInteger(rules.questions) || rules.questions < 1) problems.error(file.file, finalLine, 'final.questions must be a whole number ≥ 1');
  if (!(rules.passPercent > 0 && rules.passPercent <= 100)) problems.error(file.file, finalLine, 'final.passPercent must be in 1–100');
  if (!Number.isInteger(rules.attempts) || rules.attempts < 1) problems.error(file.file, finalLine, 'final.attempts must be a whole number ≥ 1');

  const topicsDir = join(courseDir, 'topics');
  const seenTopics = new Set<string>();
  const seenIds = new Map<string, string>();
  const placed: PlacedQuestion[] = [];
  const parts: Part[] = [];
  const partsNode = (root as { get?: (k: string, keep: boolean) => unknown } | null)?.get?.('parts', true) as never;
  const partItems = file.items(partsNode);
  if (partItems.length === 0) problems.error(file.file, file.keyLine(root, 'parts'), 'course has no parts');
  for (const { value: p, line } of partItems) {
    const partTitle = localized(p.title);
    const partId = typeof p.id === 'string' ? p.id : '';
    if (!partId) problems.error(file.file, line, 'part id is missing');
    if (!partTitle) problems.error(file.file, line, `part ${partId} needs a title with a vi text`);
    const topicIds = Array.isArray(p.topics) ? (p.topics as unknown[]).filter((t): t is string => typeof t === 'string') : [];
    if (topicIds.length === 0) problems.error(file.file, line, `part ${partId} lists no topics`);
    const topics: Topic[] = [];
    for (const topicId of topicIds) {
      if (seenTopics.has(topicId)) {
        problems.error(file.file, line, `topic ${topicId} is listed twice`);
        continue;
      }
      seenTopics.add(topicId);
      const topicDir = join(topicsDir, topicId);
      if (!existsSync(join(topicDir, 'topic.yaml'))) {
        problems.error(file.file, line, `part ${partId} refers to topic ${topicId}, which has no ${show(join(topicDir, 'topic.yaml'))}`);
        continue;
      }
      const topic = loadTopic(topicDir, topicId, partId, show, problems, seenIds, placed);
      if (topic) topics.push(topic);
    }
    parts.push({ id: partId, title: partTitle ?? { vi: partId }, topics });
  }
  if (existsSync(topicsDir)) {
    for (const d of readdirSync(topicsDir, { withFileTypes: true })) {
      if (d.isDirectory() && !seenTopics.has(d.name)) {
        problems.warn(show(join(topicsDir, d.name)), 1, `topic folder ${d.name} is not listed in any part of course.yaml, so no learner can reach it`);
      }
    }
  }
  const bank = parts.flatMap((p) => p.topics).reduce((n, t) => n + t.finalBank.length, 0);
  if (bank < rules.questions) {
    problems.error(file.file, finalLine, `the final test draws ${rules.questions} questions but the bank has only ${bank}`);
  }
  checkLongestCorrect(placed.filter((p) => p.kind === 'final'), problems);
  checkDuplicates(placed, problems);
  for (const inFile of groupBy(placed, (p) => p.file).values()) checkLetterCycles(inFile, problems);
  if (!id || !title) return null;
  return { id, title, parts, final: rules };
}

interface RawQuestion {
  question: Question;
  line: number;
  file: string;
  /** Where the en twin is, when the en file has one. */
  en?: { line: number; file: string };
}

function loadTopic(
  topicDir: string,
  topicId: string,
  partId: string,
  show: (p: string) => string,
  problems: ProblemList,
  seenIds: Map<string, string>,
  placed: PlacedQuestion[],
): Topic | null {
  const path = join(topicDir, 'topic.yaml');
  const file = YamlFile.read(path, show(path), problems)!;
  const data = (file.toJSON() ?? {}) as Record<string, unknown>;
  if (data.id !== topicId) problems.error(file.file, file.keyLine(file.root, 'id'), `topic id must be "${topicId}" (its folder name)`);
  const title = localized(data.title);
  if (!title) problems.error(file.file, file.keyLine(file.root, 'title'), 'topic title needs at least a vi text');
  const lessonIds = Array.isArray(data.lessons) ? (data.lessons as unknown[]).filter((x): x is string => typeof x === 'string') : [];
  const lessonsLine = file.keyLine(file.root, 'lessons');
  if (lessonIds.length === 0) problems.error(file.file, lessonsLine, 'topic lists no lessons');

  const lessons: Lesson[] = [];
  for (const lessonId of lessonIds) {
    const lesson = loadLesson(topicDir, topicId, lessonId, show, problems);
    if (!lesson) {
      problems.error(file.file, lessonsLine, `topic ${topicId} refers to lesson ${lessonId}, which has no vi/lessons/${lessonId}.md`);
      continue;
    }
    claimId(seenIds, lesson.id, `${show(join(topicDir, 'vi', 'lessons', lessonId + '.md'))}:1`, problems);
    lessons.push(lesson);
  }
  const lessonFiles = join(topicDir, 'vi', 'lessons');
  if (existsSync(lessonFiles)) {
    for (const f of readdirSync(lessonFiles).filter((n) => n.endsWith('.md'))) {
      if (!lessonIds.includes(f.slice(0, -3))) problems.warn(show(join(lessonFiles, f)), 1, `lesson ${f.slice(0, -3)} is not listed in ${file.file}`);
    }
  }
  for (const locale of CONTENT_LOCALES.filter((l) => l !== 'vi')) {
    const dir = join(topicDir, locale, 'lessons');
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.md'))) {
      if (!lessonIds.includes(f.slice(0, -3))) problems.error(show(join(dir, f)), 1, `${locale} lesson ${f.slice(0, -3)} has no vi lesson with the same id`);
    }
  }

  const checks = loadQuestions(topicDir, topicId, 'questions.yaml', show, problems, seenIds);
  for (const { question, line, file: qFile } of checks) {
    const lesson = lessons.find((l) => l.id === question.lessonId);
    if (!question.lessonId) problems.error(qFile, line, `check question ${question.id} has no lesson`);
    else if (!lesson) problems.error(qFile, line, `check question ${question.id} refers to lesson ${question.lessonId}, which this topic does not list`);
    else lesson.questions.push(question);
  }
  for (const lesson of lessons) {
    const n = lesson.questions.length;
    if (n < 1 || n > 3) {
      problems.error(show(join(topicDir, 'vi', 'questions.yaml')), 1, `lesson ${lesson.id} has ${n} check questions; each card is followed by 1–3`);
    }
  }
  const finals = loadQuestions(topicDir, topicId, 'final.yaml', show, problems, seenIds);
  for (const [kind, list] of [['check', checks], ['final', finals]] as const) {
    for (const r of list) {
      placed.push({ question: r.question, locale: 'vi', file: r.file, line: r.line, kind });
      if (r.en) placed.push({ question: r.question, locale: 'en', file: r.en.file, line: r.en.line, kind });
    }
  }
  checkLetterSpread(checks, problems);
  checkLetterSpread(finals, problems);
  if (!title) return null;
  return { id: topicId, partId, title, lessons, finalBank: finals.map((f) => f.question) };
}

function claimId(seen: Map<string, string>, id: string, where: string, problems: ProblemList): boolean {
  const first = seen.get(id);
  if (first) {
    const [file, line] = splitWhere(where);
    problems.error(file, line, `duplicate id ${id} (first used at ${first})`);
    return false;
  }
  seen.set(id, where);
  return true;
}

function splitWhere(where: string): [string, number] {
  const i = where.lastIndexOf(':');
  return [where.slice(0, i), Number(where.slice(i + 1))];
}

function lineOfKey(text: string, key: string): number {
  const i = text.split('\n').findIndex((l) => l.startsWith(`${key}:`));
  return i < 0 ? 1 : i + 1;
}

function readLessonFile(path: string): { data: Record<string, unknown>; body: string; raw: string; bodyLine: number } | null {
  if (!existsSync(path)) return null;
  const raw = readFileSync(path, 'utf8');
  const parsed = matter(raw);
  const fmLines = raw.startsWith('---') ? raw.slice(0, raw.length - parsed.content.length).split('\n').length : 1;
  return { data: parsed.data as Record<string, unknown>, body: parsed.content.trim(), raw, bodyLine: fmLines };
}

function loadLesson(topicDir: string, topicId: string, lessonId: string, show: (p: string) => string, problems: ProblemList): Lesson | null {
  const title: Record<string, string> = {};
  const body: Record<string, string> = {};
  let sources: string[] = [];
  let image: string | undefined;
  for (const locale of CONTENT_LOCALES) {
    const path = join(topicDir, locale, 'lessons', `${lessonId}.md`);
    let f: ReturnType<typeof readLessonFile>;
    try {
      f = readLessonFile(path);
    } catch (err) {
      problems.error(show(path), 1, `front matter: ${(err as Error).message.split('\n')[0]}`);
      continue;
    }
    if (!f) {
      if (locale === 'vi') return null;
      continue;
    }
    const where = show(path);
    if (f.data.id !== lessonId) problems.error(where, lineOfKey(f.raw, 'id'), `front matter id must be "${lessonId}" (the file name)`);
    if (typeof f.data.title !== 'string' || f.data.title.trim() === '') problems.error(where, lineOfKey(f.raw, 'title'), 'lesson has no title');
    else title[locale] = f.data.title.trim();
    if (f.body === '') problems.error(where, f.bodyLine, 'lesson card is empty');
    if (f.body.length > LIMITS.cardChars) {
      problems.error(where, f.bodyLine, `lesson card is ${f.body.length} characters; the limit is ${LIMITS.cardChars}`);
    }
    // English runs longer than Vietnamese on a phone; a card at the limit leaves no room for a fix.
    else if (locale === 'en' && f.body.length > LIMITS.cardChars * QUALITY.nearLimitShare) {
      problems.warn(where, f.bodyLine, `en lesson card is ${f.body.length} characters, within ${Math.round((1 - QUALITY.nearLimitShare) * 100)}% of the limit of ${LIMITS.cardChars}`);
    }
    body[locale] = f.body;
    const src = f.data.sources;
    if (src !== undefined && (!Array.isArray(src) || src.some((s) => typeof s !== 'string' || !/^https?:\/\//.test(s)))) {
      problems.error(where, lineOfKey(f.raw, 'sources'), 'sources must be a list of http(s) URLs');
    }
    const list = Array.isArray(src) ? (src as unknown[]).filter((s): s is string => typeof s === 'string') : [];
    if (locale === 'vi') {
      sources = list;
      if (typeof f.data.image === 'string') image = f.data.image;
    }
    if (/\d/.test(f.body) && list.length === 0 && (locale === 'vi' || sources.length === 0)) {
      problems.error(where, lineOfKey(f.raw, 'sources'), 'the card has figures or dates but no sources');
    }
  }
  if (!body.vi) return null;
  return {
    id: lessonId,
    topicId,
    title: { vi: title.vi ?? lessonId, ...(title.en ? { en: title.en } : {}) },
    body: { vi: body.vi, ...(body.en ? { en: body.en } : {}) },
    sources,
    image,
    questions: [],
  };
}

function loadQuestions(
  topicDir: string,
  topicId: string,
  name: 'questions.yaml' | 'final.yaml',
  show: (p: string) => string,
  problems: ProblemList,
  seenIds: Map<string, string>,
): RawQuestion[] {
  const byLocale = new Map<Locale, Map<string, { q: Record<string, unknown>; line: number; file: string }>>();
  for (const locale of CONTENT_LOCALES) {
    const path = join(topicDir, locale, name);
    const file = YamlFile.read(path, show(path), problems);
    if (!file) continue;
    const items = new Map<string, { q: Record<string, unknown>; line: number; file: string }>();
    for (const { value, line } of file.items(file.root)) {
      const id = typeof value.id === 'string' ? value.id : '';
      if (!id) {
        problems.error(file.file, line, 'question has no id');
        continue;
      }
      if (items.has(id)) {
        problems.error(file.file, line, `duplicate id ${id} (first used at ${file.file}:${items.get(id)!.line})`);
        continue;
      }
      items.set(id, { q: value, line, file: file.file });
      validateQuestion(value, file.file, line, name === 'final.yaml', problems);
    }
    byLocale.set(locale, items);
  }
  const vi = byLocale.get('vi') ?? new Map();
  const en = byLocale.get('en');
  if (en) {
    for (const [id, { line, file, q }] of en) {
      const twin = vi.get(id);
      if (!twin) problems.error(file, line, `en question ${id} has no vi question with the same id`);
      else if (String(q.correct).toUpperCase() !== String(twin.q.correct).toUpperCase()) {
        problems.error(file, line, `en question ${id} marks ${String(q.correct)} correct but vi marks ${String(twin.q.correct)}`);
      } else if (Array.isArray(q.options) && Array.isArray(twin.q.options) && q.options.length !== twin.q.options.length) {
        problems.error(file, line, `en question ${id} has ${q.options.length} options but vi has ${twin.q.options.length}`);
      }
    }
  }
  const result: RawQuestion[] = [];
  for (const [id, { q, line, file }] of vi) {
    if (!claimId(seenIds, id, `${file}:${line}`, problems)) continue;
    const correctIndex = LETTERS.indexOf(String(q.correct ?? '').toUpperCase());
    const options = Array.isArray(q.options) ? (q.options as unknown[]).map(String) : [];
    if (correctIndex < 0 || correctIndex >= options.length || typeof q.text !== 'string') continue;
    const twin = en?.get(id)?.q;
    const enOptions = Array.isArray(twin?.options) && twin.options.length === options.length ? (twin.options as unknown[]).map(String) : undefined;
    const enAt = en?.get(id);
    result.push({
      line,
      file,
      ...(enAt ? { en: { line: enAt.line, file: enAt.file } } : {}),
      question: {
        id,
        topicId,
        lessonId: typeof q.lesson === 'string' ? q.lesson : undefined,
        text: { vi: q.text, ...(typeof twin?.text === 'string' ? { en: twin.text } : {}) },
        options: options.map((o, i) => ({ vi: o, ...(enOptions ? { en: enOptions[i]! } : {}) })),
        correctIndex,
        explanation: { vi: String(q.explanation ?? ''), ...(typeof twin?.explanation === 'string' ? { en: twin.explanation } : {}) },
        difficulty: typeof q.difficulty === 'number' ? q.difficulty : undefined,
      },
    });
  }
  return result;
}

function validateQuestion(q: Record<string, unknown>, file: string, line: number, isFinal: boolean, problems: ProblemList): void {
  const id = String(q.id);
  if (typeof q.text !== 'string' || q.text.trim() === '') problems.error(file, line, `question ${id} has no text`);
  else if (q.text.length > LIMITS.questionChars) problems.error(file, line, `question ${id} text is ${q.text.length} characters; the limit is ${LIMITS.questionChars}`);
  const options = Array.isArray(q.options) ? (q.options as unknown[]) : [];
  if (options.length < LIMITS.minOptions || options.length > LIMITS.maxOptions) {
    problems.error(file, line, `question ${id} has ${options.length} options; it needs ${LIMITS.minOptions}–${LIMITS.maxOptions}`);
  }
  const folded = options.map((o) => String(o).trim().toLowerCase());
  if (new Set(folded).size !== folded.length) problems.error(file, line, `question ${id} has options that are not distinct`);
  for (const o of options) {
    if (typeof o !== 'string' && typeof o !== 'number') problems.error(file, line, `question ${id} has an option that is not text`);
    else if (String(o).length > LIMITS.optionChars) problems.error(file, line, `question ${id} has an option over ${LIMITS.optionChars} characters`);
  }
  const correct = q.correct === undefined || q.correct === null ? '' : String(q.correct).toUpperCase();
  const index = LETTERS.indexOf(correct);
  if (correct === '') problems.error(file, line, `question ${id} has no correct option`);
  else if (correct.length !== 1 || index < 0 || index >= options.length) {
    problems.error(file, line, `question ${id} marks "${String(q.correct)}" correct, which is not one of its options`);
  }
  if (typeof q.explanation !== 'string' || q.explanation.trim() === '') problems.error(file, line, `question ${id} has no explanation`);
  else if (q.explanation.length > LIMITS.explanationChars) {
    problems.error(file, line, `question ${id} explanation is ${q.explanation.length} characters; the limit is ${LIMITS.explanationChars}`);
  }
  if (isFinal && q.difficulty !== undefined && ![1, 2, 3].includes(q.difficulty as number)) {
    problems.error(file, line, `question ${id} difficulty must be 1, 2 or 3`);
  }
}
