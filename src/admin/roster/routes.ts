/**
 * The roster routes under `/admin/api`: `POST /rosters?cohort=ID` (the file as the raw body —
 * text/csv, the .xlsx type, anything else is sniffed — or as multipart), `GET /rosters/:id`,
 * `GET /rosters/:id/codes.csv`, `GET /rosters/:id/slips.pdf`. A province account imports only
 * its province's rows (others are reported, not imported) and reads only its own imports.
 */
import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
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

const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

const lang = z.enum(['vi', 'en']).optional().describe('the language of reasons, headers and slips; else Accept-Language, else Vietnamese');
const importQuery = z.object({
  cohort: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'a cohort id is 1–64 letters, digits, _ or -').describe('the cohort the people are invited to'),
  lang,
});
const importParams = z.object({ id: z.string().regex(/^[0-9a-z]{14}$/, 'an import id is 14 lowercase letters and digits').describe('the `importId` of the import') });
const readQuery = z.object({ lang });

const binary = { type: 'string', format: 'binary' } as const;
/**
 * The file, as the raw body or as one multipart part. Checked by the import (magic bytes, size,
 * encoding, columns), not here; the schema describes it for the OpenAPI document.
 */
const rosterFile = z.any().meta({
  description: 'the roster: CSV (UTF-8, with or without BOM, comma or semicolon) or .xlsx, at most 50 MB',
  content: {
    'multipart/form-data': { schema: { type: 'object', properties: { file: { ...binary, description: 'the CSV or .xlsx file' } }, required: ['file'] } },
    'text/csv': { schema: binary },
    [XLSX_TYPE]: { schema: binary },
    'application/octet-stream': { schema: binary },
  },
});

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

export function rosterRoutes(deps: RosterRouteDeps): AdminRoutes {
  const maxBytes = deps.maxBytes ?? MAX_ROSTER_BYTES;
  return async (app: FastifyInstance) => {
    // A child context: the parsers below stay with these routes.
    await app.register(async (scope) => {
      scope.setValidatorCompiler(validatorCompiler);
      scope.setSerializerCompiler(serializerCompiler);
      const raw = (_req: FastifyRequest, body: Buffer, done: (err: Error | null, body?: Buffer) => void) => done(null, body);
      for (const type of ['text/csv', 'text/plain', XLSX_TYPE, 'application/vnd.ms-excel', 'application/octet-stream', '*']) {
        if (!scope.hasContentTypeParser(type)) scope.addContentTypeParser(type, { parseAs: 'buffer', bodyLimit: maxBytes }, raw);
      }
      if (!scope.hasContentTypeParser('multipart/form-data')) await scope.register(multipart, { limits: { fileSize: maxBytes, files: 1 } });
      const r = scope.withTypeProvider<ZodTypeProvider>();

      const post = {
        bodyLimit: maxBytes,
        schema: {
          summary: "import a roster into a cohort: each row validated, the good ones imported and invited (a province account: its province's rows only)",
          tags: ['rosters'],
          querystring: importQuery,
          body: rosterFile,
        },
      };
      r.post('/rosters', post, async (req, reply) => {
        const locale = localeOf(req);
        const principal = principalOf(req);
        const cohortId = req.query.cohort;
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
          const report = await importRoster(deps, { bytes, cohortId, principal, from: req.ip, fileName });
          return reportJson(deps, locale, report);
        } catch (err) {
          if (err instanceof RosterInputError) return refuse(reply, deps, locale, err);
          const e = err as { statusCode?: number; code?: string };
          if (e.statusCode === 413 || e.code === 'FST_REQ_FILE_TOO_LARGE') return refuse(reply, deps, locale, Object.assign(new RosterInputError('tooLarge', { mb: Math.round(maxBytes / 1048576) }), { statusCode: 413 }));
          throw err;
        }
      });

      const readable = async (req: FastifyRequest): Promise<ImportRecord> => {
        const record = await findImport(deps.conn, String((req.params as z.infer<typeof importParams>).id));
        if (!record) throw Object.assign(new Error('no such roster import'), { statusCode: 404 });
        if (!mayRead(principalOf(req).scope, record)) throw new ScopeError('this roster import was made under another scope');
        return record;
      };

      const read = (summary: string) => ({ schema: { summary, tags: ['rosters'], params: importParams, querystring: readQuery } });

      r.get('/rosters/:id', read('an import: its counts and each refused row with its line and reason'), async (req) => {
        const record = await readable(req);
        const locale = localeOf(req);
        const errors = [];
        for await (const row of importRows(deps.conn, record)) {
          if (row.outcome === 'error') errors.push({ line: row.line, reason: deps.i18n.t(locale, `roster.row.${row.key}`, row.vars) });
        }
        const { _id, by, ...rest } = record;
        return { ok: true, importId: _id, by: by.name, ...rest, errors };
      });

      r.get('/rosters/:id/codes.csv', read("an import's invite codes and links (CSV, UTF-8 with BOM, formula-safe)"), async (req, reply) => {
        const record = await readable(req);
        const rows = [];
        for await (const row of importRows(deps.conn, record)) rows.push(row);
        const body = codesCsv(rows, { i18n: deps.i18n, locale: localeOf(req), telegramBot: deps.telegramBot });
        return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="roster-${record._id}-codes.csv"`).send(body);
      });

      r.get('/rosters/:id/slips.pdf', read("an import's printable invitation slips (PDF, A4, a QR of the Telegram link and the code for Zalo)"), async (req, reply) => {
        const record = await readable(req);
        const rows = [];
        for await (const row of importRows(deps.conn, record)) rows.push(row);
        const body = await slipsPdf(rows, { i18n: deps.i18n, locale: localeOf(req), telegramBot: deps.telegramBot });
        return reply.type('application/pdf').header('content-disposition', `attachment; filename="roster-${record._id}-slips.pdf"`).send(body);
      });
    });
  };
}
