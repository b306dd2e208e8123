/**
 * Certificate verification for anyone: `GET /verify/:code` (a small Vietnamese page, or JSON
 * when asked for `application/json`) and the files `GET /certificates/:code.pdf|.png`. Only what
 * the certificate prints is shown. Both are rate-limited per client (counters in Redis, shared by
 * every web process), so codes cannot be enumerated.
 */
import { createReadStream } from 'node:fs';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import { normaliseCode, verificationFacts, type CertificateStore, type VerificationFacts } from '../core/certificates.js';
import type { CertificateFiles } from '../certificates/files.js';

export interface VerifyRoutesOptions {
  store: Pick<CertificateStore, 'findByCode'>;
  files: CertificateFiles;
  redis: Redis;
  /** Redis key prefix of the counters. */
  prefix: string;
  /** Requests per minute per client (VERIFY_RATE_PER_MIN). */
  perMinute: number;
  /** Dates are shown in this zone. */
  timezone: string;
}

export async function registerVerifyRoutes(server: FastifyInstance, o: VerifyRoutesOptions): Promise<void> {
  // Its own scope: the limiter applies to these routes only, and another plugin may use it elsewhere.
  await server.register(async (scope) => {
    await scope.register(rateLimit, {
      global: false,
      redis: o.redis,
      nameSpace: `${o.prefix}:verify-rate:`,
      errorResponseBuilder: (_req, ctx) => ({ statusCode: 429, ok: false, error: `too many requests: try again in ${ctx.after}` }),
    });
    const limited = { config: { rateLimit: { max: o.perMinute, timeWindow: 60_000 } } };

    scope.get<{ Params: { code: string } }>('/verify/:code', limited, async (req, reply) => {
      const code = normaliseCode(decodeSafe(req.params.code));
      const c = code ? await o.store.findByCode(code) : null;
      const json = wantsJson(req);
      if (!c) {
        reply.code(404);
        return json ? { ok: false, error: 'no certificate has this code' } : html(reply, page('Không tìm thấy chứng nhận', `<p class="bad">Không có chứng nhận nào mang mã này. Hãy kiểm tra lại mã in trên chứng nhận.</p>`));
      }
      const facts = verificationFacts(c);
      reply.header('cache-control', 'no-store');
      return json ? asJson(facts, o.timezone) : html(reply, factsPage(facts, o.timezone));
    });

    scope.get<{ Params: { file: string } }>('/certificates/:file', limited, async (req, reply) => {
      const m = /^(.+)\.(pdf|png)$/i.exec(decodeSafe(req.params.file));
      const format = m?.[2]?.toLowerCase() as 'pdf' | 'png' | undefined;
      const found = m && format ? await o.files.file(m[1]!, format) : null;
      if (!found || !format) return reply.code(404).send({ ok: false, error: 'no certificate file here' });
      if (found.certificate.revoked) return reply.code(410).send({ ok: false, error: 'this certificate was revoked; see /verify for its state' });
      reply.header('cache-control', 'private, max-age=3600');
      reply.header('content-disposition', `inline; filename="${found.certificate.code}.${format}"`);
      return reply.type(format === 'pdf' ? 'application/pdf' : 'image/png').send(createReadStream(found.path));
    });
  });
}

function decodeSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function wantsJson(req: FastifyRequest): boolean {
  const accept = String(req.headers.accept ?? '');
  return /application\/json/i.test(accept) && !/text\/html/i.test(accept);
}

function day(d: Date, timezone: string): string {
  const p = Object.fromEntries(new Intl.DateTimeFormat('en', { timeZone: timezone, day: '2-digit', month: '2-digit', year: 'numeric' }).formatToParts(d).map((x) => [x.type, x.value]));
  return `${p.day}/${p.month}/${p.year}`;
}

function isoDay(d: Date, timezone: string): string {
  const p = Object.fromEntries(new Intl.DateTimeFormat('en', { timeZone: timezone, day: '2-digit', month: '2-digit', year: 'numeric' }).formatToParts(d).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day}`;
}

function asJson(f: VerificationFacts, tz: string) {
  return {
    ok: true,
    status: f.valid ? 'valid' : 'revoked',
    serial: f.serial,
    code: f.code,
    holder: f.holder,
    ...(f.role ? { role: f.role } : {}),
    ...(f.place ? { place: f.place } : {}),
    course: f.course,
    cohort: f.cohort,
    issuedOn: isoDay(f.issuedAt, tz),
    ...(f.revokedAt ? { revokedOn: isoDay(f.revokedAt, tz) } : {}),
  };
}

function escapeHtml(text: string): string {
  return text.replace(/[<>&"']/g, (ch) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&#39;' })[ch]!);
}

function factsPage(f: VerificationFacts, tz: string): string {
  const state = f.valid
    ? `<p class="ok">✅ Chứng nhận hợp lệ</p>`
    : `<p class="bad">⛔ Chứng nhận đã bị thu hồi ngày ${escapeHtml(day(f.revokedAt!, tz))}</p>`;
  const rows: [string, string | undefined][] = [
    ['Số hiệu', f.serial],
    ['Mã xác minh', f.code],
    ['Người được cấp', f.holder],
    ['Chức vụ', f.role],
    ['Đơn vị', f.place],
    ['Khóa học', f.course],
    ['Đợt', f.cohort],
    ['Ngày cấp', day(f.issuedAt, tz)],
  ];
  const table = rows
    .filter(([, v]) => v)
    .map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v!)}</td></tr>`)
    .join('');
  return page(`Chứng nhận ${f.serial}`, `${state}<table>${table}</table>`);
}

function page(title: string, body: string): string {
  return `<!doctype html><html lang="vi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex"><title>${escapeHtml(title)}</title><style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#1f2a44}h1{font-size:1.3rem}.ok{color:#166534;font-weight:bold}.bad{color:#a3262a;font-weight:bold}th{text-align:left;padding:.3rem 1rem .3rem 0;color:#4b5563;font-weight:normal}td{padding:.3rem 0}</style></head><body><h1>Xác minh chứng nhận</h1>${body}</body></html>`;
}

function html(reply: FastifyReply, text: string): string {
  reply.type('text/html; charset=utf-8');
  return text;
}
