/**
 * Once per start, cheap when there is nothing to do: the keys that held database state under the
 * bare queue prefix, before `recordsKeyPrefix` put them under the database's name, moved there.
 * Only what would be lost otherwise moves: each cohort's sweep marks (a mark not folded leaves
 * the cohort's buckets without that enrolment's last change) and the blocked conversations
 * (without them the send gate would try chats the platform refused). The copies of links and
 * records are not moved: they refill from the database. Each move is one MULTI, so nothing is
 * moved twice; new values win over old ones.
 */
import type { Redis } from 'ioredis';
import { blockedConversationsKey } from '../scheduler/pacing.js';
import { dirtyKey, processingKey } from './sweep-buckets.js';

/** Returns how many keys were moved (0 on every start after the first). */
export async function moveLegacyKeys(redis: Redis, queuePrefix: string, records: string, cohortIds: string[]): Promise<number> {
  if (queuePrefix === records) return 0;
  let moved = 0;
  for (const cohortId of cohortIds) {
    const old = [dirtyKey(queuePrefix, cohortId), processingKey(queuePrefix, cohortId)];
    if ((await redis.exists(...old)) === 0) continue;
    const target = dirtyKey(records, cohortId);
    await redis.multi().sunionstore(target, target, ...old).del(...old).exec();
    moved += 1;
  }
  const oldBlocked = blockedConversationsKey(queuePrefix);
  const blocked = await redis.hgetall(oldBlocked);
  const fields = Object.entries(blocked);
  if (fields.length > 0) {
    const tx = redis.multi();
    for (const [conversation, since] of fields) tx.hsetnx(blockedConversationsKey(records), conversation, since);
    await tx.del(oldBlocked).exec();
    moved += 1;
  }
  return moved;
}
