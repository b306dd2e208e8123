/**
 * The broadcasts' admin API, under `/admin/api` after the auth hook: preview a segment, create a
 * broadcast (a second call, with `confirm: true`), list, follow, pause, resume, cancel. Bodies and
 * parameters are zod schemas (fastify-type-provider-zod): they validate (a bad one is a 400 naming
 * the field) and describe the routes at /admin/api/docs; a province account may only target and
 * see its own province (403 otherwise, from BroadcastService).
 */
import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Segment } from '../core/broadcast.js';
import { principalOf, type AdminRoutes } from '../admin/http-types.js';
import { CHANNELS, ROLES } from '../core/model.js';
import type { BroadcastService } from './service.js';

const text = (max: number) => z.string().trim().min(1).max(max);

export const SegmentSchema = z
  .object({
    cohort: text(100).optional(),
    province: text(100).optional(),
    commune: text(100).optional(),
    role: z.enum(ROLES as [string, ...string[]]).optional(),
    status: z.enum(['not_started', 'in_progress', 'completed', 'certified']).optional(),
    channel: z.enum(CHANNELS as [string, ...string[]]).optional(),
    inactiveDays: z.number().int().min(1).max(3650).optional(),
  })
  .strict();

export const CreateBroadcastSchema = z
  .object({
    text: text(2000),
    textEn: text(2000).optional(),
    image: z.url({ protocol: /^https$/ }).max(2000).optional(),
    segment: SegmentSchema.default({}),
    at: z.iso.datetime({ offset: true }).optional(),
    quietHours: z.boolean().default(true),
    ack: z.boolean().default(false),
    remindAfter: z.string().regex(/^P(?:\d+D)?(?:T(?:\d+H)?(?:\d+M)?)?$/).optional(),
    confirm: z.literal(true, { error: 'confirm: true is required: preview first (POST /admin/api/broadcasts/preview), then confirm' }),
  })
  .strict();

export const IdParams = z.object({ id: z.string().regex(/^[a-z0-9]{1,40}$/) });

export interface BroadcastRouteDeps {
  service: BroadcastService;
}

const tags = ['broadcasts'];

export function broadcastRoutes(deps: BroadcastRouteDeps): AdminRoutes {
  const { service } = deps;
  return async (api: FastifyInstance) => {
    // The schemas validate (a bad body is a 400 from the admin API's error handler, naming the
    // field) and describe the routes at /admin/api/docs.
    await api.register(async (scoped) => {
      scoped.setValidatorCompiler(validatorCompiler);
      scoped.setSerializerCompiler(serializerCompiler);
      const app = scoped.withTypeProvider<ZodTypeProvider>();

      app.post('/broadcasts/preview', { schema: { tags, summary: 'Who a segment reaches: per channel and province, unreachable, held by the Zalo budget (sends nothing)', body: SegmentSchema.nullish() } }, async (req) => ({
        ok: true,
        preview: await service.preview(principalOf(req), (req.body ?? {}) as Segment),
      }));

      app.post('/broadcasts', { schema: { tags, summary: 'Create and send (or schedule) a broadcast: preview first, then this call with confirm: true', body: CreateBroadcastSchema } }, async (req, reply) => {
        const b = req.body;
        const created = await service.create(
          principalOf(req),
          {
            text: { vi: b.text, ...(b.textEn ? { en: b.textEn } : {}) },
            ...(b.image ? { image: b.image } : {}),
            segment: b.segment as Segment,
            ...(b.at ? { at: new Date(b.at) } : {}),
            quietHours: b.quietHours,
            ack: b.ack,
            ...(b.remindAfter ? { remindAfter: b.remindAfter } : {}),
          },
          req.ip,
        );
        return reply.code(201).send({ ok: true, broadcast: created });
      });

      app.get('/broadcasts', { schema: { tags, summary: 'The broadcasts this account may see, newest first, with their counts' } }, async (req) => ({ ok: true, broadcasts: await service.list(principalOf(req)) }));

      app.get('/broadcasts/:id', { schema: { tags, summary: 'One broadcast: targeted, queued, sent, failed, blocked, held, rerouted, acknowledged, per province', params: IdParams } }, async (req) => ({
        ok: true,
        broadcast: await service.show(principalOf(req), req.params.id),
      }));

      for (const action of ['pause', 'resume', 'cancel'] as const) {
        app.post(`/broadcasts/:id/${action}`, { schema: { tags, summary: `${action[0]!.toUpperCase()}${action.slice(1)} a broadcast`, params: IdParams } }, async (req) => ({
          ok: true,
          broadcast: await service[action](principalOf(req), req.params.id, req.ip),
        }));
      }
    });
  };
}
