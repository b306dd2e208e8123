/**
 * The update log in Redis, beside the inbound job it belongs to: the decision of each update (its
 * reply and its records as they should be saved) under `<prefix>:update:<channel>:<updateId>`,
 * written once with `SET NX` before any of it is applied, then replaced by a small done mark once
 * the reply is queued.
 *
 * Why Redis and not MongoDB: the update itself is only ever in Redis (its BullMQ job, queued before
 * the webhook is acknowledged), so its decision there loses nothing a Redis failure would not lose
 * anyway, and it spares every update two database commands (the insert and the done mark), a third
 * of what an answer cost on FerretDB, where each command takes milliseconds and the server is the
 * limit (bench/README.md, "Inbound answers"). Redis runs with `appendonly yes` (scripts/services.sh,
 * docker/compose.yaml), as the queues need.
 *
 * Values are V8-serialised (`node:v8`): dates stay dates, and a field the decision left undefined
 * (a learner's finished prompt) stays present as undefined, so a decision applied again after a
 * crash unsets it as the first application did. The records are plain data (the stores' `lean`
 * documents with string ids), which V8 serialisation keeps exactly.
 */
import { deserialize, serialize } from 'node:v8';
import type { Redis } from 'ioredis';
import type { HandledUpdate, UpdateLog } from '../core/ports.js';

export interface RedisUpdateLogOptions {
  /** How long an undone decision is kept (a reply that failed for good leaves one). @defaultValue 7 days */
  decisionTtlSeconds?: number;
  /** How long a redelivered update is recognised as answered. @defaultValue a day, longer than Telegram keeps an unacknowledged update */
  doneTtlSeconds?: number;
}

const DONE = serialize({ done: true });

export class RedisUpdateLog implements UpdateLog {
  private readonly decisionTtl: number;
  private readonly doneTtl: number;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    opts: RedisUpdateLogOptions = {},
  ) {
    this.decisionTtl = Math.max(1, Math.round(opts.decisionTtlSeconds ?? 7 * 86_400));
    this.doneTtl = Math.max(1, Math.round(opts.doneTtlSeconds ?? 86_400));
  }

  private keyOf(key: string): string {
    if (typeof key !== 'string') throw new TypeError('an update key must be a string');
    return `${this.prefix}:update:${key}`;
  }

  async find(key: string): Promise<(HandledUpdate & { done: boolean }) | null> {
    const raw = await this.redis.getBuffer(this.keyOf(key));
    if (!raw) return null;
    const value = deserialize(raw) as (HandledUpdate & { done?: boolean }) | { done: true };
    if (value.done === true || !('reply' in value)) return { reply: [], done: true };
    return { ...value, done: false };
  }

  async record(key: string, handled: HandledUpdate, _at: Date): Promise<HandledUpdate> {
    const ok = await this.redis.set(this.keyOf(key), serialize(handled), 'EX', this.decisionTtl, 'NX');
    if (ok === 'OK') return handled;
    // Another handling recorded first (a re-run racing a lease that ran out): theirs stands.
    return (await this.find(key)) ?? handled;
  }

  async done(key: string): Promise<void> {
    // Once the reply is queued only the mark is needed: a redelivery gets nothing.
    await this.redis.set(this.keyOf(key), DONE, 'EX', this.doneTtl);
  }
}
