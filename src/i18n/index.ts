/**
 * i18next over locales/<lng>/: every sentence the bot says comes from here. `translation.json`
 * holds the learner's conversation; every other `<part>.json` (admin, roster, broadcast, …) is
 * mounted under the key `<part>`, so `locales/vi/admin.json`'s `{"denied": …}` is `admin.denied`.
 * One file per part keeps each part's sentences together and apart from the others'.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import i18next, { type i18n } from 'i18next';
import type { Locale } from '../core/course.js';
import type { Translator } from '../core/ports.js';

export async function createTranslator(localesDir: string, fallback: Locale = 'vi'): Promise<Translator> {
  const resources: Record<string, { translation: Record<string, unknown> }> = {};
  for (const lng of ['vi', 'en'] as const) {
    resources[lng] = { translation: readLocale(join(localesDir, lng)) };
  }
  const instance: i18n = i18next.createInstance();
  await instance.init({
    resources,
    lng: fallback,
    fallbackLng: 'vi',
    interpolation: { escapeValue: false },
    returnNull: false,
  });
  return {
    t: (locale, key, vars) => instance.t(key, { lng: locale, ...vars }) as string,
  };
}

/** translation.json, with every other JSON file of the folder under its own name. */
export function readLocale(dir: string): Record<string, unknown> {
  const read = (file: string) => JSON.parse(readFileSync(join(dir, file), 'utf8')) as Record<string, unknown>;
  const messages = read('translation.json');
  for (const file of readdirSync(dir).sort()) {
    if (!file.endsWith('.json') || file === 'translation.json') continue;
    const part = file.slice(0, -'.json'.length);
    if (part in messages) throw new Error(`locales: ${dir}/${file} would replace the key "${part}" of translation.json`);
    messages[part] = read(file);
  }
  return messages;
}
