/**
 * Reachability: `blockedAt` on the conversation's own document in MongoDB (the record, read by
 * `_id`), the learner's `unreachable` list kept alongside for the planning sweeps, and a Redis
 * hash of blocked conversations that every send asks instead of the database. Losing the Redis
 * copy costs at most one more attempt per blocked conversation: the platform refuses it again
 * and the mark comes back.
 */
import type { Redis } from 'ioredis';
import type { ConversationId } from '../core/model.js';
import type { Reachability } from '../core/ports.js';
import type { Models } from './models.js';
import { LEARNER_FIELD, type RecordCopies } from './record-copies.js';

export class MongoReachability implements Reachability {
  constructor(
    private readonly m: Models,
    /** Where the fast copy lives (a hash: conversation → blocked at, ms); without it, sends read MongoDB. */
    private readonly cache?: { redis: Redis; key: string },
    /** The learners' record copies, dropped after each change of a learner's `unreachable` list (record-copies.ts). */
    private readonly copies?: RecordCopies,
  ) {}

  async markBlocked(conversation: ConversationId, at: Date): Promise<void> {
    await this.block(conversation, at);
  }

  async markReachable(conversation: ConversationId): Promise<void> {
    await this.unblock(conversation);
  }

  /** `markBlocked`, returning the learner whose record changed (their `unreachable` list), if any. */
  async block(conversation: ConversationId, at: Date): Promise<string | null> {
    await this.cache?.redis.hset(this.cache.key, conversation, at.getTime());
    const link = await this.m.Conversation.findOneAndUpdate({ _id: conversation }, { $set: { blockedAt: at } }).lean<{ learnerId: string }>();
    if (!link) return null;
    await this.m.Learner.updateOne({ _id: link.learnerId }, { $addToSet: { unreachable: conversation }, $inc: { version: 1 } });
    await this.copies?.drop(String(link.learnerId), LEARNER_FIELD);
    return String(link.learnerId);
  }

  /** `markReachable`, returning the learner whose record changed (the conversation was marked blocked), if any. */
  async unblock(conversation: ConversationId): Promise<string | null> {
    await this.cache?.redis.hdel(this.cache.key, conversation);
    const link = await this.m.Conversation.findOneAndUpdate({ _id: conversation }, { $unset: { blockedAt: '' } }).lean<{ learnerId: string; blockedAt?: Date }>();
    if (!link?.blockedAt) return null;
    // No version bump: the tutor, which calls this on /start, saves the learner with the same list.
    await this.m.Learner.updateOne({ _id: link.learnerId }, { $pull: { unreachable: conversation } });
    await this.copies?.drop(String(link.learnerId), LEARNER_FIELD);
    return String(link.learnerId);
  }

  async blockedSince(conversation: ConversationId): Promise<Date | null> {
    if (this.cache) {
      const ms = await this.cache.redis.hget(this.cache.key, conversation);
      return ms === null ? null : new Date(Number(ms));
    }
    const link = await this.m.Conversation.findById(conversation, { blockedAt: 1 }).lean<{ blockedAt?: Date }>();
    return link?.blockedAt ? new Date(link.blockedAt) : null;
  }
}
