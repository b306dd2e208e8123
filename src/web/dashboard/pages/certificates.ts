/** Certificates: search by verification code, serial or holder; open the public verification page; revoke with a reason. */
import type { FastifyInstance } from 'fastify';
import { displayCode, type Certificate } from '../../../core/certificates.js';
import { covers, ScopeError } from '../../../admin/scope.js';
import { fold } from '../../../admin/accounts.js';
import { str, type Ctx, type DashboardDeps } from '../context.js';
import type { Page } from '../index.js';

const SHOWN = 100;

function row(c: Certificate) {
  return { serial: c.serial, code: displayCode(c.code), rawCode: c.code, holder: c.holder, issuedAt: c.issuedAt.toISOString(), revoked: c.revoked ? { reason: c.revoked.reason, at: c.revoked.at.toISOString() } : null };
}

export async function certificateRoutes(app: FastifyInstance, o: { deps: DashboardDeps; page: Page }): Promise<void> {
  const { deps } = o;
  const visible = (c: Ctx, cert: Certificate) => covers(c.principal.scope, cert.holder.province);

  app.get(
    '/admin/certificates',
    o.page(async (c) => {
      const q = c.req.query as Record<string, unknown>;
      const search = str(q.q, 120);
      const cohort = str(q.cohort, 100) ?? deps.defaultCohort;
      let found: Certificate[];
      const byCode = search ? await deps.certificates.findByCode(search) : null;
      if (byCode) found = [byCode];
      else {
        // A scan of the cohort's certificates (tens of thousands at most), filtered by serial or holder.
        const needle = search ? fold(search) : '';
        found = (await deps.certificates.listByCohort(cohort)).filter((x) => !needle || fold(x.serial).includes(needle) || fold(x.holder.fullName).includes(needle));
      }
      const rows = found.filter((x) => visible(c, x)).slice(0, SHOWN).map(row);
      return c.render('certificates.eta', { title: c.t('certificates.title'), search: search ?? '', cohort, rows });
    }),
  );

  const load = async (c: Ctx): Promise<Certificate> => {
    const code = str((c.req.params as Record<string, unknown>).code, 40) ?? '';
    const cert = await deps.certificates.findByCode(code);
    if (!cert) throw Object.assign(new Error('no such certificate'), { statusCode: 404 });
    if (!visible(c, cert)) throw new ScopeError('this certificate is of another province');
    return cert;
  };

  app.get(
    '/admin/certificates/:code',
    o.page(async (c) => {
      const cert = await load(c);
      const done = (c.req.query as Record<string, unknown>).revoked === '1';
      return c.render('certificate.eta', { title: cert.serial, cert: row(cert), done });
    }),
  );

  app.post(
    '/admin/certificates/:code/revoke',
    o.page(async (c) => {
      const cert = await load(c);
      const reason = str(((c.req.body ?? {}) as Record<string, unknown>).reason, 500);
      if (!reason) {
        c.reply.code(400);
        return c.render('certificate.eta', { title: cert.serial, cert: row(cert), error: c.t('certificates.reason') });
      }
      if (!cert.revoked) {
        await deps.certificates.revoke(cert.code, reason, deps.clock.now());
        await deps.audit
          ?.record({ actor: { id: c.principal.id, name: c.principal.name }, action: 'certificate.revoke', target: cert.serial, detail: { code: cert.code, reason }, from: c.req.ip })
          .catch((err: Error) => c.req.log.error({ err }, 'audit entry not written'));
      }
      return c.reply.redirect(`/admin/certificates/${cert.code}?revoked=1`, 303);
    }),
  );
}
