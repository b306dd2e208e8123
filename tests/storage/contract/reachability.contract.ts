/** The Reachability contract, read back through the conversation and through the learner's `unreachable` list. */
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { LearnerStore, Reachability } from '../../../src/core/ports.js';
import { conversation, newLearner, type Make } from '../../support/store-contract.js';

const AT = new Date('2026-03-03T10:15:30.123Z');

/** `learners` shares its records with `store`: the learner's `unreachable` list follows the marks. */
export function describeReachability(name: string, make: Make<{ store: Reachability; learners: LearnerStore }>): void {
  describe(`Reachability (${name})`, () => {
    let h: Awaited<ReturnType<typeof make>>;
    beforeAll(async () => {
      h = await make();
    });
    beforeEach(() => h.reset());

    const twoConversations = () => h.learners.create(newLearner({ conversations: [conversation('telegram'), conversation('zalo')] }));

    describe('blockedSince', () => {
      it('should be null for an unknown conversation', async () => {
        expect(await h.store.blockedSince(conversation())).toBeNull();
      });

      it('should be null for a conversation never found blocked', async () => {
        const learner = await twoConversations();
        expect(await h.store.blockedSince(learner.conversations[0]!)).toBeNull();
      });
    });

    describe('markBlocked', () => {
      it('should record when the conversation was found blocked', async () => {
        const learner = await twoConversations();
        const [blocked, other] = [learner.conversations[0]!, learner.conversations[1]!];
        await h.store.markBlocked(blocked, AT);
        const since = await h.store.blockedSince(blocked);
        expect(since).toBeInstanceOf(Date);
        expect(Math.abs(since!.getTime() - AT.getTime())).toBeLessThan(1000);
        expect(await h.store.blockedSince(other)).toBeNull();
      });

      it('should add the conversation to the learner\u2019s unreachable list, once', async () => {
        const learner = await twoConversations();
        const blocked = learner.conversations[1]!;
        await h.store.markBlocked(blocked, AT);
        await h.store.markBlocked(blocked, new Date(AT.getTime() + 60_000));
        const found = await h.learners.findById(learner.id);
        expect(found?.unreachable).toEqual([blocked]);
        expect(found?.conversations).toEqual(learner.conversations);
      });

      it('should not throw for a conversation no learner has', async () => {
        await expect(h.store.markBlocked(conversation(), AT)).resolves.toBeUndefined();
      });

      it('should stay blocked when a learner read before the mark is saved', async () => {
        // The conversation's own mark is what sending reads; the learner's list only speeds the sweeps.
        const learner = await twoConversations();
        const blocked = learner.conversations[0]!;
        await h.store.markBlocked(blocked, AT);
        await h.learners.save({ ...learner, lessonHour: 9 });
        expect(await h.store.blockedSince(blocked)).toEqual(AT);
      });
    });

    describe('markReachable', () => {
      it('should clear the mark and take the conversation off the unreachable list', async () => {
        const learner = await twoConversations();
        const [first, second] = [learner.conversations[0]!, learner.conversations[1]!];
        await h.store.markBlocked(first, AT);
        await h.store.markBlocked(second, AT);
        await h.store.markReachable(first);
        expect(await h.store.blockedSince(first)).toBeNull();
        expect(await h.store.blockedSince(second)).not.toBeNull();
        expect((await h.learners.findById(learner.id))?.unreachable).toEqual([second]);
      });

      it('should let a conversation be blocked again after it came back', async () => {
        const learner = await twoConversations();
        const c = learner.conversations[0]!;
        await h.store.markBlocked(c, AT);
        await h.store.markReachable(c);
        const again = new Date(AT.getTime() + 86_400_000);
        await h.store.markBlocked(c, again);
        expect((await h.store.blockedSince(c))?.getTime()).toBe(again.getTime());
        expect((await h.learners.findById(learner.id))?.unreachable).toEqual([c]);
      });

      it('should change nothing for a reachable or unknown conversation', async () => {
        const learner = await twoConversations();
        await h.store.markReachable(learner.conversations[0]!);
        await h.store.markReachable(conversation());
        expect(await h.store.blockedSince(learner.conversations[0]!)).toBeNull();
        expect((await h.learners.findById(learner.id))?.unreachable).toEqual([]);
      });
    });
  });
}
