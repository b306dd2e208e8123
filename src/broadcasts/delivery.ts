/**
 * The send worker's side of broadcasts. A broadcast recipient is a scheduled push of kind
 * `broadcast`, so it goes through the channel's send queue like any push: the global rate, the
 * per-chat order and gap, 429 pauses, the Zalo unprompted budget (over it → the learner's other
 * channel, else held for their next reply). What this adds, just before the first send:
 * - the broadcast's state, read from Redis: cancelled → not sent; paused or in its quiet hours →
 *   deferred (planned again later), so that nothing waits at the head of a chat;
 * - the delivery record `<broadcast>|<learner>`, claimed by insert: only one job ever sends it;
 * - after: the outcome on the record and in the live counts; blocked or unreachable → the other
 *   linked channel when there is one.
 */
import type { Job } from 'bullmq';
import { broadcastMessage, quietNow, type Broadcast } from '../core/broadcast.js';
import { channelOf, type ChannelName, type ConversationId } from '../core/model.js';
import type { OutboundMessage } from '../core/messages.js';
import type { Clock, Translator } from '../core/ports.js';
import { jobId, type PushJob } from '../scheduler/jobs.js';
import type { PushOutcomes } from '../scheduler/delivery.js';
import type { PushDelivery } from '../scheduler/push-delivery.js';
import type { ConversationDirectory } from '../scheduler/ports.js';
import type { Queues } from '../scheduler/queues.js';
import type { MongoBroadcastStore } from '../storage/broadcasts.js';
import type { BroadcastLive } from './live.js';

export interface BroadcastDeliveryDeps {
  store: MongoBroadcastStore;
  live: BroadcastLive;
  queues: Queues;
  directory: ConversationDirectory;
  i18n: Translator;
  clock: Clock;
  timezone: string;
  /** Channels this deployment sends on (a reroute goes only there). */
  channels: readonly ChannelName[];
}

const recordId = (m: { id: string; reminder?: boolean }) => (m.reminder ? `${m.id}~r` : m.id);

/** Broadcasts change rarely once created: their text is cached a little; their state never is. */
const CACHE_MS = 30_000;

export class BroadcastDelivery {
  private readonly cache = new Map<string, { at: number; b: Broadcast | null }>();

  constructor(private readonly d: BroadcastDeliveryDeps) {}

  private async broadcast(id: string): Promise<Broadcast | null> {
    const hit = this.cache.get(id);
    if (hit && Date.now() - hit.at < CACHE_MS) return hit.b;
    const b = await this.d.store.get(id);
    this.cache.set(id, { at: Date.now(), b });
    return b;
  }

  private meta(job: PushJob) {
    const m = job.push.broadcast;
    if (!m) throw new Error(`broadcast push ${job.push.key} has no broadcast`);
    return m;
  }

  async prepare(job: Job<PushJob>): Promise<OutboundMessage[] | { skipped: string }> {
    const m = this.meta(job.data);
    const b = await this.broadcast(m.id);
    if (!b) return { skipped: 'no such broadcast' };
    const state = (await this.d.live.state(m.id)) ?? b.state;
    const now = this.d.clock.now();
    const owner = `${job.id}@${job.timestamp}`;
    // A reminder has records of its own (`<broadcast>~r|<learner>`): one reminder per learner, ever.
    const record = { broadcastId: recordId(m), learnerId: job.data.push.learnerId, province: m.province, conversation: job.data.conversation, locale: m.locale, owner, at: now };
    if (state === 'cancelled') {
      if (await this.d.store.claim(record)) await this.outcome(job.data, 'cancelled');
      return { skipped: 'cancelled' };
    }
    if (state === 'paused' || quietNow(b, now, this.d.timezone)) {
      await this.d.live.defer(m.id, { learnerId: record.learnerId, conversation: record.conversation, locale: m.locale, province: m.province });
      return { skipped: state === 'paused' ? 'paused' : 'quiet hours' };
    }
    if (!(await this.d.store.claim(record))) return { skipped: 'already_sent' };
    return [broadcastMessage(b, m.locale, this.d.i18n, m.reminder === true)];
  }

  async sent(job: PushJob, outcome = 'sent'): Promise<void> {
    const m = this.meta(job);
    if (outcome === 'sent') {
      await this.outcome(job, 'sent');
      const b = await this.broadcast(m.id);
      if (b?.ack) await this.d.live.awaitAck(job.conversation, m.id, job.push.learnerId, m.province);
    } else if (outcome.endsWith('held')) await this.outcome(job, 'held');
    else if (outcome.endsWith('rerouted')) await this.outcome(job, 'rerouted');
  }

  /** Blocked or unreachable: the learner's other channel if linked and reachable; otherwise counted. Other refusals: failed. */
  async failed(job: Job<PushJob>, why: string): Promise<void> {
    const data = job.data;
    if (why !== 'unreachable' && why !== 'blocked') return this.outcome(data, 'failed', why);
    const other = data.rerouted ? undefined : await this.otherConversation(data.conversation);
    let composed = data.composed;
    if (!composed) {
      // Dropped before its first send: claim it here, as prepare would have.
      const prepared = await this.prepare(job);
      if (!Array.isArray(prepared)) return;
      composed = prepared;
    }
    if (!other) return this.outcome(data, 'blocked', why);
    const to = channelOf(other);
    await this.d.queues.send[to].add('push', { ...data, conversation: other, composed, rerouted: true }, { jobId: jobId('reroute', job.id!) });
    await this.outcome(data, 'rerouted', undefined, other);
  }

  /** Marks the record and counts it (live counts; the end of the broadcast recounts from the records). */
  private async outcome(job: PushJob, state: 'sent' | 'held' | 'rerouted' | 'failed' | 'blocked' | 'cancelled', reason?: string, conversation?: ConversationId): Promise<void> {
    const m = this.meta(job);
    await this.d.store.finish(recordId(m), job.push.learnerId, state, this.d.clock.now(), reason, conversation);
    // A reminder's outcomes stay on its records; only the reminders sent are counted.
    if (m.reminder) {
      if (state === 'sent') await this.d.live.count(m.id, 'reminded', m.province);
      return;
    }
    await this.d.live.count(m.id, state === 'failed' ? `failed:${reason ?? 'unknown'}` : state, m.province);
  }

  private async otherConversation(conversation: ConversationId): Promise<ConversationId | undefined> {
    const linked = await this.d.directory.linked(conversation);
    const from = channelOf(conversation);
    return linked?.conversations.find((c) => channelOf(c) !== from && this.d.channels.includes(channelOf(c)) && !linked.unreachable.includes(c));
  }
}

/** The send worker's pushes: broadcasts here, every other push to the scheduler's PushDelivery. */
export function routedPushes(pushes: PushDelivery, broadcasts: BroadcastDelivery): PushOutcomes {
  return {
    prepare: (job) => (job.data.push.kind === 'broadcast' ? broadcasts.prepare(job) : pushes.prepare(job)),
    sent: (job, outcome) => (job.push.kind === 'broadcast' ? broadcasts.sent(job, outcome) : pushes.sent(job)),
    failed: async (job, why) => {
      if (job.data.push.kind === 'broadcast') await broadcasts.failed(job, why);
    },
  };
}
