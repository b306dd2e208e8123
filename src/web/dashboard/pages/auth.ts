/** Sign in with a personal admin token, sign out, and the language switch. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { CookieSerializeOptions } from '@fastify/cookie';
import type { Locale } from '../../../core/course.js';
import { formatScope } from '../../../admin/scope.js';
import type { DashboardDeps } from '../context.js';
import { LOCALES, str } from '../context.js';
import type { Sessions } from '../session.js';
import type { Page } from '../index.js';

const SESSION_COOKIE = 'cds_dash';
const LANG_COOKIE = 'cds_lang';

/** Only a path of the dashboard itself: never an open redirect. */
export function safeNext(next: unknown): string {
  const s = typeof next === 'string' ? next : '';
  return /^\/admin(\/[^\s\\]*)?(\?[^\s\\]*)?$/.test(s) && !s.includes('..') && !s.startsWith('/admin/login') ? s : '/admin/overview';
}

export async function authRoutes(
  app: FastifyInstance,
  o: {
    deps: DashboardDeps;
    sessions: Sessions;
    t: (lang: Locale) => (key: string, vars?: Record<string, unknown>) => string;
    langOf: (req: FastifyRequest) => Locale;
    sidOf: (req: FastifyRequest) => string | undefined;
    cookieOptions: (req: FastifyRequest) => CookieSerializeOptions;
    page: Page;
  },
): Promise<void> {
  const { deps, sessions } = o;
  const loginPage = (req: FastifyRequest, reply: FastifyReply, error?: string) => {
    const lang = o.langOf(req);
    const t = o.t(lang);
    const next = safeNext((req.query as Record<string, unknown>).next ?? (req.body as Record<string, unknown> | undefined)?.next);
    return reply.viewAsync('login.eta', { t, lang, principal: null, csrf: null, path: req.url, title: t('auth.title'), error, next }, { layout: 'layout.eta' }).then((html) => reply.type('text/html; charset=utf-8').send(html));
  };

  app.get('/admin', async (_req, reply) => reply.redirect('/admin/overview'));
  app.get('/admin/', async (_req, reply) => reply.redirect('/admin/overview'));
  app.get('/admin/login', async (req, reply) => {
    if (await sessions.get(o.sidOf(req))) return reply.redirect(safeNext((req.query as Record<string, unknown>).next));
    return loginPage(req, reply);
  });

  app.post('/admin/login', { config: { rateLimit: { max: 10, timeWindow: '1 minute' } } }, async (req, reply) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const token = typeof body.token === 'string' ? body.token.trim() : '';
    const principal = await deps.accounts.authenticate(token);
    const t = o.t(o.langOf(req));
    if (!principal) {
      reply.code(401);
      return loginPage(req, reply, t('auth.wrongToken'));
    }
    const { id } = await sessions.open(principal, deps.clock.now());
    await deps.audit?.record({ actor: { id: principal.id, name: principal.name }, action: 'dashboard.signin', detail: { scope: formatScope(principal.scope) }, from: req.ip }).catch(() => undefined);
    reply.setCookie(SESSION_COOKIE, id, o.cookieOptions(req));
    return reply.code(303).redirect(safeNext(body.next), 303);
  });

  app.post(
    '/admin/logout',
    o.page(async (c) => {
      await sessions.close(c.req.dash?.sid);
      c.reply.clearCookie(SESSION_COOKIE, { path: '/admin' });
      return c.reply.redirect('/admin/login', 303);
    }),
  );

  // The language switch: a link (GET) that only sets a preference cookie, then goes back.
  app.get('/admin/lang/:lng', async (req, reply) => {
    const lng = str((req.params as Record<string, unknown>).lng, 5);
    const back = safeNext((req.query as Record<string, unknown>).back);
    if (lng && (LOCALES as string[]).includes(lng)) reply.setCookie(LANG_COOKIE, lng, { path: '/admin', sameSite: 'strict', httpOnly: true, secure: o.cookieOptions(req).secure ?? false, maxAge: 365 * 24 * 3600 });
    return reply.redirect(back === '/admin/overview' && typeof (req.query as Record<string, unknown>).back !== 'string' ? '/admin/overview' : back);
  });
}
