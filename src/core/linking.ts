/**
 * One learner on two channels: `/lienket` gives a short code on one conversation; `/lienket CODE`
 * on another joins that conversation to the same learner. A conversation that already has its
 * own learning progress is never moved (that progress would be orphaned): the learner is told to
 * link the other way round. One with a record but no progress (say, half-way through onboarding)
 * is moved; its record stays in the database, detached.
 */
import type { Locale } from './course.js';
import type { InboundEvent } from './messages.js';
import type { Learner } from './model.js';
import type { TutorDeps } from './ports.js';

/** No 0/O, 1/I: codes are read off one phone and typed on another. */
const ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
export const LINK_CODE_LENGTH = 6;
export const LINK_CODE_MINUTES = 30;

export async function issueLinkCode(deps: TutorDeps, learnerId: string): Promise<string> {
  const now = deps.clock.now();
  const expiresAt = new Date(now.getTime() + LINK_CODE_MINUTES * 60_000);
  for (let attempt = 0; attempt < 8; attempt++) {
    let code = '';
    for (let i = 0; i < LINK_CODE_LENGTH; i++) code += ALPHABET[Math.floor(deps.random.next() * ALPHABET.length)];
    if (await deps.links.issue(code, learnerId, expiresAt, now)) return code;
  }
  throw new Error('could not find a free link code');
}

/** "abc 234", "ABC-234" → "ABC234"; null when it cannot be a code. */
export function normalizeLinkCode(text: string): string | null {
  const code = text.toUpperCase().replace(/[\s-]/g, '');
  return new RegExp(`^[${ALPHABET}]{${LINK_CODE_LENGTH}}$`).test(code) ? code : null;
}

export type LinkOutcome = { kind: 'linked'; learner: Learner } | { kind: 'refused'; key: string; locale: Locale };

async function hasProgress(deps: TutorDeps, learner: Learner): Promise<boolean> {
  const e = await deps.enrolments.find(learner.id, learner.cohortId);
  return Boolean(e && (e.completedLessons.length > 0 || Object.keys(e.checkResults).length > 0 || e.finalAttempts.length > 0));
}

/** Joins the event's conversation to the learner who issued `payload`, when allowed. */
export async function redeemLinkCode(deps: TutorDeps, event: InboundEvent, current: Learner | null, payload: string): Promise<LinkOutcome> {
  const lang = event.sender?.languageCode?.slice(0, 2);
  const locale: Locale = current?.locale ?? (lang === 'vi' || lang === 'en' ? lang : deps.defaultLocale);
  const refuse = (key: string): LinkOutcome => ({ kind: 'refused', key, locale });

  const code = normalizeLinkCode(payload);
  const record = code ? await deps.links.find(code) : null;
  if (!code || !record || record.expiresAt.getTime() <= deps.clock.now().getTime()) return refuse('link.invalid');
  if (record.learnerId === current?.id) return refuse('link.already');
  if (current && (await hasProgress(deps, current))) return refuse('link.hasProgress');
  const target = await deps.learners.findById(record.learnerId);
  if (!target) return refuse('link.invalid');
  if (!(await deps.links.consume(code))) return refuse('link.invalid');

  const joined = current
    ? await deps.learners.move(event.conversation, current.id, target.id)
    : await deps.learners.attach(target.id, event.conversation);
  if (!joined) return refuse('link.invalid');
  const fresh = (await deps.learners.findById(target.id)) ?? target;
  if (!fresh.conversations.includes(event.conversation)) fresh.conversations.push(event.conversation);
  fresh.unreachable = fresh.unreachable.filter((c) => c !== event.conversation);
  await deps.reachability.markReachable(event.conversation);
  return { kind: 'linked', learner: fresh };
}
