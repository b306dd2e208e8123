import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTranslator, readLocale } from '../../src/i18n/index.js';

function keys(value: unknown, prefix = ''): string[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [prefix];
  return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => keys(v, prefix ? `${prefix}.${k}` : k));
}

describe('locales', () => {
  // English plurals are `key_one` / `key_other` where Vietnamese has one `key` (i18next's plural suffixes).
  const base = (ks: string[]) => [...new Set(ks.map((k) => k.replace(/_(zero|one|two|few|many|other)$/, '')))].sort();

  it('should give Vietnamese and English the same keys in every file', () => {
    const dir = resolve(import.meta.dirname, '../../locales');
    const vi = base(keys(readLocale(join(dir, 'vi'))));
    const en = base(keys(readLocale(join(dir, 'en'))));
    expect(vi.filter((k) => !en.includes(k))).toEqual([]);
    expect(en.filter((k) => !vi.includes(k))).toEqual([]);
  });

  it('should mount every other file of a language under its name, and refuse one that would replace a key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'locales-'));
    for (const lng of ['vi', 'en']) {
      mkdirSync(join(dir, lng));
      writeFileSync(join(dir, lng, 'translation.json'), JSON.stringify({ hello: `${lng} hello` }));
      writeFileSync(join(dir, lng, 'admin.json'), JSON.stringify({ denied: `${lng} denied {{who}}` }));
    }
    const i18n = await createTranslator(dir);
    expect(i18n.t('vi', 'admin.denied', { who: 'Nghệ An' })).toBe('vi denied Nghệ An');
    expect(i18n.t('en', 'hello')).toBe('en hello');
    writeFileSync(join(dir, 'vi', 'hello.json'), '{}');
    expect(() => readLocale(join(dir, 'vi'))).toThrow(/would replace the key "hello"/);
  });
});
