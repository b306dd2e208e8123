/**
 * The contract between the admin chat dispatcher and the admin chat commands (`/thongke`,
 * `/thongbao`, …). For an admin's conversation (linked to an admin account, or listed in
 * ADMIN_TELEGRAM_IDS / ADMIN_ZALO_IDS), a message that starts with one of a command's names — or
 * any message while that command's dialogue is open — goes to the command instead of the tutor.
 * Everyone else's `/thongke` is the tutor's (an unknown command). A linked chat acts as its account
 * (its scope, its id in the audit log); a listed chat linked to none acts with ministry scope as
 * `chat:<conversation>`. Every change is audited with `from: chat:<conversation>`.
 */
import type { Locale } from '../core/course.js';
import type { OutboundMessage } from '../core/messages.js';
import type { AdminPrincipal } from './scope.js';

export interface AdminChatContext {
  principal: AdminPrincipal;
  /** `telegram:<chatId>`, `zalo:<userId>`, `console:<n>`. */
  conversation: string;
  locale: Locale;
  /** The whole message as typed (trimmed, NFC). */
  text: string;
  /** What follows the command name, when the message starts with one; '' otherwise. */
  args: string;
  /** True when the message starts with one of the command's names; false for a reply inside its open dialogue. */
  command: boolean;
  at: Date;
}

export interface AdminChatOutcome {
  reply: OutboundMessage[];
  /** Keep the dialogue open: the conversation's next message comes back to this command (for at most 15 minutes). */
  open?: boolean;
}

export interface AdminChatCommand {
  /** Names without the slash, Vietnamese first: `['thongke', 'stats']`. */
  readonly names: readonly string[];
  handle(ctx: AdminChatContext): Promise<AdminChatOutcome>;
}
