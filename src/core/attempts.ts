/** Final-test attempts as the enrolment records them. */
import type { Enrolment, FinalAttempt } from './model.js';

export function finishedAttempts(e: Enrolment): FinalAttempt[] {
  return e.finalAttempts.filter((a) => a.finishedAt);
}

export function bestScore(e: Enrolment): number {
  return Math.max(0, ...finishedAttempts(e).map((a) => a.scorePercent ?? 0));
}
