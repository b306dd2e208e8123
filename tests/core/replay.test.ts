/**
 * A handling cut short after its decision was recorded (a worker killed between the update log's
 * insert and the saves) is finished by the next attempt from the recorded decision. That decision
 * must leave the records exactly as the first attempt would have: a field the decision unset (the
 * learner's finished prompt) is unset by the replay too. The crash test (tests/app/crash.test.ts)
 * found the replay keeping `prompt: 'hour'` after onboarding, so the next update got the hour
 * prompt's error; here the kill is a save that throws once, at the moment the kill would land.
 */
import { describe, expect, it } from 'vitest';
import { useEngine, tutorDeps, uniqueName } from '../support/env.js';
import { ChatLearner } from '../support/chat.js';
import { Tutor } from '../../src/core/tutor.js';
import type { Learner } from '../../src/core/model.js';
import type { LearnerStore } from '../../src/core/ports.js';
import { RedisLeases } from '../../src/scheduler/leases.js';
import { MongoLearnerStore } from '../../src/storage/stores.js';

const h = useEngine();

class Killed extends Error {}

/** The tutor over the harness's stores, whose learner saves throw (once) while `kill` says so. */
async function crashingTutor(kill: { when: ((l: Learner) => boolean) | null }): Promise<Tutor> {
  const prefix = uniqueName('cdsreplay');
  const deps = await tutorDeps({ db: h.db, content: h.content, config: h.config, clock: h.clock, leases: new RedisLeases(h.redis, prefix), counters: h.counters, cache: { redis: h.redis, prefix } });
  const inner = deps.learners;
  const learners: LearnerStore = Object.create(inner);
  learners.save = async (l: Learner) => {
    if (kill.when?.(l)) {
      kill.when = null;
      throw new Killed('killed before the learner was saved');
    }
    return inner.save(l);
  };
  return new Tutor({ ...deps, learners });
}

describe('a handling cut short after its decision was recorded', () => {
  it('should finish onboarding on the replay: the hour prompt is gone, and the next press shows the lesson', async () => {
    const kill: { when: ((l: Learner) => boolean) | null } = { when: null };
    const tutor = await crashingTutor(kill);
    const a = new ChatLearner(tutor);
    for (const text of ['/start', '1', 'Nguyễn Thị Hoa', '1', 'Nghệ An', 'Xã Diễn Châu', '1']) await a.say(text);
    expect(a.lastChoices().some((v) => v.startsWith('hour:'))).toBe(true);

    // The hour is chosen; the worker dies after the decision is recorded, before the learner is saved.
    const chosen = a.event('hour:6', 'choice');
    kill.when = (l) => l.onboarded;
    await expect(tutor.handle(chosen)).rejects.toThrow(Killed);
    const store = new MongoLearnerStore(h.db.models); // the database itself (this tutor keeps its copies under a prefix of its own)
    const before = await store.findByConversation(a.conversation);
    expect(before?.prompt).toBe('hour');

    // The job is taken again: the recorded decision is applied and its reply given.
    const replayed = await a.send(chosen);
    expect(replayed.map((m) => m.text).join('\n')).toContain('6:00');
    const after = await store.findByConversation(a.conversation);
    expect(after).toMatchObject({ onboarded: true, lessonHour: 6 });
    expect(after?.prompt).toBeUndefined();
    expect(await h.db.models.Learner.findById(after!.id).lean()).not.toHaveProperty('prompt');

    // The next press goes on with the course, as after a handling never cut short.
    expect(a.lastChoices()).toContain('next');
    const next = await a.press('next');
    expect(next.map((m) => m.text).join('\n')).not.toContain('gõ giờ');
    expect(a.lastChoices().some((v) => v === 'next' || v.startsWith('ans:'))).toBe(true);
  });
});
