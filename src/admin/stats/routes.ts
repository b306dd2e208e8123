/**
 * The reports of the admin API: `GET /stats` (from the counters, by `_id`), `GET
 * /exports/progress.csv` (streamed), `GET /questions/stats`, `GET /feedback`. Every route reads
 * the caller's scope: a province account gets its province, and asking for another is 403.
 */
import type { FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Locale } from '../../core/course.js';
import type { Cohort } from '../../core/model.js';
import type { Clock, CohortStore, CourseCatalog, Translator } from '../../core/ports.js';
import type { Models } from '../../storage/models.js';
import { principalOf, type AdminRoutes } from '../http-types.js';
import { provinceFor, type AdminScope } from '../scope.js';
import type { StatsCounters } from './counters.js';
import { UNKNOWN } from './facts.js';
import { cohortStats, type CohortStats } from './report.js';
import { progressCsv, progressRows } from './export.js';
import type { QuestionAnalysis } from './questions.js';
import { listFeedback } from './feedback.js';

export interface StatsRouteDeps {
  models: Models;
  counters: StatsCounters;
  cohorts: CohortStore;
  catalog: CourseCatalog;
  i18n: Translator;
  clock: Clock;
  questions: QuestionAnalysis;
  /** The language of CSV headers when the request names none. */
  defaultLocale: Locale;
  /**
   * How long one scope's stats are served before the counters are read again (the whole cohort is
   * 35 reads by `_id`; a dashboard polled by many admins reads them once per period). @defaultValue 15000
   */
  statsCacheMs?: number;
}

const name = z.string().trim().min(1).max(120).transform((s) => s.normalize('NFC'));
const cohortId = z.string().trim().min(1).max(100).regex(/^[A-Za-z0-9_.-]+$/, 'a cohort id is letters, digits, _ . -');

const statsQuery = z.object({ cohort: cohortId, province: name.optional(), commune: name.optional() });
const exportQuery = z.object({ cohort: cohortId, province: name.optional(), lang: z.enum(['vi', 'en']).optional() });
const questionsQuery = z.object({ cohort: cohortId.optional() });
const feedbackQuery = z.object({
  cohort: cohortId.optional(),
  province: name.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  before: z.string().regex(/^[0-9a-f]{24}$/, 'before is the id of the last feedback of the previous page').optional(),
});

/** An error with an HTTP status, for the API's error handler. */
export class ReportInputError extends Error {
  constructor(
    message: string,
    readonly statusCode: 400 | 404,
  ) {
    super(message);
    this.name = 'ReportInputError';
  }
}

async function cohortOf(d: StatsRouteDeps, id: string): Promise<Cohort> {
  const cohort = await d.cohorts.get(id);
  if (!cohort) throw new ReportInputError(`no cohort "${id}"`, 404);
  return cohort;
}

/** The province the caller may read (scope first: another province is 403), checked against the cohort's list. */
function provinceIn(d: StatsRouteDeps, scope: AdminScope, cohort: Cohort, asked: string | undefined): string | undefined {
  const province = provinceFor(scope, asked);
  if (province !== undefined && province !== UNKNOWN && !d.catalog.provinces(cohort.provinceList).includes(province)) {
    throw new ReportInputError(`"${province}" is not a province of cohort ${cohort.id}`, 400);
  }
  return province;
}

export function statsRoutes(d: StatsRouteDeps): AdminRoutes {
  const ttl = d.statsCacheMs ?? 15_000;
  const cache = new Map<string, { until: number; stats: Promise<CohortStats> }>();
  /** Concurrent requests for one scope share one read of the counters. */
  const statsOf = (cohort: Cohort, province: string | undefined, commune: string | undefined): Promise<CohortStats> => {
    const key = `${cohort.id}|${province ?? ''}|${commune ?? ''}`;
    const hit = cache.get(key);
    if (hit && hit.until > Date.now()) return hit.stats;
    if (cache.size > 5000) cache.clear();
    const stats = cohortStats({ counters: d.counters, cohort, provinces: d.catalog.provinces(cohort.provinceList), province, commune, now: d.clock.now() });
    cache.set(key, { until: Date.now() + ttl, stats });
    stats.catch(() => cache.delete(key));
    return stats;
  };
  return async (api: FastifyInstance) => {
    await api.register(async (scoped) => {
      scoped.setValidatorCompiler(validatorCompiler);
      scoped.setSerializerCompiler(serializerCompiler);
      const app = scoped.withTypeProvider<ZodTypeProvider>();

      app.get('/stats', { schema: { tags: ['reports'], summary: 'Funnel, statuses, roles, provinces or communes, daily series (from counters)', querystring: statsQuery } }, async (req) => {
        const scope = principalOf(req).scope;
        const cohort = await cohortOf(d, req.query.cohort);
        const province = provinceIn(d, scope, cohort, req.query.province);
        if (req.query.commune !== undefined && province === undefined) throw new ReportInputError('commune needs a province', 400);
        return statsOf(cohort, province, req.query.commune);
      });

      app.get('/exports/progress.csv', { schema: { tags: ['reports'], summary: 'One row per learner (streamed CSV, UTF-8 with BOM)', querystring: exportQuery } }, async (req, reply) => {
        const scope = principalOf(req).scope;
        const cohort = await cohortOf(d, req.query.cohort);
        const province = provinceIn(d, scope, cohort, req.query.province);
        const course = d.catalog.get(cohort.courseId);
        const lessonsTotal = course ? course.parts.flatMap((p) => p.topics).reduce((n, t) => n + t.lessons.length, 0) : 0;
        const rows = progressRows({ rows: d.counters.rows, models: d.models, cohortId: cohort.id, province, lessonsTotal });
        const file = `progress-${cohort.id}${province ? `-${province.normalize('NFD').replace(/[^A-Za-z0-9]+/g, '')}` : ''}.csv`;
        return reply
          .header('content-type', 'text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="${file}"`)
          .send(progressCsv(rows, d.i18n, req.query.lang ?? d.defaultLocale));
      });

      app.get('/questions/stats', { schema: { tags: ['reports'], summary: 'Per question: answered, first-try correct, discrimination, distractors, flags', querystring: questionsQuery } }, async (req) => {
        principalOf(req);
        return d.questions.analyse(req.query.cohort);
      });

      app.get('/feedback', { schema: { tags: ['reports'], summary: 'The /gopy texts, newest first, and the topic ratings', querystring: feedbackQuery } }, async (req) => {
        const scope = principalOf(req).scope;
        const province = provinceFor(scope, req.query.province);
        return listFeedback({ models: d.models, catalog: d.catalog, province, cohort: req.query.cohort, limit: req.query.limit, before: req.query.before });
      });
    });
  };
}
