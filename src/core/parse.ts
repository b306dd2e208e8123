/** Tolerant reading of what a learner types: commands, letters, numbers, words with or without diacritics. */
import type { Choice } from './messages.js';

export const MAX_INPUT = 4000;

/** Lower case, no Vietnamese diacritics (đ → d), single spaces, no surrounding punctuation. */
export function fold(text: string): string {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/đ/g, 'd')
    .replace(/Đ/g, 'D')
    .toLowerCase()
    .replace(/[\s\u00a0]+/g, ' ')
    .replace(/^[\s.,;:!?()"'“”-]+|[\s.,;:!?()"'“”-]+$/g, '');
}

export type CommandName =
  | 'start'
  | 'learn'
  | 'progress'
  | 'exam'
  | 'certificate'
  | 'remind'
  | 'language'
  | 'feedback'
  | 'help'
  | 'stop'
  | 'link'
  | 'verify'
  | 'review';

/** Each command's Vietnamese and English names (SPEC §4). */
export const COMMANDS: Record<CommandName, readonly string[]> = {
  start: ['start', 'batdau'],
  learn: ['hoc', 'learn', 'tieptuc', 'continue'],
  progress: ['tiendo', 'progress'],
  exam: ['kiemtra', 'exam'],
  certificate: ['chungnhan', 'certificate'],
  remind: ['nhacnho', 'remind'],
  language: ['ngonngu', 'language'],
  feedback: ['gopy', 'feedback'],
  help: ['trogiup', 'help'],
  stop: ['dung', 'stop'],
  link: ['lienket', 'link'],
  verify: ['xacminh', 'verify'],
  review: ['onlai', 'review', 'ontap'],
};

export interface ParsedCommand {
  name: CommandName | 'unknown';
  raw: string;
  payload: string;
}

/** `/hoc`, `/HOC@cds_bot`, `/start CODE` → a command; anything not starting with `/` → null. */
export function parseCommand(text: string): ParsedCommand | null {
  const m = /^\/([^\s@]+)(?:@\S+)?(?:\s+([\s\S]*))?$/.exec(text.trim());
  if (!m) return null;
  const raw = fold(m[1] ?? '').replace(/\s/g, '');
  const payload = (m[2] ?? '').trim();
  for (const [name, aliases] of Object.entries(COMMANDS)) {
    if (aliases.includes(raw)) return { name: name as CommandName, raw, payload };
  }
  return { name: 'unknown', raw, payload };
}

/** Commands a learner may type without the slash: the ones that only show or go on, never one that changes a setting or takes a code. */
const BARE_COMMANDS: readonly CommandName[] = ['learn', 'progress', 'exam', 'certificate', 'review', 'help'];
/** Words people type for the list of commands. */
const HELP_WORDS: ReadonlySet<string> = new Set(['menu', 'huong dan', 'tro giup', 'lenh', 'cac lenh', 'commands']);

/**
 * A command typed as a word, with no slash ("tiến độ", "Học", "kiểm tra", "menu", "?"): on Zalo
 * nothing is a button and typing "/" is a detour on a phone keyboard. Only for what the bot did not
 * understand otherwise: an offered option or an answer comes first.
 */
export function bareCommand(text: string): CommandName | undefined {
  if (/^\s*\?+\s*$/.test(text)) return 'help';
  const w = words(text);
  if (HELP_WORDS.has(w)) return 'help';
  const squashed = w.replace(/\s/g, '');
  return BARE_COMMANDS.find((name) => COMMANDS[name].includes(squashed));
}

/** Folded, and every symbol or punctuation mark (▶, 🎉, «») taken as a space: how option labels are compared. */
export function words(text: string): string {
  return fold(text)
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** Words that mean "go on" wherever the bot offers to go on. */
export const NEXT_WORDS: ReadonlySet<string> = new Set([
  'tiep',
  'tiep tuc',
  'tieptuc',
  'next',
  'continue',
  'ok',
  'tiep theo',
  'bai tiep',
  'bai tiep theo',
  'bai sau',
  'hoc tiep',
  'tiep di',
  'sang chuyen de tiep theo',
  'chuyen de tiep theo',
  'next lesson',
  'next topic',
  'on to the next topic',
]);

export function isNextWord(text: string): boolean {
  return NEXT_WORDS.has(words(text));
}

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';

/**
 * Resolves what a learner typed against the choices offered: a letter (`A`, `b.`, `(c)`),
 * a number (`1`), the exact value of a button, or the option's words with or without diacritics.
 */
export function resolveChoice(text: string, choices: readonly Choice[]): Choice | undefined {
  const direct = choices.find((c) => c.value === text);
  if (direct) return direct;
  const f = fold(text);
  if (f === '') return undefined;
  const letter = /^\(?([a-z])\)?[.)]?$/.exec(f);
  if (letter) {
    const i = LETTERS.indexOf(letter[1] ?? '');
    if (i >= 0 && i < choices.length) return choices[i];
  }
  const num = /^\(?(\d{1,2})\)?[.)]?$/.exec(f);
  if (num) {
    const i = Number(num[1]) - 1;
    if (i >= 0 && i < choices.length) return choices[i];
  }
  return byWords(words(text), choices);
}

/**
 * An option by its words: the whole label, else the one label that starts with what was typed
 * ("phó chủ tịch" → "Phó Chủ tịch UBND xã"), else the one label that holds it as whole words
 * ("khác" → "Chức vụ khác"). Two candidates at the same level are no answer: the learner is asked again.
 */
function byWords(w: string, choices: readonly Choice[]): Choice | undefined {
  if (w === '') return undefined;
  const labels = choices.map((c) => ` ${words(c.label)} `);
  const levels = [(l: string) => l === ` ${w} `, (l: string) => l.startsWith(` ${w} `), (l: string) => l.includes(` ${w} `)];
  for (const [level, matches] of levels.entries()) {
    if (level > 0 && w.length < MIN_PARTIAL) return undefined;
    const found = choices.filter((_, i) => matches(labels[i] ?? ''));
    if (found.length === 1) return found[0];
    if (found.length > 1) return undefined;
  }
  return undefined;
}

/** Fewer letters than this are not read as part of an option's words ("a", "xa" stay unread). */
const MIN_PARTIAL = 3;

/**
 * Text a learner gives us to keep (a name, a place, feedback): NFC, without invisible
 * formatting (Unicode Cf: zero-width characters, bidi overrides and isolates, soft hyphen,
 * BOM) or control characters, white space folded to single spaces.
 */
export function cleanText(input: string): string {
  return input
    .normalize('NFC')
    .replace(/[\p{Cf}]/gu, '')
    .replace(/[\p{Cc}\u2028\u2029]/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** U+FFFD: the text was damaged on the way (a bad encoding), so it cannot be taken as a name. */
export function isGarbled(text: string): boolean {
  return text.includes('\ufffd');
}

export function letterOf(index: number): string {
  return (LETTERS[index] ?? '?').toUpperCase();
}
