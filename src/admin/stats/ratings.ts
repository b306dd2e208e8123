/** The topic ratings (`topic_ratings`, `_id` `<learner>|<cohort>|<topic>`): one per learner and topic, rating again replaces it. */
import type { Connection } from 'mongoose';
import type { TopicRating, TopicRatingStore } from '../../core/ports.js';
import { RATINGS } from './feedback.js';

export class MongoTopicRatingStore implements TopicRatingStore {
  constructor(private readonly conn: Connection) {}

  async rate(r: TopicRating): Promise<void> {
    const _id = `${r.learnerId}|${r.cohortId}|${r.topicId}`;
    const doc = { learnerId: r.learnerId, cohortId: r.cohortId, courseId: r.courseId, topicId: r.topicId, rating: r.rating, ...(r.province ? { province: r.province } : {}), at: r.at };
    const col = this.conn.collection<{ _id: string }>(RATINGS);
    try {
      await col.replaceOne({ _id }, doc, { upsert: true });
    } catch (err) {
      // Two upserts of a new _id at once: one inserted, the other replaces it.
      if ((err as { code?: number }).code !== 11000) throw err;
      await col.replaceOne({ _id }, doc);
    }
  }
}
