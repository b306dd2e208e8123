/** The contracts of the scheduler's small stores: sweep checkpoints, the scheduled-send log, held messages, the conversation directory. */
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { OutboundMessage } from '../../../src/core/messages.js';
import type { LearnerStore, Reachability } from '../../../src/core/ports.js';
import type { ConversationDirectory, HeldMessageStore, ScheduledSendLog, SweepStateStore } from '../../../src/scheduler/ports.js';
import { conversation, newLearner, together, type Make } from '../../support/store-contract.js';

const NOW = new Date('2026-03-04T01:00:00.000Z');
const minutes = (n: number) => new Date(NOW.getTime() + n * 60_000);

export function describeSweepStateStore(name: string, make: Make<{ store: SweepStateStore }>): void {
  describe(`SweepStateStore (${name})`, () => {
    let store: SweepStateStore;
    let reset: () => Promise<void>;
    beforeAll(async () => {
      ({ store, reset } = await make());
    });
    beforeEach(() => reset());

    it('should report a sweep never saved as not done, with nothing planned', async () => {
      expect(await store.get('reminder|spring|P7D')).toEqual({ done: false });
    });

    it('should return what was saved', async () => {
      await store.save('nudge|spring', { through: minutes(-30) }, NOW);
      await store.save('lesson|spring|2026-03-04|8', { after: '65e0a1b2c3d4e5f601234567' }, NOW);
      expect(await store.get('nudge|spring')).toEqual({ done: false, through: minutes(-30) });
      expect(await store.get('lesson|spring|2026-03-04|8')).toEqual({ done: false, after: '65e0a1b2c3d4e5f601234567' });
    });

    it('should merge a save into what the key already holds', async () => {
      const key = 'reminder|spring|PT3H';
      await store.save(key, { after: 'a1' }, NOW);
      await store.save(key, { after: 'b2' }, minutes(1));
      await store.save(key, { done: true }, minutes(2));
      expect(await store.get(key)).toEqual({ done: true, after: 'b2' });
      await store.save(key, { through: minutes(3) }, minutes(3));
      expect(await store.get(key)).toEqual({ done: true, after: 'b2', through: minutes(3) });
    });

    it('should keep both fields when two first saves of one key race', async () => {
      for (let round = 0; round < 3; round++) {
        const key = `reminder|race|${round}`;
        await Promise.all([store.save(key, { after: 'z9' }, NOW), store.save(key, { through: minutes(5) }, NOW)]);
        expect(await store.get(key), `round ${round}`).toEqual({ done: false, after: 'z9', through: minutes(5) });
      }
    });

    it('should keep keys apart', async () => {
      await store.save('lesson|spring|2026-03-04|8', { done: true }, NOW);
      expect(await store.get('lesson|spring|2026-03-04|9')).toEqual({ done: false });
    });
  });
}

export function describeScheduledSendLog(name: string, make: Make<{ store: ScheduledSendLog }>): void {
  describe(`ScheduledSendLog (${name})`, () => {
    let store: ScheduledSendLog;
    let reset: () => Promise<void>;
    beforeAll(async () => {
      ({ store, reset } = await make());
    });
    beforeEach(() => reset());

    const meta = (owner: string) => ({ kind: 'reminder', learnerId: 'learner-a', owner });

    it('should let the first owner claim a key, and claim it again (its own retry)', async () => {
      expect(await store.claim('reminder|spring|a|P7D', meta('job-1'), NOW)).toBe('claimed');
      expect(await store.claim('reminder|spring|a|P7D', meta('job-1'), minutes(1))).toBe('claimed');
    });

    it('should find the key taken for any other owner', async () => {
      await store.claim('reminder|spring|a|P7D', meta('job-1'), NOW);
      expect(await store.claim('reminder|spring|a|P7D', meta('job-2'), minutes(1))).toBe('already_sent');
      expect(await store.claim('reminder|spring|a|P7D', meta('job-1'), minutes(2))).toBe('claimed');
    });

    it('should find a finished key taken, for its owner too', async () => {
      for (const state of ['sent', 'skipped'] as const) {
        const key = `lesson|a|2026-03-04|${state}`;
        await store.claim(key, meta('job-1'), NOW);
        await store.finish(key, state, minutes(1));
        expect(await store.claim(key, meta('job-1'), minutes(2)), state).toBe('already_sent');
        expect(await store.claim(key, meta('job-2'), minutes(2)), state).toBe('already_sent');
      }
    });

    it('should give exactly one of racing owners the key', async () => {
      for (let round = 0; round < 3; round++) {
        const results = await together(8, (i) => store.claim(`nudge|spring|a|${round}`, meta(`job-${i}`), NOW));
        expect(results.filter((r) => r === 'claimed'), `round ${round}`).toHaveLength(1);
      }
    });

    it('should keep keys apart', async () => {
      await store.claim('lesson|a|2026-03-04', meta('job-1'), NOW);
      await store.finish('lesson|a|2026-03-04', 'sent', NOW);
      expect(await store.claim('lesson|a|2026-03-05', meta('job-2'), NOW)).toBe('claimed');
    });
  });
}

const msg = (text: string): OutboundMessage => ({ text, choices: [{ label: 'Tiếp tục', value: 'next' }], lettered: false });

export function describeHeldMessageStore(name: string, make: Make<{ store: HeldMessageStore }>): void {
  describe(`HeldMessageStore (${name})`, () => {
    let store: HeldMessageStore;
    let reset: () => Promise<void>;
    beforeAll(async () => {
      ({ store, reset } = await make());
    });
    beforeEach(() => reset());

    const hold = (c: ReturnType<typeof conversation>, sourceJob: string, at: Date, text = sourceJob) =>
      store.hold({ conversation: c, messages: [msg(text)], reason: 'lesson', sourceJob, heldAt: at });

    it('should list what was held for a conversation, oldest first, messages intact', async () => {
      const c = conversation('zalo');
      await hold(c, 'job-late', minutes(10));
      await hold(c, 'job-early', minutes(1));
      await hold(c, 'job-middle', minutes(5));
      await hold(conversation('zalo'), 'job-elsewhere', minutes(0));
      const listed = await store.list(c);
      expect(listed.map((h) => h.messages)).toEqual([[msg('job-early')], [msg('job-middle')], [msg('job-late')]]);
      expect(new Set(listed.map((h) => h.id)).size).toBe(3);
    });

    it('should keep one copy when the same job is held twice, or by racing retries', async () => {
      const c = conversation('telegram');
      await hold(c, 'job-1', minutes(1), 'first');
      await hold(c, 'job-1', minutes(2), 'second');
      await together(5, () => hold(c, 'job-2', minutes(3)));
      const listed = await store.list(c);
      expect(listed).toHaveLength(2);
      expect(listed[0]?.messages).toEqual([msg('first')]);
      expect(await store.count(c)).toBe(2);
    });

    it('should release the ids given, and only those', async () => {
      const c = conversation('zalo');
      for (let i = 0; i < 4; i++) await hold(c, `job-${i}`, minutes(i));
      const [a, b, keep1, keep2] = await store.list(c);
      await store.release([a!.id, b!.id]);
      expect((await store.list(c)).map((h) => h.id)).toEqual([keep1!.id, keep2!.id]);
      await store.release([]);
      await store.release([a!.id]);
      expect(await store.count(c)).toBe(2);
    });

    it('should count per conversation and in total', async () => {
      const [x, y] = [conversation('zalo'), conversation('telegram')];
      expect(await store.count()).toBe(0);
      expect(await store.count(x)).toBe(0);
      await hold(x, 'x-1', minutes(1));
      await hold(x, 'x-2', minutes(2));
      await hold(y, 'y-1', minutes(3));
      expect(await store.count(x)).toBe(2);
      expect(await store.count(y)).toBe(1);
      expect(await store.count(conversation())).toBe(0);
      expect(await store.count()).toBe(3);
    });

    it('should list nothing for a conversation with nothing held', async () => {
      expect(await store.list(conversation())).toEqual([]);
    });
  });
}

/** `learners` and `reachability` share their records with `store`. */
export function describeConversationDirectory(
  name: string,
  make: Make<{ store: ConversationDirectory; learners: LearnerStore; reachability: Reachability }>,
): void {
  describe(`ConversationDirectory (${name})`, () => {
    let h: Awaited<ReturnType<typeof make>>;
    beforeAll(async () => {
      h = await make();
    });
    beforeEach(() => h.reset());

    it('should be null for an unknown conversation', async () => {
      await h.learners.create(newLearner());
      expect(await h.store.linked(conversation())).toBeNull();
    });

    it('should give the learner\u2019s conversations from any one of them', async () => {
      const learner = await h.learners.create(newLearner({ conversations: [conversation('telegram'), conversation('zalo')] }));
      await h.learners.create(newLearner());
      for (const c of learner.conversations) {
        expect(await h.store.linked(c)).toEqual({ conversations: learner.conversations, unreachable: [] });
      }
    });

    it('should list the conversations found blocked as unreachable, until they come back', async () => {
      const learner = await h.learners.create(newLearner({ conversations: [conversation('telegram'), conversation('zalo')] }));
      const [tg, zalo] = [learner.conversations[0]!, learner.conversations[1]!];
      await h.reachability.markBlocked(zalo, NOW);
      expect(await h.store.linked(tg)).toEqual({ conversations: [tg, zalo], unreachable: [zalo] });
      await h.reachability.markReachable(zalo);
      expect(await h.store.linked(zalo)).toEqual({ conversations: [tg, zalo], unreachable: [] });
    });
  });
}
