import Fastify from 'fastify';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerContentMedia } from '../../src/http/content-media.js';
import { ROOT } from '../support/env.js';

const server = Fastify();

beforeAll(async () => {
  await registerContentMedia(server, resolve(ROOT, 'tests/fixtures'));
  await server.ready();
});
afterAll(() => server.close());

describe('GET /content/*', () => {
  it('should serve an image under the content folder', async () => {
    const res = await server.inject({ method: 'GET', url: '/content/media/dot.png' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('image/png');
  });

  it('should not serve lesson sources, other files or paths outside the folder', async () => {
    for (const url of ['/content/content-min/cohorts.yaml', '/content/../package.json', '/content/%2e%2e/package.json', '/content/media/']) {
      const res = await server.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBeGreaterThanOrEqual(400);
    }
  });
});
