/** Telegram's answers to a call, mapped onto the shared SendError taxonomy in one place. */
import { TelegramError } from 'telegraf';
import { SendError } from '../shared/errors.js';

/** Used when a 429 carries no retry_after (it always should). */
const DEFAULT_RETRY_MS = 1_000;

/** The setting to fix when Telegram refuses the token. */
export const TELEGRAM_TOKEN_VARIABLE = 'TELEGRAM_BOT_TOKEN';

/**
 * 429 → rate_limited (parameters.retry_after seconds); 403 (blocked, deactivated, never
 * started the bot, kicked from the group) → blocked; 401 (token revoked or wrong) → network,
 * naming TELEGRAM_BOT_TOKEN: the operator fixes it and the queued messages then go out; 409
 * (webhook and polling at once) → network; other 4xx → rejected; 5xx, transport failures and
 * anything unknown → network. Telegram says descriptions may change, so we branch on the code.
 */
export function toSendError(err: unknown, token?: string): SendError {
  const e = classify(err);
  // telegraf redacts tokens shaped like 123:abc from transport errors; make sure of it for any shape.
  return token && e.message.includes(token) ? new SendError(e.kind, e.message.replaceAll(token, '[token]'), e.retryAfterMs, e.configVariable) : e;
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
    if (err.code === 401) return new SendError('network', `${what} (check ${TELEGRAM_TOKEN_VARIABLE})`, undefined, TELEGRAM_TOKEN_VARIABLE);
    if (err.code >= 400 && err.code < 500 && err.code !== 409) return new SendError('rejected', what);
    return new SendError('network', what);
  }
  // node-fetch FetchError, aborts, DNS, anything else: retry. telegraf redacts the token.
  return new SendError('network', `request failed: ${(err as Error)?.message ?? String(err)}`);
}
