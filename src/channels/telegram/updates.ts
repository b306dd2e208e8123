/**
 * Telegram updates → what the application does with them. Updates arrive from the network
 * (webhook bodies are hostile until proven otherwise), so only the fields we use are read,
 * through a schema; anything else is ignored rather than trusted.
 */
import { z } from 'zod';
import type { InboundEvent } from '../../core/messages.js';
import { conversationId, type ConversationId } from '../../core/model.js';
import { clipBytes, clipChars, clipName, INGRESS_LIMITS, messageDate } from '../shared/ingress.js';

const user = z.object({
  id: z.number().int(),
  is_bot: z.boolean().optional(),
  first_name: z.string().optional(),
  last_name: z.string().optional(),
  language_code: z.string().optional(),
});
const chat = z.object({ id: z.number().int(), type: z.string() });
const message = z.object({
  message_id: z.number().int(),
  date: z.number().optional(),
  chat,
  from: user.optional(),
  text: z.string().optional(),
  caption: z.string().optional(),
});
const callbackQuery = z.object({
  id: z.string().max(64),
  from: user,
  // May be an "inaccessible message" stub (date 0); it still names the chat.
  message: z.object({ chat }).optional(),
  data: z.string().optional(),
});
const chatMember = z.object({
  chat,
  new_chat_member: z.object({ status: z.string() }),
});

/** An update as we read it: the id is all every update must have. */
export const updateSchema = z.object({
  update_id: z.number().int().nonnegative(),
  message: message.optional(),
  callback_query: callbackQuery.optional(),
  my_chat_member: chatMember.optional(),
});

export type UpdateAction =
  /** A learner's message or button press for the tutor; `callbackQueryId` must be answered. */
  | { type: 'event'; event: InboundEvent; callbackQueryId?: string }
  /** The learner blocked the bot (private chat): stop sending there. */
  | { type: 'blocked'; conversation: ConversationId; callbackQueryId?: undefined }
  /** A message in a group: no learner; `command` when it was addressed to bots, so we may point to the private chat. */
  | { type: 'group'; chatId: number; command: boolean; languageCode?: string; callbackQueryId?: string }
  | { type: 'ignore'; reason: string; callbackQueryId?: string }
  /** Unusable input (a date out of range): acknowledged, dropped and logged, never retried. */
  | { type: 'invalid'; reason: string; updateId: string; callbackQueryId?: undefined };

type User = z.infer<typeof user>;

/** Names and language clipped to INGRESS_LIMITS: they are stored with the learner. */
function sender(from: User | undefined): InboundEvent['sender'] {
  if (!from) return undefined;
  const displayName = clipName([clipName(from.first_name), clipName(from.last_name)].filter(Boolean).join(' '));
  return { displayName, languageCode: languageCode(from.language_code) };
}

function languageCode(code: string | undefined): string | undefined {
  return code === undefined ? undefined : clipChars(code, INGRESS_LIMITS.languageCodeChars);
}

/**
 * Decides what an update means. Handles only private chats; edited messages, channel posts,
 * poll answers (we send no polls) and anything unknown are ignored. Text, names and button data
 * are clipped to INGRESS_LIMITS; a message whose date is out of range is invalid (dropped).
 */
export function classifyUpdate(raw: unknown, now: Date): UpdateAction {
  const parsed = updateSchema.safeParse(raw);
  if (!parsed.success) return { type: 'ignore', reason: 'not an update we read' };
  const u = parsed.data;
  const updateId = String(u.update_id);

  if (u.callback_query) {
    const q = u.callback_query;
    const chatOf = q.message?.chat ?? { id: q.from.id, type: 'private' };
    if (chatOf.type !== 'private') return { type: 'group', chatId: chatOf.id, command: false, callbackQueryId: q.id };
    const data = q.data === undefined ? '' : clipBytes(q.data, INGRESS_LIMITS.callbackDataBytes);
    if (!data) return { type: 'ignore', reason: 'callback without data', callbackQueryId: q.id };
    return {
      type: 'event',
      callbackQueryId: q.id,
      event: {
        conversation: conversationId('telegram', String(chatOf.id)),
        channel: 'telegram',
        updateId,
        kind: 'choice',
        text: data,
        sender: sender(q.from),
        at: now,
      },
    };
  }

  if (u.message) {
    const m = u.message;
    const typed = m.text ?? m.caption;
    const text = typed === undefined ? undefined : clipChars(typed, INGRESS_LIMITS.textChars);
    if (m.chat.type !== 'private') {
      return { type: 'group', chatId: m.chat.id, command: Boolean(m.text?.startsWith('/')), languageCode: languageCode(m.from?.language_code) };
    }
    if (m.from?.is_bot) return { type: 'ignore', reason: 'from a bot' };
    // Telegram dates are whole seconds; a missing one is the receiving time.
    const at = m.date === undefined ? now : messageDate(m.date * 1000, now);
    if (!at) return { type: 'invalid', reason: `message date ${m.date} out of range`, updateId };
    return {
      type: 'event',
      event: {
        conversation: conversationId('telegram', String(m.chat.id)),
        channel: 'telegram',
        updateId,
        // A photo's caption is what the learner typed; stickers, contacts, voice… are not text.
        kind: text === undefined ? 'unsupported' : 'text',
        text: text ?? '',
        sender: sender(m.from),
        at,
      },
    };
  }

  if (u.my_chat_member) {
    const cm = u.my_chat_member;
    if (cm.chat.type === 'private' && cm.new_chat_member.status === 'kicked') {
      return { type: 'blocked', conversation: conversationId('telegram', String(cm.chat.id)) };
    }
    // Unblocking needs nothing here: the learner's next /start makes them reachable again.
    return { type: 'ignore', reason: `chat member ${cm.new_chat_member.status}` };
  }

  return { type: 'ignore', reason: 'update type not handled' };
}
