/**
 * Shared pieces of the webhook fuzzers: hostile values, and the check that what reached the
 * queue is an event the tutor can read. The fuzzers drive the whole web role (real wiring, real
 * Redis queue) through Fastify's inject, black-box: they read what was queued by its job id.
 */
import fc from 'fast-check';
import { expect } from 'vitest';

/** Numbers that break naive code: huge, negative, fractional, past 2^53, the extremes of a double. */
export const wildNumber: fc.Arbitrary<number> = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(1e20, -1e20, 2 ** 53, -(2 ** 53), 2 ** 63, Number.MAX_VALUE, -Number.MAX_VALUE, 8.64e15, 8.64e15 + 1, 0, -0, -1, 1e308, 5e-324),
);

/** Strings: unicode of every kind, lone surrogates, operator-looking keys, and very long ones. */
export const wildString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.string() },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', '/start', '/start x', '$gt', '__proto__', 'constructor', '\u0000', '\ud800', '\udfff', 'Nguyễn Thị Hoa', '😀'.repeat(40), 'lang:vi') },
  { weight: 1, arbitrary: fc.integer({ min: 4000, max: 300_000 }).chain((n) => fc.constantFrom('a', 'đ', '😀', 'ă ').map((c) => c.repeat(Math.ceil(n / c.length)))) },
);

/** Anything JSON can hold. */
export const anyJson: fc.Arbitrary<unknown> = fc.oneof(wildNumber, wildString, fc.boolean(), fc.constant(null), fc.jsonValue({ maxDepth: 2 }));

/** Usually a value of the expected type, sometimes (1 in `odds + 1`) anything at all. */
export function field<T>(good: fc.Arbitrary<T>, odds = 12): fc.Arbitrary<unknown> {
  return fc.oneof({ weight: odds, arbitrary: good as fc.Arbitrary<unknown> }, { weight: 1, arbitrary: anyJson });
}

/** A whole body: JSON of any shape, or text that is not JSON at all. */
export const anyBody: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: anyJson.map((v) => JSON.stringify(v) ?? '') },
  { weight: 1, arbitrary: fc.string() },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', '[]', '{}', 'null', '{"a":', '{"__proto__":{"x":1}}', '[{"update_id":1}]') },
);

/** The statuses a webhook may answer when Redis and MongoDB work. */
export const ALLOWED = [200, 400, 401, 413];

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** A queued inbound event (as stored in the job) is one the tutor can read. */
export function expectWellFormed(event: Record<string, unknown>, channel: 'telegram' | 'zalo'): void {
  expect(event.channel).toBe(channel);
  expect(event.conversation).toMatch(channel === 'telegram' ? /^telegram:-?\d{1,16}$/ : /^zalo:[A-Za-z0-9_.-]{1,64}$/);
  expect(typeof event.updateId).toBe('string');
  expect(['text', 'choice', 'unsupported']).toContain(event.kind);
  expect(typeof event.text).toBe('string');
  expect((event.text as string).length).toBeLessThanOrEqual(4096);
  if (event.kind === 'choice') expect(Buffer.byteLength(event.text as string)).toBeLessThanOrEqual(64);
  expect(typeof event.at).toBe('string');
  expect(event.at).toMatch(ISO);
  const at = new Date(event.at as string);
  expect(at.toISOString()).toBe(event.at);
  expect(at.getTime()).toBeGreaterThanOrEqual(Date.UTC(2000, 0, 1));
  expect(at.getTime()).toBeLessThanOrEqual(Date.now() + 86_400_000);
  const sender = (event.sender ?? {}) as { displayName?: unknown; languageCode?: unknown };
  if (sender.displayName !== undefined) expect((sender.displayName as string).length).toBeLessThanOrEqual(100);
  if (sender.languageCode !== undefined) expect((sender.languageCode as string).length).toBeLessThanOrEqual(16);
}
