/**
 * Writes roster rows as invitations without transactions. A row is matched to a person by one to
 * three point lookups of its keys (external id, else phone, else name in the commune), each key an
 * `_id` in `roster_keys` pointing at the person's invite code. Order of the writes for a new person:
 * the keys first (strongest first), the invitation last; the person exists once the invitation
 * does. A crash between leaves keys that point at no invitation: such a key is stale, ignored when
 * matching and taken over by the next import, so a re-run creates the person once. An update adds
 * the new keys, rewrites the invitation naming the keys to drop, drops them, then clears the list
 * (a match that finds the list not cleared finishes it). Writes go at most 16 to a command.
 */
import type { Connection } from 'mongoose';
import type { AnyBulkWriteOperation } from 'mongodb';
import { createHash } from 'node:crypto';
import { invitationCollections, type InvitationDoc, type InvitationProfile, type KeyDoc } from '../../storage/invitations.js';
import { isDuplicateKey, stringId } from '../../storage/stores.js';
import { clean, nameKey, type RosterRow } from './validate.js';
import { mapLimit } from '../../storage/map-limit.js';

/** Most writes sent in one command (FerretDB's pool suffers beyond this). */
export const WRITE_BATCH = 16;

export type Outcome = 'imported' | 'updated' | 'unchanged';

export interface Applied {
  line: number;
  outcome: Outcome;
  code: string;
  profile: InvitationProfile;
}

export interface RosterStoreOptions {
  newCode(): string;
  now(): Date;
  /** Point lookups in flight at once. @defaultValue 16 */
  concurrency?: number;
}

type Resolved = { kind: 'existing'; doc: InvitationDoc } | { kind: 'new' };

/** The row's keys in the order they identify a person: external id, phone, name in the commune. */
export function keysOf(cohortId: string, p: InvitationProfile): string[] {
  return [
    ...(p.externalId ? [`${cohortId}|ext:${clean(p.externalId).toLowerCase()}`] : []),
    ...(p.phone ? [`${cohortId}|tel:${p.phone}`] : []),
    `${cohortId}|name:${nameKey(p)}`,
  ];
}

/** A profile as compared: fields in one order, absent ones empty. */
function normal(p: InvitationProfile): string {
  return JSON.stringify([p.fullName, p.role, p.province, p.district ?? '', p.commune, p.phone ?? '', p.email ?? '', p.externalId ?? '']);
}

function sameProfile(a: InvitationProfile, b: InvitationProfile): boolean {
  return normal(a) === normal(b);
}

/** What the strongest key of an imported person carries: their profile's digest, for a re-import to see "unchanged" in one lookup. */
export function signature(p: InvitationProfile): string {
  return createHash('sha256').update(normal(p)).digest('base64url').slice(0, 22);
}

/**
 * Indexes of the documents an unordered insert refused as duplicates; any other failure is thrown.
 * Batches of at most 16 documents, `inFlight` commands at a time.
 */
async function insertAll<T extends { _id: string }>(insert: (docs: T[]) => Promise<unknown>, docs: T[], inFlight = 4): Promise<Set<number>> {
  const refused = new Set<number>();
  const starts: number[] = [];
  for (let from = 0; from < docs.length; from += WRITE_BATCH) starts.push(from);
  await mapLimit(starts, inFlight, async (from) => {
    try {
      await insert(docs.slice(from, from + WRITE_BATCH));
    } catch (err) {
      const writeErrors = (err as { writeErrors?: { index: number; code?: number }[] }).writeErrors;
      if (!isDuplicateKey(err) || !writeErrors) throw err;
      for (const w of writeErrors) {
        if (w.code !== 11000) throw err;
        refused.add(from + w.index);
      }
    }
  });
  return refused;
}

export class RosterStore {
  private readonly c;
  private readonly concurrency: number;

  constructor(
    conn: Connection,
    private readonly o: RosterStoreOptions,
  ) {
    this.c = invitationCollections(conn);
    this.concurrency = o.concurrency ?? 16;
  }

  /** The person a row names, if they were imported before. */
  async resolve(cohortId: string, p: InvitationProfile): Promise<Resolved> {
    const keys = keysOf(cohortId, p);
    for (let i = 0; i < keys.length; i++) {
      const key = await this.c.keys.findOne({ _id: stringId(keys[i]!) });
      if (!key) continue;
      const doc = await this.c.invitations.findOne({ _id: stringId(key.code) });
      // A key whose person was never written (an import cut short) names nobody.
      if (!doc || doc.cohortId !== cohortId || !doc.keys.includes(keys[i]!)) continue;
      // The same phone or name with another external id is another person.
      if (i > 0 && p.externalId && doc.profile.externalId && doc.profile.externalId !== p.externalId) continue;
      return { kind: 'existing', doc };
    }
    return { kind: 'new' };
  }

  /**
   * Points a key at a code: inserted, or taken over when stale (its code has no invitation that
   * lists it). False when it belongs to another person.
   */
  async claimKey(key: string, code: string): Promise<boolean> {
    try {
      await this.c.keys.insertOne({ _id: stringId(key), code });
      return true;
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
    }
    const held = await this.c.keys.findOne({ _id: stringId(key) });
    if (!held || held.code === code) return true;
    const owner = await this.c.invitations.findOne({ _id: stringId(held.code) });
    if (owner && owner.keys.includes(key)) return false;
    await this.c.keys.updateOne({ _id: stringId(key) }, { $set: { code } });
    return true;
  }

  /**
   * Imports a chunk of valid rows with as few round trips as FerretDB allows (each lookup is one
   * command; an insert of 16 documents costs about what one lookup does): the rows' strongest keys
   * are inserted first, and only those refused (someone has them) are looked up; a refused key whose
   * document carries the row's signature is a person already imported as the row says (unchanged).
   * The other keys of the new rows follow the same way; a row one of them matches is an update.
   * Updates and anything unusual (a key taken meanwhile, a code drawn twice) go one by one.
   * Calls `invited` once per new invitation.
   */
  async apply(cohortId: string, importId: string, rows: RosterRow[], invited?: (a: Applied) => Promise<void>): Promise<Applied[]> {
    type Candidate = { row: RosterRow; code: string; keys: string[]; sig: string; match?: InvitationDoc };
    const cand: Candidate[] = rows.map((row) => ({ row, code: this.o.newCode(), keys: keysOf(cohortId, row.profile), sig: signature(row.profile) }));
    const results = new Map<number, Applied>();
    const slow: { row: RosterRow; resolved?: Resolved }[] = [];
    const insertKeys = (docs: KeyDoc[]) => insertAll((d) => this.c.keys.insertMany(d, { ordered: false }), docs);

    const known = await insertKeys(cand.map((c) => ({ _id: c.keys[0]!, code: c.code })));
    await mapLimit([...known], this.concurrency, async (i) => {
      const c = cand[i]!;
      const held = await this.c.keys.findOne({ _id: stringId(c.keys[0]!) });
      if (held?.sig === c.sig) results.set(c.row.line, { line: c.row.line, outcome: 'unchanged', code: held.code, profile: c.row.profile });
      else slow.push({ row: c.row });
    });
    const fresh = cand.filter((_, i) => !known.has(i));

    const weak = fresh.flatMap((f) => f.keys.slice(1).map((key) => ({ f, key })));
    const taken = await insertKeys(weak.map((w) => ({ _id: w.key, code: w.f.code })));
    for (const i of [...taken].sort((a, b) => a - b)) {
      const { f, key } = weak[i]!;
      if (f.match) continue;
      const held = await this.c.keys.findOne({ _id: stringId(key) });
      const owner = held && held.code !== f.code ? await this.c.invitations.findOne({ _id: stringId(held.code) }) : null;
      if (owner && owner.cohortId === cohortId && owner.keys.includes(key)) {
        const ext = f.row.profile.externalId;
        if (ext && owner.profile.externalId && owner.profile.externalId !== ext) f.keys = f.keys.filter((k) => k !== key);
        else f.match = owner;
      } else if (!(await this.claimKey(key, f.code))) {
        f.keys = f.keys.filter((k) => k !== key);
      }
    }
    for (const f of fresh) if (f.match) slow.push({ row: f.row, resolved: { kind: 'existing', doc: f.match } });
    const going = fresh.filter((f) => !f.match);

    const now = this.o.now();
    const refusedDocs = await insertAll(
      (d) => this.c.invitations.insertMany(d, { ordered: false }),
      going.map((f) => this.newDoc(f.code, cohortId, importId, f.row, f.keys, now)),
    );
    const signed: AnyBulkWriteOperation<KeyDoc>[] = [];
    for (let i = 0; i < going.length; i++) {
      const f = going[i]!;
      if (refusedDocs.has(i)) {
        slow.push({ row: f.row });
        continue;
      }
      const applied: Applied = { line: f.row.line, outcome: 'imported', code: f.code, profile: f.row.profile };
      results.set(f.row.line, applied);
      signed.push({ updateOne: { filter: { _id: stringId(f.keys[0]!) }, update: { $set: { sig: f.sig } } } });
      await invited?.(applied);
    }
    await this.bulk(signed);

    for (const s of slow) {
      const applied = await this.applyOne(cohortId, importId, s.row, s.resolved);
      results.set(s.row.line, applied);
      if (applied.outcome === 'imported') await invited?.(applied);
    }
    return rows.map((r) => results.get(r.line)!);
  }

  private async bulk(ops: AnyBulkWriteOperation<KeyDoc>[]): Promise<void> {
    const starts: number[] = [];
    for (let i = 0; i < ops.length; i += WRITE_BATCH) starts.push(i);
    await mapLimit(starts, 4, (i) => this.c.keys.bulkWrite(ops.slice(i, i + WRITE_BATCH), { ordered: false }));
  }

  private newDoc(code: string, cohortId: string, importId: string, row: RosterRow, keys: string[], now: Date): InvitationDoc {
    return { _id: code, cohortId, profile: { ...row.profile }, keys, importId, lastImportId: importId, createdAt: now, updatedAt: now };
  }

  /** One row, the careful way: matched again, then created or updated step by step. */
  async applyOne(cohortId: string, importId: string, row: RosterRow, known?: Resolved): Promise<Applied> {
    for (let attempt = 0; attempt < 6; attempt++) {
      const r = attempt === 0 && known ? known : await this.resolve(cohortId, row.profile);
      if (r.kind === 'existing') return this.update(r.doc, importId, row);
      const code = this.o.newCode();
      const keys = keysOf(cohortId, row.profile);
      if (!(await this.claimKey(keys[0]!, code))) continue;
      const owned = [keys[0]!];
      for (const key of keys.slice(1)) if (await this.claimKey(key, code)) owned.push(key);
      try {
        await this.c.invitations.insertOne(this.newDoc(code, cohortId, importId, row, owned, this.o.now()));
        await this.c.keys.updateOne({ _id: stringId(owned[0]!) }, { $set: { sig: signature(row.profile) } });
        return { line: row.line, outcome: 'imported', code, profile: row.profile };
      } catch (err) {
        // The code was drawn before: the keys now point at a stranger and are stale; the next attempt takes them over.
        if (!isDuplicateKey(err)) throw err;
      }
    }
    throw new Error(`roster line ${row.line}: could not write the person after 6 attempts`);
  }

  /**
   * The person as the row now says. The keys' signatures are removed before the invitation changes
   * and the strongest key is signed after it, so a signature never vouches for an old profile.
   */
  private async update(doc: InvitationDoc, importId: string, row: RosterRow): Promise<Applied> {
    const code = doc._id;
    const dropping = doc.dropKeys ?? [];
    const wanted = keysOf(doc.cohortId, row.profile);
    const sign = () => this.c.keys.updateOne({ _id: stringId(wanted[0]!) }, { $set: { sig: signature(row.profile) } });
    if (sameProfile(doc.profile, row.profile)) {
      if (dropping.length) await this.dropKeys(code, dropping);
      if (doc.keys[0] === wanted[0]) await sign();
      return { line: row.line, outcome: 'unchanged', code, profile: doc.profile };
    }
    const owned = doc.keys.filter((k) => wanted.includes(k));
    for (const key of wanted) if (!owned.includes(key) && (await this.claimKey(key, code))) owned.push(key);
    await this.bulk(doc.keys.map((k) => ({ updateOne: { filter: { _id: stringId(k) }, update: { $unset: { sig: '' } } } })));
    const drop = [...new Set([...dropping, ...doc.keys.filter((k) => !wanted.includes(k))])];
    owned.sort((a, b) => wanted.indexOf(a) - wanted.indexOf(b));
    await this.c.invitations.updateOne(
      { _id: stringId(code) },
      { $set: { profile: { ...row.profile }, keys: owned, dropKeys: drop, lastImportId: importId, updatedAt: this.o.now() } },
    );
    await this.dropKeys(code, drop);
    if (owned[0] === wanted[0]) await sign();
    return { line: row.line, outcome: 'updated', code, profile: row.profile };
  }

  /** Deletes the keys that still point at this person, then clears the list. */
  private async dropKeys(code: string, keys: string[]): Promise<void> {
    const ops: AnyBulkWriteOperation<KeyDoc>[] = [];
    for (const key of keys) {
      const held = await this.c.keys.findOne({ _id: stringId(key) });
      if (held?.code === code) ops.push({ deleteOne: { filter: { _id: stringId(key) } } });
    }
    await this.bulk(ops);
    await this.c.invitations.updateOne({ _id: stringId(code) }, { $unset: { dropKeys: '' } });
  }
}
