/** The one comparison of a secret the caller presents (webhook header, bearer token) with ours. */
import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Constant time: both sides are hashed to equal-length digests first, so neither the content
 * nor the length of the secret leaks through timing. Anything but a string never matches.
 */
export function secretMatches(given: unknown, expected: string): boolean {
  if (typeof given !== 'string') return false;
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}
