/** Held unprompted messages and the conversation directory, behind the scheduler's ports. */
import { trusted } from 'mongoose';
import type { OutboundMessage } from '../core/messages.js';
import type { ConversationId } from '../core/model.js';
import type { ConversationDirectory, HeldMessage, HeldMessageStore } from '../scheduler/ports.js';
import type { Models } from './models.js';
import { isDuplicateKey } from './stores.js';

export class MongoHeldMessages implements HeldMessageStore {
  constructor(private readonly m: Models) {}

  async hold(entry: Parameters<HeldMessageStore['hold']>[0]): Promise<void> {
    try {
      await this.m.HeldMessage.create(entry);
    } catch (err) {
      if (!isDuplicateKey(err)) throw err; // a retry of a job already held
    }
  }

  async list(conversation: ConversationId): Promise<HeldMessage[]> {
    const docs = await this.m.HeldMessage.find({ conversation }).sort({ heldAt: 1 }).lean<{ _id: unknown; messages: OutboundMessage[] }[]>();
    return docs.map((d) => ({ id: String(d._id), messages: d.messages }));
  }

  async release(ids: string[]): Promise<void> {
    if (ids.length > 0) await this.m.HeldMessage.deleteMany({ _id: trusted({ $in: ids }) });
  }

  count(conversation?: ConversationId): Promise<number> {
    return this.m.HeldMessage.countDocuments(conversation ? { conversation } : {});
  }
}

export class MongoConversationDirectory implements ConversationDirectory {
  constructor(private readonly m: Models) {}

  async linked(conversation: ConversationId): Promise<{ conversations: ConversationId[]; unreachable: ConversationId[] } | null> {
    const link = await this.m.Conversation.findById(conversation).lean<{ learnerId: string }>();
    if (!link) return null;
    const learner = await this.m.Learner.findById(link.learnerId, { conversations: 1, unreachable: 1 }).lean<{
      conversations: ConversationId[];
      unreachable: ConversationId[];
    }>();
    return learner ? { conversations: learner.conversations, unreachable: learner.unreachable ?? [] } : null;
  }
}
