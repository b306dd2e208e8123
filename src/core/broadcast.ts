/**
 * Announcements: what an administrator composes (text per locale, a segment, when, how), what the
 * system counts for it, and the pure rules around it — who is in a segment, which conversation
 * gets it, what the learner sees, and whether a reply acknowledges it. No SDK, no storage here.
 */
import type { Locale } from './course.js';
import type { OutboundMessage } from './messages.js';
import { reachableConversations, type ChannelName, type ConversationId, type EnrolmentStatus, type QuietHours, type Role } from './model.js';
import { inQuietHours } from './schedule.js';
import type { Translator } from './ports.js';

export const BROADCAST_STATES = ['scheduled', 'sending', 'paused', 'cancelled', 'done'] as const;
export type BroadcastState = (typeof BROADCAST_STATES)[number];

/** Who a broadcast reaches: every field narrows; none at all is everyone. */
export interface Segment {
  cohort?: string;
  province?: string;
  commune?: string;
  role?: Role;
  status?: EnrolmentStatus;
  channel?: ChannelName;
  /** No activity for at least this many days. */
  inactiveDays?: number;
}

/** What happened to one recipient (the delivery record's state). */
export const OUTCOMES = ['sent', 'failed', 'blocked', 'held', 'rerouted', 'cancelled'] as const;
export type Outcome = (typeof OUTCOMES)[number];

export interface BroadcastCounts {
  targeted: number;
  /** Planned, not yet sent, held, failed or cancelled. */
  queued: number;
  sent: number;
  failed: number;
  /** Failures by reason (`network`, `rejected`, …). */
  failedReasons: Record<string, number>;
  /** Blocked or unreachable with no other channel. */
  blocked: number;
  /** Over the Zalo unprompted budget with no other channel: delivered with the learner's next reply. */
  held: number;
  /** Sent on the learner's other channel (budget, block or unreachable). */
  rerouted: number;
  cancelled: number;
  acknowledged: number;
  /** Reminders sent to those who had not acknowledged (`remindAfter`). */
  reminded: number;
}

export interface Broadcast {
  id: string;
  text: { vi: string } & Partial<Record<Locale, string>>;
  image?: string;
  segment: Segment;
  /** When sending may start. */
  sendAt: Date;
  /** Quiet hours applied (null: none). */
  quietHours: QuietHours | null;
  ack: boolean;
  /** ISO-8601 duration after which those who have not acknowledged are reminded once. */
  remindAfter?: string;
  /** Who sent it: the admin account id and name; the scope's province for province accounts. */
  createdBy: { id: string; name: string; province?: string };
  createdAt: Date;
  state: BroadcastState;
}

/** The default quiet hours of announcements: 21:00–07:00, as the cohorts'. */
export const DEFAULT_QUIET_HOURS: QuietHours = { start: 21 * 60, end: 7 * 60 };

/** What a segment is matched against: a learner's profile, reachability and their current enrolment. */
export interface Recipient {
  learnerId: string;
  cohortId: string;
  locale: Locale;
  province?: string;
  commune?: string;
  role?: string;
  stopped: boolean;
  conversations: ConversationId[];
  unreachable: ConversationId[];
  /** The enrolment in the learner's current cohort; undefined when the segment needed none or there is none. */
  status?: EnrolmentStatus;
  lastActivityAt?: Date;
}

/**
 * Whether the segment needs the learner's enrolment (status or inactivity): false, or which
 * learners need it read (those the rest of the segment keeps), so the others cost no lookup.
 */
export function needsEnrolment(s: Segment, now = new Date()): false | ((r: Recipient) => boolean) {
  if (s.status === undefined && s.inactiveDays === undefined) return false;
  const rest: Segment = { ...s, status: undefined, inactiveDays: undefined };
  return (r) => inSegment(r, rest, now);
}

const same = (a: string | undefined, b: string) => (a ?? '').normalize('NFC') === b.normalize('NFC');

/** Is this learner in the segment (reachability aside)? Learners who asked for no messages (/dung) never are. */
export function inSegment(r: Recipient, s: Segment, now: Date): boolean {
  if (r.stopped) return false;
  if (s.cohort !== undefined && r.cohortId !== s.cohort) return false;
  if (s.province !== undefined && !same(r.province, s.province)) return false;
  if (s.commune !== undefined && !same(r.commune, s.commune)) return false;
  if (s.role !== undefined && r.role !== s.role) return false;
  if (s.status !== undefined && r.status !== s.status) return false;
  if (s.inactiveDays !== undefined) {
    if (!r.lastActivityAt || now.getTime() - r.lastActivityAt.getTime() < s.inactiveDays * 86_400_000) return false;
  }
  if (s.channel !== undefined && !r.conversations.some((c) => c.startsWith(`${s.channel}:`))) return false;
  return true;
}

/**
 * The conversation a recipient gets it on: their preferred one (the first they joined) when it is
 * reachable, else their other reachable one (`rerouted`); a channel segment keeps to that channel.
 * Only channels this deployment sends on count. null: unreachable.
 */
export function pickConversation(
  r: Pick<Recipient, 'conversations' | 'unreachable'>,
  s: Segment,
  channels: readonly ChannelName[],
): { conversation: ConversationId; rerouted: boolean } | null {
  const usable = (c: ConversationId) => channels.some((ch) => c.startsWith(`${ch}:`)) && (s.channel === undefined || c.startsWith(`${s.channel}:`));
  const preferred = r.conversations.find(usable);
  if (!preferred) return null;
  const reachable = reachableConversations(r).filter(usable);
  if (reachable.includes(preferred)) return { conversation: preferred, rerouted: false };
  return reachable[0] ? { conversation: reachable[0], rerouted: true } : null;
}

/** Is now inside the broadcast's quiet hours? */
export function quietNow(b: Pick<Broadcast, 'quietHours'>, now: Date, tz: string): boolean {
  return inQuietHours(now, b.quietHours, tz);
}

/** The button (or numbered line) value of an acknowledgement: `ack:<broadcast>` (short enough for Telegram's 64 bytes). */
export const ackValue = (broadcastId: string) => `ack:${broadcastId}`;

/** The message a learner gets, in their locale (Vietnamese when the text has no such version). */
export function broadcastMessage(b: Pick<Broadcast, 'id' | 'text' | 'image' | 'ack'>, locale: Locale, i18n: Translator, reminder = false): OutboundMessage {
  const body = b.text[locale] ?? b.text.vi;
  const text = reminder ? `${i18n.t(locale, 'broadcast.reminder')}\n\n${body}` : body;
  return {
    text,
    ...(b.image ? { image: b.image } : {}),
    ...(b.ack ? { choices: [{ label: i18n.t(locale, 'broadcast.ackButton'), value: ackValue(b.id) }], hint: i18n.t(locale, 'broadcast.ackHint') } : {}),
  };
}

/**
 * What a reply acknowledges: the broadcast named by a button value, `pending` for a typed `1` or
 * "đã đọc" (with or without diacritics), null for anything else (it goes to the tutor).
 */
export function parseAck(text: string): { broadcastId: string } | 'pending' | null {
  const t = text.trim().normalize('NFC');
  const button = /^ack:([A-Za-z0-9_-]{1,40})$/.exec(t);
  if (button) return { broadcastId: button[1]! };
  const plain = t
    .toLowerCase()
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/đ/g, 'd')
    .replace(/[✅.!\s]+/g, ' ')
    .trim();
  return plain === '1' || plain === 'da doc' || plain === 'read' ? 'pending' : null;
}

export function emptyCounts(): BroadcastCounts {
  return { targeted: 0, queued: 0, sent: 0, failed: 0, failedReasons: {}, blocked: 0, held: 0, rerouted: 0, cancelled: 0, acknowledged: 0, reminded: 0 };
}

/**
 * Counts from raw tallies: `targeted` and `unreachable` from planning, the outcomes from sending.
 * `rerouted` is not final (a rerouted message is then sent, held or failed), so it is not taken from queued.
 */
export function countsFrom(t: Record<string, number>): BroadcastCounts {
  const c = emptyCounts();
  const n = (k: string) => Math.max(0, Math.floor(t[k] ?? 0));
  c.targeted = n('targeted');
  c.sent = n('sent');
  c.held = n('held');
  c.rerouted = n('rerouted') + n('reroutedAtPlan');
  c.cancelled = n('cancelled');
  c.acknowledged = n('acknowledged');
  c.reminded = n('reminded');
  c.blocked = n('blocked') + n('unreachable');
  for (const k of Object.keys(t)) if (k.startsWith('failed:')) c.failedReasons[k.slice(7)] = n(k);
  c.failed = Object.values(c.failedReasons).reduce((a, b) => a + b, 0);
  c.queued = Math.max(0, c.targeted - c.sent - c.held - c.cancelled - c.blocked - c.failed);
  return c;
}

/** True when every targeted recipient has a final outcome. */
export function finished(c: BroadcastCounts): boolean {
  return c.queued === 0;
}
