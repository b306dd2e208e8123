/**
 * What one learner adds to the counters of their cohort: a few cells (commune × role × metric),
 * each counted once. A change of the learner or their enrolment is the difference between what
 * they added before and what they add now — never a scan.
 */
import type { Enrolment, EnrolmentStatus, Learner } from '../../core/model.js';

/** The funnel, in order. `invited` is counted by the roster import (StatsCounters.invited), the rest from the records. */
export const FUNNEL = ['invited', 'started', 'onboarded', 'finished', 'passed', 'certified'] as const;
export type FunnelStep = (typeof FUNNEL)[number];

export const STATUSES: readonly EnrolmentStatus[] = ['not_started', 'in_progress', 'completed', 'certified'];

/** A counter's metric: a funnel step, or `status:<status>` (started learners only). */
export type Metric = FunnelStep | `status:${EnrolmentStatus}`;

/** Where a learner is counted when their profile does not say yet. */
export const UNKNOWN = '?';

/** The learner's side of their contribution (kept in their mark, so an enrolment save needs no learner read). */
export interface LearnerSide {
  province: string;
  commune: string;
  role: string;
  started: boolean;
  onboarded: boolean;
}

/** The enrolment's side. */
export interface EnrolmentSide {
  status: EnrolmentStatus;
  finished: boolean;
  passed: boolean;
}

export const NO_ENROLMENT: EnrolmentSide = { status: 'not_started', finished: false, passed: false };

function place(v: string | undefined): string {
  const t = (v ?? '').normalize('NFC').trim();
  return t === '' ? UNKNOWN : t;
}

export function learnerSide(l: Pick<Learner, 'profile' | 'conversations' | 'onboarded'>): LearnerSide {
  return {
    province: place(l.profile?.province),
    commune: place(l.profile?.commune),
    role: place(l.profile?.role),
    // Invited learners exist before they write: they start with their first conversation.
    started: (l.conversations?.length ?? 0) > 0 || l.onboarded === true,
    onboarded: l.onboarded === true,
  };
}

/** `lessonCount`: the lessons of the enrolment's course (finished = all of them done). */
export function enrolmentSide(e: Pick<Enrolment, 'status' | 'completedLessons' | 'finalAttempts'>, lessonCount: number): EnrolmentSide {
  return {
    status: e.status,
    finished: lessonCount > 0 && new Set(e.completedLessons ?? []).size >= lessonCount,
    passed: (e.finalAttempts ?? []).some((a) => a.passed === true),
  };
}

/** One counted cell of a cohort × province counter document. */
export interface Cell {
  commune: string;
  role: string;
  metric: Metric;
}

export interface Contribution {
  province: string;
  cells: Cell[];
}

/** What a learner adds; nothing until they started (their invitation is counted apart). */
export function contribution(l: LearnerSide | undefined, e: EnrolmentSide | undefined): Contribution | null {
  if (!l || !l.started) return null;
  const en = e ?? NO_ENROLMENT;
  const metrics: Metric[] = ['started', `status:${en.status}`];
  if (l.onboarded) metrics.push('onboarded');
  if (en.finished) metrics.push('finished');
  if (en.passed) metrics.push('passed');
  if (en.status === 'certified') metrics.push('certified');
  return { province: l.province, cells: metrics.map((metric) => ({ commune: l.commune, role: l.role, metric })) };
}

/** A signed change of one cell in one province. */
export interface Delta extends Cell {
  province: string;
  n: number;
}

export function cellKey(c: Cell): string {
  return `${c.commune}\u0000${c.role}\u0000${c.metric}`;
}

/** The changes that turn `before` into `after` (empty when they count the same). */
export function difference(before: Contribution | null, after: Contribution | null): Delta[] {
  const acc = new Map<string, Delta>();
  const add = (c: Contribution | null, n: number) => {
    for (const cell of c?.cells ?? []) {
      const key = `${c!.province}\u0000${cellKey(cell)}`;
      const d = acc.get(key) ?? { ...cell, province: c!.province, n: 0 };
      d.n += n;
      acc.set(key, d);
    }
  };
  add(before, -1);
  add(after, +1);
  return [...acc.values()].filter((d) => d.n !== 0);
}
