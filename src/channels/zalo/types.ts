/** Shapes of the Zalo Bot Platform API (reference: zalo-bot-api.md §2–3). IDs are strings. */

export type ZaloEventName =
  | 'message.text.received'
  | 'message.image.received'
  | 'message.sticker.received'
  | 'message.voice.received'
  | 'message.unsupported.received';

export interface ZaloUser {
  id: string;
  display_name?: string;
  is_bot?: boolean;
}

export interface ZaloChat {
  id: string;
  chat_type?: 'PRIVATE' | 'GROUP';
}

export interface ZaloMessage {
  message_id: string;
  /** Epoch milliseconds. */
  date?: number;
  from?: ZaloUser;
  chat?: ZaloChat;
  text?: string;
  photo?: string;
  photo_url?: string;
  caption?: string;
  sticker?: string;
  url?: string;
  voice_url?: string;
  message_type?: string;
}

export interface ZaloUpdate {
  event_name: string;
  message?: ZaloMessage;
}

/** Every answer of the API. */
export interface ZaloEnvelope<T> {
  ok: boolean;
  result?: T;
  description?: string;
  error_code?: number;
}

export interface ZaloBotInfo {
  id: string;
  account_name: string;
  account_type?: string;
  can_join_groups?: boolean;
}

export interface ZaloSentMessage {
  message_id: string;
  date: number;
}

export interface ZaloWebhookInfo {
  url: string;
  updated_at: number;
}
