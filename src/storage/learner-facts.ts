/**
 * The copy of a learner that their enrolment in their current cohort carries for the planning
 * sweeps (field `learnerFacts`), so that a sweep streams one collection and looks nothing up.
 * Written with the learner (MongoLearnerStore.save) and with the enrolment (ensure).
 */
import { reachableConversations, type Learner } from '../core/model.js';
import type { LearnerFacts } from '../scheduler/ports.js';

export type FactsSource = Pick<Learner, 'id' | 'stopped' | 'consent' | 'onboarded' | 'lessonHour' | 'conversations' | 'unreachable'>;

/** The copy of a learner that their enrolment carries for the sweeps (field `learnerFacts`). */
export function learnerFacts(l: FactsSource): LearnerFacts {
  return {
    id: l.id,
    stopped: l.stopped === true,
    ...(typeof l.consent === 'boolean' ? { consent: l.consent } : {}),
    onboarded: l.onboarded === true,
    lessonHour: typeof l.lessonHour === 'number' ? l.lessonHour : null,
    conversation: reachableConversations({ conversations: l.conversations ?? [], unreachable: l.unreachable ?? [] })[0] ?? null,
  };
}


/** The copy of a learner that their enrolment carries for the admin reports (field `learnerProfile`): one scan of enrolments gives a whole progress row. */
export interface LearnerProfileCopy {
  fullName?: string;
  role?: string;
  province?: string;
  commune?: string;
  phone?: string;
  onboarded: boolean;
  createdAt?: Date;
}

export function learnerProfileCopy(l: Pick<Learner, 'profile' | 'onboarded' | 'createdAt'>): LearnerProfileCopy {
  const p = l.profile ?? {};
  const copy: LearnerProfileCopy = { onboarded: l.onboarded === true };
  for (const k of ['fullName', 'role', 'province', 'commune', 'phone'] as const) if (typeof p[k] === 'string') copy[k] = p[k];
  if (l.createdAt) copy.createdAt = new Date(l.createdAt);
  return copy;
}
