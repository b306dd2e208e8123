/**
 * Roster invitations in MongoDB, every read an `_id` lookup (FerretDB 1.24 pushes down nothing else):
 * - `invitations`: `_id` the invite code → the person as the roster describes them (profile,
 *   cohort), the keys they are matched by, the import that made and last changed them, and who used it;
 * - `roster_keys`: `_id` `<cohort>|ext:<id>`, `<cohort>|tel:<+84…>`, `<cohort>|name:<province>|<commune>|<name>`
 *   → the code of the person it names: matching a roster row is one to three point lookups;
 * - `invitation_claims`: `_id` the code → the conversation (and learner) that used it; the unique
 *   insert decides who used a code first.
 */
import type { Connection } from 'mongoose';
import type { Invitation, InvitationProfile, InvitationStore } from '../core/invites.js';
import { normalizeInviteCode } from '../core/invites.js';
import type { ConversationId } from '../core/model.js';
import { isDuplicateKey, stringId } from './stores.js';

export type { InvitationProfile };

export interface InvitationDoc {
  _id: string;
  cohortId: string;
  profile: InvitationProfile;
  /** The `roster_keys` that point here. */
  keys: string[];
  /** Keys this person no longer has, still to delete (an update cut short finishes it). */
  dropKeys?: string[];
  importId: string;
  lastImportId: string;
  createdAt: Date;
  updatedAt: Date;
  usedBy?: string;
  usedAt?: Date;
}

export interface KeyDoc {
  _id: string;
  code: string;
  /** On a person's strongest key, once their invitation is written: the digest of the profile it holds. */
  sig?: string;
}

interface ClaimDoc {
  _id: string;
  conversation: string;
  learnerId?: string;
  at: Date;
}

export function invitationCollections(conn: Connection) {
  return {
    invitations: conn.collection<InvitationDoc>('invitations'),
    keys: conn.collection<KeyDoc>('roster_keys'),
    claims: conn.collection<ClaimDoc>('invitation_claims'),
  };
}

/** The core's port: find a code, claim it once, mark who used it. */
export class MongoInvitationStore implements InvitationStore {
  private readonly c;

  constructor(conn: Connection) {
    this.c = invitationCollections(conn);
  }

  async find(code: string): Promise<Invitation | null> {
    const normal = normalizeInviteCode(String(code));
    if (!normal) return null;
    const doc = await this.c.invitations.findOne({ _id: stringId(normal) });
    if (!doc) return null;
    const { fullName, role, province, district, commune, phone } = doc.profile;
    return { code: doc._id, cohortId: doc.cohortId, profile: { fullName, role, province, commune, ...(district ? { district } : {}), ...(phone ? { phone } : {}) } };
  }

  async claim(code: string, by: { conversation: ConversationId; learnerId?: string }, at: Date): Promise<'claimed' | 'taken'> {
    try {
      await this.c.claims.insertOne({ _id: stringId(code), conversation: by.conversation, ...(by.learnerId ? { learnerId: by.learnerId } : {}), at });
      return 'claimed';
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      const held = await this.c.claims.findOne({ _id: stringId(code) });
      const same = held && (held.conversation === by.conversation || (by.learnerId !== undefined && held.learnerId === by.learnerId));
      return same ? 'claimed' : 'taken';
    }
  }

  async markUsed(code: string, learnerId: string, at: Date): Promise<void> {
    await this.c.claims.updateOne({ _id: stringId(code) }, { $set: { learnerId: String(learnerId) } });
    await this.c.invitations.updateOne({ _id: stringId(code) }, { $set: { usedBy: String(learnerId), usedAt: at } });
  }
}
