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

export function toSendError(err: unknown, rateLimitPauseMs = ZALO_RATE_LIMIT_PAUSE_MS): SendError | unknown {
  if (err instanceof ZaloNetworkError) return new SendError('network', err.message);
  if (!(err instanceof ZaloApiError)) return err;
  const code = err.error_code;
  if (code === 429) return new SendError('rate_limited', err.message, rateLimitPauseMs);
  if (code === 403) return new SendError('blocked', err.message);
  if (code === 408 || code >= 500 || code < 400) return new SendError('network', err.message);
  // 400 bad request, 401 bad token (the operator must fix the configuration), 404 invalid request.
  return new SendError('rejected', err.message);
}
