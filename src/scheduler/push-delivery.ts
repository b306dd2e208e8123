/**
 * The send worker's side of scheduled pushes: claim the push's record (one send per key,
 * ever), let the core compose it for this moment, and mark it sent or skipped.
 */
import { UnrecoverableError, type Job } from 'bullmq';
import type { Clock } from '../core/ports.js';
import type { OutboundMessage } from '../core/messages.js';
import type { Pushes } from '../core/push.js';
import type { PushJob } from './jobs.js';
import type { ScheduledSendLog } from './ports.js';

export class PushDelivery {
  constructor(
    private readonly log: ScheduledSendLog,
    private readonly pushes: Pushes,
    private readonly clock: Clock,
  ) {}

  /**
   * The messages to send now, or why nothing goes. A job re-created with the same id after
   * the first was removed is a different owner (its timestamp differs) and finds the record taken.
   */
  async prepare(job: Job<PushJob>): Promise<OutboundMessage[] | { skipped: string }> {
    const { push } = job.data;
    if (push.kind === 'broadcast') throw new UnrecoverableError('broadcast pushes are prepared by src/broadcasts/delivery.ts');
    const owner = `${job.id}@${job.timestamp}`;
    const claim = await this.log.claim(push.key, { kind: push.kind, learnerId: push.learnerId, owner }, this.clock.now());
    if (claim === 'already_sent') return { skipped: 'already_sent' };
    const result = await this.pushes.compose({ ...push, kind: push.kind, conversation: job.data.conversation });
    if ('skipped' in result) {
      await this.log.finish(push.key, 'skipped', this.clock.now());
      return result;
    }
    return result.messages;
  }

  async sent(job: PushJob): Promise<void> {
    await this.log.finish(job.push.key, 'sent', this.clock.now());
  }
}
