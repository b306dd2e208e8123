/** The web role's HTTP server: health, readiness and metrics now; webhooks, admin and verification mount here. */
import Fastify, { type FastifyInstance } from 'fastify';
import type { Metrics } from '../metrics.js';

export interface ServerDeps {
  metrics: Metrics;
  /** Resolves when MongoDB and Redis both answer. */
  ready(): Promise<void>;
}

export function createServer(deps: ServerDeps): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: 1024 * 1024 });
  app.get('/healthz', async () => ({ ok: true }));
  app.get('/readyz', async (_req, reply) => {
    try {
      await deps.ready();
      return { ok: true };
    } catch (err) {
      return reply.code(503).send({ ok: false, error: (err as Error).message });
    }
  });
  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', deps.metrics.registry.contentType);
    return deps.metrics.registry.metrics();
  });
  return app;
}
