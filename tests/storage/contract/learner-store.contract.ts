/** The LearnerStore contract: any implementation (MongoDB, in-memory) must pass it. */
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { LearnerStore } from '../../../src/core/ports.js';
import { HOSTILE_OBJECTS, HOSTILE_STRINGS, conversation, newLearner, settle, together, type Make } from '../../support/store-contract.js';

export function describeLearnerStore(name: string, make: Make<{ store: LearnerStore }>): void {
  describe(`LearnerStore (${name})`, () => {
    let store: LearnerStore;
    let reset: () => Promise<void>;
    beforeAll(async () => {
      ({ store, reset } = await make());
    });
    beforeEach(() => reset());

    describe('create', () => {
      it('should return the learner with an id and a version', async () => {
        const init = newLearner({ profile: { fullName: 'Nguyễn Văn A', role: 'chair', province: 'Hà Nội' }, inviteCode: 'INV1' });
        const created = await store.create(init);
        expect(created.id).toEqual(expect.any(String));
        expect(created.id).not.toBe('');
        expect(created.version).toEqual(expect.any(Number));
        expect(created).toMatchObject(init);
      });

      it('should create an invited learner without a conversation, to be attached later', async () => {
        const invited = await store.create(newLearner({ conversations: [], inviteCode: 'INVITE-7' }));
        const again = await store.create(newLearner({ conversations: [], inviteCode: 'INVITE-8' }));
        expect(again.id).not.toBe(invited.id);
        expect(await store.findByInviteCode('INVITE-7')).toEqual(invited);
        const c = conversation('telegram');
        expect(await store.attach(invited.id, c)).toBe(true);
        expect((await store.findByConversation(c))?.id).toBe(invited.id);
      });

      it('should give two learners two ids', async () => {
        const a = await store.create(newLearner());
        const b = await store.create(newLearner());
        expect(a.id).not.toBe(b.id);
      });

      it('should return the learner that already holds the conversation instead of a second one', async () => {
        const c = conversation('telegram');
        const first = await store.create(newLearner({ conversations: [c], profile: { fullName: 'First' } }));
        const second = await store.create(newLearner({ conversations: [c], profile: { fullName: 'Second' } }));
        expect(second.id).toBe(first.id);
        expect(second.profile.fullName).toBe('First');
        expect((await store.findByConversation(c))?.id).toBe(first.id);
      });

      it('should leave one learner attached when creates for one conversation race', async () => {
        const c = conversation('zalo');
        const results = await together(6, (i) => store.create(newLearner({ conversations: [c], profile: { fullName: `racer ${i}` } })));
        const ids = new Set(results.map((l) => l.id));
        expect(ids.size).toBe(1);
        const winner = await store.findByConversation(c);
        expect(winner?.id).toBe(results[0]!.id);
        expect(results.every((l) => l.profile.fullName === winner?.profile.fullName)).toBe(true);
      });
    });

    describe('finding', () => {
      it('should find a learner by each of their conversations, by id and by invite code', async () => {
        const [c1, c2] = [conversation('telegram'), conversation('zalo')];
        const created = await store.create(newLearner({ conversations: [c1, c2], inviteCode: 'ABC123' }));
        expect(await store.findByConversation(c1)).toEqual(created);
        expect(await store.findByConversation(c2)).toEqual(created);
        expect(await store.findById(created.id)).toEqual(created);
        expect(await store.findByInviteCode('ABC123')).toEqual(created);
      });

      it('should return null for what is not there', async () => {
        const created = await store.create(newLearner({ inviteCode: 'HERE' }));
        expect(await store.findByConversation(conversation())).toBeNull();
        expect(await store.findByInviteCode('NOT-HERE')).toBeNull();
        expect(await store.findByInviteCode('here')).toBeNull();
        expect(await store.findById(`${created.id}x`)).toBeNull();
      });

      it('should return null for a malformed id without throwing', async () => {
        await store.create(newLearner());
        for (const id of ['', 'not-an-id', '123', 'zzzzzzzzzzzzzzzzzzzzzzzz', '0'.repeat(25), 'telegram:1']) {
          expect(await store.findById(id)).toBeNull();
        }
      });

      it('should match nothing with operator-shaped strings', async () => {
        await store.create(newLearner({ inviteCode: 'CODE1' }));
        await store.create(newLearner({ inviteCode: 'CODE2', conversations: ['console:$where' as const] }));
        for (const hostile of HOSTILE_STRINGS) {
          expect(await store.findById(hostile)).toBeNull();
          expect(await store.findByInviteCode(hostile)).toBeNull();
          expect(await store.findByConversation(hostile as never)).toBeNull();
        }
      });

      it('should match nothing with operator objects smuggled in as ids or codes', async () => {
        await store.create(newLearner({ inviteCode: 'CODE1' }));
        for (const hostile of HOSTILE_OBJECTS) {
          for (const found of [
            await settle(store.findById(hostile)),
            await settle(store.findByInviteCode(hostile)),
            await settle(store.findByConversation(hostile as never)),
          ]) {
            expect([null, 'rejected']).toContain(found);
          }
        }
      });
    });

    describe('attach', () => {
      it('should join a free conversation to the learner', async () => {
        const learner = await store.create(newLearner());
        const c = conversation('zalo');
        expect(await store.attach(learner.id, c)).toBe(true);
        expect((await store.findByConversation(c))?.id).toBe(learner.id);
      });

      it('should say true again when the conversation is already the same learner\u2019s', async () => {
        const learner = await store.create(newLearner());
        expect(await store.attach(learner.id, learner.conversations[0]!)).toBe(true);
      });

      it('should say false and change nothing when the conversation belongs to another learner', async () => {
        const owner = await store.create(newLearner());
        const other = await store.create(newLearner());
        const c = owner.conversations[0]!;
        expect(await store.attach(other.id, c)).toBe(false);
        expect((await store.findByConversation(c))?.id).toBe(owner.id);
      });

      it('should let exactly one of two learners racing for a conversation have it', async () => {
        const a = await store.create(newLearner());
        const b = await store.create(newLearner());
        const c = conversation('telegram');
        const results = await together(6, (i) => store.attach(i % 2 ? a.id : b.id, c));
        const owner = (await store.findByConversation(c))?.id;
        expect([a.id, b.id]).toContain(owner);
        results.forEach((r, i) => expect(r).toBe((i % 2 ? a.id : b.id) === owner));
      });
    });

    describe('save', () => {
      it('should store every field and return the next version', async () => {
        const created = await store.create(newLearner({ prompt: 'fullName' }));
        const changed = {
          ...created,
          profile: { fullName: 'Trần Thị B', role: 'core_staff' as const, province: 'Đà Nẵng', district: 'Hải Châu', commune: 'Phước Ninh', phone: '0900000000' },
          locale: 'en' as const,
          consent: true,
          lessonHour: 20,
          stopped: true,
          onboarded: true,
          prompt: undefined,
        };
        const saved = await store.save(changed);
        expect(saved.version).not.toBe(created.version);
        const found = await store.findById(created.id);
        expect(found).toEqual(saved);
        expect(found?.prompt).toBeUndefined();
      });

      it('should accept a chain of saves, each from the last one\u2019s result', async () => {
        let learner = await store.create(newLearner());
        for (let hour = 6; hour < 10; hour++) learner = await store.save({ ...learner, lessonHour: hour });
        expect((await store.findById(learner.id))?.lessonHour).toBe(9);
      });

      it('should write the learner as given, by id, one version up', async () => {
        // Saves are serialised by the learner's lease (core Leases), not by the store: the last write stands.
        const created = await store.create(newLearner());
        const saved = await store.save({ ...created, lessonHour: 7 });
        expect(saved.version).toBe(created.version + 1);
        await store.save({ ...created, lessonHour: 21 });
        const found = await store.findById(created.id);
        expect(found?.lessonHour).toBe(21);
        expect(found?.version).toBe(created.version + 1);
      });

      it('should keep one whole record when saves race, never a mix of two', async () => {
        for (let round = 0; round < 5; round++) {
          const created = await store.create(newLearner());
          await together(8, (i) => store.save({ ...created, lessonHour: 10 + i, profile: { ...created.profile, commune: `Xã ${10 + i}` } }));
          const found = await store.findById(created.id);
          expect(found?.profile.commune, `round ${round}`).toBe(`Xã ${found?.lessonHour}`);
        }
      });

      it('should find the learner a conversation belongs to by the conversation alone', async () => {
        const created = await store.create(newLearner());
        expect(await store.learnerIdOf(created.conversations[0]!)).toBe(created.id);
        expect(await store.learnerIdOf(conversation())).toBeNull();
      });
    });

    describe('move', () => {
      it('should move a conversation from one learner to another', async () => {
        const from = await store.create(newLearner({ conversations: [conversation('telegram'), conversation('zalo')] }));
        const to = await store.create(newLearner());
        const c = from.conversations[1]!;
        expect(await store.move(c, from.id, to.id)).toBe(true);
        expect((await store.findByConversation(c))?.id).toBe(to.id);
        expect((await store.findById(from.id))?.conversations).not.toContain(c);
      });

      it('should say false and change nothing when the conversation no longer belongs to `from`', async () => {
        const a = await store.create(newLearner());
        const b = await store.create(newLearner());
        const c = await store.create(newLearner());
        const moved = a.conversations[0]!;
        expect(await store.move(moved, a.id, b.id)).toBe(true);
        expect(await store.move(moved, a.id, c.id)).toBe(false);
        expect((await store.findByConversation(moved))?.id).toBe(b.id);
      });

      it('should say false for an unknown conversation', async () => {
        const a = await store.create(newLearner());
        const b = await store.create(newLearner());
        const unknown = conversation();
        expect(await store.move(unknown, a.id, b.id)).toBe(false);
        expect(await store.findByConversation(unknown)).toBeNull();
      });

      it('should keep the conversation with its new learner even when an old copy of `from` is saved', async () => {
        const from = await store.create(newLearner({ conversations: [conversation('telegram'), conversation('zalo')] }));
        const to = await store.create(newLearner());
        const c = from.conversations[1]!;
        await store.move(c, from.id, to.id);
        await store.save({ ...from, lessonHour: 6 });
        expect(await store.learnerIdOf(c)).toBe(to.id);
      });
    });
  });
}
