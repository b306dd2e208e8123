/**
 * `outbound_failures`: one document per send job that failed for good, `_id` `<queue>|<job id>`,
 * written by the send worker on the last attempt (a rare path: one conversation lookup by `_id`
 * finds the learner of a reply). Read by learner for the admin's learner view: a scan, as that is
 * one admin read, never the send path.
 */
import type { Connection } from 'mongoose';
import type { ConversationId } from '../core/model.js';
import type { OutboundFailure, OutboundFailureLog } from '../scheduler/ports.js';
import { isDuplicateKey } from './stores.js';

interface FailureDoc extends Omit<OutboundFailure, 'id'> {
  _id: string;
}

export class MongoOutboundFailures implements OutboundFailureLog {
  private readonly failures;
  private readonly conversations;

  constructor(conn: Connection) {
    this.failures = conn.collection<FailureDoc>('outbound_failures');
    this.conversations = conn.collection<{ _id: string; learnerId: string }>('conversations');
  }

  async record(f: OutboundFailure): Promise<void> {
    const { id, ...rest } = f;
    const learnerId = f.learnerId ?? (await this.conversations.findOne({ _id: String(f.conversation) }, { projection: { learnerId: 1 } }))?.learnerId;
    try {
      await this.failures.insertOne({ _id: String(id), ...rest, ...(learnerId ? { learnerId: String(learnerId) } : {}) });
    } catch (err) {
      if (!isDuplicateKey(err)) throw err; // the same job recorded by an earlier try
    }
  }

  /** A learner's failed messages, oldest first: by learner, or by one of their conversations (a reply to a chat not yet linked). */
  async forLearner(learnerId: string, conversations: ConversationId[]): Promise<OutboundFailure[]> {
    const or: Record<string, unknown>[] = [{ learnerId: String(learnerId) }];
    if (conversations.length > 0) or.push({ conversation: { $in: conversations.map(String) } });
    const docs = await this.failures.find({ $or: or }).sort({ failedAt: 1 }).limit(500).toArray();
    return docs.map(({ _id, ...d }) => ({ id: _id, ...d }));
  }
}
