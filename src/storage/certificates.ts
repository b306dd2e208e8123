/**
 * Certificates in MongoDB, issued once per learner and cohort without transactions.
 *
 * Collections, every hot read an `_id` lookup (FerretDB 1.24 pushes down nothing else):
 * - `certificates`: `_id` `<learnerId>|<cohortId>` (a reissue of X: `X~r`), the record the
 *   documents are rendered from;
 * - `certificate_codes`: `_id` the normalised verification code → the certificate's `_id`;
 * - `certificate_serials`: `_id` the cohort → `n`, a hint: at least this many serials were given out;
 * - `certificate_serial_claims`: `_id` `<cohortId>#<n>`, one per serial number given out.
 *
 * Order of the writes when issuing, so that a crash between any two leaves nothing half-issued:
 * 1. claim the next serial number by inserting its claim (the unique `_id` decides; FerretDB 1.24 runs
 *    `$inc` as read-modify-write, so two concurrent increments can return the same number, and two
 *    concurrent upserts of a new `_id` fail with a duplicate key), then raise the hint: a crash
 *    after the claim leaves a gap in the serials, nothing else;
 * 2. insert the code → certificate entry: a crash after it leaves an entry pointing at no
 *    certificate (or at one with another code), which verification treats as unknown;
 * 3. insert the certificate if absent (the unique `_id` decides): from here it is reserved, and
 *    every later attempt — a redelivered update, a second worker, a retry — reads this record and
 *    sends the same serial and code; the loser of a race reads the winner's.
 * The document (PDF, PNG) is rendered from this record by the send job, and `sentAt` is set once
 * it was delivered: a crash in the render or the send is completed by the job's retry or by the
 * next /chungnhan, with the same serial and code.
 */
import { randomInt } from 'node:crypto';
import { customAlphabet } from 'nanoid';
import type { Connection } from 'mongoose';
import type { Certificate, CertificateDraft, CertificateHolder, CertificateStore } from '../core/certificates.js';
import { normaliseCode } from '../core/certificates.js';
import { isDuplicateKey } from './stores.js';

/** Crockford's base 32: no I, L, O, U. Twelve characters are 60 bits from crypto.getRandomValues. */
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const newVerificationCode = customAlphabet(CROCKFORD, 12);

/** How many reissues findFor follows at most (a chain of corrections). */
const MAX_CHAIN = 20;

type CertificateDoc = Omit<Certificate, 'id'> & { _id: string };
interface CodeDoc {
  _id: string;
  certificateId: string;
}
interface SerialDoc {
  _id: string;
  n: number;
}

export function certificateId(learnerId: string, cohortId: string): string {
  return `${String(learnerId)}|${String(cohortId)}`;
}

export interface CertificateStoreOptions {
  /** The serial's prefix, e.g. `CĐS-XA` (CERTIFICATE_SERIAL_PREFIX). */
  serialPrefix: string;
  /** The year in the serial is the issue date's in this zone. */
  timezone: string;
}

export class MongoCertificateStore implements CertificateStore {
  private indexes?: Promise<unknown>;

  constructor(
    private readonly conn: Connection,
    private readonly o: CertificateStoreOptions,
  ) {}

  private get certs() {
    return this.conn.collection<CertificateDoc>('certificates');
  }
  private get codes() {
    return this.conn.collection<CodeDoc>('certificate_codes');
  }
  private get serials() {
    return this.conn.collection<SerialDoc>('certificate_serials');
  }

  /** A serial is unique per cohort (enforced on insert; FerretDB builds the index but never reads it). */
  private ensureIndexes(): Promise<unknown> {
    this.indexes ??= this.certs.createIndex({ cohortId: 1, serial: 1 }, { unique: true }).catch((err) => {
      this.indexes = undefined;
      throw err;
    });
    return this.indexes;
  }

  async issue(draft: CertificateDraft, at: Date): Promise<Certificate> {
    const id = certificateId(draft.learnerId, draft.cohortId);
    const existing = await this.byId(id);
    if (existing) return existing;
    await this.ensureIndexes();
    return this.reserve(id, draft, at);
  }

  /** Steps 1–3 of the order above, for a first issue or a reissue (`replaces`). */
  private async reserve(id: string, draft: CertificateDraft, at: Date, replaces?: string): Promise<Certificate> {
    const serial = await this.nextSerial(draft.cohortId, at);
    const code = await this.claimCode(id);
    const doc: CertificateDoc = {
      _id: id,
      learnerId: String(draft.learnerId),
      cohortId: String(draft.cohortId),
      courseId: String(draft.courseId),
      serial,
      code,
      holder: cleanHolder(draft.holder),
      courseTitle: String(draft.courseTitle),
      cohortTitle: String(draft.cohortTitle),
      scorePercent: Number(draft.scorePercent),
      passedAt: draft.passedAt,
      issuedAt: at,
      ...(replaces ? { replaces } : {}),
    };
    try {
      await this.certs.insertOne(doc);
      return toCertificate(doc);
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      // Another handling reserved it first (its serial stands; ours is a gap), or the serial was taken.
      const winner = await this.byId(id);
      if (winner) return winner;
      throw err;
    }
  }

  private get serialClaims() {
    return this.conn.collection<{ _id: string }>('certificate_serial_claims');
  }

  private async nextSerial(cohortId: string, at: Date): Promise<string> {
    const cohort = String(cohortId);
    let n = ((await this.serials.findOne({ _id: cohort }))?.n ?? 0) + 1;
    for (let taken = 0; ; n++) {
      try {
        await this.serialClaims.insertOne({ _id: `${cohort}#${n}` });
        break;
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
        // Many claimed since the hint was read: read it again rather than walk them one by one.
        if (++taken % 8 === 0) n = Math.max(n, (await this.serials.findOne({ _id: cohort }))?.n ?? 0);
      }
    }
    await this.raiseHint(cohort, n);
    const year = new Intl.DateTimeFormat('en', { timeZone: this.o.timezone, year: 'numeric' }).format(at);
    return `${this.o.serialPrefix}-${year}-${String(n).padStart(6, '0')}`;
  }

  /** The hint only saves walking claimed numbers; a lost race that leaves it low costs a few inserts. */
  private async raiseHint(cohort: string, n: number): Promise<void> {
    try {
      await this.serials.updateOne({ _id: cohort }, { $max: { n } }, { upsert: true });
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      await this.serials.updateOne({ _id: cohort }, { $max: { n } });
    }
  }

  /** A fresh code, entered in the code index before the certificate that prints it exists. */
  private async claimCode(id: string): Promise<string> {
    for (let tries = 0; ; tries++) {
      const code = newVerificationCode();
      try {
        await this.codes.insertOne({ _id: code, certificateId: id });
        return code;
      } catch (err) {
        // 60 bits: a collision is all but impossible; draw again rather than share a code.
        if (!isDuplicateKey(err) || tries >= 3) throw err;
        await new Promise((r) => setTimeout(r, randomInt(5, 20)));
      }
    }
  }

  async findFor(learnerId: string, cohortId: string): Promise<Certificate | null> {
    let c = await this.byId(certificateId(learnerId, cohortId));
    for (let i = 0; c?.revoked?.replacedBy && i < MAX_CHAIN; i++) {
      const next = await this.findByCode(c.revoked.replacedBy);
      if (!next) break;
      c = next;
    }
    return c;
  }

  async findByCode(input: string): Promise<Certificate | null> {
    const code = normaliseCode(String(input));
    if (!code) return null;
    const entry = await this.codes.findOne({ _id: code });
    if (!entry) return null;
    const c = await this.byId(entry.certificateId);
    // An entry left by a crash before its certificate, or by the loser of a race, names another code.
    return c && c.code === code ? c : null;
  }

  /** The document reached the learner (first time only). */
  async markSent(code: string, at: Date): Promise<void> {
    const c = await this.findByCode(code);
    if (c && !c.sentAt) await this.certs.updateOne({ _id: c.id }, { $set: { sentAt: at } });
  }

  /** Revokes a valid certificate; a revoked one is left as it is. Returns it as it now stands, or null when unknown. */
  async revoke(code: string, reason: string, at: Date, replacedBy?: string): Promise<Certificate | null> {
    const c = await this.findByCode(code);
    if (!c) return null;
    if (c.revoked) return c;
    const revoked = { at, reason: String(reason), ...(replacedBy ? { replacedBy } : {}) };
    await this.certs.updateOne({ _id: c.id }, { $set: { revoked } });
    return { ...c, revoked };
  }

  /**
   * Issues a replacement with the holder as now given (a corrected name), then revokes the old one
   * pointing to it. The replacement's `_id` follows from the old one's, so running it again after a
   * crash completes the same replacement instead of making a second.
   */
  async reissue(code: string, holder: CertificateHolder, reason: string, at: Date): Promise<{ old: Certificate; current: Certificate } | null> {
    const old = await this.findByCode(code);
    if (!old) return null;
    if (old.revoked?.replacedBy) {
      const current = await this.findByCode(old.revoked.replacedBy);
      if (current) return { old, current };
    }
    if (old.revoked) throw new Error(`certificate ${old.serial} was revoked (${old.revoked.reason}); it cannot be reissued`);
    await this.ensureIndexes();
    const id = `${old.id}~r`;
    const draft: CertificateDraft = { ...old, holder };
    const current = (await this.byId(id)) ?? (await this.reserve(id, draft, at, old.code));
    const revoked = (await this.revoke(old.code, reason, at, current.code)) ?? old;
    return { old: revoked, current };
  }

  /** Every certificate of a cohort, by serial. A scan (admin export), not a hot path. */
  async listByCohort(cohortId: string): Promise<Certificate[]> {
    const docs = await this.certs.find({ cohortId: String(cohortId) }).toArray();
    return docs.map(toCertificate).sort((a, b) => a.serial.localeCompare(b.serial));
  }

  private async byId(id: string): Promise<Certificate | null> {
    const doc = await this.certs.findOne({ _id: String(id) });
    return doc ? toCertificate(doc) : null;
  }
}

function cleanHolder(h: CertificateHolder): CertificateHolder {
  const out: CertificateHolder = { fullName: String(h.fullName ?? '') };
  for (const k of ['role', 'commune', 'district', 'province'] as const) if (h[k]) out[k] = String(h[k]);
  return out;
}

function toCertificate(doc: CertificateDoc): Certificate {
  const { _id, ...rest } = doc;
  return { ...rest, id: _id };
}
