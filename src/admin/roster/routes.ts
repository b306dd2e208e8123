/**
 * The roster routes under `/admin/api`: `POST /rosters?cohort=ID` (the file as the raw body —
 * text/csv, the .xlsx type, anything else is sniffed — or as multipart), `GET /rosters/:id`,
 * `GET /rosters/:id/codes.csv`, `GET /rosters/:id/slips.pdf`. A province account imports only
 * its province's rows (others are reported, not imported) and reads only its own imports.
 */
import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Locale } from '../../core/course.js';
import { principalOf, type AdminRoutes } from '../http-types.js';
import { ScopeError, type AdminScope } from '../scope.js';
import { findImport, importRoster, importRows, type ImportRecord, type ImportReport, type RosterDeps } from './import.js';
import { codesCsv, slipsPdf } from './outputs.js';
import { RosterInputError } from './read.js';

export interface RosterRouteDeps extends RosterDeps {
  /** Largest file taken. @defaultValue 50 MiB */
  maxBytes?: number;
}

export const MAX_ROSTER_BYTES = 50 * 1024 * 1024;

/** The admin's language: `?lang=en`, else Accept-Language, else Vietnamese. */
function localeOf(req: FastifyRequest): Locale {
  const asked = (req.query as { lang?: unknown })?.lang;
  if (asked === 'en' || asked === 'vi') return asked;
  return /^en\b/i.test(String(req.headers['accept-language'] ?? '')) ? 'en' : 'vi';
}

/** A refusal with its reason in the admin's language. */
function refuse(reply: FastifyReply, deps: RosterDeps, locale: Locale, err: RosterInputError) {
  return reply.code(err.statusCode).send({ ok: false, error: deps.i18n.t(locale, `roster.file.${err.key}`, err.vars) });
}

/** The report as JSON: counts, and each refused row with its line and reason. */
function reportJson(deps: RosterDeps, locale: Locale, r: ImportReport) {
  return {
    ok: true,
    importId: r.importId,
    cohortId: r.cohortId,
    rows: r.rows,
    imported: r.imported,
    updated: r.updated,
    unchanged: r.unchanged,
    errors: r.errors.map((e) => ({ line: e.line, reason: deps.i18n.t(locale, `roster.row.${e.key}`, e.vars) })),
    codes: `rosters/${r.importId}/codes.csv`,
    slips: `rosters/${r.importId}/slips.pdf`,
  };
}

/** A province account reads only the imports made under its own province. */
function mayRead(scope: AdminScope, record: ImportRecord): boolean {
  return scope.kind === 'ministry' || record.scope.normalize('NFC') === `province:${scope.province}`.normalize('NFC');
}

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

export function rosterRoutes(deps: RosterRouteDeps): AdminRoutes {
  const maxBytes = deps.maxBytes ?? MAX_ROSTER_BYTES;
  return async (app: FastifyInstance) => {
    // A child context: the parsers below stay with these routes.
    await app.register(async (scope) => {
      const raw = (_req: FastifyRequest, body: Buffer, done: (err: Error | null, body?: Buffer) => void) => done(null, body);
      for (const type of ['text/csv', 'text/plain', XLSX, 'application/vnd.ms-excel', 'application/octet-stream', '*']) {
        if (!scope.hasContentTypeParser(type)) scope.addContentTypeParser(type, { parseAs: 'buffer', bodyLimit: maxBytes }, raw);
      }
      if (!scope.hasContentTypeParser('multipart/form-data')) await scope.register(multipart, { limits: { fileSize: maxBytes, files: 1 } });

      scope.post('/rosters', { bodyLimit: maxBytes }, async (req, reply) => {
        const locale = localeOf(req);
        const principal = principalOf(req);
        const cohortId = (req.query as { cohort?: unknown }).cohort;
        try {
          let bytes: Buffer | undefined;
          let fileName: string | undefined;
          if (req.isMultipart()) {
            const part = await req.file();
            if (part) {
              bytes = await part.toBuffer();
              fileName = part.filename;
            }
          } else if (Buffer.isBuffer(req.body)) {
            bytes = req.body;
          }
          if (!bytes) throw new RosterInputError('notFile');
          const report = await importRoster(deps, { bytes, cohortId: typeof cohortId === 'string' ? cohortId : '', principal, from: req.ip, fileName });
          return reportJson(deps, locale, report);
        } catch (err) {
          if (err instanceof RosterInputError) return refuse(reply, deps, locale, err);
          const e = err as { statusCode?: number; code?: string };
          if (e.statusCode === 413 || e.code === 'FST_REQ_FILE_TOO_LARGE') return refuse(reply, deps, locale, Object.assign(new RosterInputError('tooLarge', { mb: Math.round(maxBytes / 1048576) }), { statusCode: 413 }));
          throw err;
        }
      });

      const readable = async (req: FastifyRequest): Promise<ImportRecord> => {
        const record = await findImport(deps.conn, String((req.params as { id: string }).id));
        if (!record) throw Object.assign(new Error('no such roster import'), { statusCode: 404 });
        if (!mayRead(principalOf(req).scope, record)) throw new ScopeError('this roster import was made under another scope');
        return record;
      };

      scope.get('/rosters/:id', async (req) => {
        const record = await readable(req);
        const locale = localeOf(req);
        const errors = [];
        for await (const row of importRows(deps.conn, record)) {
          if (row.outcome === 'error') errors.push({ line: row.line, reason: deps.i18n.t(locale, `roster.row.${row.key}`, row.vars) });
        }
        const { _id, by, ...rest } = record;
        return { ok: true, importId: _id, by: by.name, ...rest, errors };
      });

      scope.get('/rosters/:id/codes.csv', async (req, reply) => {
        const record = await readable(req);
        const rows = [];
        for await (const row of importRows(deps.conn, record)) rows.push(row);
        const body = codesCsv(rows, { i18n: deps.i18n, locale: localeOf(req), telegramBot: deps.telegramBot });
        return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="roster-${record._id}-codes.csv"`).send(body);
      });

      scope.get('/rosters/:id/slips.pdf', async (req, reply) => {
        const record = await readable(req);
        const rows = [];
        for await (const row of importRows(deps.conn, record)) rows.push(row);
        const body = await slipsPdf(rows, { i18n: deps.i18n, locale: localeOf(req), telegramBot: deps.telegramBot });
        return reply.type('application/pdf').header('content-disposition', `attachment; filename="roster-${record._id}-slips.pdf"`).send(body);
      });
    });
  };
}
