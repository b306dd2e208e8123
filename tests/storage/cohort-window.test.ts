import { describe, expect, it } from 'vitest';
import { closingAfter } from '../../src/storage/cohorts.js';

describe('a demo window counted in days', () => {
  it('closes at the end of the last day in the learners’ time zone, not at the start-up minute', () => {
    // 17:57 UTC on 28 Nov is 00:57 on 29 Nov in Hà Nội: 17 days later ends on 16 Dec, 23:59:59.999 there.
    const closes = closingAfter(new Date('2026-11-28T17:57:00Z'), 17, 'Asia/Ho_Chi_Minh');
    expect(closes.toISOString()).toBe('2026-12-16T16:59:59.999Z');
  });

  it('uses the given zone', () => {
    expect(closingAfter(new Date('2026-11-28T17:57:00Z'), 1, 'UTC').toISOString()).toBe('2026-11-29T23:59:59.999Z');
  });
});
