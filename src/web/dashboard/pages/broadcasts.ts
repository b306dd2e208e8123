/**
 * Broadcasts: compose with a live count of the segment (htmx posts the form to the preview as it
 * changes), confirm, then follow the progress and acknowledgements live (htmx polling), cancel; the list.
 */
import type { FastifyInstance } from 'fastify';
import { ROLES } from '../../../core/model.js';
import type { BroadcastCounts } from '../../../core/broadcast.js';
import type { BroadcastView, Preview } from '../../../broadcasts/service.js';
import { str, type Ctx, type DashboardDeps } from '../context.js';
import type { Page } from '../index.js';
import { STATUSES } from './learners.js';

const FINAL = new Set(['done', 'cancelled']);

/** The segment from the form: only the fields filled in, as strings. */
function segmentOf(body: Record<string, unknown>): Record<string, string> {
  const seg: Record<string, string> = {};
  for (const k of ['province', 'commune'] as const) {
    const v = str(body[k], 100);
    if (v) seg[k] = v;
  }
  const role = ROLES.find((r) => r === body.role);
  if (role) seg.role = role;
  const status = STATUSES.find((s) => s === body.status);
  if (status) seg.status = status;
  return seg;
}

export function progressOf(c: BroadcastCounts): number {
  return c.targeted > 0 ? Math.floor((100 * (c.targeted - c.queued)) / c.targeted) : 100;
}

function progressData(c: Ctx, b: BroadcastView) {
  return { b, percent: progressOf(b.counts), final: FINAL.has(b.state), stateLabel: c.t(`state.${b.state}`) };
}

export async function broadcastRoutes(app: FastifyInstance, o: { deps: DashboardDeps; page: Page }): Promise<void> {
  const listPage = async (c: Ctx, error?: string, form: Record<string, unknown> = {}) => {
    const { broadcasts } = await c.api<{ broadcasts: BroadcastView[] }>('GET', '/broadcasts');
    const province = c.principal.scope.kind === 'province' ? c.principal.scope.province : undefined;
    return c.render('broadcasts.eta', {
      title: c.t('broadcasts.title'),
      broadcasts: [...broadcasts].sort((a, b) => b.createdAt.localeCompare(a.createdAt)).map((b) => ({ ...b, percent: progressOf(b.counts) })),
      roles: ROLES,
      statuses: STATUSES,
      fixedProvince: province,
      form,
      error,
    });
  };

  app.get('/admin/broadcasts', o.page((c) => listPage(c)));

  // The live count: the compose form, posted by htmx whenever a field changes.
  app.post(
    '/admin/broadcasts/preview',
    o.page(async (c) => {
      const { preview } = await c.api<{ preview: Preview }>('POST', '/broadcasts/preview', segmentOf((c.req.body ?? {}) as Record<string, unknown>));
      return c.partial('broadcast-count.eta', { preview });
    }),
  );

  app.post(
    '/admin/broadcasts',
    o.page(async (c) => {
      const body = (c.req.body ?? {}) as Record<string, unknown>;
      if (body.confirm !== 'yes') {
        c.reply.code(400);
        return listPage(c, c.t('broadcasts.mustConfirm'), body);
      }
      const text = str(body.text, 2000);
      const textEn = str(body.textEn, 2000);
      const { broadcast } = await c.api<{ broadcast: BroadcastView }>('POST', '/broadcasts', {
        text: text ?? '',
        ...(textEn ? { textEn } : {}),
        segment: segmentOf(body),
        ack: body.ack === 'yes',
        confirm: true,
      });
      return c.reply.redirect(`/admin/broadcasts/${broadcast.id}`, 303);
    }),
  );

  const idOf = (c: Ctx) => {
    const id = str((c.req.params as Record<string, unknown>).id, 40) ?? '-';
    return /^[a-z0-9]{1,40}$/.test(id) ? id : '-';
  };

  app.get(
    '/admin/broadcasts/:id',
    o.page(async (c) => {
      const { broadcast } = await c.api<{ broadcast: BroadcastView }>('GET', `/broadcasts/${idOf(c)}`);
      return c.render('broadcast.eta', { title: c.t('broadcasts.title'), ...progressData(c, broadcast) });
    }),
  );

  app.get(
    '/admin/broadcasts/:id/progress',
    o.page(async (c) => {
      const { broadcast } = await c.api<{ broadcast: BroadcastView }>('GET', `/broadcasts/${idOf(c)}`);
      return c.partial('broadcast-progress.eta', progressData(c, broadcast));
    }),
  );

  app.post(
    '/admin/broadcasts/:id/cancel',
    o.page(async (c) => {
      const id = idOf(c);
      await c.api('POST', `/broadcasts/${id}/cancel`);
      return c.reply.redirect(`/admin/broadcasts/${id}`, 303);
    }),
  );
}
