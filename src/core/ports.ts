/** What the tutor needs from the world, in its own words. Adapters implement these. */
import type { Course, Locale } from './course.js';
import type { OutboundMessage } from './messages.js';
import type { Answer, Cohort, ConversationId, Enrolment, Learner } from './model.js';
import type { CertificateStore } from './certificates.js';
import type { MemoryCard, ReviewDeck } from './review.js';
import type { InvitationStore } from './invites.js';

export interface Clock {
  now(): Date;
}

export interface Random {
  /** A number in [0, 1). */
  next(): number;
}

export interface Translator {
  t(locale: Locale, key: string, vars?: Record<string, unknown>): string;
}

/** Raised by a store when two processes registered one conversation at once; the caller tries again. */
export class ConcurrentUpdateError extends Error {
  override readonly name = 'ConcurrentUpdateError';
}

export interface LearnerStore {
  findByConversation(id: ConversationId): Promise<Learner | null>;
  findById(id: string): Promise<Learner | null>;
  findByInviteCode(code: string): Promise<Learner | null>;
  /** Creates the learner, or returns the one another process created first for that conversation. */
  create(learner: Omit<Learner, 'id' | 'version'>): Promise<Learner>;
  /** Joins a conversation to a learner; false when the conversation already belongs to another learner. */
  attach(learnerId: string, conversation: ConversationId): Promise<boolean>;
  /** The id of the learner a conversation belongs to (one look-up by `_id`), or null. */
  learnerIdOf(conversation: ConversationId): Promise<string | null>;
  /**
   * Writes the learner by `_id` as given, with `version + 1`. The caller holds the learner's
   * lease (Leases), so nothing else writes it meanwhile.
   */
  save(learner: Learner): Promise<Learner>;
  /** Moves a conversation from one learner to another; false when it no longer belongs to `from`. */
  move(conversation: ConversationId, from: string, to: string): Promise<boolean>;
}

/** Short-lived codes that join a second conversation to a learner (/lienket). */
export interface LinkCodeStore {
  /** Stores a code for the learner, replacing their earlier ones; false when the code is taken. */
  issue(code: string, learnerId: string, expiresAt: Date, now: Date): Promise<boolean>;
  find(code: string): Promise<{ learnerId: string; expiresAt: Date } | null>;
  /** Uses the code up; true for exactly one caller. */
  consume(code: string): Promise<boolean>;
}

export interface EnrolmentStore {
  find(learnerId: string, cohortId: string): Promise<Enrolment | null>;
  /** Creates the enrolment, or returns the existing one (unique per learner and cohort). */
  ensure(init: Omit<Enrolment, 'id' | 'version'>): Promise<Enrolment>;
  /** Writes the enrolment by `_id` as given, with `version + 1`; the caller holds the learner's lease. */
  save(enrolment: Enrolment): Promise<Enrolment>;
}

export type RecordResult = 'recorded' | 'duplicate';

export interface AnswerStore {
  /**
   * Appends an answer. 'duplicate' when this update was already recorded, or the
   * same question slot was already answered by another update.
   */
  record(answer: Answer): Promise<RecordResult>;
  listByLearner(learnerId: string, cohortId: string): Promise<Answer[]>;
}

export interface CohortStore {
  get(id: string): Promise<Cohort | null>;
}

/** A learner's 1–5 rating of a topic ("was it useful for your work?"), offered at the topic's end, skippable. */
export interface TopicRating {
  learnerId: string;
  cohortId: string;
  courseId: string;
  topicId: string;
  rating: 1 | 2 | 3 | 4 | 5;
  province?: string;
  at: Date;
}

/** One rating per learner, cohort and topic: rating again replaces it. */
export interface TopicRatingStore {
  rate(r: TopicRating): Promise<void>;
}

export interface FeedbackStore {
  add(entry: { learnerId: string; text: string; channel: string; at: Date }): Promise<void>;
}

/** Each learner's review items in a cohort: one deck per learner and cohort, read and written by its key. */
export interface ReviewStore {
  /** The deck, or null when the learner has no review item yet. */
  find(learnerId: string, cohortId: string): Promise<ReviewDeck | null>;
  /** Writes the deck by its key as given (creating it), with `version + 1`; the caller holds the learner's lease. */
  save(deck: ReviewDeck): Promise<ReviewDeck>;
}

/**
 * The memory model that says how well an item is remembered and when to see it again: FSRS
 * (`ts-fsrs`) behind an adapter (src/memory/fsrs.ts), so the core keeps its own words.
 */
export interface MemoryModel {
  /** The card after the learner answered at `at` (`null`: the first time the item is met). */
  grade(card: MemoryCard | null, at: Date, recalled: boolean): MemoryCard;
  /** The probability the item is recalled at `at`. */
  recall(card: MemoryCard, at: Date): number;
}

export interface CourseCatalog {
  get(courseId: string): Course | undefined;
  provinces(list: string): readonly string[];
  /** The former names learners still type for places of `list` → the province of the list each is part of now. */
  formerProvinces(list: string): ReadonlyMap<string, string>;
}

export interface TutorDeps {
  updates: UpdateLog;
  learners: LearnerStore;
  enrolments: EnrolmentStore;
  answers: AnswerStore;
  cohorts: CohortStore;
  feedback: FeedbackStore;
  /** Topic ratings; when absent, the end of a topic offers none. */
  ratings?: TopicRatingStore;
  links: LinkCodeStore;
  certificates: CertificateStore;
  reachability: Reachability;
  leases: Leases;
  catalog: CourseCatalog;
  reviews: ReviewStore;
  /** Roster invitations (`/start CODE`, or the code as a first message); without it codes are not looked up. */
  invitations?: InvitationStore;
  memory: MemoryModel;
  clock: Clock;
  random: Random;
  i18n: Translator;
  defaultLocale: Locale;
  defaultCohort: string;
  timezone: string;
}

/** What handling one update decided: the reply, and the records as they are to be saved (absent: unchanged). */
export interface HandledUpdate {
  reply: OutboundMessage[];
  learner?: Learner;
  enrolment?: Enrolment;
  /** The learner's review deck, when the update changed it. */
  review?: ReviewDeck;
}

/**
 * The decision of each inbound update, written in one step before any of it is applied, so that
 * a handling cut short (a crash, a killed worker) is finished by the next attempt with the same
 * reply, and a redelivered update is answered once.
 */
export interface UpdateLog {
  /** What an earlier handling of this update decided, and whether its reply went out; null when none got that far. */
  find(key: string): Promise<(HandledUpdate & { done: boolean }) | null>;
  /** Records the decision and returns it (the same object); when another handling of the same update recorded first, theirs is returned and stands. */
  record(key: string, handled: HandledUpdate, at: Date): Promise<HandledUpdate>;
  /** The decision is saved and its reply queued: a redelivery gets nothing, and the reply and records' copies can go. */
  done(key: string): Promise<void>;
}

/**
 * Whether a conversation can be sent to: the platform tells us when a learner blocks the bot,
 * and the learner tells us they are back by writing /start. The one place this is decided.
 */
export interface Reachability {
  /** The platform refused to deliver there (blocked, left): unprompted messages stop. */
  markBlocked(conversation: ConversationId, at: Date): Promise<void>;
  /** The learner wrote /start (or linked it) there: send there again. */
  markReachable(conversation: ConversationId): Promise<void>;
  /** When the conversation was found blocked; null while it is reachable. */
  blockedSince(conversation: ConversationId): Promise<Date | null>;
}

/**
 * Serialises work on one key (a learner) across processes: `run` waits for the key, runs
 * `work`, and frees it. What runs inside may read, decide and write by `_id` without racing.
 */
export interface Leases {
  run<T>(key: string, work: () => Promise<T>): Promise<T>;
}
