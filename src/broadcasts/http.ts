/**
 * The broadcasts' admin API, under `/admin/api` after the auth hook: preview a segment, create a
 * broadcast (a second call, with `confirm: true`), list, follow, pause, resume, cancel. Bodies are
 * validated with zod (a bad one is a 400 naming the field); a province account may only target and
 * see its own province (403 otherwise, from BroadcastService).
 */
import { z } from 'zod';
import type { FastifyReply } from 'fastify';
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

function bad(reply: FastifyReply, error: z.ZodError) {
  const first = error.issues[0];
  return reply.code(400).send({ ok: false, error: `${first?.path.join('.') || 'body'}: ${first?.message ?? 'invalid'}` });
}

export interface BroadcastRouteDeps {
  service: BroadcastService;
}

export function broadcastRoutes(deps: BroadcastRouteDeps): AdminRoutes {
  const { service } = deps;
  return (app) => {
    app.post('/broadcasts/preview', async (req, reply) => {
      const body = SegmentSchema.safeParse(req.body ?? {});
      if (!body.success) return bad(reply, body.error);
      return { ok: true, preview: await service.preview(principalOf(req), body.data as never) };
    });

    app.post('/broadcasts', async (req, reply) => {
      const body = CreateBroadcastSchema.safeParse(req.body ?? {});
      if (!body.success) return bad(reply, body.error);
      const b = body.data;
      const created = await service.create(
        principalOf(req),
        {
          text: { vi: b.text, ...(b.textEn ? { en: b.textEn } : {}) },
          ...(b.image ? { image: b.image } : {}),
          segment: b.segment as never,
          ...(b.at ? { at: new Date(b.at) } : {}),
          quietHours: b.quietHours,
          ack: b.ack,
          ...(b.remindAfter ? { remindAfter: b.remindAfter } : {}),
        },
        req.ip,
      );
      return reply.code(201).send({ ok: true, broadcast: created });
    });

    app.get('/broadcasts', async (req) => ({ ok: true, broadcasts: await service.list(principalOf(req)) }));

    app.get('/broadcasts/:id', async (req, reply) => {
      const p = IdParams.safeParse(req.params);
      if (!p.success) return bad(reply, p.error);
      return { ok: true, broadcast: await service.show(principalOf(req), p.data.id) };
    });

    for (const action of ['pause', 'resume', 'cancel'] as const) {
      app.post(`/broadcasts/:id/${action}`, async (req, reply) => {
        const p = IdParams.safeParse(req.params);
        if (!p.success) return bad(reply, p.error);
        return { ok: true, broadcast: await service[action](principalOf(req), p.data.id, req.ip) };
      });
    }
  };
}
