/**
 * Certificates: who may have one (every topic complete and a passing final attempt inside the
 * cohort's window), issuing it once, and what /chungnhan and /xacminh say. The store and the
 * rendering are adapters; this file holds the rules.
 */
import { lessonsOf, pick, topicsOf, type Course, type Topic } from './course.js';
import type { OutboundMessage } from './messages.js';
import type { Cohort, Enrolment, FinalAttempt, Profile, Role } from './model.js';
import type { Translator } from './ports.js';
import { finishedAttempts, bestScore } from './attempts.js';
import type { Session } from './session.js';

/** What the certificate prints about its holder, as it was when it was issued. */
export interface CertificateHolder {
  fullName: string;
  /** The role as printed (Vietnamese), e.g. "Phó Chủ tịch UBND xã". */
  role?: string;
  commune?: string;
  district?: string;
  province?: string;
}

export interface Revocation {
  at: Date;
  reason: string;
  /** The code of the certificate issued in its place (a reissue), if any. */
  replacedBy?: string;
}

export interface Certificate {
  /** `<learnerId>|<cohortId>` for the first issue; a reissue of X is `X~r`. */
  id: string;
  learnerId: string;
  cohortId: string;
  courseId: string;
  /** Unique per cohort, e.g. `CĐS-XA-2022-000123`. */
  serial: string;
  /** Twelve Crockford base-32 characters (60 random bits), printed as `XXXX-XXXX-XXXX`. */
  code: string;
  holder: CertificateHolder;
  /** Course and cohort titles as printed (Vietnamese). */
  courseTitle: string;
  cohortTitle: string;
  scorePercent: number;
  passedAt: Date;
  issuedAt: Date;
  /** When the document first reached the learner. */
  sentAt?: Date;
  revoked?: Revocation;
  /** The code of the certificate this one replaces (a reissue). */
  replaces?: string;
}

/** What issuing needs from the caller; serial, code and id are the store's. */
export type CertificateDraft = Omit<Certificate, 'id' | 'serial' | 'code' | 'issuedAt' | 'sentAt' | 'revoked' | 'replaces'>;

export interface CertificateStore {
  /**
   * The learner's certificate for the cohort, issued now when there is none: exactly one per
   * learner and cohort however often, or however concurrently, it is called.
   */
  issue(draft: CertificateDraft, at: Date): Promise<Certificate>;
  /** The learner's current certificate for the cohort (a reissue followed to the newest), or null. */
  findFor(learnerId: string, cohortId: string): Promise<Certificate | null>;
  /** By verification code, read case-insensitively, spaces and dashes ignored; null when unknown. */
  findByCode(code: string): Promise<Certificate | null>;
}

export type Eligibility =
  | { kind: 'eligible'; attempt: FinalAttempt }
  | { kind: 'topicsLeft'; topics: Topic[]; remaining: number }
  | { kind: 'notPassed'; attemptsLeft: number; best: number | null }
  | { kind: 'closed' }
  | { kind: 'notOpen' };

/** Whether the enrolment earns a certificate, or what is still missing. */
export function eligibility(course: Course, cohort: Cohort, e: Enrolment | null, now: Date): Eligibility {
  const done = new Set(e?.completedLessons ?? []);
  const topicsLeft = topicsOf(course).filter((t) => t.lessons.some((l) => !done.has(l.id)));
  const finished = e ? finishedAttempts(e) : [];
  const inWindow = (a: FinalAttempt) => a.finishedAt !== undefined && a.finishedAt >= cohort.opensAt && a.finishedAt <= cohort.closesAt;
  const passing = finished.find((a) => a.passed && inWindow(a));
  if (passing && topicsLeft.length === 0) return { kind: 'eligible', attempt: passing };
  if (now < cohort.opensAt) return { kind: 'notOpen' };
  if (now > cohort.closesAt) return { kind: 'closed' };
  if (topicsLeft.length > 0) return { kind: 'topicsLeft', topics: topicsLeft, remaining: lessonsOf(course).filter((l) => !done.has(l.id)).length };
  return { kind: 'notPassed', attemptsLeft: Math.max(0, course.final.attempts - finished.length), best: e && finished.length > 0 ? bestScore(e) : null };
}

/** Twelve Crockford base-32 characters, or null: upper-cased, spaces and dashes dropped, O read as 0, I and L as 1. */
export function normaliseCode(input: string): string | null {
  const s = String(input)
    .toUpperCase()
    .replace(/[\s\-‐-―]/g, '')
    .replace(/O/g, '0')
    .replace(/[IL]/g, '1');
  return /^[0-9A-HJKMNP-TV-Z]{12}$/.test(s) ? s : null;
}

/** `XXXX-XXXX-XXXX`: how a code is printed and shown. */
export function displayCode(code: string): string {
  return code.match(/.{1,4}/g)?.join('-') ?? code;
}

/** What the certificate prints about the learner, from their profile as it is now (roles in Vietnamese). */
export function holderOf(p: Profile, i18n: Translator): CertificateHolder {
  const role: Role | undefined = p.role;
  return {
    fullName: p.fullName ?? '',
    ...optional('role', role && role !== 'other' ? i18n.t('vi', `role.${role}`) : undefined),
    ...optional('commune', p.commune),
    ...optional('district', p.district),
    ...optional('province', p.province),
  };
}

/** /chungnhan, and the passing final answer: sends the certificate (issuing it the first time), or says what is missing. */
export async function deliverCertificate(s: Session, e: Enrolment | null): Promise<void> {
  const store = s.deps.certificates;
  const existing = await store.findFor(s.learner.id, s.cohort.id);
  if (existing) return sayCertificate(s, e, existing);
  const el = eligibility(s.course, s.cohort, e, s.now);
  switch (el.kind) {
    case 'eligible':
      break;
    case 'notOpen':
      return s.say(s.t('course.notOpen', { date: s.formatDate(s.cohort.opensAt) }));
    case 'closed':
      return s.say(s.t('certificate.closed', { date: s.formatDate(s.cohort.closesAt) }));
    case 'topicsLeft':
      return s.say(s.t('certificate.topicsLeft', { remaining: el.remaining, topics: el.topics.map((t) => s.text(t.title)).join('; ') }));
    case 'notPassed':
      if (el.attemptsLeft === 0) return s.say(s.t('certificate.noAttemptsLeft', { score: el.best ?? 0 }));
      return s.say(s.t('certificate.notPassed', { pass: s.course.final.passPercent, left: el.attemptsLeft }));
  }
  const certificate = await store.issue(
    {
      learnerId: s.learner.id,
      cohortId: s.cohort.id,
      courseId: s.course.id,
      holder: holderOf(s.learner.profile, s.deps.i18n),
      courseTitle: pick(s.course.title, 'vi'),
      cohortTitle: s.cohort.title ?? s.cohort.id,
      scorePercent: el.attempt.scorePercent ?? 0,
      passedAt: el.attempt.finishedAt!,
    },
    s.now,
  );
  sayCertificate(s, e, certificate);
}

function optional<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value ? ({ [key]: value } as Record<K, string>) : {};
}

function sayCertificate(s: Session, e: Enrolment | null, c: Certificate): void {
  if (c.revoked) {
    s.say(s.t('certificate.revoked', { serial: c.serial, date: s.formatDate(c.revoked.at).slice(0, 10) }));
    return;
  }
  if (e && e.cohortId === c.cohortId) e.status = 'certified';
  s.say(certificateMessage(s, c));
}

/** The message that carries the certificate's document; the send pipeline attaches the file. */
export function certificateMessage(s: Session, c: Certificate): OutboundMessage {
  const code = displayCode(c.code);
  return { text: s.t('certificate.issued', { name: c.holder.fullName, serial: c.serial, code }), document: { certificate: c.code } };
}

/** /xacminh CODE: what the verification page says, in the chat. */
export async function verifyInChat(s: Session, input: string): Promise<void> {
  if (input.trim() === '') return s.say(s.t('certificate.verifyUsage'));
  const code = normaliseCode(input);
  const c = code ? await s.deps.certificates.findByCode(code) : null;
  if (!c) return s.say(s.t('certificate.verifyUnknown', { code: input.slice(0, 40) }));
  const facts = verificationFacts(c);
  const lines = [
    c.revoked ? s.t('certificate.verifyRevoked', { date: dateOnly(s, c.revoked.at) }) : s.t('certificate.verifyValid'),
    s.t('certificate.factSerial', { value: facts.serial }),
    s.t('certificate.factHolder', { value: facts.holder }),
    ...(facts.role ? [s.t('certificate.factRole', { value: facts.role })] : []),
    ...(facts.place ? [s.t('certificate.factPlace', { value: facts.place })] : []),
    s.t('certificate.factCourse', { value: facts.course }),
    s.t('certificate.factCohort', { value: facts.cohort }),
    s.t('certificate.factIssued', { value: dateOnly(s, c.issuedAt) }),
  ];
  s.say(lines.join('\n'));
}

function dateOnly(s: Session, d: Date): string {
  return s.formatDate(d).slice(0, 10);
}

/** Only what the certificate prints: the page, the JSON and the chat show these and nothing else. */
export interface VerificationFacts {
  valid: boolean;
  serial: string;
  code: string;
  holder: string;
  role?: string;
  /** Commune, district, province, as printed. */
  place?: string;
  course: string;
  cohort: string;
  issuedAt: Date;
  revokedAt?: Date;
}

export function verificationFacts(c: Certificate): VerificationFacts {
  const place = [c.holder.commune, c.holder.district, c.holder.province].filter(Boolean).join(', ');
  return {
    valid: !c.revoked,
    serial: c.serial,
    code: displayCode(c.code),
    holder: c.holder.fullName,
    ...(c.holder.role ? { role: c.holder.role } : {}),
    ...(place ? { place } : {}),
    course: c.courseTitle,
    cohort: c.cohortTitle,
    issuedAt: c.issuedAt,
    ...(c.revoked ? { revokedAt: c.revoked.at } : {}),
  };
}
