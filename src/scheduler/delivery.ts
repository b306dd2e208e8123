/**
 * The delivery policy of one channel's send queue, step by step: is the conversation reachable,
 * is it this message's turn in the chat, what does a push say now, may an unprompted message go
 * within the budget, then send it (resuming where a retry left off). What the platform answered
 * becomes a queue signal in one place, `toQueueSignal`.
 */
import { DelayedError, RateLimitError, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { ChannelAdapter } from '../channels/types.js';
import { SendError } from '../channels/shared/errors.js';
import type { OutboundMessage } from '../core/messages.js';
import type { Reachability } from '../core/ports.js';
import type { Metrics } from '../metrics.js';
import { reasonOf, sendQueueName, type DocumentJob, type PushJob, type SendJob } from './jobs.js';
import type { OutboundFailureLog } from './ports.js';
import type { SendQueue } from './queues.js';
import { DROPPED, type ChatPacing } from './pacing.js';
import type { PushDelivery } from './push-delivery.js';
import type { ComposedPush, UnpromptedPolicy } from './unprompted.js';

/** Telegram has asked for absurd pauses (hours); we cap and let the job retry. */
const MAX_PAUSE_MS = 10 * 60 * 1000;

export interface DeliveryOptions {
  adapter: ChannelAdapter;
  queue: SendQueue;
  metrics: Metrics;
  reachability: Reachability;
  /** Order and a least gap per chat (pacing.ts); undefined = neither. */
  pacing?: ChatPacing;
  /** Composes and records scheduled pushes; push jobs without `composed` fail without it. */
  pushes?: PushOutcomes;
  /** The channel's budget of unprompted messages; none = no budget. */
  unprompted?: UnpromptedPolicy;
  /** Finds the file of a document job (rendering it if need be) and records that it went out; document jobs fail without it. */
  documents?: DocumentDelivery;
  /** Where a job that failed for good is recorded for the admin's learner view; none = only BullMQ's failed set. */
  failures?: OutboundFailureLog;
}

/** What sending a document needs besides the channel (certificates: src/certificates/delivery.ts). */
export interface DocumentDelivery {
  /** The message with its document's file attached. */
  attach(message: OutboundMessage): Promise<OutboundMessage>;
  /** The document reached the chat. */
  sent(job: DocumentJob): Promise<void>;
}

/** What the send worker asks about scheduled pushes (PushDelivery; broadcasts add `failed`, src/broadcasts/). */
export interface PushOutcomes {
  prepare: PushDelivery['prepare'];
  /** The push was handled: `outcome` is `sent`, `over budget: held`, `refused: rerouted`, …. */
  sent(job: PushJob, outcome?: string): Promise<void>;
  /** It did not go: `unreachable` (dropped before sending), or the kind of the platform's final refusal. */
  failed?(job: Job<PushJob>, why: string): Promise<void>;
}

export class Delivery {
  private readonly channel: ChannelAdapter['name'];
  private readonly queueName: string;

  constructor(private readonly o: DeliveryOptions) {
    this.channel = o.adapter.name;
    this.queueName = sendQueueName(this.channel);
  }

  /** Processes one send job; resolves with what became of it, or throws a BullMQ signal (a final failure recorded first). */
  async deliver(job: Job<SendJob>, token?: string): Promise<string> {
    try {
      return await this.attempt(job, token);
    } catch (err) {
      if (isFinal(job, err)) await this.recordFailure(job, err as Error);
      throw err;
    }
  }

  private async attempt(job: Job<SendJob>, token?: string): Promise<string> {
    const data = job.data;
    if (await this.droppedElseTurn(job, token)) {
      if (data.kind === 'push') await this.o.pushes?.failed?.(job as Job<PushJob>, 'unreachable');
      return this.done(job, 'dropped: unreachable', { dropped: 'unreachable' });
    }

    let messages: OutboundMessage[];
    let push: ComposedPush | undefined;
    if (data.kind === 'push') {
      const composed = data.composed ?? (await this.compose(job as Job<PushJob>));
      if (!Array.isArray(composed)) return this.done(job, `skipped: ${composed.skipped}`, { dropped: composed.skipped });
      push = { ...data, composed };
      messages = composed;
      const budget = this.o.unprompted;
      if (budget && !(await budget.admit(job.id!, push))) return this.finished(job, `over budget: ${await budget.divert(job.id!, push)}`);
    } else if (data.kind === 'document') {
      messages = [await this.attach(job as Job<DocumentJob>)];
    } else {
      messages = data.messages;
    }

    try {
      await this.transmit(job, messages);
    } catch (err) {
      if (!(err instanceof SendError)) throw err;
      this.o.metrics.messagesFailed.inc({ channel: this.channel, kind: err.kind });
      // Zalo answers 429 "quota exceeded" to unprompted messages: divert rather than pause everyone.
      if (err.kind === 'rate_limited' && push && this.o.unprompted) return this.finished(job, `refused: ${await this.o.unprompted.divert(job.id!, push)}`);
      const signal = await this.toQueueSignal(job, err);
      if (data.kind === 'push' && (signal instanceof UnrecoverableError || (err.kind !== 'rate_limited' && job.attemptsMade + 1 >= (job.opts.attempts ?? 1)))) {
        await this.o.pushes?.failed?.(job as Job<PushJob>, err.kind);
      }
      throw signal;
    }
    // The last message's progress released the chat's next job already (transmit).
    return this.finished(job, 'sent', true);
  }

  /**
   * True when the job is dropped (`dropped`); otherwise returns false once it is this job's turn in
   * its chat (`awaitTurn`). With a gate that reads the blocked conversations itself, one round trip.
   */
  private async droppedElseTurn(job: Job<SendJob>, token?: string): Promise<boolean> {
    const pacing = this.o.pacing;
    if (!pacing?.blockedKey) {
      if (await this.dropped(job)) return true;
      await this.awaitTurn(job, token);
      return false;
    }
    const prompted = job.data.kind === 'reply' || job.data.kind === 'document';
    const retryAt = await pacing.gate(job.data.conversation, job.id!, this.queueName, Date.now(), { prompted, queuedAt: job.timestamp });
    if (retryAt === DROPPED) return true;
    if (retryAt > 0) await this.wait(job, retryAt, token);
    return false;
  }

  /**
   * Everything queued before the platform said "blocked" is dropped; a reply to a message the
   * learner wrote after that goes out: they are reachable, whatever the earlier answer said.
   */
  private async dropped(job: Job<SendJob>): Promise<boolean> {
    const since = await this.o.reachability.blockedSince(job.data.conversation);
    const prompted = job.data.kind === 'reply' || job.data.kind === 'document';
    return since !== null && (!prompted || job.timestamp <= since.getTime());
  }

  /** Waits (in BullMQ's delayed set) until this job heads its chat and the chat's gap has passed. */
  private async awaitTurn(job: Job<SendJob>, token?: string): Promise<void> {
    if (!this.o.pacing) return;
    const retryAt = await this.o.pacing.gate(job.data.conversation, job.id!, this.queueName);
    if (retryAt > 0) await this.wait(job, retryAt, token);
  }

  private async wait(job: Job<SendJob>, retryAt: number, token?: string): Promise<never> {
    this.o.metrics.messagesThrottled.inc({ channel: this.channel, by: 'chat' });
    await job.moveToDelayed(retryAt, token);
    throw new DelayedError();
  }

  /** A document's file, found (or rendered) now; a failure is retried like a network error, and the chat goes on after the last try. */
  private async attach(job: Job<DocumentJob>): Promise<OutboundMessage> {
    if (!this.o.documents) throw new UnrecoverableError('this worker cannot send documents');
    try {
      return await this.o.documents.attach(job.data.message);
    } catch (err) {
      if (job.attemptsMade + 1 >= (job.opts.attempts ?? 1)) await this.release(job);
      throw err;
    }
  }

  /** A push is composed once, just before its first send; the job keeps it, so retries resend the same. */
  private async compose(job: Job<PushJob>): Promise<OutboundMessage[] | { skipped: string }> {
    if (!this.o.pushes) throw new UnrecoverableError('this worker cannot compose scheduled pushes');
    const composed = await this.o.pushes.prepare(job);
    if (Array.isArray(composed)) await job.updateData({ ...job.data, composed });
    return composed;
  }

  /**
   * One message at a time, remembering how far we got: a retry resumes there instead of
   * repeating. With a gate, each progress is one round trip with, after the last message, the
   * release of the chat's next job; without, BullMQ's `updateProgress`.
   */
  private async transmit(job: Job<SendJob>, messages: OutboundMessage[]): Promise<void> {
    const { conversation } = job.data;
    const address = conversation.slice(conversation.indexOf(':') + 1);
    const pacing = this.o.pacing;
    let i = typeof job.progress === 'number' ? job.progress : 0;
    if (i >= messages.length) return this.release(job); // sent before a crash or a failure after the last message
    for (; i < messages.length; i++) {
      await this.o.adapter.send(address, [messages[i]!]);
      this.o.metrics.messagesSent.inc({ channel: this.channel });
      const last = i + 1 === messages.length;
      if (!pacing) await job.updateProgress(i + 1);
      else if (last && job.data.kind === 'reply') {
        // Not awaited: nothing follows in this job, so the write and BullMQ's completion travel
        // together. Killed before either lands, the message is sent again, as when killed before
        // an awaited write; completed without it, the progress no longer matters, and the gate
        // drops a finished head itself (GATE: `finishedOn`), so the chat does not wait for it.
        void pacing.sent(conversation, job.id!, `${job.queueQualifiedName}:${job.id}`, i + 1, true).catch(() => undefined);
      } else await pacing.sent(conversation, job.id!, `${job.queueQualifiedName}:${job.id}`, i + 1, last);
    }
  }

  /**
   * The one mapping of send failures onto the queue: rate-limited → pause the channel and send
   * this job again first; blocked → mark unreachable, no retry; rejected → fail, no retry;
   * network → retry with back-off, then the failed set (the dead letters operators see).
   */
  private async toQueueSignal(job: Job<SendJob>, err: SendError): Promise<Error> {
    switch (err.kind) {
      case 'rate_limited':
        this.o.metrics.messagesThrottled.inc({ channel: this.channel, by: 'platform' });
        await this.o.queue.rateLimit(Math.min(err.retryAfterMs ?? 1_000, MAX_PAUSE_MS));
        return Worker.RateLimitError();
      case 'blocked':
        await this.o.reachability.markBlocked(job.data.conversation, new Date());
        await this.release(job);
        return new UnrecoverableError(`blocked: ${err.message}`);
      case 'rejected':
        await this.release(job);
        return new UnrecoverableError(`rejected: ${err.message}`);
      default:
        // The chat's later messages wait behind this one while it retries; after the last attempt they go on.
        if (job.attemptsMade + 1 >= (job.opts.attempts ?? 1)) await this.release(job);
        return err;
    }
  }

  private async finished(job: Job<SendJob>, outcome: string, released = false): Promise<string> {
    if (job.data.kind === 'push') await this.o.pushes?.sent(job.data, outcome);
    if (job.data.kind === 'document') await this.o.documents?.sent(job.data);
    return released ? outcome : this.done(job, outcome);
  }

  private async done(job: Job<SendJob>, outcome: string, why?: { dropped: string }): Promise<string> {
    if (why) this.o.metrics.messagesDropped.inc({ channel: this.channel, reason: why.dropped });
    await this.release(job);
    return outcome;
  }

  /** The record a learner's admin view shows; a failure to write it must not change what BullMQ does with the job. */
  private async recordFailure(job: Job<SendJob>, err: Error): Promise<void> {
    if (!this.o.failures) return;
    const data = job.data;
    const messages = data.kind === 'reply' ? data.messages : data.kind === 'document' ? [data.message] : (data.composed ?? []);
    const cause = err instanceof UnrecoverableError ? /^(\w+):/.exec(err.message)?.[1] : err instanceof SendError ? err.kind : undefined;
    await this.o.failures
      .record({
        id: `${this.queueName}|${job.id}`,
        conversation: data.conversation,
        ...(data.kind === 'push' ? { learnerId: data.push.learnerId } : {}),
        reason: reasonOf(data),
        kind: cause ?? 'error',
        error: err.message.slice(0, 300),
        attempts: job.attemptsMade + 1,
        previews: messages.map((m) => m.text.slice(0, 120)),
        failedAt: new Date(),
      })
      .catch(() => undefined);
  }

  /** The job is done with: the next message of its chat may go. */
  private async release(job: Job<SendJob>): Promise<void> {
    await this.o.pacing?.release(job.data.conversation, job.id!);
  }
}

/** This throw ends the job: a refusal never retried, or the last attempt (pauses and waits for a turn are not failures). */
function isFinal(job: Job<SendJob>, err: unknown): boolean {
  if (err instanceof UnrecoverableError) return true;
  if (err instanceof DelayedError || err instanceof RateLimitError) return false;
  return job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
}
