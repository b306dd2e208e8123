/**
 * What the scheduler needs from storage, in its own words; `src/storage/` implements these.
 * Nothing in the scheduler knows MongoDB.
 */
import type { OutboundMessage } from '../core/messages.js';
import type { Cohort, ConversationId, Enrolment, Learner } from '../core/model.js';
import type { SendReason } from './jobs.js';

/** A learner due a push, with their enrolment in the cohort being planned. */
export interface Candidate {
  learner: Learner;
  enrolment: Enrolment | null;
}

/** Streams of candidates in batches, never a whole cohort in memory. */
export interface ScheduleSource {
  /** Cohorts not yet closed at `now`. */
  activeCohorts(now: Date): Promise<Cohort[]>;
  /** Learners of a cohort not yet completed, in learner order after `after`. */
  openEnrolments(cohortId: string, after: string | undefined, size: number): AsyncGenerator<{ rows: Candidate[]; last: string }>;
  /** Learners of a cohort at one of `hours` (null: the cohort's default) with an open enrolment, in learner order after `after`. */
  learnersAtHours(cohortId: string, hours: (number | null)[], after: string | undefined, size: number): AsyncGenerator<{ rows: Candidate[]; last: string }>;
  /** Enrolments of a cohort whose last activity is in [from, to), with their learners. */
  inactiveEnrolments(cohortId: string, from: Date, to: Date, size: number): AsyncGenerator<Candidate[]>;
}

export interface SweepState {
  after?: string;
  done: boolean;
  through?: Date;
}

/** Where each sweep got to, so a sweep cut short resumes there. */
export interface SweepStateStore {
  get(key: string): Promise<SweepState>;
  save(key: string, state: Partial<SweepState>, now: Date): Promise<void>;
}

export type ClaimResult = 'claimed' | 'already_sent';

/** One record per scheduled message: claimed by one job before sending, marked when done. */
export interface ScheduledSendLog {
  /** The same owner may claim again (its own retry); any other owner finds it taken. */
  claim(key: string, meta: { kind: string; learnerId: string; owner: string }, now: Date): Promise<ClaimResult>;
  finish(key: string, state: 'sent' | 'skipped', now: Date): Promise<void>;
}

export interface HeldMessage {
  id: string;
  messages: OutboundMessage[];
}

/** Unprompted messages a channel's budget (or its 429) refused, waiting for the learner's next reply. */
export interface HeldMessageStore {
  /** Holds the messages of job `sourceJob`; holding the same job again keeps one copy. */
  hold(entry: { conversation: ConversationId; messages: OutboundMessage[]; reason: SendReason; sourceJob: string; heldAt: Date }): Promise<void>;
  /** Everything held for a conversation, oldest first. */
  list(conversation: ConversationId): Promise<HeldMessage[]>;
  release(ids: string[]): Promise<void>;
  count(conversation?: ConversationId): Promise<number>;
}

/** The other conversations of the learner a conversation belongs to. */
export interface ConversationDirectory {
  /** The learner's conversations and those known to be unreachable; null for an unknown conversation. */
  linked(conversation: ConversationId): Promise<{ conversations: ConversationId[]; unreachable: ConversationId[] } | null>;
}
