/**
 * What the broadcasts keep in Redis, all under `<prefix>:bc:`: the live counts of outcomes (HINCRBY;
 * FerretDB's `$inc` is read-modify-write, so several send workers could not share one document),
 * per province too; a mirror of each broadcast's state that every send reads; the recipients
 * deferred by a pause or quiet hours (to be planned again); and, per conversation, the broadcast
 * awaiting its acknowledgement. A few small keys per broadcast however many recipients it has.
 *
 * Counts are live, not exact: each is raised when the delivery record is marked, so a send job
 * re-run after a crash between its send and its completion counts twice, and a crash between the
 * record and the count loses one.
 * `recount` (the records) is exact; it runs when a broadcast ends and on `broadcast show --recount`.
 */
import type { Redis } from 'ioredis';
import type { BroadcastState } from '../core/broadcast.js';
import type { ConversationId } from '../core/model.js';
import type { Locale } from '../core/course.js';

/** A recipient planned again after a pause or quiet hours. */
export interface Deferred {
  learnerId: string;
  conversation: ConversationId;
  locale: Locale;
  province: string;
}

/** How long a broadcast awaits its acknowledgement in a conversation. */
const ACK_TTL_S = 14 * 24 * 3600;

export class BroadcastLive {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(id: string, part: string): string {
    return `${this.prefix}:bc:${id}:${part}`;
  }

  /** Adds 1 to a count, overall and for the province. */
  async count(id: string, key: string, province: string, by = 1): Promise<void> {
    await this.redis
      .multi()
      .hincrby(this.key(id, 'n'), key, by)
      .hincrby(this.key(id, 'p'), `${province}\t${key}`, by)
      .exec();
  }

  async counts(id: string): Promise<{ total: Record<string, number>; byProvince: Record<string, Record<string, number>> }> {
    const [n, p] = await Promise.all([this.redis.hgetall(this.key(id, 'n')), this.redis.hgetall(this.key(id, 'p'))]);
    const total = Object.fromEntries(Object.entries(n).map(([k, v]) => [k, Number(v)]));
    const byProvince: Record<string, Record<string, number>> = {};
    for (const [k, v] of Object.entries(p)) {
      const [province, key] = k.split('\t') as [string, string];
      (byProvince[province] ??= {})[key] = Number(v);
    }
    return { total, byProvince };
  }

  /** Replaces the live counts with exact ones (after a recount). */
  async setCounts(id: string, c: { total: Record<string, number>; byProvince: Record<string, Record<string, number>> }): Promise<void> {
    const m = this.redis.multi().del(this.key(id, 'n'), this.key(id, 'p'));
    for (const [k, v] of Object.entries(c.total)) m.hset(this.key(id, 'n'), k, v);
    for (const [p, row] of Object.entries(c.byProvince)) for (const [k, v] of Object.entries(row)) m.hset(this.key(id, 'p'), `${p}\t${k}`, v);
    await m.exec();
  }

  async setState(id: string, state: BroadcastState): Promise<void> {
    await this.redis.set(this.key(id, 'state'), state);
  }

  async state(id: string): Promise<BroadcastState | null> {
    return (await this.redis.get(this.key(id, 'state'))) as BroadcastState | null;
  }

  async defer(id: string, d: Deferred): Promise<void> {
    await this.redis.sadd(this.key(id, 'deferred'), JSON.stringify(d));
  }

  /** Up to `n` deferred recipients, left in place until `dropDeferred` (after they are queued again: a crash between repeats, never loses). */
  async peekDeferred(id: string, n: number): Promise<{ raw: string[]; items: Deferred[] }> {
    const raw = await this.redis.srandmember(this.key(id, 'deferred'), n);
    return { raw, items: raw.map((s) => JSON.parse(s) as Deferred) };
  }

  async dropDeferred(id: string, raw: string[]): Promise<void> {
    if (raw.length) await this.redis.srem(this.key(id, 'deferred'), ...raw);
  }

  async deferredCount(id: string): Promise<number> {
    return this.redis.scard(this.key(id, 'deferred'));
  }

  /** The conversation awaits this broadcast's acknowledgement (a typed `1` goes to it). */
  async awaitAck(conversation: ConversationId, id: string, learnerId: string, province: string): Promise<void> {
    await this.redis.set(`${this.prefix}:bcack:${conversation}`, JSON.stringify({ id, learnerId, province }), 'EX', ACK_TTL_S);
  }

  async pendingAck(conversation: ConversationId): Promise<{ id: string; learnerId: string; province: string } | null> {
    const v = await this.redis.get(`${this.prefix}:bcack:${conversation}`);
    return v ? (JSON.parse(v) as { id: string; learnerId: string; province: string }) : null;
  }

  async clearAck(conversation: ConversationId): Promise<void> {
    await this.redis.del(`${this.prefix}:bcack:${conversation}`);
  }
}
