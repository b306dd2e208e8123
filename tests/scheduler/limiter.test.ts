import { describe, expect, it } from 'vitest';
import { limiterFor } from '../../src/scheduler/send-worker.js';

describe('the channel limiter', () => {
  it('should start the channel rate in slices of about 100 ms, never a whole second at once, keeping the average rate', () => {
    expect(limiterFor(30)).toEqual({ max: 3, duration: 100 });
    expect(limiterFor(25)).toEqual({ max: 3, duration: 120 });
    expect(limiterFor(10)).toEqual({ max: 1, duration: 100 });
    expect(limiterFor(1)).toEqual({ max: 1, duration: 1000 });
    // A rate below one per second is kept, not rounded up to one.
    expect(limiterFor(0.5)).toEqual({ max: 1, duration: 2000 });
    // The old one-second window, for comparison in bench/broadcast.ts --limiter-ms 1000.
    expect(limiterFor(30, 1000)).toEqual({ max: 30, duration: 1000 });
    for (const rate of [7, 25, 30, 80, 200]) {
      const { max, duration } = limiterFor(rate);
      expect(Math.abs((max * 1000) / duration - rate) / rate).toBeLessThan(0.02);
    }
  });
});
