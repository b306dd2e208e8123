/**
 * The overview of a cohort: the funnel, completion by province (ministry) or by commune (inside a
 * province) as a sortable table with bars, the daily trend, days left, and communes where nobody started.
 */
import type { FastifyInstance } from 'fastify';
import type { CohortStats, Row } from '../../../admin/stats/report.js';
import { qs, str, type DashboardDeps } from '../context.js';
import type { Page } from '../index.js';
import { bar, funnel, trend } from '../svg.js';

const SORTS = ['name', 'invited', 'started', 'startedPercent', 'finished', 'passed', 'certified', 'certifiedPercent'] as const;
type Sort = (typeof SORTS)[number];

export function certifiedPercent(r: Row): number | null {
  return r.invited > 0 ? Math.round((1000 * r.certified) / r.invited) / 10 : null;
}

export function sortRows(rows: Row[], sort: Sort, dir: 'asc' | 'desc'): Row[] {
  const val = (r: Row): number | string => (sort === 'name' ? r.name : sort === 'certifiedPercent' ? (certifiedPercent(r) ?? -1) : (r[sort] ?? -1));
  const sign = dir === 'asc' ? 1 : -1;
  return [...rows].sort((a, b) => {
    const x = val(a);
    const y = val(b);
    const c = typeof x === 'string' ? x.localeCompare(String(y), 'vi') : x - (y as number);
    return sign * c || a.name.localeCompare(b.name, 'vi');
  });
}

export async function overviewRoutes(app: FastifyInstance, o: { deps: DashboardDeps; page: Page }): Promise<void> {
  app.get(
    '/admin/overview',
    o.page(async (c) => {
      const q = c.req.query as Record<string, unknown>;
      const cohort = str(q.cohort, 100) ?? o.deps.defaultCohort;
      // A province account always reads its own province (asking for another is the API's 403).
      const province = str(q.province, 120) ?? (c.principal.scope.kind === 'province' ? c.principal.scope.province : undefined);
      const commune = province ? str(q.commune, 120) : undefined;
      const sortAsked = str(q.sort, 30);
      const sort: Sort = (SORTS as readonly string[]).includes(sortAsked ?? '') ? (sortAsked as Sort) : 'name';
      const dir = q.dir === 'desc' ? 'desc' : 'asc';
      const stats = await c.api<CohortStats>('GET', `/stats${qs({ cohort, province, commune })}`);
      const steps = stats.funnel.filter((s) => s.step !== 'onboarded');
      const funnelSvg = funnel(
        steps.map((s, i) => ({ label: c.t(`funnel.${s.step}`), n: s.n, percentOfPrevious: i === 0 ? null : steps[i - 1]!.n > 0 ? Math.round((1000 * s.n) / steps[i - 1]!.n) / 10 : null })),
        c.t('overview.funnel'),
      );
      // The trend: cumulative started, finished and certified by local day.
      const dates = stats.daily.map((d) => d.date);
      const cum = (k: 'started' | 'finished' | 'certified') => {
        let s = 0;
        return stats.daily.map((d) => (s += d[k]));
      };
      const trendSvg = trend(
        dates,
        [
          { label: c.t('funnel.started'), values: cum('started'), cls: 'line-started' },
          { label: c.t('funnel.finished'), values: cum('finished'), cls: 'line-finished' },
          { label: c.t('funnel.certified'), values: cum('certified'), cls: 'line-certified' },
        ],
        c.t('overview.trend'),
      );
      const rows = sortRows(stats.breakdown.rows, sort, dir).map((r) => ({
        ...r,
        certifiedPercent: certifiedPercent(r),
        startedBar: bar(r.startedPercent, `${r.startedPercent ?? 0}%`),
        certifiedBar: bar(certifiedPercent(r), `${certifiedPercent(r) ?? 0}%`),
        href:
          stats.breakdown.level === 'province'
            ? `/admin/overview${qs({ cohort, province: r.name })}`
            : `/admin/overview${qs({ cohort, province, commune: r.name })}`,
      }));
      const sortHref = (k: Sort) => `/admin/overview${qs({ cohort, province: q.province ? province : undefined, sort: k, dir: sort === k && dir === 'asc' ? 'desc' : 'asc' })}`;
      return c.render('overview.eta', {
        title: c.t('overview.title'),
        stats,
        cohort,
        province: stats.province,
        commune: stats.commune,
        funnelSvg,
        trendSvg,
        rows,
        sort,
        dir,
        sorts: SORTS,
        sortHref,
        ministry: c.principal.scope.kind === 'ministry',
      });
    }),
  );
}
