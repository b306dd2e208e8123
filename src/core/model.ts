/** The records the tutor keeps, in its own words (no storage or SDK types). */
import type { Locale } from './course.js';

export type ChannelName = 'telegram' | 'zalo' | 'console';
export const CHANNELS: readonly ChannelName[] = ['telegram', 'zalo', 'console'];

/** `telegram:<chatId>`, `zalo:<userId>`, `console:<n>`. */
export type ConversationId = `${ChannelName}:${string}`;

export function conversationId(channel: ChannelName, address: string): ConversationId {
  return `${channel}:${address}`;
}

export function channelOf(id: ConversationId): ChannelName {
  return id.slice(0, id.indexOf(':')) as ChannelName;
}

export type Role = 'chair' | 'vice_chair' | 'core_staff' | 'other';
export const ROLES: readonly Role[] = ['chair', 'vice_chair', 'core_staff', 'other'];

export interface Profile {
  fullName?: string;
  role?: Role;
  province?: string;
  district?: string;
  commune?: string;
  phone?: string;
}

/** What the learner's next free-text line answers, when it answers a question of ours. */
export type Prompt =
  | 'language'
  | 'fullName'
  | 'role'
  | 'province'
  | 'district'
  | 'commune'
  | 'consent'
  | 'hour'
  | 'feedback'
  | 'final_confirm'
  /** A review question of the current round (core/review-flow.ts). */
  | 'review'
  /** "5 questions to review before the test?": offered, not forced. */
  | 'review_offer'
  /** "Bạn là …?": the profile an invite code brought, to confirm or correct (core/invites.ts). */
  | 'invite_confirm';

export interface Learner {
  id: string;
  conversations: ConversationId[];
  /** Conversations that refused our messages (blocked the bot): kept, never sent to. */
  unreachable: ConversationId[];
  profile: Profile;
  locale: Locale;
  cohortId: string;
  inviteCode?: string;
  consent?: boolean;
  lessonHour?: number;
  /** The learner asked for no scheduled messages (/dung). */
  stopped: boolean;
  onboarded: boolean;
  prompt?: Prompt;
  createdAt: Date;
  version: number;
}

/** The learner's conversations not known to be unreachable, in the order they were joined. */
export function reachableConversations(l: Pick<Learner, 'conversations' | 'unreachable'>): ConversationId[] {
  return l.conversations.filter((c) => !l.unreachable.includes(c));
}

export type EnrolmentStatus = 'not_started' | 'in_progress' | 'completed' | 'certified';

/** Where the learner stands in the course. */
export type Cursor =
  /**
   * At rest. `rating` names the course's last topic while its 1–5 rating is offered, between its
   * last lesson and the course end (other topics offer theirs until the next topic opens).
   */
  | { at: 'idle'; rating?: string }
  | { at: 'card'; lessonId: string }
  | { at: 'question'; lessonId: string; questionId: string }
  | { at: 'final'; attempt: number; index: number };

export interface FinalAttempt {
  n: number;
  questionIds: string[];
  /**
   * The order the options of each question are shown in, as digits: `orders[i] = '2013'` shows
   * option 2 of the content file as A, 0 as B… (a string, as FerretDB stores no nested arrays).
   * Drawn with the questions; attempts stored before it existed show the content order.
   */
  orders?: string[];
  correct: number;
  answered: number;
  startedAt: Date;
  finishedAt?: Date;
  /** Each answered question's result in order, `'1'` right and `'0'` wrong (a string: no nested arrays). */
  results?: string;
  scorePercent?: number;
  passed?: boolean;
}

export interface Enrolment {
  id: string;
  learnerId: string;
  cohortId: string;
  courseId: string;
  status: EnrolmentStatus;
  cursor: Cursor;
  completedLessons: string[];
  /** Check-question results by question id: true when answered correctly. */
  checkResults: Record<string, boolean>;
  finalAttempts: FinalAttempt[];
  lastActivityAt: Date;
  /** The earliest due review item (a copy kept with the deck), read by the daily-lesson sweep; unset when none is due. */
  reviewDueAt?: Date;
  version: number;
}

export interface QuietHours {
  /** Minutes after local midnight. */
  start: number;
  end: number;
}

export interface Cohort {
  id: string;
  courseId: string;
  title?: string;
  opensAt: Date;
  closesAt: Date;
  /** ISO-8601 durations before closing, e.g. P7D, PT3H. */
  reminders: string[];
  quietHours: QuietHours | null;
  lessonHour: number;
  usesDistrict: boolean;
  /** Name of the province list in content/provinces.yaml. */
  provinceList: string;
}

export type AnswerContext = 'lesson' | 'final' | 'review';

/** Append-only: never updated or deleted. */
export interface Answer {
  learnerId: string;
  cohortId: string;
  questionId: string;
  chosenIndex: number;
  correct: boolean;
  context: AnswerContext;
  /** The final-test attempt, or the review's number for that item (`review`). */
  attempt?: number;
  channel: ChannelName;
  /** The channel's update or message id; unique per channel. */
  updateId: string;
  at: Date;
}
