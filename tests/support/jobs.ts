/** Send jobs as the scheduler queues them, for tests that put messages on a send queue directly. */
import { randomBytes } from 'node:crypto';
import type { ConversationId } from '../../src/core/model.js';
import type { PushKind } from '../../src/core/schedule.js';
import type { PushJob, ReplyJob } from '../../src/scheduler/jobs.js';

/** An unprompted message already composed (a lesson, reminder or nudge), as a push job whose record is its own. */
export function composedPush(conversation: ConversationId, text: string, kind: PushKind = 'lesson'): PushJob {
  return {
    kind: 'push',
    conversation,
    push: { kind, key: `test|${randomBytes(6).toString('hex')}`, learnerId: 'test', cohortId: 'test' },
    composed: [{ text }],
  };
}

export function reply(conversation: ConversationId, text: string): ReplyJob {
  return { kind: 'reply', conversation, messages: [{ text }] };
}
