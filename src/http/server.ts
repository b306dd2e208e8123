/**
 * The web role's HTTP server: health, readiness and metrics; webhooks, content images, admin and
 * verification mount here. Logs through the application's logger (secrets redacted, see log.ts):
 * every 5xx with its error; routine requests are not logged.
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics.js';
import { httpLogger } from './log.js';
import { secretMatches } from './secret.js';

export interface ServerDeps {
  metrics: Metrics;
  /** The application's logger. */
  logger: Logger;
  /** What /readyz asks, by name (`mongodb`, `redis`): each must answer within `readyTimeoutMs`. */
  checks: Record<string, () => Promise<unknown>>;
  /** How long /readyz waits for each check; they run at once. @defaultValue 800 */
  readyTimeoutMs?: number;
  /** METRICS_TOKEN: /metrics wants `Authorization: Bearer <token>`; unset, /metrics answers loopback only. */
  metricsToken?: string;
}

/** 127.0.0.0/8 and ::1, also as IPv4-mapped IPv6. */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return v4.startsWith('127.') || address === '::1';
}

function bearer(req: FastifyRequest): string | undefined {
  const header = req.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return match?.[1];
}

/** Resolves when `check` answers, rejects when it fails or says nothing for `ms`. */
async function within(ms: number, check: () => Promise<unknown>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    await Promise.race([Promise.resolve().then(check), late]);
  } finally {
    clearTimeout(timer);
  }
}

export function createServer(deps: ServerDeps): FastifyInstance {
  const timeoutMs = deps.readyTimeoutMs ?? 800;
  const app = Fastify({
    loggerInstance: httpLogger(deps.logger) as FastifyBaseLogger,
    // A line per request would be two per webhook update; errors are what the log is for.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 1024 * 1024,
  });

  app.setErrorHandler((err: FastifyError, req, reply) => {
    const status = typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    if (status >= 500) req.log.error({ err, req }, 'request failed');
    return reply.code(status).send({ ok: false, error: status >= 500 ? 'internal error' : err.message });
  });
  // Fastify's own 404 logs the URL with its query string, which may carry a secret.
  app.setNotFoundHandler((_req, reply) => reply.code(404).send({ ok: false, error: 'not found' }));

  app.get('/healthz', async () => ({ ok: true }));

  // 503 within about `timeoutMs` when MongoDB or Redis does not answer, rather than hanging with them.
  app.get('/readyz', async (req, reply) => {
    const names = Object.keys(deps.checks);
    const results = await Promise.allSettled(names.map((name) => within(timeoutMs, deps.checks[name]!)));
    const failing = names.filter((_, i) => results[i]!.status === 'rejected');
    if (failing.length === 0) return { ok: true };
    const errors = Object.fromEntries(names.flatMap((n, i) => (results[i]!.status === 'rejected' ? [[n, String((results[i] as PromiseRejectedResult).reason?.message ?? results[i])]] : [])));
    req.log.error({ failing: errors }, 'not ready');
    return reply.code(503).send({ ok: false, failing });
  });

  // Not open to the world: with METRICS_TOKEN set, a bearer token (401 otherwise); without it,
  // only clients on this machine (403 otherwise). The address is the socket's own, never a
  // forwarded header: behind a reverse proxy on the same host every client looks local, so
  // set METRICS_TOKEN there.
  app.get('/metrics', async (req, reply) => {
    if (deps.metricsToken) {
      if (!secretMatches(bearer(req), deps.metricsToken)) {
        return reply.code(401).header('www-authenticate', 'Bearer').send({ ok: false, error: 'a bearer token is required' });
      }
    } else if (!isLoopback(req.raw.socket?.remoteAddress)) {
      return reply.code(403).send({ ok: false, error: 'metrics are served to this machine only unless METRICS_TOKEN is set' });
    }
    reply.header('content-type', deps.metrics.registry.contentType);
    return deps.metrics.registry.metrics();
  });
  return app;
}
