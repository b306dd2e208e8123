/**
 * The only reader of the environment: validates every variable of SPEC §2 once
 * and returns a frozen, typed object. A bad value stops start-up with a message
 * that names the variable.
 */
import { z } from 'zod';

const optional = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

const idList = z
  .string()
  .optional()
  .transform((v) => (v ?? '').split(',').map((s) => s.trim()).filter(Boolean));

const url = (fallback: string, protocols: string[]) =>
  z
    .string()
    .optional()
    .transform((v) => (v && v.trim() !== '' ? v.trim() : fallback))
    .refine((v) => {
      try {
        return protocols.includes(new URL(v).protocol);
      } catch {
        return false;
      }
    }, `must be a ${protocols.join(' or ')} URL`);

const positiveNumber = (fallback: number) =>
  z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === '' ? String(fallback) : v))
    .transform(Number)
    .pipe(z.number().positive());

const wholeNumber = (fallback: number) =>
  z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === '' ? String(fallback) : v))
    .transform(Number)
    .pipe(z.number().int().min(0));

const schema = z
  .object({
    MONGODB_URL: url('mongodb://127.0.0.1:27017/cds_tutor', ['mongodb:', 'mongodb+srv:']),
    REDIS_URL: url('redis://127.0.0.1:6379', ['redis:', 'rediss:']),
    HTTP_PORT: z
      .string()
      .optional()
      .transform((v) => (v === undefined || v === '' ? '3000' : v))
      .transform(Number)
      .pipe(z.number().int().min(0).max(65535)),
    PUBLIC_BASE_URL: url('http://localhost:3000', ['http:', 'https:']),
    TIMEZONE: z
      .string()
      .optional()
      .transform((v) => v || 'Asia/Ho_Chi_Minh')
      .refine((tz) => {
        try {
          new Intl.DateTimeFormat('en', { timeZone: tz });
          return true;
        } catch {
          return false;
        }
      }, 'must be an IANA time zone such as Asia/Ho_Chi_Minh'),
    DEFAULT_LOCALE: z.enum(['vi', 'en']).optional().default('vi'),
    TELEGRAM_BOT_TOKEN: optional,
    TELEGRAM_API_ROOT: url('https://api.telegram.org', ['http:', 'https:']),
    /** The bot's username (without @), for invitation deep links `https://t.me/<bot>?start=<code>`. */
    TELEGRAM_BOT_USERNAME: optional
      .transform((v) => v?.replace(/^@/, ''))
      .refine((v) => v === undefined || /^[A-Za-z][A-Za-z0-9_]{3,31}$/.test(v), 'must be a Telegram username (5-32 letters, digits or _)'),
    TELEGRAM_MODE: z.enum(['polling', 'webhook']).optional().default('polling'),
    TELEGRAM_WEBHOOK_SECRET: optional.refine(
      (v) => v === undefined || /^[A-Za-z0-9_-]{1,256}$/.test(v),
      'must be 1-256 characters of A-Z a-z 0-9 _ -',
    ),
    ZALO_BOT_TOKEN: optional,
    ZALO_API_BASE: url('https://bot-api.zaloplatforms.com', ['http:', 'https:']),
    ZALO_MODE: z.enum(['polling', 'webhook']).optional().default('polling'),
    ZALO_WEBHOOK_SECRET: optional.refine(
      (v) => v === undefined || (v.length >= 8 && v.length <= 256),
      'must be 8-256 characters',
    ),
    TELEGRAM_RATE_PER_SEC: positiveNumber(25),
    ZALO_RATE_PER_SEC: positiveNumber(10),
    // Zalo publishes no quota for unprompted messages, only its 429 "quota exceeded": one a day
    // (the daily lesson) is the cautious default; 0 sends none unprompted on Zalo.
    ZALO_UNPROMPTED_PER_DAY: wholeNumber(1),
    /** Least time between two messages to one chat (platforms refuse more than about one a second). */
    CHAT_GAP_MS: wholeNumber(1000),
    /** Days without activity before a learner is nudged (once per gap). */
    NUDGE_AFTER_DAYS: positiveNumber(2),
    /** How often the planning sweeps run. */
    SCHEDULER_SWEEP_SECONDS: positiveNumber(60),
    /** How far ahead the sweeps queue pushes: each channel holds at most its rate × this many seconds of them. */
    PLAN_WINDOW_SECONDS: positiveNumber(300),
    /** Days an inbound update's record is kept (redeliveries within it are answered once). */
    RETAIN_UPDATES_DAYS: positiveNumber(7),
    /** Days a scheduled message's record is kept (longer than a failed send job is kept: 7 days). */
    RETAIN_SCHEDULED_SENDS_DAYS: positiveNumber(30).pipe(z.number().min(8)),
    /** Inbound updates handled at once per worker process (one learner's updates still go one at a time, by lease). */
    INBOUND_CONCURRENCY: positiveNumber(4).pipe(z.number().int()),
    /**
     * Send jobs in flight per channel per worker process. A job waits on the platform and on
     * MongoDB (a broadcast's claim and outcome): ~0.2–0.5 s, so the channel's rate needs rate ×
     * latency jobs in flight (30/s × 0.5 s = 15); at 4 a broadcast reached 56 % of 30/s. The
     * channel's limiter, not this, caps the rate; replies are taken before broadcasts (priority).
     */
    SEND_CONCURRENCY: positiveNumber(16).pipe(z.number().int()),
    ADMIN_TOKEN: optional,
    /**
     * Bearer token for GET /metrics (`Authorization: Bearer <token>`). Unset: /metrics answers
     * only requests from this machine (loopback), 403 to anyone else.
     */
    METRICS_TOKEN: optional.refine((v) => v === undefined || (v.length >= 16 && !/\s/.test(v)), 'must be at least 16 characters without spaces'),
    ADMIN_TELEGRAM_IDS: idList,
    ADMIN_ZALO_IDS: idList,
    CONTENT_DIR: z.string().optional().transform((v) => v || './content'),
    DEFAULT_COHORT: z
      .string()
      .optional()
      .transform((v) => v || 'demo')
      .refine((v) => /^[A-Za-z0-9_-]{1,64}$/.test(v), 'must be a cohort id (letters, digits, _ or -)'),
    /** Redis key prefix of the queues: deployments (or test runs) sharing one Redis use different ones. */
    QUEUE_PREFIX: z
      .string()
      .optional()
      .transform((v) => v || 'cds')
      .refine((v) => /^[A-Za-z0-9_.-]{1,64}$/.test(v), 'must be 1-64 letters, digits, _ . or -'),
    /** Certificates: the serial's prefix (`CĐS-XA-2022-000123`), the place printed before the date, and where rendered files are cached. */
    CERTIFICATE_SERIAL_PREFIX: z
      .string()
      .optional()
      .transform((v) => v?.trim() || 'CĐS-XA')
      .refine((v) => /^[\p{L}\p{N}-]{1,24}$/u.test(v), 'must be 1-24 letters, digits or -'),
    CERTIFICATE_PLACE: z
      .string()
      .optional()
      .transform((v) => v?.trim() || 'Hà Nội')
      .refine((v) => v.length <= 60, 'must be at most 60 characters'),
    CERTIFICATE_DIR: z.string().optional().transform((v) => v?.trim() || './.data/certificates'),
    /** Requests per minute one client may make to /verify and /certificates (codes must not be enumerable). */
    VERIFY_RATE_PER_MIN: positiveNumber(30).pipe(z.number().int()),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional().default('info'),
  })
  .superRefine((c, ctx) => {
    if (c.TELEGRAM_BOT_TOKEN && c.TELEGRAM_MODE === 'webhook' && !c.TELEGRAM_WEBHOOK_SECRET) {
      ctx.addIssue({ code: 'custom', path: ['TELEGRAM_WEBHOOK_SECRET'], message: 'is required when TELEGRAM_MODE=webhook' });
    }
    if (c.ZALO_BOT_TOKEN && c.ZALO_MODE === 'webhook' && !c.ZALO_WEBHOOK_SECRET) {
      ctx.addIssue({ code: 'custom', path: ['ZALO_WEBHOOK_SECRET'], message: 'is required when ZALO_MODE=webhook' });
    }
  });

export type Config = Readonly<z.infer<typeof schema>>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Reads and validates the environment; throws ConfigError naming each bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${String(i.path[0] ?? '?')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  return Object.freeze(parsed.data);
}
