import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerWebhook } from '../../src/http/webhook.js';
import { secretMatches } from '../../src/http/secret.js';
import type { ChannelWebhook, WebhookOutcome } from '../../src/channels/types.js';

const SECRET = 'the-secret-0123';
const received: Record<string, unknown>[] = [];
let next: () => Promise<WebhookOutcome> = async () => 'accepted';
const hook: ChannelWebhook = {
  path: '/webhooks/test',
  secretHeader: 'x-test-secret',
  secret: SECRET,
  receive: async (body) => {
    received.push(body);
    return next();
  },
};
let server: FastifyInstance;

beforeAll(async () => {
  server = Fastify({ bodyLimit: 1024 * 1024 });
  await registerWebhook(server, hook);
  await server.ready();
});
afterAll(() => server.close());

function post(payload: string, headers: Record<string, string> = { 'content-type': 'application/json', 'x-test-secret': SECRET }) {
  return server.inject({ method: 'POST', url: '/webhooks/test', headers, payload });
}

describe('a channel webhook', () => {
  it('should hand a JSON object to the channel and answer 200', async () => {
    const res = await post('{"update_id": 5}');
    expect(res.statusCode).toBe(200);
    expect(received.at(-1)).toEqual({ update_id: 5 });
  });

  it('should answer 401 to a wrong or missing secret before reading the body', async () => {
    const before = received.length;
    const attempts: Record<string, string>[] = [{ 'content-type': 'application/json' }, { 'content-type': 'application/json', 'x-test-secret': 'nope' }, { 'content-type': 'application/json', 'x-test-secret': `${SECRET} ` }];
    for (const headers of attempts) {
      expect((await post('{"update_id": 5}', headers)).statusCode).toBe(401);
      expect((await post('{not json', headers)).statusCode).toBe(401);
      expect((await post('x'.repeat(2 * 1024 * 1024), headers)).statusCode).toBe(401);
    }
    expect(received.length).toBe(before);
  });

  it('should answer 400 to anything but a JSON object, the empty body included', async () => {
    const before = received.length;
    for (const body of ['', ' ', '\n', '[]', '[{"update_id":1}]', '"s"', '1', 'null', 'false', '{"a":', '{"__proto__":{"x":1}}']) {
      expect((await post(body)).statusCode, JSON.stringify(body)).toBe(400);
    }
    expect(received.length).toBe(before);
  });

  it('should read the body as JSON whatever the content type says', async () => {
    const auth = { 'x-test-secret': SECRET };
    expect((await post('{"update_id": 6}', { ...auth, 'content-type': 'text/plain' })).statusCode).toBe(200);
    expect((await post('{"update_id": 7}', auth)).statusCode).toBe(200);
    expect((await post('not json', { ...auth, 'content-type': 'text/plain' })).statusCode).toBe(400);
    expect((await post('{"update_id": 9}', auth)).statusCode).toBe(200);
    expect((await post('', auth)).statusCode).toBe(400);
  });

  it('should answer 413 to a body over 1 MiB', async () => {
    expect((await post(`{"pad":"${'x'.repeat(1024 * 1024)}"}`)).statusCode).toBe(413);
  });

  it("should answer 400 when the channel says it is not its update, and 500 when it could not be queued", async () => {
    next = async () => 'not_an_update';
    expect((await post('{"hello":"world"}')).statusCode).toBe(400);
    next = async () => {
      throw new Error('Redis is gone');
    };
    expect((await post('{"update_id": 8}')).statusCode).toBe(500);
    next = async () => 'accepted';
  });
});

describe('secretMatches', () => {
  it('should match only the same string', () => {
    expect(secretMatches('abc', 'abc')).toBe(true);
    for (const given of ['abd', 'ab', 'abcd', '', undefined, ['abc'], 123]) expect(secretMatches(given, 'abc')).toBe(false);
  });
});
