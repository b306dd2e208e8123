/** Administration as every role uses it: accounts (ADMIN_TOKEN the bootstrap), the audit log, and the admin API's dependencies. */
import { AdminAccounts } from '../admin/accounts.js';
import { MongoAuditLog } from '../admin/audit.js';
import type { AdminApiDeps } from '../http/admin/api.js';
import { buildCertificates } from './certificates.js';
import type { Services } from './services.js';
import { AdminChatDispatcher, type ChatAdminDirectory } from '../admin/chat-dispatch.js';
import type { AdminChatCommand } from '../admin/chat-types.js';
import type { TutorDeps } from '../core/ports.js';

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

/** What registerAdminApi needs for its own routes. */
export function adminApiDeps(s: Services, admin: AdminParts = buildAdmin(s)): AdminApiDeps {
  return {
    ...admin,
    models: s.db.models,
    certificates: buildCertificates(s).store,
    courses: new Set(s.content.courses.keys()),
    timezone: s.config.TIMEZONE,
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
