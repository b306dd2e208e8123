/** When each conversation was last found blocked, so that only what was queued before it is dropped. */
import type { Redis } from 'ioredis';
import type { ConversationId } from '../core/model.js';

/** Longer than any message waits in a queue. */
const MEMORY_MS = 30 * 24 * 3600 * 1000;

export class BlockedLog {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(conversation: ConversationId): string {
    return `${this.prefix}:blocked:${conversation}`;
  }

  async mark(conversation: ConversationId, at = Date.now()): Promise<void> {
    await this.redis.set(this.key(conversation), at, 'PX', MEMORY_MS);
  }

  /** The instant (ms) the conversation was found blocked, or null when we never saw it. */
  async since(conversation: ConversationId): Promise<number | null> {
    const v = await this.redis.get(this.key(conversation));
    return v === null ? null : Number(v);
  }
}
