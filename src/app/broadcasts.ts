/**
 * The broadcasts' parts, built once per process from the shared services: the store, the live
 * counts, the service every admin surface uses, the acknowledgement intercept (worker role), the
 * send-side delivery and the planner's worker (worker role).
 */
import type { Worker } from 'bullmq';
import { Types } from 'mongoose';
import type { AuditSink } from '../admin/scope.js';
import type { ChannelName, ConversationId } from '../core/model.js';
import { MongoBroadcastStore } from '../storage/broadcasts.js';
import { MongoConversationDirectory } from '../storage/held-messages.js';
import { BroadcastLive } from '../broadcasts/live.js';
import { BroadcastService } from '../broadcasts/service.js';
import { BroadcastAcks } from '../broadcasts/ack.js';
import { keptLearners } from './admin.js';
import { BroadcastDelivery } from '../broadcasts/delivery.js';
import { broadcastQueue, createBroadcastWorker, scheduleBroadcastTicks, type BroadcastJob, type BroadcastJobName } from '../broadcasts/worker.js';
import { SendWindow, windowLimits } from '../scheduler/window.js';
import { rateOf } from './channels.js';
import type { Services } from './services.js';

export interface BroadcastParts {
  store: MongoBroadcastStore;
  live: BroadcastLive;
  service: BroadcastService;
  acks: BroadcastAcks;
  delivery: BroadcastDelivery;
  /** Plans a broadcast now rather than at the next tick. */
  kick(id: string): Promise<void>;
  /** Starts the planner's worker and its tick (worker role). */
  startWorker(stopping: () => boolean): Promise<Worker<BroadcastJob, unknown, BroadcastJobName>>;
  close(): Promise<void>;
}

export interface BroadcastOptions {
  /** Channels this process's deployment sends on. */
  channels: readonly ChannelName[];
  /** Where broadcast.create|pause|resume|cancel go; the admin store's sink once wired (default: the log). */
  audit?: AuditSink;
  /** How often active broadcasts are planned again. @defaultValue 5000 */
  tickMs?: number;
}

/** The channels a deployment sends on, from its configuration: the tokens set, else the console. */
export function deploymentChannels(config: Services['config']): ChannelName[] {
  const on: ChannelName[] = [];
  if (config.TELEGRAM_BOT_TOKEN) on.push('telegram');
  if (config.ZALO_BOT_TOKEN) on.push('zalo');
  return on.length ? on : ['console'];
}

/** An audit sink that writes to the log, until the admin issue's store is wired in its place. */
function logAudit(s: Services): AuditSink {
  return { record: async (entry) => s.logger.info({ audit: entry }, 'audit') };
}

/** How long the planner waits for room in a full window before it lets go of its stream (and resumes at a later tick). */
const PLANNER_WAIT_MS = 10 * 60 * 1000;

export function buildBroadcasts(s: Services, o: BroadcastOptions): BroadcastParts {
  const { queues, redis, clock, config } = s;
  const prefix = queues.settings.prefix;
  const store = new MongoBroadcastStore(s.db.conn);
  const live = new BroadcastLive(redis, prefix);
  const queue = broadcastQueue(queues.settings.connection, prefix);
  const kick = async (id: string) => {
    await queue.add('plan', { id }, { jobId: `plan-${id}-${Date.now()}-${Math.random().toString(36).slice(2, 6)}` });
  };
  const day = new Intl.DateTimeFormat('en-CA', { timeZone: config.TIMEZONE, year: 'numeric', month: '2-digit', day: '2-digit' });
  const service = new BroadcastService({
    store,
    live,
    audit: o.audit ?? logAudit(s),
    clock,
    channels: o.channels,
    kick: (id) => kick(id),
    budget: { redis, prefix, perDay: config.ZALO_UNPROMPTED_PER_DAY, day: (now) => day.format(now) },
    kept: keptLearners(s),
  });
  const learners = s.db.conn.collection('learners');
  const conversations = s.db.conn.collection('conversations');
  const acks = new BroadcastAcks({
    store,
    live,
    i18n: s.i18n,
    clock,
    learnerOf: async (conversation: ConversationId) => {
      const link = await conversations.findOne({ _id: String(conversation) as never });
      if (!link) return null;
      const id = String(link.learnerId);
      const l = Types.ObjectId.isValid(id) ? await learners.findOne({ _id: new Types.ObjectId(id) }, { projection: { locale: 1, profile: 1 } }) : null;
      return l ? { id, locale: l.locale === 'en' ? 'en' : 'vi', province: String(l.profile?.province ?? '') } : null;
    },
  });
  const delivery = new BroadcastDelivery({
    store,
    live,
    queues,
    directory: new MongoConversationDirectory(s.db.models),
    i18n: s.i18n,
    clock,
    timezone: config.TIMEZONE,
    channels: o.channels,
  });
  let worker: Worker<BroadcastJob, unknown, BroadcastJobName> | undefined;
  return {
    store,
    live,
    service,
    acks,
    delivery,
    kick,
    async startWorker(stopping) {
      await store.ensureIndexes();
      const rates = Object.fromEntries(o.channels.map((c) => [c, rateOf(s, c)]).filter(([, r]) => r !== undefined));
      worker = createBroadcastWorker({
        connection: queues.settings.connection,
        prefix,
        redis,
        store,
        stopping,
        // A long wait for room keeps one stream over the learners open per broadcast (a resume skips every learner before its position).
        planner: { store, live, queues, clock, timezone: config.TIMEZONE, channels: o.channels, window: new SendWindow(queues, { limits: windowLimits(rates, config.PLAN_WINDOW_SECONDS), maxWaitMs: PLANNER_WAIT_MS }) },
      });
      await scheduleBroadcastTicks(queue, o.tickMs ?? 5000);
      return worker;
    },
    async close() {
      await queue.close();
    },
  };
}
