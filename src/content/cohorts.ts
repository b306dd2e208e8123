/** Cohorts defined in content/cohorts.yaml: fixed windows, or windows that start when first loaded (the demo). */
import type { Course } from '../core/course.js';
import type { QuietHours } from '../core/model.js';
import { isIsoDuration } from '../core/durations.js';
import type { ProblemList } from './problems.js';
import { YamlFile } from './yaml-file.js';

export interface CohortDefinition {
  id: string;
  courseId: string;
  title?: string;
  /** A fixed window, or `durationDays` counted from the first time the cohort is stored. */
  window: { opensAt: Date; closesAt: Date } | { durationDays: number };
  reminders: string[];
  quietHours: QuietHours | null;
  lessonHour: number;
  usesDistrict: boolean;
  provinceList: string;
}

export const DEFAULT_REMINDERS = ['P7D', 'P3D', 'P1D', 'PT3H'];
export const DEFAULT_QUIET_HOURS: QuietHours = { start: 21 * 60, end: 7 * 60 };

/** "21:00-07:00" → minutes; "none" or null → null; undefined when malformed. */
export function parseQuietHours(value: unknown): QuietHours | null | undefined {
  if (value === null || value === 'none') return null;
  if (typeof value !== 'string') return undefined;
  const m = /^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$/.exec(value.trim());
  if (!m) return undefined;
  const [h1, m1, h2, m2] = m.slice(1).map(Number) as [number, number, number, number];
  if (h1 > 23 || h2 > 23 || m1 > 59 || m2 > 59) return undefined;
  return { start: h1 * 60 + m1, end: h2 * 60 + m2 };
}

export function formatQuietHours(q: QuietHours | null): string {
  if (!q) return 'none';
  const f = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
  return `${f(q.start)}-${f(q.end)}`;
}

export function loadCohortDefinitions(
  path: string,
  show: (p: string) => string,
  problems: ProblemList,
  courses: Map<string, Course>,
  provinces: Map<string, string[]>,
): CohortDefinition[] {
  const file = YamlFile.read(path, show(path), problems);
  if (!file) {
    problems.error(show(path), 1, 'missing cohorts.yaml');
    return [];
  }
  const result: CohortDefinition[] = [];
  const seen = new Set<string>();
  for (const { value: c, line } of file.items(file.root)) {
    const bad = (message: string) => problems.error(file.file, line, `cohort ${String(c.id ?? '?')}: ${message}`);
    const id = typeof c.id === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(c.id) ? c.id : '';
    if (!id) {
      bad('id must be 1–64 letters, digits, _ or -');
      continue;
    }
    if (seen.has(id)) bad('duplicate id');
    seen.add(id);
    const courseId = String(c.course ?? '');
    if (!courses.has(courseId)) bad(`course "${courseId}" does not exist`);
    let window: CohortDefinition['window'] | undefined;
    if (typeof c.durationDays === 'number') {
      if (c.durationDays > 0) window = { durationDays: c.durationDays };
      else bad('durationDays must be positive');
    } else {
      const opensAt = new Date(String(c.opens ?? ''));
      const closesAt = new Date(String(c.closes ?? ''));
      if (Number.isNaN(opensAt.getTime()) || Number.isNaN(closesAt.getTime())) bad('opens and closes must be ISO-8601 instants (or give durationDays)');
      else if (closesAt <= opensAt) bad('closes must come after opens');
      else window = { opensAt, closesAt };
    }
    const reminders = c.reminders === undefined ? DEFAULT_REMINDERS : Array.isArray(c.reminders) ? c.reminders.map(String) : [];
    for (const r of reminders) if (!isIsoDuration(r)) bad(`reminder "${r}" is not an ISO-8601 duration such as P3D or PT3H`);
    const quiet = c.quietHours === undefined ? DEFAULT_QUIET_HOURS : parseQuietHours(c.quietHours);
    if (quiet === undefined) bad('quietHours must look like 21:00-07:00, or be none');
    const lessonHour = c.lessonHour === undefined ? 8 : Number(c.lessonHour);
    if (!Number.isInteger(lessonHour) || lessonHour < 0 || lessonHour > 23) bad('lessonHour must be 0–23');
    const provinceList = String(c.provinces ?? 'current');
    if (!provinces.has(provinceList)) bad(`province list "${provinceList}" is not in provinces.yaml`);
    if (!window) continue;
    result.push({
      id,
      courseId,
      title: typeof c.title === 'string' ? c.title : undefined,
      window,
      reminders,
      quietHours: quiet ?? null,
      lessonHour,
      usesDistrict: c.usesDistrict === true,
      provinceList,
    });
  }
  return result;
}
