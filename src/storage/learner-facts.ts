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

