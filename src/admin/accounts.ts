/**
 * Admin accounts in MongoDB (`admin_accounts`). The `_id` is the SHA-256 of the token, so
 * authenticating is one `_id` lookup (the one query FerretDB 1.24 answers from an index) and the
 * token itself is never stored: it is shown once, when the account is made. ADMIN_TOKEN is the
 * bootstrap ministry account (`bootstrap`), compared in constant time.
 *
 * An account may also have chat ids linked to it (`admin_chat_links`, `_id` the conversation:
 * `telegram:<chatId>`, `zalo:<userId>`): the admin chat commands (`/thongbao`, `/thongke`) from
 * that chat act as the account, with its scope. A chat id links to one account at a time.
 */
import { createHash, randomBytes } from 'node:crypto';
import { customAlphabet } from 'nanoid';
import type { Connection } from 'mongoose';
import { secretMatches } from '../http/secret.js';
import { formatScope, parseScope, type AdminPrincipal, type AdminScope } from './scope.js';
import { isDuplicateKey } from '../storage/stores.js';

interface AccountDoc {
  _id: string;
  publicId: string;
  name: string;
  scope: AdminScope;
  createdAt: Date;
  revokedAt?: Date;
}

/** An account as listed: never its token or hash. */
export interface AdminAccount {
  id: string;
  name: string;
  scope: AdminScope;
  createdAt: Date;
  revokedAt?: Date;
  /** Chats linked to it (`telegram:<chatId>`, `zalo:<userId>`): listed only. */
  chats?: string[];
}

/** What the caller did wrong (an unknown province, a name too long, no such account): 400 or 404 for the API. */
export class AccountInputError extends Error {
  override readonly name = 'AccountInputError';
  constructor(
    message: string,
    readonly statusCode = 400,
  ) {
    super(message);
  }
}

interface ChatLinkDoc {
  /** The conversation: `telegram:<chatId>` or `zalo:<userId>`. */
  _id: string;
  /** The account's `_id` (the token's hash): the principal is two `_id` lookups away. */
  account: string;
  linkedAt: Date;
}

export const BOOTSTRAP_ID = 'bootstrap';

/** `telegram:<chatId>` (digits, a leading minus for groups) or `zalo:<userId>` (letters and digits). */
const CHAT = /^(?:telegram:-?\d{1,20}|zalo:[A-Za-z0-9_-]{1,64})$/;

/** The conversation a typed chat id names: `telegram:123`, `zalo:abc`; a bad one is an AccountInputError. */
export function chatConversation(input: string): string {
  const m = /^(telegram|zalo):(.*)$/i.exec(String(input).trim());
  const t = m ? `${m[1]!.toLowerCase()}:${m[2]!.trim()}` : '';
  if (!CHAT.test(t)) throw new AccountInputError(`"${String(input).slice(0, 80)}" is not a chat id: write telegram:<chat id> (digits) or zalo:<user id>`);
  return t;
}

/** Lower-case letters and digits without look-alikes: short public ids such as `adm_7k3p9x2m`. */
const publicId = customAlphabet('23456789abcdefghjkmnpqrstuvwxyz', 8);

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** 192 random bits, URL-safe; the prefix tells a leaked string for what it is. */
export function newToken(): string {
  return `cdsadm_${randomBytes(24).toString('base64url')}`;
}

/** Lower case, no diacritics, đ as d: `Nghe an` finds `Nghệ An`. */
export function fold(text: string): string {
  return text.normalize('NFD').replace(/\p{M}/gu, '').replace(/đ/g, 'd').replace(/Đ/g, 'D').toLowerCase().replace(/\s+/g, ' ').trim();
}

export interface AccountsOptions {
  /** ADMIN_TOKEN: the bootstrap ministry account; unset, only stored accounts exist. */
  bootstrapToken?: string;
  /** Every province name of the content (content/provinces.yaml, all lists). */
  provinces: Iterable<string>;
  now?: () => Date;
}

export class AdminAccounts {
  private readonly provinces = new Map<string, string>();
  private readonly now: () => Date;

  constructor(
    private readonly conn: Connection,
    private readonly o: AccountsOptions,
  ) {
    for (const p of o.provinces) this.provinces.set(fold(p), p.normalize('NFC'));
    this.now = o.now ?? (() => new Date());
  }

  private get col() {
    return this.conn.collection<AccountDoc>('admin_accounts');
  }

  private get links() {
    return this.conn.collection<ChatLinkDoc>('admin_chat_links');
  }

  /** Whether ADMIN_TOKEN is set (the admin API is off without it). */
  get enabled(): boolean {
    return this.o.bootstrapToken !== undefined;
  }

  /** The scope as stored: `province:<name>` with the content's spelling of the name; an unknown province is refused. */
  checkScope(input: AdminScope | string): AdminScope {
    let scope: AdminScope;
    try {
      scope = typeof input === 'string' ? parseScope(input) : input;
    } catch (err) {
      throw new AccountInputError((err as Error).message);
    }
    if (scope.kind === 'ministry') return { kind: 'ministry' };
    const known = this.provinces.get(fold(scope.province));
    if (!known) throw new AccountInputError(`"${scope.province.slice(0, 60)}" is not a province of the content (content/provinces.yaml)`);
    return { kind: 'province', province: known };
  }

  /** Creates an account; the token is returned here and nowhere else. */
  async add(input: { name: string; scope: AdminScope | string }): Promise<{ account: AdminAccount; token: string }> {
    const name = input.name.normalize('NFC').trim();
    if (!name || name.length > 120) throw new AccountInputError('the name must be 1–120 characters');
    const scope = this.checkScope(input.scope);
    for (;;) {
      const token = newToken();
      const doc: AccountDoc = { _id: hashToken(token), publicId: `adm_${publicId()}`, name, scope, createdAt: this.now() };
      try {
        await this.col.insertOne(doc);
        return { account: toAccount(doc), token };
      } catch (err) {
        if (!isDuplicateKey(err)) throw err; // a 192-bit collision will not happen; a retry costs nothing
      }
    }
  }

  /** Every account, oldest first, with its linked chats. A scan: there are tens of accounts, not thousands. */
  async list(): Promise<AdminAccount[]> {
    const docs = await this.col.find({}).toArray();
    const chats = new Map<string, string[]>();
    for (const l of await this.links.find({}).toArray()) chats.set(l.account, [...(chats.get(l.account) ?? []), l._id].sort());
    return docs
      .map((d) => ({ ...toAccount(d), ...(chats.has(d._id) ? { chats: chats.get(d._id)! } : {}) }))
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.id.localeCompare(b.id));
  }

  /** The account by public id, or by name when exactly one live account has it (`verb` says what for, in the error). */
  private async find(idOrName: string, verb: string): Promise<AccountDoc> {
    const key = String(idOrName).normalize('NFC').trim();
    if (key === BOOTSTRAP_ID) throw new AccountInputError('the bootstrap account is ADMIN_TOKEN: change or unset the variable instead');
    const all = await this.col.find({}).toArray();
    let doc = all.find((d) => d.publicId === key);
    if (!doc) {
      const named = all.filter((d) => d.name === key && !d.revokedAt);
      if (named.length > 1) throw new AccountInputError(`${named.length} accounts are named "${key}": ${verb} one by its id (${named.map((d) => d.publicId).join(', ')})`);
      doc = named[0];
    }
    if (!doc) throw new AccountInputError(`no admin account has the id or name "${key.slice(0, 80)}"`, 404);
    return doc;
  }

  /** Revokes by public id, or by name when exactly one live account has it; returns the account as it is now. Its linked chats stop acting at once. */
  async revoke(idOrName: string): Promise<AdminAccount> {
    const doc = await this.find(idOrName, 'revoke');
    if (!doc.revokedAt) {
      doc.revokedAt = this.now();
      await this.col.updateOne({ _id: doc._id }, { $set: { revokedAt: doc.revokedAt } });
    }
    return toAccount(doc);
  }

  /**
   * Links a chat to a live account (moving it from the account it was linked to, if any): the
   * admin chat commands from that chat act as the account. Returns the account and the conversation.
   */
  async linkChat(idOrName: string, chat: string): Promise<{ account: AdminAccount; conversation: string; movedFrom?: string }> {
    const conversation = chatConversation(chat);
    const doc = await this.find(idOrName, 'link');
    if (doc.revokedAt) throw new AccountInputError(`the account ${doc.publicId} is revoked`);
    const before = await this.links.findOne({ _id: conversation });
    await this.links.replaceOne({ _id: conversation }, { account: doc._id, linkedAt: this.now() }, { upsert: true });
    const movedFrom = before && before.account !== doc._id ? (await this.col.findOne({ _id: before.account }))?.publicId : undefined;
    return { account: toAccount(doc), conversation, ...(movedFrom ? { movedFrom } : {}) };
  }

  /** Unlinks a chat; false when it was not linked. */
  async unlinkChat(chat: string): Promise<boolean> {
    const conversation = chatConversation(chat);
    return (await this.links.deleteOne({ _id: conversation })).deletedCount === 1;
  }

  /** Every linked conversation, whatever its account's state (a small scan: the admin chat gate caches it). */
  async linkedChats(): Promise<string[]> {
    return (await this.links.find({}, { projection: { _id: 1 } }).toArray()).map((l) => l._id);
  }

  /**
   * The account a chat acts as: its principal; `revoked` when it is linked to a revoked account
   * (the chat then has no admin rights at all); null when it is linked to none. Two `_id` lookups.
   */
  async chatPrincipal(conversation: string): Promise<AdminPrincipal | 'revoked' | null> {
    if (!CHAT.test(conversation)) return null;
    const link = await this.links.findOne({ _id: conversation });
    if (!link) return null;
    const doc = await this.col.findOne({ _id: link.account });
    if (!doc || doc.revokedAt) return 'revoked';
    return { id: doc.publicId, name: doc.name, scope: doc.scope };
  }

  /** The principal a bearer token stands for; null for anything unknown or revoked. */
  async authenticate(token: unknown): Promise<AdminPrincipal | null> {
    if (typeof token !== 'string' || token.length === 0 || token.length > 512) return null;
    if (this.o.bootstrapToken !== undefined && secretMatches(token, this.o.bootstrapToken)) {
      return { id: BOOTSTRAP_ID, name: 'ADMIN_TOKEN', scope: { kind: 'ministry' } };
    }
    // The hash is the lookup key: an attacker who can time the lookup learns nothing about a token.
    const doc = await this.col.findOne({ _id: hashToken(token) });
    if (!doc || doc.revokedAt) return null;
    return { id: doc.publicId, name: doc.name, scope: doc.scope };
  }
}

function toAccount(d: AccountDoc): AdminAccount {
  return { id: d.publicId, name: d.name, scope: d.scope, createdAt: new Date(d.createdAt), ...(d.revokedAt ? { revokedAt: new Date(d.revokedAt) } : {}) };
}

/** The account as the API and the CLI show it. */
export function accountJson(a: AdminAccount): Record<string, unknown> {
  return { id: a.id, name: a.name, scope: formatScope(a.scope), createdAt: a.createdAt.toISOString(), revokedAt: a.revokedAt?.toISOString() ?? null, chats: a.chats ?? [] };
}
