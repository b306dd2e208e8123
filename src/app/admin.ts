/** Administration as every role uses it: accounts (ADMIN_TOKEN the bootstrap), the audit log, and the admin API's dependencies. */
import { AdminAccounts } from '../admin/accounts.js';
import { MongoAuditLog } from '../admin/audit.js';
import type { AdminApiDeps } from '../http/admin/api.js';
import { buildCertificates } from './certificates.js';
import type { Services } from './services.js';
import { AdminChatDispatcher, type ChatAdminDirectory } from '../admin/chat-dispatch.js';
import type { AdminChatCommand } from '../admin/chat-types.js';
import type { TutorDeps } from '../core/ports.js';
import { KeptLearners } from '../admin/stats/kept-learners.js';
import { ExportRows } from '../admin/stats/rows.js';
import { statsKeyPrefix } from '../admin/stats/counters.js';

export interface AdminParts {
  accounts: AdminAccounts;
  audit: MongoAuditLog;
}

export function buildAdmin(s: Pick<Services, 'config' | 'db' | 'content' | 'clock'>): AdminParts {
  return {
    accounts: new AdminAccounts(s.db.conn, { bootstrapToken: s.config.ADMIN_TOKEN, provinces: [...s.content.provinces.values()].flat(), now: () => s.clock.now() }),
    audit: new MongoAuditLog(s.db.conn, () => s.clock.now()),
  };
}

/**
 * The learners as the kept rows hold them (the listing, the broadcast preview), and the cohorts a
 * question without a cohort covers: every cohort stored and the default one (where the tutor puts
 * learners who came without an invitation).
 */
export function keptLearners(s: Pick<Services, 'config' | 'db' | 'redis' | 'queues'>): { learners: KeptLearners; cohorts(): Promise<string[]> } {
  const rows = new ExportRows(s.redis, statsKeyPrefix(s.queues.settings.prefix, s.db.conn.name));
  return {
    learners: new KeptLearners(s.redis, rows),
    cohorts: async () => {
      const stored = await s.db.models.Cohort.find({}, { _id: 1 }).lean<{ _id: unknown }[]>();
      return [...new Set([...stored.map((c) => String(c._id)), s.config.DEFAULT_COHORT])].sort();
    },
  };
}

/** What registerAdminApi needs for its own routes. */
export function adminApiDeps(s: Services, admin: AdminParts = buildAdmin(s)): AdminApiDeps {
  return {
    ...admin,
    models: s.db.models,
    certificates: buildCertificates(s).store,
    courses: new Set(s.content.courses.keys()),
    timezone: s.config.TIMEZONE,
    kept: keptLearners(s),
  };
}

/**
 * The admin chat dispatcher over the commands given (the integrator passes `/thongke`, `/thongbao`, …):
 * for the chats linked to admin accounts (`directory`, the accounts), as those accounts, and for
 * ADMIN_TELEGRAM_IDS / ADMIN_ZALO_IDS linked to none, with ministry scope.
 */
export function buildAdminChat(s: Services, tutorDeps: Pick<TutorDeps, 'learners'>, commands: AdminChatCommand[], directory?: ChatAdminDirectory): AdminChatDispatcher {
  const { config } = s;
  return new AdminChatDispatcher({
    redis: s.redis,
    prefix: s.queues.settings.prefix,
    admins: { telegram: config.ADMIN_TELEGRAM_IDS, zalo: config.ADMIN_ZALO_IDS },
    ...(directory ? { directory } : {}),
    commands,
    i18n: s.i18n,
    async localeOf(event) {
      const learner = await tutorDeps.learners.findByConversation(event.conversation);
      if (learner) return learner.locale;
      const asked = event.sender?.languageCode;
      return asked === 'vi' || asked === 'en' ? asked : config.DEFAULT_LOCALE;
    },
    now: () => s.clock.now(),
  });
}
