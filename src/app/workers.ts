/** The worker role: the inbound worker, the planning sweeps, and one send worker per channel. */
import type { Worker } from 'bullmq';

/** Workers of every queue, whatever their job types (for closing them all). */
export type AnyWorker = Worker<any, any, any>;
import type { ChannelAdapter } from '../channels/types.js';
import type { Reachability, TutorDeps } from '../core/ports.js';
import type { Tutor } from '../core/tutor.js';
import { Pushes } from '../core/push.js';
import { createInboundWorker } from '../scheduler/inbound-worker.js';
import { createSendWorker } from '../scheduler/send-worker.js';
import { createPlanWorker, scheduleSweeps } from '../scheduler/plan-worker.js';
import { SendWindow, windowLimits } from '../scheduler/window.js';
import { MongoPruner } from '../storage/prune.js';
import { ChatPacing, blockedConversationsKey } from '../scheduler/pacing.js';
import { Outbox } from '../scheduler/outbox.js';
import { PushDelivery } from '../scheduler/push-delivery.js';
import type { UnpromptedGate } from '../scheduler/unprompted.js';
import { MongoScheduledSendLog, MongoScheduleSource, MongoSweepStates } from '../storage/schedule.js';
import { SweepBuckets } from '../storage/sweep-buckets.js';
import { rateOf } from './channels.js';
import type { Services } from './services.js';
import { CertificateDelivery } from '../certificates/delivery.js';
import { buildCertificates } from './certificates.js';
import { MongoOutboundFailures } from '../storage/outbound-failures.js';
import type { AdminChatDispatcher } from '../admin/chat-dispatch.js';
import type { BroadcastParts } from './broadcasts.js';
import { routedPushes } from '../broadcasts/delivery.js';

export interface WorkerParts {
  tutor: Tutor;
  tutorDeps: TutorDeps;
  channels: ChannelAdapter[];
  reachability: Reachability;
  unprompted: UnpromptedGate;
  /** Each chat's updates in the order they came. */
  order: ChatPacing;
  /** Admin chat commands, tried before the tutor for the admins' conversations. */
  adminChat?: AdminChatDispatcher;
  /** True once the process is stopping: a sweep stops after the batch in hand. */
  stopping(): boolean;
  /** Announcements: their acknowledgements, their sends and their planner (buildBroadcasts). */
  broadcasts?: BroadcastParts;
}

export async function startWorkers(s: Services, p: WorkerParts): Promise<AnyWorker[]> {
  const { config, queues, redis, metrics, clock } = s;
  const prefix = queues.settings.prefix;
  // The gate also answers whether a send is dropped, from the Reachability's Redis copy (index.ts).
  const blockedKey = blockedConversationsKey(s.recordsPrefix);
  const pacing = new ChatPacing(redis, prefix, config.CHAT_GAP_MS, 'chat', blockedKey);
  const outbox = new Outbox(queues, pacing);
  const workers: AnyWorker[] = [createInboundWorker({ queues, tutor: p.tutor, metrics, outbox, held: p.unprompted, order: p.order, admin: p.adminChat, concurrency: config.INBOUND_CONCURRENCY, intercept: p.broadcasts && ((e) => p.broadcasts!.acks.intercept(e)) })];
  workers.push(
    createPlanWorker(
      queues,
      redis,
      {
        queues,
        outbox,
        // The reminder and lesson sweeps stream the cohorts' packed buckets; the stores mark what they write under the same records prefix (src/app/index.ts).
        source: new MongoScheduleSource(s.db.models, new SweepBuckets(s.db.models, { redis, prefix: s.recordsPrefix })),
        states: new MongoSweepStates(s.db.models),
        catalog: p.tutorDeps.catalog,
        clock,
        timezone: config.TIMEZONE,
        nudgeAfterDays: config.NUDGE_AFTER_DAYS,
        metrics,
        window: new SendWindow(queues, {
          limits: windowLimits(Object.fromEntries(p.channels.map((a) => [a.name, rateOf(s, a.name)]).filter(([, rate]) => rate !== undefined)), config.PLAN_WINDOW_SECONDS),
        }),
      },
      p.stopping,
      new MongoPruner(s.db.models, { updatesDays: config.RETAIN_UPDATES_DAYS, scheduledSendsDays: config.RETAIN_SCHEDULED_SENDS_DAYS }),
    ),
  );
  await scheduleSweeps(queues, config.SCHEDULER_SWEEP_SECONDS * 1000);
  const pushes = new PushDelivery(new MongoScheduledSendLog(s.db.models), new Pushes(p.tutorDeps), clock);
  const certificates = buildCertificates(s);
  const documents = new CertificateDelivery(certificates.files, certificates.store, clock);
  const failures = new MongoOutboundFailures(s.db.conn);
  for (const adapter of p.channels) {
    workers.push(
      createSendWorker(queues, {
        adapter,
        metrics,
        reachability: p.reachability,
        ratePerSec: rateOf(s, adapter.name),
        concurrency: config.SEND_CONCURRENCY,
        // Order always; the gap per chat only where a platform imposes it.
        pacing: adapter.name === 'console' ? new ChatPacing(redis, prefix, 0, 'chat', blockedKey) : pacing,
        pushes: p.broadcasts ? routedPushes(pushes, p.broadcasts.delivery) : pushes,
        unprompted: p.unprompted.policyFor(adapter.name),
        documents,
        failures,
      }),
    );
  }
  if (p.broadcasts) workers.push(await p.broadcasts.startWorker(p.stopping));
  for (const w of workers) w.on('failed', (job, err) => s.logger.warn({ queue: w.name, jobId: job?.id, err: err.message }, 'job failed'));
  return workers;
}
