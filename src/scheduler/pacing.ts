/**
 * Pacing per chat: platforms refuse more than about one message a second to one chat.
 * Each send job reserves the next free instant of its conversation in Redis, atomically,
 * in the order jobs are taken from the queue; a job whose instant is still ahead waits in
 * BullMQ's delayed set. Reserved instants are strictly increasing per chat, and delayed
 * jobs come back in time order, so one learner's messages leave in the order they were
 * queued, even with several workers. The job keeps its instant (SendJob.slot) so that a
 * delay, a 429 pause or a retry never re-reserves one behind a later message.
 */
import type { Redis } from 'ioredis';
import type { ConversationId } from '../core/model.js';

const RESERVE = `
local nextFree = tonumber(redis.call('GET', KEYS[1]) or '0')
local now = tonumber(ARGV[1])
local at = tonumber(ARGV[3])
local slot = math.max(now, nextFree, at)
local after = slot + tonumber(ARGV[2])
redis.call('SET', KEYS[1], after, 'PX', after - now + 60000)
return slot`;

export class ChatPacing {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    /** Gap between two messages to one chat. @defaultValue 1000 */
    readonly gapMs = 1000,
  ) {}

  private key(conversation: ConversationId): string {
    return `${this.prefix}:pace:${conversation}`;
  }

  /** Reserves the first free instant for this chat at or after `notBefore` (default now). */
  async reserve(conversation: ConversationId, now: number, notBefore = 0): Promise<number> {
    return Number(await this.redis.eval(RESERVE, 1, this.key(conversation), now, this.gapMs, notBefore));
  }
}
