/** Learners: search by name, phone or commune, filters by status and role; a learner's page with their whole history. */
import type { FastifyInstance } from 'fastify';
import { ROLES } from '../../../core/model.js';
import { qs, str, type DashboardDeps } from '../context.js';
import type { Page } from '../index.js';

export const STATUSES = ['not_started', 'in_progress', 'completed', 'certified'] as const;

interface ListedLearner {
  id: string;
  profile: { fullName?: string; phone?: string; role?: string; province?: string; commune?: string };
  cohortId: string;
  status: string | null;
  stopped: boolean;
}

interface History {
  learner: ListedLearner & { conversations: string[]; unreachable: string[]; locale: string; createdAt: string };
  enrolment: { status: string; completedLessons: string[]; checkResults: Record<string, unknown>; lastActivityAt?: string } | null;
  answers: { questionId: string; chosenIndex: number; correct: boolean; context: string; at?: string }[];
  finalAttempts: { n: number; scorePercent?: number; passed?: boolean; finishedAt?: string; startedAt?: string; correct?: number; answered?: number }[];
  heldMessages: { id: string; reason: string; heldAt: string; messages: unknown[] }[];
  scheduledMessages: { id: string; kind: string; state: string; claimedAt: string; doneAt?: string }[];
  certificate: { serial: string; code: string; issuedAt: string; revoked: { reason: string; at: string } | null } | null;
}

export async function learnerRoutes(app: FastifyInstance, o: { deps: DashboardDeps; page: Page }): Promise<void> {
  app.get(
    '/admin/learners',
    o.page(async (c) => {
      const q = c.req.query as Record<string, unknown>;
      const search = str(q.q, 120);
      const status = STATUSES.find((s) => s === q.status);
      const role = ROLES.find((r) => r === q.role);
      const after = str(q.after, 400);
      const cohort = str(q.cohort, 100);
      const province = str(q.province, 120);
      const page = await c.api<{ learners: ListedLearner[]; next: string | null }>('GET', `/learners${qs({ q: search, status, role, after, cohort, province, limit: 50 })}`);
      return c.render('learners.eta', {
        title: c.t('learners.title'),
        search: search ?? '',
        status: status ?? '',
        role: role ?? '',
        statuses: STATUSES,
        roles: ROLES,
        learners: page.learners,
        nextHref: page.next ? `/admin/learners${qs({ q: search, status, role, cohort, province, after: page.next })}` : null,
      });
    }),
  );

  app.get(
    '/admin/learners/:id',
    o.page(async (c) => {
      const id = str((c.req.params as Record<string, unknown>).id, 64) ?? '-';
      const h = await c.api<History>('GET', `/learners/${encodeURIComponent(id)}`);
      const sched = h.scheduledMessages;
      const messages = {
        sent: sched.filter((s) => s.state === 'sent').length,
        held: h.heldMessages.reduce((n, m) => n + (Array.isArray(m.messages) ? m.messages.length : 1), 0),
        failed: sched.filter((s) => s.state === 'claimed' && !s.doneAt).length,
      };
      return c.render('learner.eta', { title: h.learner.profile.fullName ?? id, h, messages });
    }),
  );
}
