/**
 * The admin chat dispatcher (contract: chat-types.ts). For an admin's conversation it routes a
 * message that starts with a command's name, or any message while that command's dialogue is open,
 * to the command; everything else (and everyone else's messages) is the tutor's. The open dialogue
 * is `<prefix>:adminchat:<conversation>` in Redis, for 15 minutes; `/huy` or `/cancel` closes it.
 *
 * Who is an admin, and as whom they act: a chat linked to an admin account (`admin link`) acts as
 * that account, with its scope (a province account reaches only its province); a chat listed in
 * ADMIN_TELEGRAM_IDS / ADMIN_ZALO_IDS and linked to no account acts with ministry scope as
 * `chat:<conversation>`. A chat linked to a revoked account is no admin, even when listed.
 */
import type { Redis } from 'ioredis';
import type { Locale } from '../core/course.js';
import type { InboundEvent, OutboundMessage } from '../core/messages.js';
import type { ConversationId } from '../core/model.js';
import type { Translator } from '../core/ports.js';
import type { AdminChatCommand } from './chat-types.js';
import type { AdminPrincipal } from './scope.js';

const DIALOGUE_SECONDS = 15 * 60;
/** A redelivered update gets the reply it got the first time, without running the command again. */
const REPLY_SECONDS = 24 * 3600;
const CANCEL = new Set(['huy', 'cancel']);

/** The chats linked to admin accounts (AdminAccounts implements it). */
export interface ChatAdminDirectory {
  /** Every linked conversation (the gate: read again at most every `linkedRefreshMs`). */
  linkedChats(): Promise<string[]>;
  /** The account a conversation acts as; `revoked` when its account is revoked; null when not linked. Read for every command run. */
  chatPrincipal(conversation: string): Promise<AdminPrincipal | 'revoked' | null>;
}

export interface AdminChatOptions {
  redis: Redis;
  /** The queues' Redis prefix. */
  prefix: string;
  /** ADMIN_TELEGRAM_IDS and ADMIN_ZALO_IDS. */
  admins: { telegram: readonly string[]; zalo: readonly string[] };
  /** Chats linked to admin accounts; without it, only the listed ids, with ministry scope. */
  directory?: ChatAdminDirectory;
  /** How long the list of linked chats is kept before it is read again (a new link works after at most this). @defaultValue 30000 */
  linkedRefreshMs?: number;
  commands: readonly AdminChatCommand[];
  i18n: Translator;
  /** The admin's language: their learner profile's when they have one. */
  localeOf(event: InboundEvent): Promise<Locale>;
  now(): Date;
}

/** `/thongke@cds_bot args` → `thongke`, `args`; null when the text is not a command. */
export function commandOf(text: string): { name: string; args: string } | null {
  const m = /^\/([\p{L}\p{N}_]+)(?:@\w+)?(?:\s+([\s\S]*))?$/u.exec(text);
  return m ? { name: m[1]!.toLowerCase(), args: (m[2] ?? '').trim() } : null;
}

export class AdminChatDispatcher {
  private readonly byName = new Map<string, AdminChatCommand>();
  private readonly conversations: Set<string>;

  constructor(private readonly o: AdminChatOptions) {
    for (const command of o.commands) {
      for (const name of command.names) {
        const key = name.toLowerCase();
        if (this.byName.has(key) || CANCEL.has(key)) throw new Error(`admin chat command name /${key} is taken twice`);
        this.byName.set(key, command);
      }
    }
    this.conversations = new Set([...o.admins.telegram.map((id) => `telegram:${id}`), ...o.admins.zalo.map((id) => `zalo:${id}`)]);
  }

  private linked: { at: number; chats: Set<string>; loading?: Promise<Set<string>> } = { at: -Infinity, chats: new Set() };

  /** Whether the conversation may be an admin's: listed, or linked to an account (its principal decides when a command runs). */
  async mayBeAdmin(conversation: ConversationId): Promise<boolean> {
    if (this.conversations.has(conversation)) return true;
    if (!this.o.directory) return false;
    const refresh = this.o.linkedRefreshMs ?? 30_000;
    if (performance.now() - this.linked.at >= refresh) {
      this.linked.loading ??= this.o.directory.linkedChats().then(
        (list) => {
          this.linked = { at: performance.now(), chats: new Set(list) };
          return this.linked.chats;
        },
        (err: unknown) => {
          this.linked.loading = undefined;
          throw err;
        },
      );
      return (await this.linked.loading).has(conversation);
    }
    return this.linked.chats.has(conversation);
  }

  /** As whom the conversation acts: its linked account, else ministry scope if listed; null: no admin. */
  async principalOf(conversation: ConversationId): Promise<AdminPrincipal | null> {
    const linked = await this.o.directory?.chatPrincipal(conversation);
    if (linked === 'revoked') return null;
    if (linked) return linked;
    return this.conversations.has(conversation) ? { id: `chat:${conversation}`, name: `chat:${conversation}`, scope: { kind: 'ministry' } } : null;
  }

  private key(conversation: string): string {
    return `${this.o.prefix}:adminchat:${conversation}`;
  }

  /** The admin command's reply, or null when the tutor is to handle the update. */
  async handle(event: InboundEvent): Promise<OutboundMessage[] | null> {
    if (this.byName.size === 0 || event.kind === 'unsupported' || !(await this.mayBeAdmin(event.conversation))) return null;
    const replyKey = `${this.key(event.conversation)}:reply:${event.updateId}`;
    const earlier = await this.o.redis.get(replyKey);
    if (earlier !== null) return JSON.parse(earlier) as OutboundMessage[];
    const reply = await this.route(event);
    if (reply !== null) await this.o.redis.set(replyKey, JSON.stringify(reply), 'EX', REPLY_SECONDS);
    return reply;
  }

  private async route(event: InboundEvent): Promise<OutboundMessage[] | null> {
    const text = event.text.trim().normalize('NFC');
    const parsed = commandOf(text);
    const dialogueKey = this.key(event.conversation);
    const openName = await this.o.redis.get(dialogueKey);
    if (parsed && CANCEL.has(parsed.name)) {
      if (openName === null) return null; // nothing of ours open: the tutor's /huy
      await this.o.redis.del(dialogueKey);
      return [{ text: this.o.i18n.t(await this.o.localeOf(event), 'admin.chat.cancelled') }];
    }
    const named = parsed ? this.byName.get(parsed.name) : undefined;
    const command = named ?? (openName !== null ? this.byName.get(openName) : undefined);
    if (!command) return null;
    // Read for every command: an unlinked chat or a revoked account loses its rights at once.
    const principal = await this.principalOf(event.conversation);
    if (!principal) {
      if (openName !== null) await this.o.redis.del(dialogueKey);
      return null;
    }
    const locale = await this.o.localeOf(event);
    try {
      const outcome = await command.handle({
        principal,
        conversation: event.conversation,
        locale,
        text,
        args: named ? parsed!.args : '',
        command: Boolean(named),
        at: this.o.now(),
      });
      if (outcome.open) await this.o.redis.set(dialogueKey, command.names[0]!.toLowerCase(), 'EX', DIALOGUE_SECONDS);
      else await this.o.redis.del(dialogueKey);
      return outcome.reply;
    } catch (err) {
      // A command that fails answers with why, and its dialogue is closed: the admin is never left without a reply.
      await this.o.redis.del(dialogueKey);
      return [{ text: this.o.i18n.t(locale, 'admin.chat.failed', { reason: (err as Error).message.slice(0, 300) }) }];
    }
  }
}
