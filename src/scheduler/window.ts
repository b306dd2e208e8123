/**
 * Enqueue just in time: the planner queues a batch of pushes only while each channel it sends to
 * has fewer than its limit of jobs waiting (waiting, delayed or prioritized) — what the channel
 * sends in the next few minutes — so Redis holds a bounded amount however many learners are due.
 * When a channel stays full past `maxWaitMs`, the sweep stops at its checkpoint and the next tick
 * resumes it. Resuming is not free: a sweep's stream has no index to start from, so it skips every
 * enrolment before its position (FerretDB reads and parses each: ~150 µs of its CPU apiece here, so
 * over a minute at 500,000). A million reminders at 25/s drain a 7,500-job window ~100 times; resuming
 * each time would read the cohort ~50 times over. The default wait is therefore long (10 minutes,
 * as the broadcast planner's): one stream per sweep, held open while the channel sends (the lease
 * is renewed and a shutdown noticed between looks, through `onWait`).
 */
import type { ChannelName } from '../core/model.js';
import type { Queues } from './queues.js';

export interface SendWindowOptions {
  /** Jobs allowed waiting per channel; a channel not listed is not bounded. */
  limits: Partial<Record<ChannelName, number>>;
  /** How often a full window is looked at again. @defaultValue 1000 */
  pollMs?: number;
  /** How long a sweep waits for room before it stops (and resumes at the next tick). @defaultValue 600000 (10 minutes) */
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
    this.maxWaitMs = options.maxWaitMs ?? 600_000;
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
