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

/**
 * KEYS: the chat's pending set, its pace key, and (optional) the hash of blocked conversations.
 * ARGV: job id, now, gap, job key prefix; with the hash: conversation, 1 when prompted, the job's
 * queueing instant. Returns 0 (go), the instant to ask again, or -1: dropped, the conversation
 * was found blocked after this job was queued (or the job is unprompted), as `Delivery.dropped`.
 */
const GATE = `
local me = ARGV[1]
local now = tonumber(ARGV[2])
local gap = tonumber(ARGV[3])
if KEYS[3] then
  local since = redis.call('HGET', KEYS[3], ARGV[5])
  if since and (ARGV[6] == '0' or tonumber(ARGV[7]) <= tonumber(since)) then return -1 end
end
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

/**
 * A message of the job went out: its progress (how many of its messages, BullMQ's `progress`
 * field, which a retry resumes from) recorded, and, after its last message, the chat's next
 * job let go, in one round trip. KEYS: the job's hash, the chat's pending set; ARGV: progress,
 * job id, 1 to release. A job that no longer exists is not re-created.
 */
const SENT = `
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], 'progress', ARGV[1]) end
if ARGV[3] == '1' then redis.call('ZREM', KEYS[2], ARGV[2]) end
return 0`;

/**
 * Records jobs in their chats' order, every chat of a batch in one script (one command for Redis
 * to read and one reply, where a ZADD and a PEXPIRE per chat cost a command, a socket write and
 * a reply each). KEYS: the chats' pending sets; ARGV: the TTL (ms), then per key the number of its
 * jobs and their score/id pairs. A job already recorded keeps its place (NX).
 */
const ENLIST = `
local ttl = ARGV[1]
local at = 2
for i = 1, #KEYS do
  local n = tonumber(ARGV[at])
  local from = at + 1
  local to = at + 2 * n
  -- unpack in slices: Lua's C stack takes about 8,000 values
  while from <= to do
    local last = math.min(to, from + 1999)
    redis.call('ZADD', KEYS[i], 'NX', unpack(ARGV, from, last))
    from = last + 1
  end
  redis.call('PEXPIRE', KEYS[i], ttl)
  at = to + 1
end
return #KEYS`;

/** Where the Reachability keeps its Redis copy of blocked conversations, for a queue prefix: the gate reads it too. */
export const blockedConversationsKey = (prefix: string): string => `${prefix}:blocked`;

/** The gate's answer for a job that is dropped (its conversation is blocked). */
export const DROPPED = -1;

type Scripts = {
  cdsChatGate(...args: (string | number)[]): Promise<number>;
  cdsChatSent(...args: (string | number)[]): Promise<number>;
  cdsChatEnlist(...args: (string | number)[]): Promise<number>;
};

/** Pending messages per chat are forgotten after a week, whatever happens to them. */
const PENDING_TTL_MS = 7 * 24 * 3600 * 1000;

export class ChatPacing {
  /** The last score this process gave (see `enlist`). */
  private last = 0;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    /** Gap between two messages to one chat. @defaultValue 1000 */
    readonly gapMs = 1000,
    /** Which order this is: `chat` for outgoing messages, `inbound` for a chat's updates. @defaultValue 'chat' */
    private readonly order: 'chat' | 'inbound' = 'chat',
    /**
     * The Reachability's Redis copy (a hash: conversation → blocked at, ms): when given, the gate
     * also answers whether a send job is dropped (`DROPPED`), saving the send its own round trip.
     */
    readonly blockedKey?: string,
  ) {
    // EVALSHA: the scripts' text crosses the wire once per connection, not with every job.
    // Once per connection, however many ChatPacing share it (as rows.ts defines its scripts).
    if (typeof (redis as Partial<Scripts>).cdsChatGate !== 'function') {
      redis.defineCommand('cdsChatGate', { lua: GATE });
      redis.defineCommand('cdsChatSent', { numberOfKeys: 2, lua: SENT });
      redis.defineCommand('cdsChatEnlist', { lua: ENLIST });
    }
  }

  private get scripts(): Scripts {
    return this.redis as unknown as Scripts;
  }

  private pendingKey(conversation: ConversationId): string {
    return `${this.prefix}:${this.order}:${conversation}`;
  }

  private paceKey(conversation: ConversationId): string {
    return `${this.prefix}:${this.order === 'chat' ? 'pace' : `${this.order}-pace`}:${conversation}`;
  }

  /** Records jobs in their chats' queueing order; call before adding them to the queue. */
  async enlist(jobs: { conversation: ConversationId; jobId: string }[]): Promise<void> {
    if (jobs.length === 0) return;
    const byChat = new Map<string, (string | number)[]>();
    for (const j of jobs) {
      // Milliseconds, strictly increasing within this process: jobs queued in the same millisecond
      // take steps of 1/1024 (exact in a double at today's epoch), so they keep their order however
      // many there are (a counter modulo 1,000 as fraction put the 1,001st before the 1,000th).
      const score = (this.last = Math.max(Date.now(), this.last + 1 / 1024));
      const key = this.pendingKey(j.conversation);
      const pairs = byChat.get(key) ?? [];
      pairs.push(score, j.jobId);
      byChat.set(key, pairs);
    }
    // One script for the whole batch (ENLIST): a batch of 1,000 pushes to 1,000 chats was 2,000
    // commands, each its own socket write in this process and its own read and reply in Redis.
    const keys = [...byChat.keys()];
    const args: (string | number)[] = [PENDING_TTL_MS];
    for (const pairs of byChat.values()) args.push(pairs.length / 2, ...pairs);
    await this.scripts.cdsChatEnlist(keys.length, ...keys, ...args);
  }

  /**
   * 0 when this job may send now; otherwise the instant to ask again. With `send` (and a
   * `blockedKey`), `DROPPED` when the conversation is blocked for this job (see `Delivery.dropped`).
   */
  async gate(conversation: ConversationId, jobId: string, queueName: string, now = Date.now(), send?: { prompted: boolean; queuedAt: number }): Promise<number> {
    const jobKeyPrefix = `${this.prefix}:${queueName}:`;
    const keys = [this.pendingKey(conversation), this.paceKey(conversation)];
    const args: (string | number)[] = [jobId, now, this.gapMs, jobKeyPrefix];
    if (send && this.blockedKey) {
      keys.push(this.blockedKey);
      args.push(conversation, send.prompted ? 1 : 0, send.queuedAt);
    }
    return Number(await this.scripts.cdsChatGate(keys.length, ...keys, ...args));
  }

  /**
   * Records that `progress` messages of the job (its BullMQ hash at `jobKey`) went out, and with
   * `last` releases the chat's next job too, in one round trip (see `release`).
   */
  async sent(conversation: ConversationId, jobId: string, jobKey: string, progress: number, last: boolean): Promise<void> {
    await this.scripts.cdsChatSent(jobKey, this.pendingKey(conversation), progress, jobId, last ? 1 : 0);
  }

  /** The job is done with (sent, dropped or failed for good): the next one of its chat may go. */
  async release(conversation: ConversationId, jobId: string): Promise<void> {
    await this.redis.zrem(this.pendingKey(conversation), jobId);
  }
}
