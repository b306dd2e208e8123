/**
 * Enqueue just in time: the planner queues a batch of pushes only while each channel it sends to
 * has fewer than its limit of jobs waiting (waiting, delayed or prioritized) — what the channel
 * sends in the next few minutes — so Redis holds a bounded amount however many learners are due.
 * When a channel stays full, the sweep stops at its checkpoint and the next tick resumes it.
 */
import type { ChannelName } from '../core/model.js';
import type { Queues } from './queues.js';

export interface SendWindowOptions {
  /** Jobs allowed waiting per channel; a channel not listed is not bounded. */
  limits: Partial<Record<ChannelName, number>>;
  /** How often a full window is looked at again. @defaultValue 1000 */
  pollMs?: number;
  /** How long a sweep waits for room before it stops (and resumes at the next tick). @defaultValue 20000 */
  maxWaitMs?: number;
}

/** Limits for sending `seconds` ahead at each channel's rate (messages per second). */
export function windowLimits(rates: Partial<Record<ChannelName, number>>, seconds: number): Partial<Record<ChannelName, number>> {
  return Object.fromEntries(Object.entries(rates).map(([c, rate]) => [c, Math.max(1, Math.ceil(rate! * seconds))]));
}

export class SendWindow {
  private readonly pollMs: number;
  private readonly maxWaitMs: number;

  constructor(
    private readonly queues: Queues,
    private readonly options: SendWindowOptions,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {
    this.pollMs = options.pollMs ?? 1000;
    this.maxWaitMs = options.maxWaitMs ?? 20_000;
  }

  /** Jobs of a channel not yet taken by a sender. */
  async queued(channel: ChannelName): Promise<number> {
    const counts = await this.queues.send[channel].getJobCounts('waiting', 'delayed', 'prioritized');
    return Object.values(counts).reduce((a, b) => a + b, 0);
  }

  /** True when none of `channels` is at its limit. */
  async open(channels: Iterable<ChannelName>): Promise<boolean> {
    for (const channel of new Set(channels)) {
      const limit = this.options.limits[channel];
      if (limit !== undefined && (await this.queued(channel)) >= limit) return false;
    }
    return true;
  }

  /**
   * Waits for room on every channel of `channels`, calling `onWait` between looks (the sweep renews
   * its lease there); false when a channel is still full after `maxWaitMs`.
   */
  async room(channels: Iterable<ChannelName>, onWait?: () => Promise<void>): Promise<boolean> {
    const list = [...channels];
    const until = Date.now() + this.maxWaitMs;
    for (;;) {
      if (await this.open(list)) return true;
      if (Date.now() + this.pollMs > until) return false;
      await this.sleep(this.pollMs);
      await onWait?.();
    }
  }
}
