/**
 * `/thongke` (`/stats`) for chat admins: the funnel of a cohort (the default one, or the id typed
 * after the command) for the ministry scope, and the five provinces with the lowest share of
 * invited people who started. One short message, from the counters.
 */
import type { Clock, CohortStore, CourseCatalog, Translator } from '../../core/ports.js';
import type { AdminChatCommand, AdminChatContext, AdminChatOutcome } from '../chat-types.js';
import { provinceFor } from '../scope.js';
import type { StatsCounters } from './counters.js';
import { cohortStats } from './report.js';

export interface StatsChatDeps {
  counters: StatsCounters;
  cohorts: CohortStore;
  catalog: CourseCatalog;
  i18n: Translator;
  clock: Clock;
  defaultCohort: string;
}

const LOWEST = 5;

export class StatsChatCommand implements AdminChatCommand {
  readonly names = ['thongke', 'stats'] as const;

  constructor(private readonly d: StatsChatDeps) {}

  async handle(ctx: AdminChatContext): Promise<AdminChatOutcome> {
    const t = (key: string, vars?: Record<string, unknown>) => this.d.i18n.t(ctx.locale, `stats.${key}`, vars);
    const asked = ctx.args.trim().split(/\s+/)[0] ?? '';
    const id = /^[A-Za-z0-9_.-]{1,100}$/.test(asked) ? asked : this.d.defaultCohort;
    const cohort = await this.d.cohorts.get(id);
    if (!cohort) return { reply: [{ text: t('chat.noCohort', { cohort: asked.slice(0, 40), example: this.d.defaultCohort }) }] };
    const province = provinceFor(ctx.principal.scope, undefined);
    const s = await cohortStats({ counters: this.d.counters, cohort, provinces: this.d.catalog.provinces(cohort.provinceList), province, now: ctx.at });
    const lines = [t('chat.title', { cohort: cohort.title ?? cohort.id, days: s.cohort.daysLeft })];
    for (const f of s.funnel) {
      const label = t(`funnel.${f.step}`);
      lines.push(f.percentOfPrevious === null ? t('chat.step', { label, n: f.n }) : t('chat.stepRate', { label, n: f.n, percent: f.percentOfPrevious }));
    }
    if (province === undefined) {
      const invited = s.breakdown.rows.filter((r) => r.invited > 0).sort((a, b) => (a.startedPercent ?? 0) - (b.startedPercent ?? 0) || a.name.localeCompare(b.name, 'vi'));
      lines.push('');
      if (invited.length === 0) lines.push(t('chat.lowestNoInvites'));
      else {
        lines.push(t('chat.lowest'));
        invited.slice(0, LOWEST).forEach((r, i) => lines.push(t('chat.lowestLine', { rank: i + 1, province: r.name, started: r.started, invited: r.invited, percent: r.startedPercent ?? 0 })));
      }
    }
    return { reply: [{ text: lines.join('\n') }] };
  }
}
