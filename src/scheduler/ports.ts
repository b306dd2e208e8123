/**
 * What the scheduler needs from storage, in its own words; `src/storage/` implements these.
 * Nothing in the scheduler knows MongoDB.
 */
import type { OutboundMessage } from '../core/messages.js';
import type { Cohort, ConversationId, Enrolment } from '../core/model.js';
import type { SendReason } from './jobs.js';

/**
 * What a sweep needs of a learner, copied onto their enrolment in their current cohort whenever the
 * learner is saved (`learnerFacts`), so a sweep reads one collection and looks nothing else up.
 * Stale at worst by a conversation blocked or moved since: the send worker checks again.
 */
export interface LearnerFacts {
  id: string;
  stopped: boolean;
  consent?: boolean;
  onboarded: boolean;
  /** The hour the learner chose for the daily lesson; null: the cohort's. */
  lessonHour: number | null;
  /** The first conversation the learner can be reached on; null: none. */
  conversation: ConversationId | null;
}

/** A learner due a push, with their enrolment in the cohort being planned. */
export interface Candidate {
  learner: LearnerFacts;
  enrolment: Enrolment;
}

/** Unsorted streams of candidates in batches, never a whole cohort in memory. */
export interface ScheduleSource {
  /** Cohorts not yet closed at `now`. */
  activeCohorts(now: Date): Promise<Cohort[]>;
  /**
   * Every enrolment of a cohort (completed ones too: the planner filters), in the collection's
   * stored order, no sort: after the first `from` of them, in batches; `position` counts the
   * enrolments passed, so a sweep stopped there resumes with `from: position`.
   */
  enrolments(cohortId: string, from: number, size: number): AsyncGenerator<{ rows: Candidate[]; position: number }>;
  /** Enrolments of a cohort whose last activity is in [from, to), with their learners. */
  inactiveEnrolments(cohortId: string, from: Date, to: Date, size: number): AsyncGenerator<Candidate[]>;
}

export interface SweepState {
  /** Checkpoint of the earlier sorted sweeps (the last learner planned); no longer written. */
  after?: string;
  /** Enrolments of the cohort's stream already planned: the sweep resumes after them. */
  position?: number;
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

/** Removes records kept only for a while (the update log, the record of scheduled sends). */
export interface Pruner {
  /** Deletes what is past its retention at `now`, calling `between` after each batch; returns how many per collection. */
  prune(now: Date, between?: () => Promise<void>): Promise<Record<string, number>>;
}

/** A send job that failed for good (no retry left, or a refusal never retried), as the send worker saw it last. */
export interface OutboundFailure {
  /** `<queue>|<job id>`: one record per job, whatever the number of workers that saw it fail. */
  id: string;
  conversation: ConversationId;
  /** Known for pushes; otherwise the store finds it from the conversation. */
  learnerId?: string;
  reason: SendReason;
  /** The platform's answer as the shared taxonomy names it (`blocked`, `rejected`, `network`…), or `error`. */
  kind: string;
  error: string;
  attempts: number;
  /** The start of each message that did not go (what the learner missed). */
  previews: string[];
  failedAt: Date;
}

/** Where permanent send failures are kept for the admin's learner view (the BullMQ failed set expires and has no learner key). */
export interface OutboundFailureLog {
  record(f: OutboundFailure): Promise<void>;
}
