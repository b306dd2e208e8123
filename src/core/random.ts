/** A seeded pseudo-random sequence (mulberry32): repeatable figures and tests, not for secrets. */
import type { Random } from './ports.js';

export function seededRandom(seed = 42): Random {
  let a = seed >>> 0;
  return {
    next() {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
  };
}
