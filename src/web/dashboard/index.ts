/**
 * The administrators' dashboard at `/admin`: server-rendered pages (Eta) over the admin API's
 * services, called in-process as the signed-in account, so every scope rule of the API applies here
 * too. Sessions in Redis (see session.ts), CSRF on every post, Vietnamese by default.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import view from '@fastify/view';
import { Eta } from 'eta';
import { hasZodFastifySchemaValidationErrors, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Locale } from '../../core/course.js';
import { ScopeError, type AdminPrincipal } from '../../admin/scope.js';
import { BOOTSTRAP_ID } from '../../admin/accounts.js';
import '../../admin/http-types.js';
import { csrfMatches, Sessions, SESSION_TTL_S, type Session } from './session.js';
import { ApiError, LOCALES, type Ctx, type DashboardDeps } from './context.js';
import { authRoutes } from './pages/auth.js';
import { overviewRoutes } from './pages/overview.js';
import { learnerRoutes } from './pages/learners.js';
import { broadcastRoutes } from './pages/broadcasts.js';
import { certificateRoutes } from './pages/certificates.js';
import { questionRoutes } from './pages/questions.js';
import { registerQueues } from './queues.js';

export type { DashboardDeps } from './context.js';

export const SESSION_COOKIE = 'cds_dash';
/** How soon a revoked account's open sessions stop working. */
export const ACCOUNT_CHECK_MS = 5_000;
export const LANG_COOKIE = 'cds_lang';

declare module 'fastify' {
  interface FastifyRequest {
    dash?: { session: Session; sid: string };
  }
}

/** The admin API's modules in a private instance that never listens: a call carries the principal by a one-time key. */
async function inProcessApi(deps: DashboardDeps) {
  const pending = new Map<string, AdminPrincipal>();
  const api = Fastify({ logger: false });
  api.setValidatorCompiler(validatorCompiler);
  api.setSerializerCompiler(serializerCompiler);
  api.setErrorHandler((err: Error & { statusCode?: number }, _req, reply) => {
    if (hasZodFastifySchemaValidationErrors(err)) return reply.code(400).send({ ok: false, error: err.message });
    const status = err instanceof ScopeError ? 403 : typeof err.statusCode === 'number' && err.statusCode >= 400 ? err.statusCode : 500;
    return reply.code(status).send({ ok: false, error: status >= 500 ? 'internal error' : err.message });
  });
  await api.register(
    async (scoped) => {
      scoped.addHook('onRequest', async (req, reply) => {
        const key = req.headers['x-dash-call'];
        const admin = typeof key === 'string' ? pending.get(key) : undefined;
        if (!admin) return reply.code(401).send({ ok: false, error: 'no principal' });
        req.admin = admin;
      });
      for (const m of deps.apiModules) await m(scoped);
    },
    { prefix: '/admin/api' },
  );
  await api.ready();
  let n = 0;
  return {
    close: () => api.close(),
    async call<T>(principal: AdminPrincipal, method: 'GET' | 'POST', url: string, payload?: unknown): Promise<T> {
      const key = `${process.pid}:${++n}:${Math.random()}`;
      pending.set(key, principal);
      try {
        const res = await api.inject({ method, url: `/admin/api${url}`, headers: { 'x-dash-call': key }, ...(payload !== undefined ? { payload: payload as object } : {}) });
        const body = res.body ? (JSON.parse(res.body) as T & { error?: string }) : ({} as T & { error?: string });
        if (res.statusCode >= 400) throw new ApiError(res.statusCode, body.error ?? `status ${res.statusCode}`);
        return body;
      } finally {
        pending.delete(key);
      }
    },
  };
}

function langOf(req: FastifyRequest): Locale {
  const c = req.cookies[LANG_COOKIE];
  return c && (LOCALES as string[]).includes(c) ? (c as Locale) : 'vi';
}

/** Secure cookies when the request came over HTTPS (directly or through a proxy that says so). */
export function isHttps(req: FastifyRequest): boolean {
  return req.protocol === 'https' || req.headers['x-forwarded-proto'] === 'https';
}

export async function registerDashboard(server: FastifyInstance, deps: DashboardDeps): Promise<void> {
  const sessions = new Sessions(deps.redis, deps.prefix);
  const api = await inProcessApi(deps);
  server.addHook('onClose', async () => api.close());
  // The dashboard's two assets, served by the project (no CDN): its stylesheet and htmx.
  const assets = [
    { path: '/admin/assets/dashboard.css', body: readFileSync(join(deps.root, 'public/dashboard.css')), type: 'text/css; charset=utf-8', maxAge: 300 },
    { path: '/admin/assets/htmx.min.js', body: readFileSync(join(deps.root, 'node_modules/htmx.org/dist/htmx.min.js')), type: 'text/javascript; charset=utf-8', maxAge: 86400 },
  ];
  const etag = (b: Buffer) => `"${createHash('sha256').update(b).digest('base64url').slice(0, 16)}"`;
  const secret = deps.cookieSecret;

  await server.register(async (app) => {
    await app.register(cookie, { secret });
    await app.register(formbody, { bodyLimit: 64 * 1024 });
    const eta = new Eta({ views: join(deps.root, 'views/dashboard'), autoEscape: true, cache: true });
    await app.register(view, { engine: { eta }, root: join(deps.root, 'views/dashboard'), viewExt: 'eta', production: true });

    app.addHook('onSend', async (_req, reply, payload) => {
      if (!reply.hasHeader('content-security-policy') && String(reply.getHeader('content-type') ?? '').startsWith('text/html')) {
        reply.header('content-security-policy', "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; script-src 'self'; frame-ancestors 'none'; form-action 'self'");
        reply.header('x-content-type-options', 'nosniff');
        reply.header('referrer-policy', 'same-origin');
        reply.header('cache-control', 'no-store');
      }
      return payload;
    });

    for (const asset of assets) {
      const tag = etag(asset.body);
      app.get(asset.path, async (req, reply) => {
        if (req.headers['if-none-match'] === tag) return reply.code(304).send();
        return reply.header('content-type', asset.type).header('etag', tag).header('cache-control', `public, max-age=${asset.maxAge}`).send(asset.body);
      });
    }

    const sidOf = (req: FastifyRequest): string | undefined => {
      const raw = req.cookies[SESSION_COOKIE];
      if (!raw) return undefined;
      const u = req.unsignCookie(raw);
      return u.valid && u.value ? u.value : undefined;
    };

    const timeFmt = new Intl.DateTimeFormat('sv-SE', { timeZone: deps.timezone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });
    /** An instant as `YYYY-MM-DD HH:MM` in the programme's time zone. */
    const time = (v: unknown) => {
      const d = v instanceof Date ? v : new Date(String(v));
      return Number.isNaN(d.getTime()) ? '' : timeFmt.format(d);
    };
    const t = (lang: Locale) => (key: string, vars?: Record<string, unknown>) => deps.i18n.t(lang, `dashboard.${key}`, vars);

    // A revoked account's sessions end within ACCOUNT_CHECK_MS (the accounts are tens: one small read, shared).
    let revoked: { until: number; ids: Promise<Set<string>> } = { until: 0, ids: Promise.resolve(new Set()) };
    const isRevoked = async (id: string): Promise<boolean> => {
      if (id === BOOTSTRAP_ID) return false;
      if (Date.now() >= revoked.until) {
        const ids = deps.accounts.list().then((list) => new Set(list.filter((a) => a.revokedAt).map((a) => a.id)));
        revoked = { until: Date.now() + ACCOUNT_CHECK_MS, ids };
        ids.catch(() => (revoked.until = 0));
      }
      return (await revoked.ids).has(id);
    };

    /** The context of a signed-in request; null after answering (sign-in redirect, 403 for a bad CSRF token). */
    const ctxOf = async (req: FastifyRequest, reply: FastifyReply): Promise<Ctx | null> => {
      const sid = sidOf(req);
      let session = await sessions.get(sid);
      const lang = langOf(req);
      if (session && (await isRevoked(session.principal.id))) {
        await sessions.close(sid);
        session = null;
      }
      if (!session || !sid) {
        if (req.method === 'GET' && !req.headers['hx-request']) {
          await reply.redirect(`/admin/login?next=${encodeURIComponent(req.url.slice(0, 300))}`);
        } else {
          await reply.code(401).header('hx-redirect', '/admin/login').type('text/plain; charset=utf-8').send(t(lang)('auth.expired'));
        }
        return null;
      }
      if (req.method === 'POST') {
        const body = (req.body ?? {}) as Record<string, unknown>;
        const posted = body._csrf ?? req.headers['x-csrf-token'];
        if (!csrfMatches(session, posted)) {
          await reply.code(403).type('text/plain; charset=utf-8').send(t(lang)('auth.csrf'));
          return null;
        }
      }
      req.dash = { session, sid };
      const tr = t(lang);
      const ctx: Ctx = {
        req,
        reply,
        session,
        principal: session.principal,
        lang,
        t: tr,
        api: (method, url, payload) => api.call(session.principal, method, url, payload),
        partial: (v, data) => reply.viewAsync(v, { t: tr, lang, csrf: session.csrf, time, ...data }).then((html) => reply.type('text/html; charset=utf-8').send(html)),
        render: (v, data) =>
          reply.viewAsync(v, { t: tr, lang, principal: session.principal, csrf: session.csrf, path: req.url, time, ...data }, { layout: 'layout.eta' }).then((html) => reply.type('text/html; charset=utf-8').send(html)),
      };
      return ctx;
    };

    /** A page handler: errors of the API become the error page with their status (403 for another province). */
    const page =
      (handler: (c: Ctx) => Promise<unknown>) =>
      async (req: FastifyRequest, reply: FastifyReply): Promise<unknown> => {
        const c = await ctxOf(req, reply);
        if (!c) return reply;
        try {
          return await handler(c);
        } catch (err) {
          const status = err instanceof ApiError || err instanceof ScopeError ? (err as { statusCode: number }).statusCode : 500;
          if (status >= 500) req.log.error({ err }, 'dashboard page failed');
          const message = status === 403 ? c.t('error.forbidden') : status === 404 ? c.t('error.notFound') : status >= 500 ? c.t('error.internal') : (err as Error).message;
          reply.code(status);
          if (req.headers['hx-request']) return reply.type('text/html; charset=utf-8').send(`<p class="error" role="alert">${message.replace(/[<>&"]/g, '')}</p>`);
          return c.render('error.eta', { title: c.t('error.title', { status }), status, message });
        }
      };

    const cookieOptions = (req: FastifyRequest) => ({ path: '/admin', httpOnly: true, sameSite: 'strict' as const, secure: isHttps(req), signed: true, maxAge: SESSION_TTL_S });
    await authRoutes(app, { deps, sessions, t, langOf, sidOf, cookieOptions, page });
    await overviewRoutes(app, { deps, page });
    await learnerRoutes(app, { deps, page });
    await broadcastRoutes(app, { deps, page });
    await certificateRoutes(app, { deps, page });
    await questionRoutes(app, { deps, page });
  });
  // Beside the pages (its own view and static plugins), behind the same sessions.
  await registerQueues(server, { deps, sessions, cookieName: SESSION_COOKIE });
}

export type Page = (handler: (c: Ctx) => Promise<unknown>) => (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>;
