/** Telegram's answers to a send, mapped onto the shared SendError taxonomy in one place. */
import { TelegramError } from 'telegraf';
import { SendError } from '../shared/errors.js';

/** Used when a 429 carries no retry_after (it always should). */
const DEFAULT_RETRY_MS = 1_000;

/**
 * 429 → rate_limited (parameters.retry_after seconds); 403 (blocked, deactivated, never
 * started the bot, kicked from the group) → blocked; other 4xx → rejected; 5xx and transport
 * failures → network. Telegram says error descriptions may change, so we branch on the code.
 */
export function toSendError(err: unknown, token?: string): SendError {
  const e = classify(err);
  // telegraf redacts tokens shaped like 123:abc from transport errors; make sure of it for any shape.
  return token && e.message.includes(token) ? new SendError(e.kind, e.message.replaceAll(token, '[token]'), e.retryAfterMs) : e;
}

function classify(err: unknown): SendError {
  if (err instanceof SendError) return err;
  if (err instanceof TelegramError) {
    const what = `${err.on && 'method' in err.on ? String(err.on.method) : 'call'}: ${err.code} ${err.description}`;
    if (err.code === 429) {
      const seconds = err.parameters?.retry_after;
      return new SendError('rate_limited', what, typeof seconds === 'number' && seconds >= 0 ? seconds * 1000 : DEFAULT_RETRY_MS);
    }
    if (err.code === 403) return new SendError('blocked', what);
    // 401 (token revoked) and 409 are the operator's to fix: retry with back-off meanwhile.
    if (err.code >= 400 && err.code < 500 && err.code !== 401 && err.code !== 409) return new SendError('rejected', what);
    return new SendError('network', what);
  }
  // node-fetch FetchError, aborts, DNS: the request never completed. telegraf redacts the token.
  return new SendError('network', `request failed: ${(err as Error)?.message ?? String(err)}`);
}
