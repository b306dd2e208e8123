/**
 * Reachability over the conversations collection: `blockedAt` on the conversation's own
 * document (read by `_id`, the one lookup FerretDB answers from its index), and the learner's
 * `unreachable` list kept alongside for the planning sweeps, which read learners in bulk.
 */
import type { ConversationId } from '../core/model.js';
import type { Reachability } from '../core/ports.js';
import type { Models } from './models.js';

export class MongoReachability implements Reachability {
  constructor(private readonly m: Models) {}

  async markBlocked(conversation: ConversationId, at: Date): Promise<void> {
    const link = await this.m.Conversation.findOneAndUpdate({ _id: conversation }, { $set: { blockedAt: at } }).lean<{ learnerId: string }>();
    if (!link) return;
    await this.m.Learner.updateOne({ _id: link.learnerId }, { $addToSet: { unreachable: conversation }, $inc: { version: 1 } });
  }

  async markReachable(conversation: ConversationId): Promise<void> {
    const link = await this.m.Conversation.findOneAndUpdate({ _id: conversation }, { $unset: { blockedAt: '' } }).lean<{ learnerId: string; blockedAt?: Date }>();
    if (!link?.blockedAt) return;
    // No version bump: the tutor, which calls this on /start, saves the learner with the same list.
    await this.m.Learner.updateOne({ _id: link.learnerId }, { $pull: { unreachable: conversation } });
  }

  async blockedSince(conversation: ConversationId): Promise<Date | null> {
    const link = await this.m.Conversation.findById(conversation, { blockedAt: 1 }).lean<{ blockedAt?: Date }>();
    return link?.blockedAt ? new Date(link.blockedAt) : null;
  }
}
