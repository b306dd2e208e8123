/** The Telegram command menu per language (setMyCommands with language_code). */
import type { Locale } from '../../core/course.js';
import type { CommandName } from '../../core/parse.js';

/** Menu order; /start is left out, Telegram shows its own Start button. */
const MENU: readonly Exclude<CommandName, 'start'>[] = ['learn', 'review', 'progress', 'exam', 'certificate', 'remind', 'language', 'feedback', 'link', 'verify', 'help', 'stop'];

/** The name each command goes by in each language; every one is an alias the core's parser knows. */
const NAMES: Record<Locale, Record<Exclude<CommandName, 'start'>, string>> = {
  vi: { learn: 'hoc', review: 'onlai', progress: 'tiendo', exam: 'kiemtra', certificate: 'chungnhan', remind: 'nhacnho', language: 'ngonngu', feedback: 'gopy', link: 'lienket', verify: 'xacminh', help: 'trogiup', stop: 'dung' },
  en: { learn: 'learn', review: 'review', progress: 'progress', exam: 'exam', certificate: 'certificate', remind: 'remind', language: 'language', feedback: 'feedback', link: 'link', verify: 'verify', help: 'help', stop: 'stop' },
};

export interface BotCommand {
  command: string;
  description: string;
}

export function menuCommands(locale: Locale, t: (key: string) => string): BotCommand[] {
  return MENU.map((name) => ({ command: NAMES[locale][name], description: t(`telegram.commands.${name}`) }));
}
