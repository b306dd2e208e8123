/**
 * Bull Board at /admin/queues behind the dashboard's sign-in: the ministry gets the full board at
 * /admin/queues/all/, a province coordinator a read-only one at /admin/queues/read/ (its adapters
 * in read-only mode, and every write refused here too). The read-only board hides what the jobs carry
 * (their data and return values name learners of every province; a coordinator sees their own province
 * only) and keeps what a coordinator follows: counts, states, timings and failure reasons. Its page links
 * a web font from a CDN: removed.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import cookie from '@fastify/cookie';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { DashboardDeps } from './context.js';
import type { Sessions } from './session.js';

const HIDDEN = '(hidden: ministry accounts only)';
const CDN_LINK = /<link[^>]+(?:fonts\.googleapis\.com|fonts\.gstatic\.com)[^>]*>/g;

export async function registerQueues(server: FastifyInstance, o: { deps: DashboardDeps; sessions: Sessions; cookieName: string }): Promise<void> {
  const boards = [
    { path: '/admin/queues/all', readOnly: false },
    { path: '/admin/queues/read', readOnly: true },
  ];
  await server.register(async (app) => {
    await app.register(cookie, { secret: o.deps.cookieSecret });
    const sessionOf = async (req: FastifyRequest) => {
      const raw = req.cookies[o.cookieName];
      const u = raw ? req.unsignCookie(raw) : null;
      return u?.valid && u.value ? o.sessions.get(u.value) : null;
    };
    app.get('/admin/queues', async (req, reply) => {
      const session = await sessionOf(req);
      if (!session) return reply.redirect('/admin/login?next=/admin/queues');
      return reply.redirect(session.principal.scope.kind === 'ministry' ? '/admin/queues/all/' : '/admin/queues/read/');
    });
    for (const b of boards) {
      await app.register(async (board) => {
        board.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
          const session = await sessionOf(req);
          if (!session) return reply.redirect(`/admin/login?next=${encodeURIComponent('/admin/queues')}`);
          if (!b.readOnly && session.principal.scope.kind !== 'ministry') return reply.code(403).send({ error: 'only a ministry account may manage the queues' });
          if (b.readOnly && req.method !== 'GET' && req.method !== 'HEAD') return reply.code(403).send({ error: 'read-only' });
        });
        board.addHook('onSend', async (_req, reply, payload) => {
          if (typeof payload === 'string' && String(reply.getHeader('content-type') ?? '').startsWith('text/html')) return payload.replace(CDN_LINK, '');
          return payload;
        });
        const adapter = new FastifyAdapter();
        const queues = o.deps.queues.map((q) => {
          const a = new BullMQAdapter(q, { readOnlyMode: b.readOnly });
          if (b.readOnly) for (const field of ['data', 'returnValue'] as const) a.setFormatter(field, () => HIDDEN);
          return a;
        });
        createBullBoard({ queues, serverAdapter: adapter, options: { uiConfig: { boardTitle: 'cds-tutor' } } });
        adapter.setBasePath(b.path);
        await board.register(adapter.registerPlugin(), { prefix: b.path });
      });
    }
  });
}
