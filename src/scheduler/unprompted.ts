/**
 * The per-channel budget of unprompted messages (SPEC §5). A lesson, reminder, nudge or broadcast
 * over the learner's budget for the day — or refused by the platform with 429 — goes to the
 * learner's other linked, reachable channel; failing that it is held in MongoDB and delivered in
 * front of the bot's next reply to that conversation, and counted for the operators.
 */
import type { Redis } from 'ioredis';
import { trusted } from 'mongoose';
import type { OutboundMessage } from '../core/messages.js';
import { channelOf, type ChannelName } from '../core/model.js';
import type { Clock } from '../core/ports.js';
import type { Models } from '../storage/models.js';
import { isDuplicateKey } from '../storage/stores.js';
import type { Metrics } from '../metrics.js';
import { jobId, type SendJob } from './jobs.js';
import type { Queues } from './queues.js';

/** Held messages given with one reply: the newest few; older pushes are stale by then. */
export const MAX_HELD_DELIVERED = 3;

/** What the send worker of a channel with a budget asks. */
export interface UnpromptedPolicy {
  /** True when the job may go out now; asking again for the same job gives the same answer. */
  admit(jobId: string, job: SendJob): Promise<boolean>;
  /** Routes the job to another channel of the learner, or holds it. */
  divert(jobId: string, job: SendJob): Promise<'rerouted' | 'held'>;
}

export interface UnpromptedGateOptions {
  redis: Redis;
  /** Redis key prefix (the queues' prefix). */
  prefix: string;
  models: Models;
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

  private async admit(channel: ChannelName, limit: number, id: string, job: SendJob): Promise<boolean> {
    if (job.reason === 'reply') return true;
    const key = `${this.o.prefix}:unprompted:${channel}:${job.conversation}:${this.day.format(this.o.clock.now())}`;
    const ok = await this.o.redis.eval(ADMIT, 1, key, id, String(limit), String(2 * 24 * 3600 * 1000));
    return ok === 1;
  }

  private async divert(channel: ChannelName, id: string, job: SendJob): Promise<'rerouted' | 'held'> {
    const target = id.startsWith('reroute-') ? undefined : await this.otherConversation(job);
    if (target) {
      const to = channelOf(target);
      await this.o.queues.send[to].add('send', { ...job, conversation: target }, { jobId: jobId('reroute', id) });
      this.o.metrics.messagesRerouted.inc({ from: channel, to });
      return 'rerouted';
    }
    try {
      await this.o.models.HeldMessage.create({
        conversation: job.conversation,
        messages: job.messages,
        reason: job.reason,
        sourceJob: id,
        heldAt: this.o.clock.now(),
      });
      this.o.metrics.messagesHeld.inc({ channel, reason: job.reason });
    } catch (err) {
      if (!isDuplicateKey(err)) throw err; // a retry of a job already held
    }
    return 'held';
  }

  /** The learner's other conversation on a channel we send on, not known to be unreachable. */
  private async otherConversation(job: SendJob): Promise<SendJob['conversation'] | undefined> {
    const link = await this.o.models.Conversation.findById(job.conversation).lean<{ learnerId: string }>();
    if (!link) return undefined;
    const learner = await this.o.models.Learner.findById(link.learnerId, { conversations: 1, unreachable: 1 }).lean<{
      conversations: SendJob['conversation'][];
      unreachable: string[];
    }>();
    const from = channelOf(job.conversation);
    return learner?.conversations.find(
      (c) => channelOf(c) !== from && this.o.channels.includes(channelOf(c)) && !learner.unreachable.includes(c),
    );
  }

  /** What is held for a conversation: the newest few messages to deliver, and every id to release. */
  async held(conversation: string): Promise<{ ids: string[]; messages: OutboundMessage[] }> {
    const docs = await this.o.models.HeldMessage.find({ conversation }).sort({ heldAt: 1 }).lean<{ _id: unknown; messages: OutboundMessage[] }[]>();
    return {
      ids: docs.map((d) => String(d._id)),
      messages: docs.slice(-MAX_HELD_DELIVERED).flatMap((d) => d.messages),
    };
  }

  /** Forgets held messages once the reply carrying them is queued. */
  async release(ids: string[]): Promise<void> {
    if (ids.length > 0) await this.o.models.HeldMessage.deleteMany({ _id: trusted({ $in: ids }) });
  }

  /** How many messages are held now, for the admin view. */
  countHeld(conversation?: string): Promise<number> {
    return this.o.models.HeldMessage.countDocuments(conversation ? { conversation } : {});
  }
}
