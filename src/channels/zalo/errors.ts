/**
 * The one place Zalo's answers become the shared SendError kinds (reference §1 error table).
 * 403 is "blocked": it is the answer to sending to a chat that refuses the bot (the docs label it
 * "internal server error", a slip); 404 "invalid request" says nothing about the person, so it is
 * only "rejected". A wrong "blocked" heals itself: replies to a learner who writes are always sent.
 */
import { SendError } from '../shared/errors.js';
import { ZaloApiError, ZaloNetworkError } from './client.js';

/** Zalo's 429 carries no retry-after; how long the queue pauses by default. */
export const ZALO_RATE_LIMIT_PAUSE_MS = 30_000;

/** The setting to fix when Zalo refuses the token. */
export const ZALO_TOKEN_VARIABLE = 'ZALO_BOT_TOKEN';

/**
 * 429 → rate_limited; 403 → blocked; 401 (token expired or invalid) → network, naming
 * ZALO_BOT_TOKEN, as on Telegram; 408, 5xx, transport failures and anything unknown → network;
 * other 4xx (400 bad request, 404 invalid request) → rejected.
 */
export function toSendError(err: unknown, rateLimitPauseMs = ZALO_RATE_LIMIT_PAUSE_MS): SendError {
  if (err instanceof SendError) return err;
  if (err instanceof ZaloNetworkError) return new SendError('network', err.message);
  if (!(err instanceof ZaloApiError)) return new SendError('network', `unexpected failure: ${(err as Error)?.message ?? String(err)}`);
  const code = err.error_code;
  if (code === 429) return new SendError('rate_limited', err.message, rateLimitPauseMs);
  if (code === 403) return new SendError('blocked', err.message);
  if (code === 401) return new SendError('network', `${err.message} (check ${ZALO_TOKEN_VARIABLE})`, undefined, ZALO_TOKEN_VARIABLE);
  if (code >= 400 && code < 500 && code !== 408) return new SendError('rejected', err.message);
  return new SendError('network', err.message);
}
