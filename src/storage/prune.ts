/**
 * Pruning of the records that only matter for a while: the update log (`inbound_updates`, which
 * keeps redeliveries from being answered twice; platforms redeliver for a day at most) and the
 * record of scheduled sends (`scheduled_sends`, which keeps a push from going twice while its job
 * or a re-plan of it could still run). FerretDB 1.24 has no TTL indexes, and a deleteMany of more
 * than about 30,000 documents fails there ("too many SQL variables"), so old records are deleted
 * by `_id` in batches: find a batch of old ids (unsorted: the oldest come first in stored order,
 * so the scan stops early), delete each by `_id` in one bulk write, repeat.
 */
import type { Pruner } from '../scheduler/ports.js';
import type { Models } from './models.js';

const DAY = 24 * 3600_000;

type Collection = Models['Update']['collection'];

export interface Retention {
  /** Days an update's record is kept. */
  updatesDays: number;
  /** Days a scheduled send's record is kept. */
  scheduledSendsDays: number;
}

/** Deletes the documents of `collection` whose `field` is before `cutoff`, `batch` at a time; returns how many. */
export async function pruneBefore(collection: Collection, field: string, cutoff: Date, batch = 1000, between: () => Promise<void> = async () => {}): Promise<number> {
  let deleted = 0;
  for (;;) {
    const ids = (await collection.find({ [field]: { $lt: cutoff } }, { projection: { _id: 1 } }).limit(batch).toArray()).map((d) => d._id);
    if (!ids.length) return deleted;
    const res = await collection.bulkWrite(
      ids.map((_id) => ({ deleteOne: { filter: { _id } } })),
      { ordered: false },
    );
    deleted += res.deletedCount;
    await between();
    if (ids.length < batch) return deleted;
  }
}

export class MongoPruner implements Pruner {
  constructor(
    private readonly m: Models,
    private readonly retention: Retention,
    /** @defaultValue 1000 */
    private readonly batch = 1000,
  ) {}

  async prune(now: Date, between?: () => Promise<void>): Promise<Record<string, number>> {
    const before = (days: number) => new Date(now.getTime() - days * DAY);
    return {
      inbound_updates: await pruneBefore(this.m.Update.collection, 'at', before(this.retention.updatesDays), this.batch, between),
      scheduled_sends: await pruneBefore(this.m.ScheduledSend.collection, 'claimedAt', before(this.retention.scheduledSendsDays), this.batch, between),
    };
  }
}
