/**
 * Starting with an invite code from a roster import: `/start CODE` (Telegram's deep link), or the
 * code typed as a first message (Zalo, console). The profile and cohort come from the invitation
 * and the learner is only asked to confirm them ("Bạn là …? 1. Đúng 2. Sửa thông tin"). A code
 * is used by one learner: claimed by a unique insert, so a second person gets a clear sentence
 * and the usual onboarding.
 */
import type { InboundEvent, OutboundMessage } from './messages.js';
import type { ConversationId, Learner, Role } from './model.js';
import type { ParsedCommand } from './parse.js';
import type { Session } from './session.js';

/** No 0/O, 1/I/L, U: read off paper and typed on a phone. */
export const INVITE_ALPHABET = 'ABCDEFGHJKMNPQRSTVWXYZ23456789';
export const INVITE_CODE_LENGTH = 8;

/** An invitation as the roster import stored it: who the person is and the cohort they join. */
/** An official as the roster lists them: what an invitation pre-fills, and what re-imports are matched by. */
export interface InvitationProfile {
  fullName: string;
  role: Role;
  province: string;
  /** Where the cohort still uses districts (the 2022 cohort); optional. */
  district?: string;
  commune: string;
  phone?: string;
  email?: string;
  externalId?: string;
}

export interface Invitation {
  code: string;
  cohortId: string;
  profile: InvitationProfile;
}

export interface InvitationStore {
  /** The invitation with this code (normalised), or null. */
  find(code: string): Promise<Invitation | null>;
  /**
   * Claims the code for a conversation (and its learner, when there is one already): 'claimed'
   * for the first claimant and again for the same one (a retried update), 'taken' for anyone else.
   */
  claim(code: string, by: { conversation: ConversationId; learnerId?: string }, at: Date): Promise<'claimed' | 'taken'>;
  /** Records which learner used the code (idempotent). */
  markUsed(code: string, learnerId: string, at: Date): Promise<void>;
}

/** "abcd-2345", "ABCD 2345" → "ABCD2345"; null when it cannot be an invite code (it has a digit and a letter). */
export function normalizeInviteCode(text: string): string | null {
  const code = text.trim().toUpperCase().replace(/[\s-]/g, '');
  if (!new RegExp(`^[${INVITE_ALPHABET}]{${INVITE_CODE_LENGTH}}$`).test(code)) return null;
  return /\d/.test(code) && /[A-Z]/.test(code) ? code : null;
}

export type InviteOutcome = { kind: 'none' } | { kind: 'unknown' } | { kind: 'taken' } | { kind: 'accepted'; invitation: Invitation };

/**
 * The invite code this event brings, if any: a `/start` payload, or, before the learner finished
 * onboarding, a message that is nothing but a code.
 */
function codeIn(event: InboundEvent, command: ParsedCommand | null, learner: Learner | null): string | null {
  if (command?.name === 'start') return command.payload ? normalizeInviteCode(command.payload) : null;
  if (command || event.kind !== 'text' || (learner && learner.onboarded)) return null;
  return normalizeInviteCode(event.text);
}

/**
 * Looks up and claims the code the event brings. A learner who already learns in a cohort of
 * their own keeps it: only a new conversation, a learner still onboarding, or one in the default
 * cohort takes an invitation.
 */
export async function takeInvite(
  deps: { invitations?: InvitationStore; defaultCohort: string; clock: { now(): Date } },
  event: InboundEvent,
  command: ParsedCommand | null,
  learner: Learner | null,
): Promise<InviteOutcome> {
  const store = deps.invitations;
  const code = store ? codeIn(event, command, learner) : null;
  if (!store || !code || learner?.inviteCode === code) return { kind: 'none' };
  if (learner && learner.onboarded && learner.cohortId !== deps.defaultCohort) return { kind: 'none' };
  const invitation = await store.find(code);
  if (!invitation) return { kind: 'unknown' };
  const claim = await store.claim(code, { conversation: event.conversation, ...(learner ? { learnerId: learner.id } : {}) }, deps.clock.now());
  return claim === 'taken' ? { kind: 'taken' } : { kind: 'accepted', invitation };
}

/** The learner as the invitation describes them: profile, cohort and code; only the confirmation is left to ask. */
export function applyInvite(learner: Pick<Learner, 'profile' | 'cohortId' | 'inviteCode' | 'onboarded' | 'prompt'>, invitation: Invitation): void {
  const { fullName, role, province, district, commune, phone } = invitation.profile;
  learner.profile = { fullName, role, province, ...(district ? { district } : {}), commune, ...(phone ? { phone } : {}) };
  learner.cohortId = invitation.cohortId;
  learner.inviteCode = invitation.code;
  learner.onboarded = false;
  learner.prompt = 'invite_confirm';
}

/** "Chủ tịch UBND xã" + "Xã Nghi Lộc" → "Chủ tịch UBND xã Nghi Lộc"; "… xã" + "Phường Hà Đông" → "… phường Hà Đông". */
export function roleAt(roleLabel: string, commune: string): string {
  if (!commune) return roleLabel;
  const kind = /^(xã|phường|thị trấn|đặc khu)\s+(.+)$/iu.exec(commune);
  if (/ xã$/u.test(roleLabel)) {
    return kind ? `${roleLabel.slice(0, -2)}${kind[1]!.toLowerCase()} ${kind[2]}` : `${roleLabel} ${commune}`;
  }
  return `${roleLabel}, ${commune}`;
}

/** "Bạn là Nguyễn Văn An, Chủ tịch UBND xã Nghi Lộc, Nghệ An?" with 1. Đúng / 2. Sửa thông tin. */
export function inviteConfirmMessage(s: Session): OutboundMessage {
  const p = s.learner.profile;
  const role = p.role ? s.t(`role.${p.role}`) : '';
  return {
    text: s.t('roster.invite.confirm', { name: p.fullName ?? '', who: roleAt(role, p.commune ?? ''), province: p.province ?? '' }),
    choices: [
      { label: s.t('roster.invite.yes'), value: 'invite:yes' },
      { label: s.t('roster.invite.edit'), value: 'invite:edit' },
    ],
    hint: s.t('hint.number'),
  };
}

/**
 * The answer to the confirmation: "Đúng" keeps the profile; "Sửa" shows what the roster said and
 * clears it, so the usual questions follow (the phone is kept).
 */
export function answerInviteConfirm(s: Session, value: string | undefined): 'accepted' | 'rejected' {
  if (value === 'invite:yes') return 'accepted';
  if (value !== 'invite:edit') {
    s.say(s.t('invalid.choice'));
    return 'rejected';
  }
  const p = s.learner.profile;
  s.say(s.t('roster.invite.editing', { name: p.fullName ?? '', role: p.role ? s.t(`role.${p.role}`) : '', commune: p.commune ?? '', province: p.province ?? '' }));
  s.learner.profile = p.phone ? { phone: p.phone } : {};
  return 'accepted';
}

/** What a learner hears when their first message brought a code: the welcome and the confirmation, or why the code was not taken. */
export function greetInvite(s: Session, outcome: InviteOutcome): boolean {
  if (outcome.kind === 'unknown' || outcome.kind === 'taken') {
    s.say(s.t(outcome.kind === 'unknown' ? 'roster.invite.unknown' : 'roster.invite.taken'));
    return false;
  }
  if (outcome.kind !== 'accepted') return false;
  s.say(s.t('onboarding.welcomeInvited', { name: s.learner.profile.fullName ?? '' }));
  s.say(inviteConfirmMessage(s));
  return true;
}
