/**
 * Long polling of getUpdates: one event per call, 408 = nothing new (poll again at once),
 * exponential back-off on network and server errors, and a stop that aborts the poll in flight.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { ZaloApiError, type ZaloBotClient } from './client.js';
import type { ZaloUpdate } from './types.js';

export interface PollerOptions {
  /** Seconds each getUpdates call waits for an event. @defaultValue 30 */
  timeoutSec?: number;
  /** First back-off after a failure, in ms; doubles up to `maxBackoffMs`. @defaultValue 1000 */
  minBackoffMs?: number;
  /** @defaultValue 30000 */
  maxBackoffMs?: number;
}

export class ZaloPoller {
  private readonly abort = new AbortController();
  private loop?: Promise<void>;
  private readonly timeoutSec: number;
  private readonly minBackoffMs: number;
  private readonly maxBackoffMs: number;

  /** `onUpdate` must not lose the event: it is retried (with back-off) until it resolves or polling stops. */
  constructor(
    private readonly client: ZaloBotClient,
    private readonly onUpdate: (update: ZaloUpdate) => Promise<void>,
    private readonly logger: Logger,
    opts: PollerOptions = {},
  ) {
    this.timeoutSec = opts.timeoutSec ?? 30;
    this.minBackoffMs = opts.minBackoffMs ?? 1_000;
    this.maxBackoffMs = opts.maxBackoffMs ?? 30_000;
  }

  start(): void {
    this.loop ??= this.run();
  }

  get running(): boolean {
    return this.loop !== undefined && !this.abort.signal.aborted;
  }

  /** Aborts the poll in flight and resolves when the loop has ended. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
  }

  private async run(): Promise<void> {
    const signal = this.abort.signal;
    let backoff = this.minBackoffMs;
    while (!signal.aborted) {
      let updates: ZaloUpdate[];
      try {
        updates = await this.client.getUpdates({ timeout: this.timeoutSec }, undefined, undefined, signal);
        backoff = this.minBackoffMs;
      } catch (err) {
        if (signal.aborted) break;
        const e = err as Error & { error_code?: number };
        const fatal = err instanceof ZaloApiError && e.error_code === 401;
        this.logger[fatal ? 'error' : 'warn']({ err: e.message, retryInMs: backoff }, fatal ? 'zalo token rejected; check ZALO_BOT_TOKEN' : 'zalo poll failed');
        await this.pause(fatal ? this.maxBackoffMs : backoff);
        backoff = Math.min(backoff * 2, this.maxBackoffMs);
        continue;
      }
      for (const update of updates) await this.deliver(update);
    }
  }

  private async deliver(update: ZaloUpdate): Promise<void> {
    let backoff = this.minBackoffMs;
    // Zalo does not replay what a poll returned: keep trying until it is queued, unless we are stopping.
    for (;;) {
      try {
        await this.onUpdate(update);
        return;
      } catch (err) {
        if (this.abort.signal.aborted) {
          this.logger.error({ err: (err as Error).message }, 'zalo update dropped at shutdown');
          return;
        }
        this.logger.warn({ err: (err as Error).message, retryInMs: backoff }, 'zalo update not queued; retrying');
        await this.pause(backoff);
        backoff = Math.min(backoff * 2, this.maxBackoffMs);
      }
    }
  }

  private async pause(ms: number): Promise<void> {
    await sleep(ms, undefined, { signal: this.abort.signal }).catch(() => undefined);
  }
}
