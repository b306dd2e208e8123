/** A reply as send jobs: text as one reply job, each document (a certificate) as a document job of its own, in order. */
import type { OutboundMessage } from '../core/messages.js';
import type { ChannelName, ConversationId } from '../core/model.js';
import { jobId, type SendJob } from './jobs.js';
import type { OutgoingJob } from './outbox.js';

/**
 * Splits the messages at each document. The first job keeps the reply's usual id; the others add
 * their position, so a redelivered update queues the same jobs again (and they are left as they are).
 */
export function replyJobs(conversation: ConversationId, channel: ChannelName, updateId: string, messages: OutboundMessage[]): OutgoingJob[] {
  const jobs: OutgoingJob[] = [];
  let text: OutboundMessage[] = [];
  const flushText = (at: number) => {
    if (text.length === 0) return;
    const data: SendJob = { kind: 'reply', conversation, messages: text };
    jobs.push({ data, jobId: jobs.length === 0 ? jobId('reply', channel, updateId) : jobId('reply', channel, updateId, at) });
    text = [];
  };
  messages.forEach((m, i) => {
    if (!m.document) {
      text.push(m);
      return;
    }
    flushText(i);
    jobs.push({ data: { kind: 'document', conversation, message: m }, jobId: jobId('doc', channel, updateId, i) });
  });
  flushText(messages.length);
  return jobs;
}
