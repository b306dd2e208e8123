/**
 * The core's message rendered for Telegram: HTML parse mode (lessons use **bold**, _italic_
 * and [links](https://…); everything else is escaped) and an inline keyboard for the choices.
 */
import type { InlineKeyboardButton, InlineKeyboardMarkup } from 'telegraf/types';
import type { Choice, DocumentFile, OutboundMessage } from '../../core/messages.js';
import { letterOf } from '../../core/parse.js';
import { splitText } from '../shared/render.js';

/** Bot API limits: message text and photo caption (after entity parsing), callback_data bytes. */
export const TEXT_LIMIT = 4096;
export const CAPTION_LIMIT = 1024;
export const CALLBACK_DATA_LIMIT = 64;

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Markdown-ish lesson text → Telegram HTML. Escapes first, so only our own tags are markup. */
export function toTelegramHtml(text: string): string {
  return escapeHtml(text)
    .replace(/\[([^\]]+)\]\((https?:[^)\s]+)\)/g, '<a href="$2">$1</a>')
    .replace(/\*\*([^*]+)\*\*/g, '<b>$1</b>')
    .replace(/(^|[\s(])_([^_\n]+)_(?=[\s).,;:!?]|$)/gm, '$1<i>$2</i>');
}

function callbackData(choice: Choice): string {
  const bytes = Buffer.byteLength(choice.value, 'utf8');
  if (bytes < 1 || bytes > CALLBACK_DATA_LIMIT) {
    throw new RangeError(`choice value "${choice.value.slice(0, 80)}" is ${bytes} bytes; Telegram callback_data takes 1-${CALLBACK_DATA_LIMIT}`);
  }
  return choice.value;
}

/**
 * Answer options (lettered messages) are listed in the text as "A. …" with short letter
 * buttons, because long option labels are cut off on a phone-width button. Other choices are
 * buttons with their label: one per row, or four per row when every label is short (hours).
 */
export function keyboard(message: OutboundMessage): InlineKeyboardMarkup | undefined {
  const choices = message.choices ?? [];
  if (choices.length === 0) return undefined;
  const lettered = Boolean(message.lettered);
  const buttons: InlineKeyboardButton[] = choices.map((c, i) => ({
    text: lettered ? letterOf(i) : c.label,
    callback_data: callbackData(c),
  }));
  const perRow = lettered ? 5 : choices.every((c) => c.label.length <= 8) ? 4 : 1;
  const rows: InlineKeyboardButton[][] = [];
  for (let i = 0; i < buttons.length; i += perRow) rows.push(buttons.slice(i, i + perRow));
  return { inline_keyboard: rows };
}

/** The source text of a message: lettered options appended for answer messages. */
function sourceText(message: OutboundMessage): string {
  if (!message.lettered || !message.choices?.length) return message.text;
  const options = message.choices.map((c, i) => `${letterOf(i)}. ${c.label}`).join('\n');
  return `${message.text}\n\n${options}`;
}

export interface TelegramPart {
  /** HTML; empty only for a photo without caption. */
  html: string;
  photo?: string;
  /** A file to upload with sendDocument (the text its caption when it fits). */
  document?: DocumentFile;
  keyboard?: InlineKeyboardMarkup;
}

/**
 * One core message → the Bot API calls that carry it, in order. Splits at paragraph boundaries
 * before rendering (rendering only removes characters, so each piece stays within the limit)
 * and puts the keyboard on the last piece. A photo takes the text as caption when it fits.
 */
export function renderParts(message: OutboundMessage): TelegramPart[] {
  const markup = keyboard(message);
  const source = sourceText(message);
  const parts: TelegramPart[] = [];
  let pieces = splitText(source, TEXT_LIMIT);
  if (message.document) {
    const file = message.document.file;
    if (!file) throw new RangeError(`document ${message.document.certificate} has no file attached`);
    const fits = source.length <= CAPTION_LIMIT;
    parts.push({ html: fits ? toTelegramHtml(source) : '', document: file });
    if (fits) pieces = [];
  } else if (message.image) {
    if (source.length <= CAPTION_LIMIT) {
      parts.push({ html: toTelegramHtml(source), photo: message.image });
      pieces = [];
    } else {
      parts.push({ html: '', photo: message.image });
    }
  }
  for (const piece of pieces) parts.push({ html: toTelegramHtml(piece) });
  const last = parts.at(-1);
  if (last && markup) last.keyboard = markup;
  return parts;
}
