/** First contact: language → profile questions not yet known → consent → preferred hour. */
import { LOCALES, type Locale } from './course.js';
import type { Choice, OutboundMessage } from './messages.js';
import { ROLES, type Prompt, type Role } from './model.js';
import { cleanText, fold, isGarbled, resolveChoice } from './parse.js';
import type { Session } from './session.js';
import { answerInviteConfirm, inviteConfirmMessage } from './invites.js';

export const HOUR_CHOICES = [6, 7, 8, 12, 17, 19, 20] as const;

/** Each language offered under its own name, whatever the learner's current locale. */
export function languageChoices(s: Session): Choice[] {
  return LOCALES.map((l) => ({ label: s.deps.i18n.t(l, 'language.name'), value: `lang:${l}` }));
}

function roleChoices(s: Session): Choice[] {
  return ROLES.map((r) => ({ label: s.t(`role.${r}`), value: `role:${r}` }));
}

function consentChoices(s: Session): Choice[] {
  return [
    { label: s.t('onboarding.consentYes'), value: 'consent:yes' },
    { label: s.t('onboarding.consentNo'), value: 'consent:no' },
  ];
}

export function hourChoices(): Choice[] {
  return HOUR_CHOICES.map((h) => ({ label: `${String(h).padStart(2, '0')}:00`, value: `hour:${h}` }));
}

/** The choices a prompt offers; empty for free-text prompts. */
export function promptChoices(s: Session, prompt: Prompt): Choice[] {
  switch (prompt) {
    case 'language':
      return languageChoices(s);
    case 'role':
      return roleChoices(s);
    case 'consent':
      return consentChoices(s);
    case 'hour':
      return hourChoices();
    case 'invite_confirm':
      return inviteConfirmMessage(s).choices ?? [];
    case 'final_confirm':
      return [
        { label: s.t('final.startButton'), value: 'final:start' },
        { label: s.t('final.laterButton'), value: 'final:later' },
      ];
    default:
      return [];
  }
}

export function promptMessage(s: Session, prompt: Prompt): OutboundMessage {
  if (prompt === 'invite_confirm') return inviteConfirmMessage(s);
  const choices = promptChoices(s, prompt);
  const key = prompt === 'district' && s.cohort.usesDistrict ? 'district' : prompt;
  const text = prompt === 'final_confirm' ? finalConfirmText(s) : s.t(`prompt.${key}`);
  return choices.length > 0 ? { text, choices, hint: s.t('hint.number') } : { text };
}

function finalConfirmText(s: Session): string {
  const rules = s.course.final;
  const used = s.enrolment?.finalAttempts.filter((a) => a.finishedAt).length ?? 0;
  return s.t('final.rules', {
    count: rules.questions,
    pass: rules.passPercent,
    attempt: used + 1,
    attempts: rules.attempts,
  });
}

/** The next thing onboarding still needs to ask, or undefined when the learner is ready to learn. */
export function nextOnboardingPrompt(s: Session, askedLanguage: boolean): Prompt | undefined {
  const l = s.learner;
  if (!askedLanguage) return 'language';
  if (!l.profile.fullName) return 'fullName';
  if (!l.profile.role) return 'role';
  if (!l.profile.province) return 'province';
  if (s.cohort.usesDistrict && !l.profile.district) return 'district';
  if (!l.profile.commune) return 'commune';
  if (l.consent === undefined) return 'consent';
  if (l.lessonHour === undefined) return 'hour';
  return undefined;
}

export type PromptOutcome = 'accepted' | 'rejected';

/** Applies the learner's answer to a profile prompt; says why when it is not understood. */
export function answerPrompt(s: Session, prompt: Prompt, input: string): PromptOutcome {
  const l = s.learner;
  const choices = promptChoices(s, prompt);
  const chosen = choices.length > 0 ? resolveChoice(input, choices) : undefined;
  switch (prompt) {
    case 'language': {
      const value = chosen?.value ?? languageFromWords(input);
      if (!value) return reject(s, 'invalid.choice');
      l.locale = value.slice('lang:'.length) as Locale;
      return 'accepted';
    }
    case 'fullName': {
      const name = cleanText(input);
      if (isGarbled(name)) return reject(s, 'invalid.nameGarbled');
      if (!name || name.length < 2 || name.length > 100 || !/\p{L}/u.test(name)) return reject(s, 'invalid.name');
      l.profile.fullName = nameCase(name);
      return 'accepted';
    }
    case 'role': {
      if (!chosen) return reject(s, 'invalid.choice');
      l.profile.role = chosen.value.slice('role:'.length) as Role;
      return 'accepted';
    }
    case 'province': {
      const list = s.deps.catalog.provinces(s.cohort.provinceList);
      const province = matchProvince(list, input, s.deps.catalog.formerProvinces(s.cohort.provinceList));
      if (province.kind === 'none') {
        // A list short enough to read on a phone (the 34 of today) is shown: the learner picks a name from it.
        s.say(list.length <= 40 ? s.t('invalid.provinceList', { provinces: [...list].sort(VIETNAMESE.compare).join(', ') }) : s.t('invalid.province'));
        return 'rejected';
      }
      if (province.kind === 'many') {
        s.say(s.t('invalid.provinceMany', { options: province.options.join(', ') }));
        return 'rejected';
      }
      l.profile.province = province.name;
      if (province.former) s.say(s.t('onboarding.provinceMerged', { former: province.former, province: province.name }));
      return 'accepted';
    }
    case 'district':
    case 'commune': {
      const place = cleanText(input);
      if (isGarbled(place)) return reject(s, 'invalid.placeGarbled');
      if (!place || place.length < 2 || place.length > 100 || !/\p{L}/u.test(place)) return reject(s, 'invalid.place');
      l.profile[prompt] = place;
      return 'accepted';
    }
    case 'consent': {
      if (!chosen) return reject(s, 'invalid.choice');
      l.consent = chosen.value === 'consent:yes';
      return 'accepted';
    }
    case 'invite_confirm':
      return answerInviteConfirm(s, chosen?.value);
    case 'hour': {
      const hour = chosen ? Number(chosen.value.slice('hour:'.length)) : parseHour(input);
      if (hour === undefined) return reject(s, 'invalid.hour');
      l.lessonHour = hour;
      return 'accepted';
    }
    default:
      return 'rejected';
  }
}

function reject(s: Session, key: string): PromptOutcome {
  s.say(s.t(key));
  return 'rejected';
}

function languageFromWords(input: string): string | undefined {
  const f = fold(input);
  if (['vi', 'viet', 'tieng viet', 'vietnamese'].includes(f)) return 'lang:vi';
  if (['en', 'eng', 'english', 'tieng anh'].includes(f)) return 'lang:en';
  return undefined;
}

/**
 * A name typed all in small letters or all in capitals ("nguyen van an", "LÊ THỊ HOA"), as phones
 * and habits make it, written as names are: each word's first letter a capital ("Nguyen Van An",
 * "Lê Thị Hoa"), as the certificate prints it. A name with both kinds of letters is kept as typed.
 */
export function nameCase(name: string): string {
  const hasLower = /\p{Ll}/u.test(name);
  const hasUpper = /\p{Lu}/u.test(name);
  if (hasLower && hasUpper) return name;
  return name.toLocaleLowerCase('vi').replace(/(^|[\s'-])(\p{L})/gu, (_m, before: string, letter: string) => before + letter.toLocaleUpperCase('vi'));
}

/** "8", "8h", "08:00", "20 giờ" → the hour 0–23. */
export function parseHour(input: string): number | undefined {
  const m = /^(\d{1,2})(?:\s*(?:h|gio|:00|:0|00)?)?$/.exec(fold(input).replace(/\s+/g, ' '));
  if (!m) return undefined;
  const h = Number(m[1]);
  return h >= 0 && h <= 23 ? h : undefined;
}

/** Vietnamese alphabetical order (Đ after D, Â after A …) for a list a learner scans. */
const VIETNAMESE = new Intl.Collator('vi');

/** `former`: the name typed was the place's former province (content/provinces.yaml, `merged`), now part of `name`. */
type ProvinceMatch = { kind: 'one'; name: string; former?: string } | { kind: 'many'; options: string[] } | { kind: 'none' };

const PREFIXES = /^(tinh|thanh pho|tp\.?|t\.|city of|province of)\s+/;
/** "Hanoi City", "Quang Ninh province": the English way of naming them. */
const SUFFIXES = /\s+(city|province|prov\.?)$/;
/** Typed names without spaces (English spellings: "Hanoi", "Danang", "Haiphong", "Daklak"). */
const squash = (folded: string) => folded.replace(/[\s.'-]+/g, '');
const ALIASES: Record<string, string> = { hcm: 'ho chi minh', tphcm: 'ho chi minh', hcmc: 'ho chi minh', saigon: 'ho chi minh', hn: 'ha noi' };

/**
 * Matches a typed province against the list, ignoring diacritics, case, spaces (the English
 * spellings) and the words "tỉnh"/"thành phố" (or "city"/"province"). `former` maps names no longer
 * in the list (provinces merged into others) to the province each is part of now: learners still
 * type them, and are taken to where their commune belongs today.
 */
export function matchProvince(list: readonly string[], input: string, former: ReadonlyMap<string, string> = new Map()): ProvinceMatch {
  const f = fold(input).replace(PREFIXES, '').replace(SUFFIXES, '');
  if (f.length < 2) return { kind: 'none' };
  const key = (name: string) => fold(name).replace(PREFIXES, '');
  const wanted = ALIASES[squash(f)] ?? f;
  const formerNames = [...former.keys()];
  const wasOne = (names: string[]): ProvinceMatch | undefined => {
    const now = new Set(names.map((n) => former.get(n)!));
    return now.size === 1 ? { kind: 'one', name: [...now][0]!, former: names[0]! } : undefined;
  };
  // The whole name, spaces aside ("ha noi", "Hanoi"); then a former province's whole name ("Quảng Nam").
  const whole = list.filter((p) => squash(key(p)) === squash(wanted));
  if (whole.length === 1) return { kind: 'one', name: whole[0]! };
  const wholeFormer = wasOne(formerNames.filter((p) => squash(key(p)) === squash(wanted)));
  if (wholeFormer) return wholeFormer;
  // Words that start with what was typed first ("ha" → Hà Nội, Hà Tĩnh, not Thanh Hóa), then anywhere.
  const atWord = list.filter((p) => ` ${key(p)}`.includes(` ${wanted}`));
  const partial = atWord.length > 0 ? atWord : list.filter((p) => key(p).includes(wanted));
  if (partial.length === 1) return { kind: 'one', name: partial[0]! };
  if (partial.length > 1 && partial.length <= 6) return { kind: 'many', options: partial };
  // Part of one former name ("Vũng Tàu"), or of several that joined the same province.
  if (partial.length === 0) return wasOne(formerNames.filter((p) => ` ${key(p)}`.includes(` ${wanted}`))) ?? { kind: 'none' };
  return { kind: 'none' };
}
