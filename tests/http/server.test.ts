import { Redis } from 'ioredis';
import mongoose from 'mongoose';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { createServer, isLoopback } from '../../src/http/server.js';
import { registerWebhook } from '../../src/http/webhook.js';
import { httpLogger, scrub } from '../../src/http/log.js';
import { Metrics } from '../../src/metrics.js';
import { loadConfig } from '../../src/config.js';
import { captureLog } from '../support/log-capture.js';
import { testConfig } from '../support/env.js';

const silent = pino({ level: 'silent' });
const closers: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const close of closers) await close().catch(() => undefined);
});

describe('GET /readyz', () => {
  it('should answer 200 when every check answers', async () => {
    const server = createServer({ metrics: new Metrics(), logger: silent, checks: { a: async () => 'PONG', b: async () => 1 } });
    expect((await server.inject({ url: '/readyz' })).statusCode).toBe(200);
  });

  it('should answer 503 within a second when Redis does not answer, naming it', async () => {
    // As the application connects: commands wait for Redis instead of failing.
    const dead = new Redis('redis://127.0.0.1:1', { maxRetriesPerRequest: null, lazyConnect: false });
    dead.on('error', () => undefined);
    closers.push(async () => dead.disconnect());
    const db = mongoose.createConnection(testConfig().MONGODB_URL);
    await db.asPromise();
    closers.push(() => db.close());
    const log = captureLog();
    const server = createServer({ metrics: new Metrics(), logger: log.logger, checks: { mongodb: () => db.db!.admin().ping(), redis: () => dead.ping() } });
    const started = Date.now();
    const res = await server.inject({ url: '/readyz' });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({ ok: false, failing: ['redis'] });
    expect(log.lines().some((l) => l.level === 50 && l.msg === 'not ready')).toBe(true);
  });

  it('should answer 503 within a second when MongoDB does not answer, or a check fails at once', async () => {
    const server = createServer({
      metrics: new Metrics(),
      logger: silent,
      checks: { mongodb: () => new Promise(() => undefined), redis: async () => 'PONG', broken: () => { throw new Error('no db'); } },
    });
    const started = Date.now();
    const res = await server.inject({ url: '/readyz' });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({ ok: false, failing: ['mongodb', 'broken'] });
  });
});

describe('GET /metrics', () => {
  const TOKEN = 'metrics-token-0123456789';

  it('should want the bearer token when METRICS_TOKEN is set, from anywhere', async () => {
    const server = createServer({ metrics: new Metrics(), logger: silent, checks: {}, metricsToken: TOKEN });
    const get = (headers: Record<string, string>, remoteAddress = '203.0.113.7') => server.inject({ url: '/metrics', headers, remoteAddress });
    const attempts: Record<string, string>[] = [{}, { authorization: 'Bearer wrong' }, { authorization: TOKEN }, { authorization: `Basic ${TOKEN}` }, { authorization: `Bearer ${TOKEN}x` }];
    for (const headers of attempts) {
      const res = await get(headers);
      expect(res.statusCode, JSON.stringify(headers)).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer');
    }
    const ok = await get({ authorization: `Bearer ${TOKEN}` });
    expect(ok.statusCode).toBe(200);
    expect(ok.body).toContain('cds_updates_handled_total');
    expect((await get({ authorization: `bearer ${TOKEN}` })).statusCode).toBe(200);
  });

  it('should answer only this machine when METRICS_TOKEN is unset', async () => {
    const server = createServer({ metrics: new Metrics(), logger: silent, checks: {} });
    for (const remoteAddress of ['127.0.0.1', '::1', '::ffff:127.0.0.1']) {
      expect((await server.inject({ url: '/metrics', remoteAddress })).statusCode, remoteAddress).toBe(200);
    }
    for (const remoteAddress of ['10.0.0.5', '203.0.113.7', '::ffff:10.0.0.5', '2001:db8::1']) {
      expect((await server.inject({ url: '/metrics', remoteAddress, headers: { 'x-forwarded-for': '127.0.0.1' } })).statusCode, remoteAddress).toBe(403);
    }
  });

  it('should read METRICS_TOKEN from the environment, and refuse a short one', () => {
    expect(loadConfig({ METRICS_TOKEN: TOKEN }).METRICS_TOKEN).toBe(TOKEN);
    expect(loadConfig({}).METRICS_TOKEN).toBeUndefined();
    expect(() => loadConfig({ METRICS_TOKEN: 'short' })).toThrow(/METRICS_TOKEN/);
  });

  it('should know loopback addresses', () => {
    expect(isLoopback('127.8.9.10')).toBe(true);
    expect(isLoopback('1127.0.0.1')).toBe(false);
    expect(isLoopback(undefined)).toBe(false);
  });
});

describe('what the server logs', () => {
  const BOT_TOKEN = '7000000001:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw';
  const SECRET = 'webhook_Secret-987';
  const METRICS = 'metrics-token-abcdefghijkl';

  it('should log every 5xx with its error and never a token, secret header or query secret', async () => {
    const log = captureLog('trace');
    const server = createServer({ metrics: new Metrics(), logger: log.logger, checks: {}, metricsToken: METRICS });
    await registerWebhook(server, {
      path: '/webhooks/test',
      secretHeader: 'x-telegram-bot-api-secret-token',
      secret: SECRET,
      receive: async () => {
        throw Object.assign(new Error(`request to https://api.telegram.org/bot${BOT_TOKEN}/sendMessage failed, token ${BOT_TOKEN}`), {
          config: { url: `https://api.telegram.org/bot${BOT_TOKEN}/getMe`, headers: { authorization: `Bearer ${METRICS}` } },
        });
      },
    });
    server.get('/boom', async () => {
      throw new Error(`boom with ${BOT_TOKEN}`);
    });
    const headers = { 'x-telegram-bot-api-secret-token': SECRET, authorization: `Bearer ${METRICS}`, cookie: `s=${SECRET}`, 'content-type': 'application/json' };
    const failed = await server.inject({ method: 'POST', url: `/webhooks/test?token=${BOT_TOKEN}&secret_token=${SECRET}`, headers, payload: '{"update_id":1}' });
    expect(failed.statusCode).toBe(500);
    expect((await server.inject({ url: `/boom?key=${METRICS}`, headers })).statusCode).toBe(500);
    expect((await server.inject({ url: `/bot${BOT_TOKEN}/getMe?token=${BOT_TOKEN}`, headers })).statusCode).toBe(404);
    expect((await server.inject({ method: 'POST', url: `/webhooks/test?token=${BOT_TOKEN}`, headers: { ...headers, 'x-telegram-bot-api-secret-token': `${SECRET}x` }, payload: '{}' })).statusCode).toBe(401);

    const text = log.text();
    for (const secret of [BOT_TOKEN, SECRET, METRICS, 'AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw']) expect(text).not.toContain(secret);
    const errors = log.lines().filter((l) => l.level === 50);
    expect(errors).toHaveLength(2);
    for (const e of errors) expect(e.err).toMatchObject({ message: expect.stringContaining('[redacted]') });
    expect(errors.map((e) => e.msg)).toEqual(['webhook update not queued', 'request failed']);
  });

  it('should scrub tokens in URLs and query strings', () => {
    expect(scrub(`https://api.telegram.org/bot${BOT_TOKEN}/x?token=abc&x=1`)).toBe('https://api.telegram.org/bot[redacted]/x?token=[redacted]&x=1');
  });

  it('should redact secret headers in anything logged through it', () => {
    const log = captureLog();
    httpLogger(log.logger).warn({ req: { headers: { authorization: `Bearer ${METRICS}`, 'x-bot-api-secret-token': SECRET } }, headers: { 'x-telegram-bot-api-secret-token': SECRET }, token: BOT_TOKEN }, 'x');
    expect(log.text()).not.toContain(SECRET);
    expect(log.text()).not.toContain(METRICS);
    expect(log.text()).not.toContain(BOT_TOKEN);
    expect(log.text()).toContain('[redacted]');
  });
});
