/** Rendering the core's message for text-only channels (console, Zalo): plain text, lettered or numbered choices. */
import type { OutboundMessage } from '../../core/messages.js';

/** **bold**, _italic_ and [text](url) → plain text, links kept as "text (url)". */
export function toPlainText(text: string): string {
  return text
    .replace(/\[([^\]]+)\]\((https?:[^)\s]+)\)/g, '$1 ($2)')
    .replace(/\*\*([^*]+)\*\*/g, '$1')
    .replace(/(^|[\s(])_([^_\n]+)_(?=[\s).,;:!?]|$)/g, '$1$2');
}

/** The text of a message with its choices listed: "A. …" for answer options, "1. …" otherwise, then the hint. */
export function renderPlain(message: OutboundMessage): string {
  const parts = [toPlainText(message.text)];
  if (message.choices && message.choices.length > 0) {
    const lettered = Boolean(message.lettered);
    parts.push(
      message.choices
        .map((c, i) => `  ${lettered ? String.fromCharCode(65 + i) : String(i + 1)}. ${c.label}`)
        .join('\n'),
    );
    if (message.hint) parts.push(message.hint);
  }
  return parts.join('\n');
}

/** Splits text at paragraph, then line, then word boundaries so no piece exceeds `limit` characters. */
export function splitText(text: string, limit: number): string[] {
  if (text.length <= limit) return [text];
  const pieces: string[] = [];
  let rest = text;
  while (rest.length > limit) {
    const window = rest.slice(0, limit);
    let cut = window.lastIndexOf('\n\n');
    if (cut < limit / 3) cut = window.lastIndexOf('\n');
    if (cut < limit / 3) cut = window.lastIndexOf(' ');
    if (cut < limit / 3) cut = limit;
    pieces.push(rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).trimStart();
  }
  if (rest) pieces.push(rest);
  return pieces;
}
