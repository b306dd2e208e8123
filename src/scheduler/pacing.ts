/**
 * Order and pacing per chat. Platforms refuse more than about one message a second to one
 * chat, and a learner must read our messages in the order we queued them, even with several
 * workers each running several jobs at once, and across 429 pauses and retries.
 *
 * The design: every send job is queued through the Outbox, which first records it in a Redis
 * sorted set per conversation, scored by queueing order. A worker that takes a job asks the
 * gate (one Lua script, atomic): only the head of its chat's set may go, and only once the
 * chat's previous message is a gap old; any other job waits in BullMQ's delayed set and asks
 * again. The head leaves the set when it is sent, dropped or has failed for good; while it
 * waits for a retry, the messages behind it wait too. A head whose job no longer exists (an id
 * that was already queued, a job removed by an operator) is skipped, so a chat never jams.
 */
import type { Redis } from 'ioredis';
import type { ConversationId } from '../core/model.js';

const GATE = `
local me = ARGV[1]
local now = tonumber(ARGV[2])
local gap = tonumber(ARGV[3])
if redis.call('ZSCORE', KEYS[1], me) then
  while true do
    local head = redis.call('ZRANGE', KEYS[1], 0, 0)[1]
    if head == nil or head == me then break end
    local job = ARGV[4] .. head
    if redis.call('EXISTS', job) == 0 or redis.call('HEXISTS', job, 'finishedOn') == 1 then
      redis.call('ZREM', KEYS[1], head)
    else
      return now + gap
    end
  end
end
local nextFree = tonumber(redis.call('GET', KEYS[2]) or '0')
if nextFree > now then return nextFree end
redis.call('SET', KEYS[2], now + gap, 'PX', gap + 1000)
return 0`;

/** Pending messages per chat are forgotten after a week, whatever happens to them. */
const PENDING_TTL_MS = 7 * 24 * 3600 * 1000;

export class ChatPacing {
  private seq = 0;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    /** Gap between two messages to one chat. @defaultValue 1000 */
    readonly gapMs = 1000,
    /** Which order this is: `chat` for outgoing messages, `inbound` for a chat's updates. @defaultValue 'chat' */
    private readonly order: 'chat' | 'inbound' = 'chat',
  ) {}

  private pendingKey(conversation: ConversationId): string {
    return `${this.prefix}:${this.order}:${conversation}`;
  }

  private paceKey(conversation: ConversationId): string {
    return `${this.prefix}:${this.order === 'chat' ? 'pace' : `${this.order}-pace`}:${conversation}`;
  }

  /** Records jobs in their chats' queueing order; call before adding them to the queue. */
  async enlist(jobs: { conversation: ConversationId; jobId: string }[]): Promise<void> {
    if (jobs.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const j of jobs) {
      // Milliseconds with a per-process counter as fraction: ties within one producer keep their order.
      const score = Date.now() + (this.seq++ % 1000) / 1000;
      pipeline.zadd(this.pendingKey(j.conversation), 'NX', score, j.jobId);
      pipeline.pexpire(this.pendingKey(j.conversation), PENDING_TTL_MS);
    }
    await pipeline.exec();
  }

  /** 0 when this job may send now; otherwise the instant to ask again. */
  async gate(conversation: ConversationId, jobId: string, queueName: string, now = Date.now()): Promise<number> {
    const jobKeyPrefix = `${this.prefix}:${queueName}:`;
    return Number(await this.redis.eval(GATE, 2, this.pendingKey(conversation), this.paceKey(conversation), jobId, now, this.gapMs, jobKeyPrefix));
  }

  /** The job is done with (sent, dropped or failed for good): the next one of its chat may go. */
  async release(conversation: ConversationId, jobId: string): Promise<void> {
    await this.redis.zrem(this.pendingKey(conversation), jobId);
  }
}
