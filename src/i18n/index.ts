/** i18next over locales/<lng>/translation.json: every sentence the bot says comes from here. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import i18next, { type i18n } from 'i18next';
import type { Locale } from '../core/course.js';
import type { Translator } from '../core/ports.js';

export async function createTranslator(localesDir: string, fallback: Locale = 'vi'): Promise<Translator> {
  const resources: Record<string, { translation: Record<string, unknown> }> = {};
  for (const lng of ['vi', 'en'] as const) {
    resources[lng] = { translation: JSON.parse(readFileSync(join(localesDir, lng, 'translation.json'), 'utf8')) };
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
