/** Reading what Zalo delivers (webhook body or getUpdates result) into the core's inbound event. */
import type { InboundEvent } from '../../core/messages.js';
import { clipChars, clipName, INGRESS_LIMITS, messageDate } from '../shared/ingress.js';
import type { ZaloMessage, ZaloUpdate } from './types.js';

export type ZaloInbound =
  | { kind: 'event'; event: InboundEvent; chatId: string }
  /** Nothing for the tutor: a group chat, a bot, a probe, an event we cannot address. */
  | { kind: 'ignored'; reason: 'group' | 'bot' | 'no_message' | 'bad_id' | 'bad_date' };

/** Zalo ids are short opaque strings; anything else is not an address we will store or answer. */
const ID = /^[A-Za-z0-9_.-]{1,64}$/;

/** Both shapes seen in the wild: `{ event_name, message }` and `{ ok, result: { event_name, message } }`. */
export function unwrapUpdate(body: unknown): ZaloUpdate | null {
  if (!body || typeof body !== 'object') return null;
  const b = body as { ok?: unknown; result?: unknown };
  const update = b.ok === true && b.result && typeof b.result === 'object' ? b.result : body;
  const u = update as { event_name?: unknown; message?: unknown };
  if (!u.message || typeof u.message !== 'object') return null;
  return { event_name: typeof u.event_name === 'string' ? u.event_name : '', message: u.message as ZaloMessage };
}

function isText(update: ZaloUpdate, m: ZaloMessage): boolean {
  if (typeof m.text !== 'string') return false;
  // An image with a caption is not an answer; dispatch on the fields present, not the name alone.
  if (m.photo || m.photo_url || m.sticker || m.voice_url) return false;
  return update.event_name === 'message.text.received' || update.event_name === '';
}

/**
 * Text → a text event; images, stickers, voice, protected-sender and unknown messages → 'unsupported'.
 * Text and name are clipped to INGRESS_LIMITS; a date (epoch ms) that is not a number in range
 * makes the event unusable ('bad_date': acknowledged and dropped); a missing one is `now`.
 */
export function toInbound(update: ZaloUpdate, now: Date): ZaloInbound {
  const m = update.message;
  if (!m || typeof m !== 'object') return { kind: 'ignored', reason: 'no_message' };
  if (m.from?.is_bot === true) return { kind: 'ignored', reason: 'bot' };
  if (m.chat?.chat_type === 'GROUP') return { kind: 'ignored', reason: 'group' };
  const chatId = m.chat?.id ?? m.from?.id;
  const messageId = m.message_id;
  if (typeof chatId !== 'string' || !ID.test(chatId) || typeof messageId !== 'string' || !ID.test(messageId)) {
    return { kind: 'ignored', reason: 'bad_id' };
  }
  const at = m.date === undefined ? now : typeof m.date === 'number' ? messageDate(m.date, now) : null;
  if (!at) return { kind: 'ignored', reason: 'bad_date' };
  const text = isText(update, m);
  const name = typeof m.from?.display_name === 'string' ? clipName(m.from.display_name) : undefined;
  return {
    kind: 'event',
    chatId,
    event: {
      conversation: `zalo:${chatId}`,
      channel: 'zalo',
      updateId: messageId,
      kind: text ? 'text' : 'unsupported',
      text: text ? clipChars(m.text!, INGRESS_LIMITS.textChars) : '',
      sender: name ? { displayName: name } : {},
      at,
    },
  };
}
