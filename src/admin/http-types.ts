/**
 * The contract between the admin API's authentication and its route modules: the auth hook
 * resolves the bearer token to an account and sets `request.admin` before any route under
 * `/admin/api` runs; route modules read it and check scope with `provinceFor`/`covers`.
 */
import type { FastifyInstance } from 'fastify';
import type { AdminPrincipal } from './scope.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the admin auth hook for every `/admin/api` request that reaches a route. */
    admin?: AdminPrincipal;
  }
}

/** A route module: registered inside the `/admin/api` prefix, after the auth hook. */
export type AdminRoutes = (app: FastifyInstance) => void | Promise<void>;

/** The principal of a request that passed the auth hook (a route without one is a wiring bug). */
export function principalOf(req: { admin?: AdminPrincipal }): AdminPrincipal {
  if (!req.admin) throw new Error('admin route reached without the auth hook');
  return req.admin;
}
