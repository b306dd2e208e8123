/**
 * What is offered now: the message whose choices the learner is answering, derived from the
 * learner's state alone (open prompt, course cursor, enrolment). Input is resolved against it
 * before anything else, and it is what a reply to input we do not understand shows again, so
 * every choice the bot lists is accepted by its number, letter or words, and the learner can
 * always go on.
 */
import type { Choice, OutboundMessage } from './messages.js';
import { promptMessage } from './onboarding.js';
import { currentStep } from './learning.js';
import { finalQuestionMessage } from './final-test.js';
import { restingMessage } from './resting.js';
import { NEXT_WORDS, resolveChoice, words } from './parse.js';
import { reviewPromptMessage } from './review-flow.js';
import type { Session } from './session.js';

/** The message the learner is answering now; undefined only when the course window is shut. */
export function currentOffer(s: Session): OutboundMessage | undefined {
  const l = s.learner;
  if (l.onboarded && (l.prompt === 'review' || l.prompt === 'review_offer')) return reviewPromptMessage(s);
  if (!l.onboarded || l.prompt) return promptMessage(s, l.prompt ?? 'language');
  if (s.windowState() !== 'open') return undefined;
  const e = s.enrolment;
  if (e?.cursor.at === 'final') return finalQuestionMessage(s, e);
  return (e && currentStep(s, e)) ?? restingMessage(s, e);
}

/** Words that choose a choice beyond its own label, by the choice's value. */
const SYNONYMS: Record<string, readonly string[]> = {
  next: [...NEXT_WORDS],
  exam: ['kiem tra', 'bai kiem tra', 'lam bai', 'lam bai kiem tra', 'lam lai', 'thi', 'exam', 'test', 'final test', 'retry'],
  'final:start': ['bat dau', 'lam bai', 'san sang', 'start', 'begin', 'ready', 'ok', 'co'],
  'final:later': ['de sau', 'sau', 'chua', 'later', 'not now'],
  'consent:yes': ['co', 'dong y', 'yes', 'ok', 'agree', 'u', 'vang'],
  'consent:no': ['khong', 'khong dong y', 'no'],
  'invite:yes': ['dung', 'dung roi', 'phai', 'co', 'vang', 'yes', 'ok', 'correct', 'right'],
  'invite:edit': ['sua', 'sai', 'chua dung', 'khong', 'khong dung', 'no', 'edit', 'wrong'],
  progress: ['tien do', 'xem tien do', 'progress'],
  certificate: ['chung nhan', 'certificate'],
  review: ['on lai', 'on tap', 'review'],
  'review:yes': ['co', 'on', 'on tap', 'on lai', 'dong y', 'yes', 'ok', 'review'],
  'review:skip': ['khong', 'de sau', 'sau', 'thi luon', 'vao thi', 'no', 'skip', 'later'],
};

/**
 * The offered choice the input names: a button's value, its number, its letter, its words with or
 * without diacritics, or a usual synonym ("tiếp tục" for any "next").
 */
export function resolveOffer(offer: OutboundMessage | undefined, input: string): Choice | undefined {
  const choices = offer?.choices ?? [];
  if (choices.length === 0) return undefined;
  const found = resolveChoice(input, choices);
  if (found) return found;
  const w = words(input);
  const bySynonym = choices.filter((c) => SYNONYMS[c.value]?.includes(w));
  return bySynonym.length === 1 ? bySynonym[0] : undefined;
}
