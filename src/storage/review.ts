/**
 * Review decks in MongoDB: one document per learner and cohort, `_id` = `<learnerId>|<cohortId>`
 * like the enrolment's, holding that learner's items (a few dozen, at most the course's ~100
 * questions: ~30 KB). Every read and write is by `_id` — the one lookup FerretDB 1.24 answers
 * from an index — and a whole deck is written at once under the learner's lease, so an answer
 * and the schedule it changes land together. The daily-lesson sweep never reads decks: it reads
 * the copy of the earliest due date kept on the enrolment (`reviewDueAt`).
 */
import { Schema } from 'mongoose';
import type { ReviewStore } from '../core/ports.js';
import type { ReviewDeck } from '../core/review.js';
import type { Models } from './models.js';
import { isDuplicateKey, stringId, type RedisCopies } from './stores.js';
import { recordCache, reviewField, type RecordCache } from './record-copies.js';

/** Items, the round in hand and the open offer are written whole; nothing queries inside them. */
export const reviewDeckSchema = new Schema(
  {
    _id: { type: String, required: true },
    learnerId: { type: String, required: true },
    cohortId: { type: String, required: true },
    items: { type: [Schema.Types.Mixed], default: [] },
    round: Schema.Types.Mixed,
    offer: Schema.Types.Mixed,
    dailyDate: String,
    version: { type: Number, default: 0 },
  },
  { collection: 'review_decks', versionKey: false, minimize: false },
);

export function deckId(learnerId: string, cohortId: string): string {
  return `${learnerId}|${cohortId}`;
}

function toDeck(doc: Record<string, any>): ReviewDeck {
  const { _id: _i, round, offer, dailyDate, ...rest } = doc;
  return {
    ...(rest as Omit<ReviewDeck, 'round' | 'offer' | 'dailyDate'>),
    ...(round ? { round } : {}),
    ...(offer ? { offer } : {}),
    ...(dailyDate ? { dailyDate } : {}),
  };
}

/** The fields of a deck as stored: no undefined values (the driver would store them as null). */
function fieldsOf(deck: ReviewDeck): Record<string, unknown> {
  return Object.fromEntries(Object.entries(deck).filter(([, v]) => v !== undefined));
}

/**
 * With a cache, decks are read from their Redis copies and written through them, as learners and
 * enrolments are (src/storage/record-copies.ts): a check answer reads and rewrites its deck.
 */
export class MongoReviewStore implements ReviewStore {
  private readonly records: RecordCache;

  constructor(
    private readonly m: Models,
    cache?: RedisCopies,
  ) {
    this.records = recordCache(cache);
  }

  async find(learnerId: string, cohortId: string): Promise<ReviewDeck | null> {
    return this.records.read(String(learnerId), reviewField(String(cohortId)), async () => {
      const doc = await this.m.ReviewDeck.collection.findOne({ _id: stringId(deckId(String(learnerId), String(cohortId))) });
      return doc ? toDeck(doc) : null;
    });
  }

  async save(deck: ReviewDeck): Promise<ReviewDeck> {
    return this.records.write(String(deck.learnerId), reviewField(String(deck.cohortId)), async () => {
      const fields = fieldsOf({ ...deck, version: deck.version + 1 });
      const _id = stringId(deckId(String(deck.learnerId), String(deck.cohortId)));
      const write = () => this.m.ReviewDeck.collection.replaceOne({ _id }, { ...fields }, { upsert: true });
      try {
        await write();
      } catch (err) {
        // Two first saves raced to insert: the other insert won, so this one replaces it.
        if (!isDuplicateKey(err)) throw err;
        await write();
      }
      // As stored (no undefined values), as a read of it gives it back.
      return toDeck(fields);
    });
  }
}
