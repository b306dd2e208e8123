/** The one message shape the core speaks; each channel adapter renders it for its platform. */
import type { ChannelName, ConversationId } from './model.js';

export interface Choice {
  /** What the learner sees. */
  label: string;
  /** What comes back when it is chosen: short, ASCII, at most 64 bytes (Telegram callback_data). */
  value: string;
}

export interface OutboundMessage {
  /** May use **bold**, _italic_ and [links](https://…); adapters render or strip them. */
  text: string;
  choices?: Choice[];
  /** A path under the content folder or an absolute https URL. */
  image?: string;
  /** The choices are answer options: listed A, B, C… rather than 1, 2, 3…. */
  lettered?: boolean;
  /** Tells text channels how to answer the choices ("reply with a letter"); button channels leave it out. */
  hint?: string;
  /** A file sent with the text (its caption): the core names it, the send pipeline attaches it. */
  document?: DocumentAttachment;
}

/**
 * A document the core sends: a certificate, by its verification code. Before an adapter sees it,
 * the send pipeline adds `file` (the PDF on disk, its public link and the link of its PNG image).
 */
export interface DocumentAttachment {
  certificate: string;
  file?: DocumentFile;
}

export interface DocumentFile {
  /** The PDF on this machine's disk (Telegram uploads it; the console prints the path). */
  path: string;
  /** The name the learner's app shows. */
  name: string;
  /** The PDF at PUBLIC_BASE_URL. */
  url: string;
  /** A PNG of the same page at PUBLIC_BASE_URL (Zalo sends photos by URL, no documents). */
  imageUrl: string;
}

export interface InboundEvent {
  conversation: ConversationId;
  channel: ChannelName;
  /** Unique per channel: Telegram update_id, Zalo message_id, console line number. */
  updateId: string;
  /** What the learner sent. */
  kind: 'text' | 'choice' | 'unsupported';
  /** The text typed, or the value of the chosen button. */
  text: string;
  /** What the platform tells us about the sender, used only to pre-fill onboarding. */
  sender?: { displayName?: string; languageCode?: string };
  at: Date;
}

export interface Reply {
  conversation: ConversationId;
  messages: OutboundMessage[];
}
