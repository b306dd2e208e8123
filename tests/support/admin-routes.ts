/**
 * Serves one admin route module under `/admin/api` for its tests, with the principal taken from
 * the `x-test-admin` header (`ministry` or `province:<name>`) where the real auth hook would set it
 * from a token. The real hook and the scope matrix over every route are tested in tests/admin/api.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { AdminRoutes } from '../../src/admin/http-types.js';
import { parseScope, ScopeError } from '../../src/admin/scope.js';
import '../../src/admin/http-types.js';

export async function serveAdminRoutes(...modules: AdminRoutes[]): Promise<FastifyInstance> {
  const app = Fastify({ bodyLimit: 60 * 1024 * 1024 });
  app.setErrorHandler((err: Error & { statusCode?: number }, _req, reply) => {
    const status = err instanceof ScopeError ? 403 : (err.statusCode ?? 500);
    return reply.code(status).send({ ok: false, error: err.message });
  });
  await app.register(
    async (api) => {
      api.addHook('onRequest', async (req, reply) => {
        const header = req.headers['x-test-admin'];
        if (typeof header !== 'string') return reply.code(401).send({ ok: false, error: 'no x-test-admin header' });
        const scope = parseScope(decodeURIComponent(header));
        req.admin = { id: `test-${header}`, name: `Test ${header}`, scope };
      });
      for (const m of modules) await m(api);
    },
    { prefix: '/admin/api' },
  );
  await app.ready();
  return app;
}

/** The `x-test-admin` header for a scope. */
export function as(scope: 'ministry' | `province:${string}`): Record<string, string> {
  return { 'x-test-admin': encodeURIComponent(scope) };
}
