/**
 * What the HTTP server writes to the log, and what it never writes: tokens (ours sit in the Bot
 * API URLs, `/bot<token>/…`, and look like `123456:AbC…`), webhook secrets and bearer tokens
 * (headers), and secrets put in a query string. Headers are redacted by pino, strings scrubbed.
 */
import type { Logger } from 'pino';

/** Where a secret could sit in a log line object; pino replaces the value with [redacted]. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-telegram-bot-api-secret-token"]',
  'req.headers["x-bot-api-secret-token"]',
  'headers.authorization',
  'headers.cookie',
  'headers["x-telegram-bot-api-secret-token"]',
  'headers["x-bot-api-secret-token"]',
  'token',
  '*.token',
  'secret',
  '*.secret',
];

/** Replaces anything shaped like a bot token or a query-string secret. */
export function scrub(text: string): string {
  return text
    .replace(/\/bot[^/\s?#"']+/g, '/bot[redacted]')
    .replace(/\b\d{3,}:[A-Za-z0-9_-]{8,}/g, '[redacted]')
    .replace(/([?&](?:token|secret|key|access_token|api_key|secret_token)=)[^&\s#"']*/gi, '$1[redacted]');
}

/** The path without its query string: a query may carry a secret. */
function path(url: string | undefined): string {
  return scrub((url ?? '').split('?')[0] ?? '');
}

const serializers = {
  req(req: { method?: string; url?: string; raw?: { socket?: { remoteAddress?: string } }; socket?: { remoteAddress?: string } }) {
    return { method: req.method, url: path(req.url), remoteAddress: req.raw?.socket?.remoteAddress ?? req.socket?.remoteAddress };
  },
  res(res: { statusCode?: number }) {
    return { statusCode: res.statusCode };
  },
  /** Only the name, code, message and stack, scrubbed: other properties of an error (request configs, URLs) stay out. */
  err(err: unknown) {
    if (!(err instanceof Error)) return { message: scrub(String(err)) };
    const e = err as Error & { code?: unknown; statusCode?: unknown };
    return {
      type: e.name,
      message: scrub(e.message),
      ...(typeof e.code === 'string' || typeof e.code === 'number' ? { code: e.code } : {}),
      ...(typeof e.statusCode === 'number' ? { statusCode: e.statusCode } : {}),
      ...(e.stack ? { stack: scrub(e.stack) } : {}),
    };
  },
};

/** The logger the HTTP server writes through: the application's, with secrets redacted. */
export function httpLogger(logger: Logger): Logger {
  return logger.child({ component: 'http' }, { redact: { paths: REDACT_PATHS, censor: '[redacted]' }, serializers });
}
