import { describe, expect, it } from 'vitest';
import { clipBytes, clipChars, clipName, INGRESS_LIMITS, IngressSlot, messageDate } from '../../../src/channels/shared/ingress.js';
import { MAX_INPUT } from '../../../src/core/parse.js';

describe('the ingress limits', () => {
  it('should keep more text than the tutor accepts, so it can still say "too long"', () => {
    expect(INGRESS_LIMITS.textChars).toBeGreaterThan(MAX_INPUT);
  });

  it('should clip characters without splitting a surrogate pair', () => {
    expect(clipChars('abc', 5)).toBe('abc');
    expect(clipChars('abcdef', 3)).toBe('abc');
    expect(clipChars('ab😀c', 3)).toBe('ab');
    expect(clipChars('ab😀c', 4)).toBe('ab😀');
  });

  it('should clip bytes at a character boundary', () => {
    expect(clipBytes('đ'.repeat(40), 64)).toBe('đ'.repeat(32));
    expect(clipBytes('a'.repeat(63) + 'đ', 64)).toBe('a'.repeat(63));
    expect(clipBytes('lang:vi', 64)).toBe('lang:vi');
  });

  it('should clip names and drop empty ones', () => {
    expect(clipName('  Hoa ')).toBe('Hoa');
    expect(clipName('x'.repeat(200_000))).toHaveLength(INGRESS_LIMITS.nameChars);
    expect(clipName('   ')).toBeUndefined();
    expect(clipName(undefined)).toBeUndefined();
  });

  it('should accept message dates from 2000 to a day ahead of the receiving clock, and nothing else', () => {
    const now = new Date('2026-05-06T01:00:00Z');
    expect(messageDate(now.getTime() - 1000, now)).toEqual(new Date(now.getTime() - 1000));
    expect(messageDate(Date.UTC(2000, 0, 1), now)).toEqual(new Date(Date.UTC(2000, 0, 1)));
    for (const bad of [-1, 0, 1e20, 1e20 * 1000, Number.NaN, Number.POSITIVE_INFINITY, 8.64e15 + 1, now.getTime() + 2 * 86_400_000, Date.UTC(1999, 11, 31)]) {
      expect(messageDate(bad, now), String(bad)).toBeNull();
    }
  });
});

describe('an IngressSlot', () => {
  it('should let a delivery that arrives before start() wait for it', async () => {
    const slot = new IngressSlot<string>();
    const early = slot.get('test');
    slot.set('ingress');
    await expect(early).resolves.toBe('ingress');
    await expect(slot.get('test')).resolves.toBe('ingress');
  });

  it('should fail a delivery when start() does not come in time', async () => {
    await expect(new IngressSlot<string>().get('test', 20)).rejects.toThrow('the test channel has not started');
  });
});
