/**
 * The admin API under `/admin/api`: a bearer token → `request.admin` before any route runs, scope
 * errors as 403, validation errors as 400 with the reason, one audit entry per call, and an
 * OpenAPI description at `/admin/api/docs` generated from the same zod schemas that validate.
 * Off (404) when ADMIN_TOKEN is unset (SPEC §2).
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { hasZodFastifySchemaValidationErrors, jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AdminRoutes } from '../../admin/http-types.js';
import { principalOf } from '../../admin/http-types.js';
import { ScopeError, type AdminPrincipal } from '../../admin/scope.js';
import { accountJson, type AdminAccounts } from '../../admin/accounts.js';
import type { MongoAuditLog } from '../../admin/audit.js';
import { learnerRoutes, type LearnerViewDeps } from './learners.js';
import { cohortRoutes, type CohortRouteDeps } from './cohorts.js';

export interface AdminApiDeps extends LearnerViewDeps, CohortRouteDeps {
  accounts: AdminAccounts;
  audit: MongoAuditLog;
}

function bearer(req: FastifyRequest): string | undefined {
  const header = req.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return match?.[1];
}

/** 403 unless the principal is a ministry account. */
export function requireMinistry(admin: AdminPrincipal): void {
  if (admin.scope.kind !== 'ministry') throw new ScopeError('only a ministry account may do this');
}

function errorHandler(err: FastifyError, req: FastifyRequest, reply: FastifyReply) {
  if (hasZodFastifySchemaValidationErrors(err)) {
    const reason = err.validation.map((v) => `${err.validationContext ?? 'request'}${v.instancePath ? v.instancePath.replace(/\//g, '.') : ''}: ${v.message}`).join('; ');
    return reply.code(400).send({ ok: false, error: reason });
  }
  if (err instanceof ScopeError) return reply.code(403).send({ ok: false, error: err.message });
  const status = typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
  if (status >= 500) req.log.error({ err }, 'admin request failed');
  return reply.code(status).send({ ok: false, error: status >= 500 ? 'internal error' : err.message });
}

/** The API's routes over the programme's data (learners, cohorts, then `modules`), besides its own (me, audit, admins): what the dashboard calls in-process. */
export function resourceModules(deps: AdminApiDeps, modules: AdminRoutes[] = []): AdminRoutes[] {
  return [learnerRoutes(deps), cohortRoutes(deps), ...modules];
}

export async function registerAdminApi(server: FastifyInstance, deps: AdminApiDeps, modules: AdminRoutes[] = []): Promise<void> {
  if (!deps.accounts.enabled) return;
  await server.register(
    async (api) => {
      api.setValidatorCompiler(validatorCompiler);
      api.setSerializerCompiler(serializerCompiler);
      api.setErrorHandler(errorHandler);
      api.setNotFoundHandler((_req, reply) => reply.code(404).send({ ok: false, error: 'not found' }));
      await api.register(swagger, {
        openapi: {
          info: { title: 'cds-tutor admin API', version: '1' },
          components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
          security: [{ bearer: [] }],
        },
        transform: jsonSchemaTransform,
      });
      // The description of the API is public (it holds no data); every route it describes needs a token.
      await api.register(swaggerUi, { routePrefix: '/docs' });

      await api.register(async (secured) => {
        secured.addHook('onRequest', async (req, reply) => {
          const admin = await deps.accounts.authenticate(bearer(req));
          if (!admin) {
            return reply.code(401).header('www-authenticate', 'Bearer realm="cds-tutor admin"').send({ ok: false, error: 'a valid admin bearer token is required' });
          }
          req.admin = admin;
        });
        // One entry per call: the route's pattern, never the URL (its query string may carry secrets).
        secured.addHook('onResponse', async (req, reply) => {
          if (!req.admin) return;
          await deps.audit
            .record({
              actor: { id: req.admin.id, name: req.admin.name },
              action: `${req.method} ${req.routeOptions.url ?? 'unknown route'}`,
              detail: { status: reply.statusCode },
              from: req.ip,
            })
            .catch((err: Error) => req.log.error({ err }, 'audit entry not written'));
        });
        await ownRoutes(secured, deps);
        for (const m of resourceModules(deps, modules)) await m(secured);
      });
    },
    { prefix: '/admin/api' },
  );
}

const cursorPage = z.object({
  before: z.string().max(64).optional().describe('the `next` of the previous page'),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

async function ownRoutes(app: FastifyInstance, deps: AdminApiDeps): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get('/me', { schema: { summary: 'the account of the token', tags: ['accounts'] } }, async (req) => {
    const me = principalOf(req);
    return { id: me.id, name: me.name, scope: me.scope };
  });

  r.get('/audit', { schema: { summary: 'the audit log, newest first (ministry only)', tags: ['accounts'], querystring: cursorPage } }, async (req) => {
    requireMinistry(principalOf(req));
    const page = await deps.audit.list({ before: req.query.before, limit: req.query.limit });
    return { entries: page.entries.map((e) => ({ ...e, at: e.at.toISOString() })), next: page.next };
  });

  r.get('/admins', { schema: { summary: 'every admin account (ministry only)', tags: ['accounts'] } }, async (req) => {
    requireMinistry(principalOf(req));
    return { admins: (await deps.accounts.list()).map(accountJson) };
  });

  r.post(
    '/admins',
    {
      schema: {
        summary: 'create an admin account; its token is in this answer and nowhere else (ministry only)',
        tags: ['accounts'],
        body: z.object({ name: z.string().min(1).max(120), scope: z.string().min(1).max(140).describe('`ministry` or `province:<name>`') }),
      },
    },
    async (req, reply) => {
      const me = principalOf(req);
      requireMinistry(me);
      const { account, token } = await deps.accounts.add(req.body);
      await deps.audit.record({ actor: me, action: 'admin.add', target: account.id, detail: { name: account.name, scope: accountJson(account).scope }, from: req.ip });
      return reply.code(201).send({ ...accountJson(account), token });
    },
  );

  r.delete(
    '/admins/:id',
    { schema: { summary: 'revoke an admin account (ministry only)', tags: ['accounts'], params: z.object({ id: z.string().min(1).max(120) }) } },
    async (req) => {
      const me = principalOf(req);
      requireMinistry(me);
      const account = await deps.accounts.revoke(req.params.id);
      await deps.audit.record({ actor: me, action: 'admin.revoke', target: account.id, detail: { name: account.name }, from: req.ip });
      return accountJson(account);
    },
  );
}
