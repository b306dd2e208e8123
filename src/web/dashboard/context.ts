/**
 * What the dashboard's pages share: their dependencies, the signed-in administrator's context
 * (scope, language, CSRF token), and the in-process admin API every page reads through.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Queue } from 'bullmq';
import type { Locale } from '../../core/course.js';
import type { Clock, Translator } from '../../core/ports.js';
import type { AdminAccounts } from '../../admin/accounts.js';
import type { AdminPrincipal } from '../../admin/scope.js';
import type { AdminRoutes } from '../../admin/http-types.js';
import type { MongoCertificateStore } from '../../storage/certificates.js';
import type { Redis } from 'ioredis';
import type { Session } from './session.js';

export interface DashboardDeps {
  redis: Redis;
  /** Redis key prefix (the queues' prefix): sessions live under `<prefix>:dash:session:`. */
  prefix: string;
  accounts: AdminAccounts;
  i18n: Translator;
  clock: Clock;
  /** The programme's time zone: times are shown in it. */
  timezone: string;
  defaultCohort: string;
  /** The admin API's route modules (learners, cohorts, stats, broadcasts, …), called in-process with the session's principal. */
  apiModules: AdminRoutes[];
  certificates: Pick<MongoCertificateStore, 'findByCode' | 'revoke' | 'listByCohort'>;
  /** The BullMQ queues Bull Board shows. */
  queues: Queue[];
  /** Where the project's root is (views/, public/, node_modules/htmx.org). */
  root: string;
  /** The key that signs the session cookie (the same in every web process). */
  cookieSecret: string;
  /** Where audit entries of dashboard actions go. */
  audit?: { record(e: { actor: { id: string; name: string }; action: string; target?: string; detail?: Record<string, unknown>; from: string }): Promise<void> };
}

export const LOCALES: readonly Locale[] = ['vi', 'en'];

/** A non-2xx answer of the in-process admin API, kept with its status for the page. */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface Ctx {
  req: FastifyRequest;
  reply: FastifyReply;
  session: Session;
  principal: AdminPrincipal;
  lang: Locale;
  t(key: string, vars?: Record<string, unknown>): string;
  /** Calls the admin API in-process as the session's principal; throws ApiError on 4xx/5xx. */
  api<T>(method: 'GET' | 'POST', url: string, payload?: unknown): Promise<T>;
  /** Renders a fragment (htmx), without the layout. */
  partial(view: string, data: Record<string, unknown>): Promise<FastifyReply>;
  /** Renders a page in the layout. */
  render(view: string, data: Record<string, unknown>): Promise<FastifyReply>;
}

/** `?a=1&b=2` from the defined values. */
export function qs(params: Record<string, string | number | undefined | null>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
}

/** A query-string value as one string (arrays and objects from `a[b]=` are refused as absent). */
export function str(v: unknown, max = 200): string | undefined {
  if (typeof v !== 'string') return undefined;
  const s = v.trim().normalize('NFC');
  return s && s.length <= max ? s : undefined;
}
