/**
 * The per-channel budget of unprompted messages (SPEC §5). A lesson, reminder, nudge or broadcast
 * over the learner's budget for the day — or refused by the platform with 429 — goes to the
 * learner's other linked, reachable channel; failing that it is held and delivered in front of
 * the bot's next reply to that conversation, and counted for the operators.
 */
import type { Redis } from 'ioredis';
import type { OutboundMessage } from '../core/messages.js';
import { channelOf, type ChannelName, type ConversationId } from '../core/model.js';
import type { Clock } from '../core/ports.js';
import type { Metrics } from '../metrics.js';
import { jobId, type PushJob } from './jobs.js';
import type { ConversationDirectory, HeldMessageStore } from './ports.js';
import type { Queues } from './queues.js';

/** Held messages given with one reply: the newest few; older pushes are stale by then. */
export const MAX_HELD_DELIVERED = 3;

/** An unprompted message with what was composed for it. */
export type ComposedPush = PushJob & { composed: OutboundMessage[] };

/** What the send worker of a channel with a budget asks. */
export interface UnpromptedPolicy {
  /** True when the job may go out now; asking again for the same job gives the same answer. */
  admit(jobId: string, job: ComposedPush): Promise<boolean>;
  /** Routes the job to another channel of the learner, or holds it. */
  divert(jobId: string, job: ComposedPush): Promise<'rerouted' | 'held'>;
}

export interface UnpromptedGateOptions {
  redis: Redis;
  /** Redis key prefix (the queues' prefix). */
  prefix: string;
  held: HeldMessageStore;
  directory: ConversationDirectory;
  queues: Queues;
  metrics: Metrics;
  clock: Clock;
  /** Days are counted in this time zone. */
  timezone: string;
  /** Unprompted messages per learner and day, by channel; a channel not listed has no budget. */
  perDay: Partial<Record<ChannelName, number>>;
  /** Channels this deployment sends on: only those can take rerouted messages. */
  channels: readonly ChannelName[];
}

// Admits a job id into the day's set unless the set is full; a job already in it is admitted again.
const ADMIT = `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return 1 end
if redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], 1)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1`;

export class UnpromptedGate {
  private readonly day: Intl.DateTimeFormat;

  constructor(private readonly o: UnpromptedGateOptions) {
    this.day = new Intl.DateTimeFormat('en-CA', { timeZone: o.timezone, year: 'numeric', month: '2-digit', day: '2-digit' });
  }

  /** The policy for one channel's send worker, or undefined when that channel has no budget. */
  policyFor(channel: ChannelName): UnpromptedPolicy | undefined {
    const limit = this.o.perDay[channel];
    if (limit === undefined) return undefined;
    return {
      admit: (id, job) => this.admit(channel, limit, id, job),
      divert: (id, job) => this.divert(channel, id, job),
    };
  }

  private async admit(channel: ChannelName, limit: number, id: string, job: ComposedPush): Promise<boolean> {
    const key = `${this.o.prefix}:unprompted:${channel}:${job.conversation}:${this.day.format(this.o.clock.now())}`;
    const ok = await this.o.redis.eval(ADMIT, 1, key, id, String(limit), String(2 * 24 * 3600 * 1000));
    return ok === 1;
  }

  private async divert(channel: ChannelName, id: string, job: ComposedPush): Promise<'rerouted' | 'held'> {
    const target = job.rerouted ? undefined : await this.otherConversation(job.conversation);
    if (target) {
      const to = channelOf(target);
      await this.o.queues.send[to].add('push', { ...job, conversation: target, rerouted: true }, { jobId: jobId('reroute', id) });
      this.o.metrics.messagesRerouted.inc({ from: channel, to });
      return 'rerouted';
    }
    // Counted before it is stored: a crash in between costs one needless look-up later, never a lost message.
    await this.o.redis.incr(this.heldKey(job.conversation));
    await this.o.held.hold({ conversation: job.conversation, messages: job.composed, reason: job.push.kind, sourceJob: id, heldAt: this.o.clock.now() });
    this.o.metrics.messagesHeld.inc({ channel, reason: job.push.kind });
    return 'held';
  }

  /** The learner's other conversation on a channel we send on, not known to be unreachable. */
  private async otherConversation(conversation: ConversationId): Promise<ConversationId | undefined> {
    const linked = await this.o.directory.linked(conversation);
    const from = channelOf(conversation);
    return linked?.conversations.find((c) => channelOf(c) !== from && this.o.channels.includes(channelOf(c)) && !linked.unreachable.includes(c));
  }

  /** How many messages may be held for a conversation: read before every reply, so the database is asked only when some are. */
  private heldKey(conversation: ConversationId): string {
    return `${this.o.prefix}:held:${conversation}`;
  }

  /** What is held for a conversation: the newest few messages to deliver, and every id to release. */
  async held(conversation: ConversationId): Promise<{ ids: string[]; messages: OutboundMessage[] }> {
    if (Number(await this.o.redis.get(this.heldKey(conversation))) <= 0) return { ids: [], messages: [] };
    const held = await this.o.held.list(conversation);
    if (held.length === 0) await this.o.redis.del(this.heldKey(conversation));
    return { ids: held.map((h) => h.id), messages: held.slice(-MAX_HELD_DELIVERED).flatMap((h) => h.messages) };
  }

  /** Forgets held messages once the reply carrying them is queued. */
  async release(conversation: ConversationId, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.o.held.release(ids);
    await this.o.redis.decrby(this.heldKey(conversation), ids.length);
  }

  /** How many messages are held now, for the admin view. */
  countHeld(conversation?: ConversationId): Promise<number> {
    return this.o.held.count(conversation);
  }
}
