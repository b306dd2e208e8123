import { describe, expect, it } from 'vitest';
import { toInbound, unwrapUpdate } from '../../../src/channels/zalo/updates.js';
import { zaloFixture } from '../../support/fake-zalo.js';

const now = new Date('2026-05-06T01:00:00Z');
const read = (body: unknown) => {
  const u = unwrapUpdate(body);
  return u ? toInbound(u, now) : null;
};

describe('reading Zalo updates', () => {
  it('should read the documented wrapped text event into a text event for zalo:<chat id>', () => {
    expect(read(zaloFixture('webhook-text-wrapped'))).toEqual({
      kind: 'event',
      chatId: '6ede9afa66b88fe6d6a9',
      event: {
        conversation: 'zalo:6ede9afa66b88fe6d6a9',
        channel: 'zalo',
        updateId: '2d758cb5e222177a4e35',
        kind: 'text',
        text: 'Xin chào',
        sender: { displayName: 'Ted' },
        at: new Date(1750316131602),
      },
    });
  });

  it('should read the unwrapped shape the same way', () => {
    expect(read(zaloFixture('webhook-text-unwrapped'))).toMatchObject({ kind: 'event', event: { kind: 'text', text: 'Xin chào', updateId: '2d758cb5e222177a4e36' } });
  });

  it('should make images (even captioned), stickers, voice and protected-sender messages unsupported', () => {
    for (const f of ['webhook-image', 'webhook-sticker', 'webhook-voice', 'webhook-unsupported']) {
      expect(read(zaloFixture(f)), f).toMatchObject({ kind: 'event', event: { kind: 'unsupported', text: '' } });
    }
    const captioned = zaloFixture('webhook-text-unwrapped');
    captioned.message.photo_url = 'https://example.com/a.jpg';
    expect(read(captioned)).toMatchObject({ event: { kind: 'unsupported' } });
    const unknown = zaloFixture('webhook-text-unwrapped');
    unknown.event_name = 'message.location.received';
    expect(read(unknown)).toMatchObject({ event: { kind: 'unsupported' } });
  });

  it('should ignore group chats, bots and ids that are not Zalo ids', () => {
    expect(read(zaloFixture('webhook-group-text'))).toEqual({ kind: 'ignored', reason: 'group' });
    const bot = zaloFixture('webhook-text-unwrapped');
    bot.message.from.is_bot = true;
    expect(read(bot)).toEqual({ kind: 'ignored', reason: 'bot' });
    for (const id of [{ $gt: '' }, '../../etc', '', 'x'.repeat(65)]) {
      const hostile = zaloFixture('webhook-text-unwrapped');
      hostile.message.chat.id = id;
      expect(read(hostile), JSON.stringify(id)).toEqual({ kind: 'ignored', reason: 'bad_id' });
    }
  });

  it('should find nothing in probes and bodies without a message', () => {
    for (const body of [undefined, null, {}, 'text', [], { ok: true, result: {} }, { event_name: 'x', message: 'y' }]) {
      expect(read(body), JSON.stringify(body)).toBeNull();
    }
  });

  it('should clip text to 4,096 characters (over the input limit, so the tutor says "too long") and names to 100', () => {
    const long = zaloFixture('webhook-text-unwrapped');
    long.message.text = 'a'.repeat(100_000);
    long.message.from.display_name = 'Đ'.repeat(200_000);
    const r = read(long);
    expect(r).toMatchObject({ kind: 'event' });
    const event = (r as { event: { text: string; sender: { displayName: string } } }).event;
    expect(event.text).toHaveLength(4096);
    expect(event.sender.displayName).toHaveLength(100);
  });

  it('should take the receiving time when the date is missing', () => {
    const undated = zaloFixture('webhook-text-unwrapped');
    delete undated.message.date;
    expect(read(undated)).toMatchObject({ event: { at: now } });
  });

  it('should drop an event whose date is not a number in range', () => {
    for (const date of ['yesterday', null, -1, 0, 1e20, 8.64e15 + 1, now.getTime() + 3 * 86_400_000, { $gt: 0 }]) {
      const odd = zaloFixture('webhook-text-unwrapped');
      odd.message.date = date;
      expect(read(odd), JSON.stringify(date)).toEqual({ kind: 'ignored', reason: 'bad_date' });
    }
  });
});
