import { describe, expect, it } from 'vitest';
import { limiterFor } from '../../src/scheduler/send-worker.js';

describe('the channel limiter', () => {
  it('should start the channel rate per window of the slice asked for, keeping the average rate', () => {
    expect(limiterFor(30)).toEqual({ max: 30, duration: 1000 });
    expect(limiterFor(30, 100)).toEqual({ max: 3, duration: 100 });
    expect(limiterFor(25, 100)).toEqual({ max: 3, duration: 120 });
    expect(limiterFor(10, 100)).toEqual({ max: 1, duration: 100 });
    expect(limiterFor(1, 100)).toEqual({ max: 1, duration: 1000 });
    // A rate below one per second is kept, not rounded up to one.
    expect(limiterFor(0.5)).toEqual({ max: 1, duration: 2000 });
    for (const rate of [7, 25, 30, 80, 200]) {
      const { max, duration } = limiterFor(rate, 100);
      expect(Math.abs((max * 1000) / duration - rate) / rate).toBeLessThan(0.02);
    }
  });
});
