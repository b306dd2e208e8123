/** Questions and feedback: the question analysis (with its flags), the topic ratings and the learners' comments. */
import type { FastifyInstance } from 'fastify';
import type { QuestionReport } from '../../../admin/stats/questions.js';
import type { FeedbackPage } from '../../../admin/stats/feedback.js';
import { qs, str, type DashboardDeps } from '../context.js';
import type { Page } from '../index.js';

export async function questionRoutes(app: FastifyInstance, o: { deps: DashboardDeps; page: Page }): Promise<void> {
  app.get(
    '/admin/questions',
    o.page(async (c) => {
      const q = c.req.query as Record<string, unknown>;
      const cohort = str(q.cohort, 100) ?? o.deps.defaultCohort;
      const flagged = q.flagged === '1';
      const before = str(q.before, 24);
      const [report, feedback] = await Promise.all([
        c.api<QuestionReport>('GET', `/questions/stats${qs({ cohort })}`),
        c.api<FeedbackPage>('GET', `/feedback${qs({ cohort, limit: 50, before })}`),
      ]);
      const questions = report.questions.filter((x) => !flagged || x.flags.length > 0).sort((a, b) => b.flags.length - a.flags.length || a.questionId.localeCompare(b.questionId));
      return c.render('questions.eta', {
        title: c.t('questions.title'),
        cohort,
        flagged,
        report,
        questions,
        feedback,
        nextHref: feedback.next ? `/admin/questions${qs({ cohort, flagged: flagged ? '1' : undefined, before: feedback.next })}` : null,
      });
    }),
  );
}
