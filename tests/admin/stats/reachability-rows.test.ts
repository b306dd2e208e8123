/**
 * The kept rows (the dashboard's listing and the broadcast preview's unreachable and channel
 * counts) follow reachability changes made without a save of the learner: a conversation the
 * platform refused (the send worker's markBlocked), one back after /start, and a conversation
 * linked away to another learner.
 */
import { describe, expect, it } from 'vitest';
import { useEngine, tutorDeps, uniqueName } from '../../support/env.js';
import { ChatLearner } from '../../support/chat.js';
import { RedisLeases } from '../../../src/scheduler/leases.js';
import type { TutorDeps } from '../../../src/core/ports.js';

const h = useEngine();

async function deps(): Promise<TutorDeps> {
  const prefix = uniqueName('cdsreach');
  return tutorDeps({ db: h.db, content: h.content, config: h.config, clock: h.clock, leases: new RedisLeases(h.redis, prefix), counters: h.counters, cache: { redis: h.redis, prefix } });
}

/** The learner's kept row (Lua's cjson writes an empty list as `{}`). */
async function row(learnerId: string, cohortId: string): Promise<{ l: { conversations: string[]; unreachable: string[] } }> {
  const raw = await h.redis.hget(h.counters.rows.key(cohortId), learnerId);
  if (!raw) throw new Error(`no kept row for ${learnerId}`);
  const l = JSON.parse(raw).l;
  const list = (x: unknown) => (Array.isArray(x) ? x : []);
  return { l: { conversations: list(l.conversations), unreachable: list(l.unreachable) } };
}

describe('kept rows and reachability', () => {
  it('should show a conversation unreachable once the platform refused it, and reachable again after /start', async () => {
    const d = await deps();
    const a = new ChatLearner(h.tutor, 'telegram');
    await a.onboard();
    const learner = (await d.learners.findByConversation(a.conversation))!;
    expect((await row(learner.id, learner.cohortId)).l.unreachable).toEqual([]);

    await d.reachability.markBlocked(a.conversation, new Date());
    expect((await row(learner.id, learner.cohortId)).l.unreachable).toEqual([a.conversation]);

    await a.say('/start');
    expect((await row(learner.id, learner.cohortId)).l.unreachable).toEqual([]);
    // Marking a conversation that was never blocked reachable changes nothing and reads nothing more.
    await d.reachability.markReachable(a.conversation);
    expect((await row(learner.id, learner.cohortId)).l.unreachable).toEqual([]);
  });

  it('should drop a conversation from the row of the learner it was linked away from', async () => {
    const d = await deps();
    const a = new ChatLearner(h.tutor, 'telegram');
    await a.onboard();
    const b = new ChatLearner(h.tutor, 'zalo');
    await b.say('/start');
    const from = (await d.learners.findByConversation(b.conversation))!;
    const to = (await d.learners.findByConversation(a.conversation))!;
    expect((await row(from.id, from.cohortId)).l.conversations).toEqual([b.conversation]);

    expect(await d.learners.move(b.conversation, from.id, to.id)).toBe(true);
    expect((await row(from.id, from.cohortId)).l.conversations).toEqual([]);
  });
});
