/**
 * Two apps on one Redis and one QUEUE_PREFIX but two databases (a deployment pointed at a new,
 * empty database): the Redis copies of one database's records must never answer for the other's.
 * They once did: the copies were keyed by the queue prefix alone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { createApp, type App } from '../../src/app/index.js';
import { ROOT, testConfig, uniqueName } from '../support/env.js';
import { dropRun } from '../support/cleanup.js';
import type { Config } from '../../src/config.js';
import { Redis } from 'ioredis';

const prefix = uniqueName('cdsdbkeys');
const configs: Config[] = [testConfig({ CHAT_GAP_MS: '0' }), testConfig({ CHAT_GAP_MS: '0' })];
let first: App;
let second: App;

const databaseOf = (config: Config) => new URL(config.MONGODB_URL).pathname.slice(1);
const start = (config: Config) => createApp({ config, role: 'web', root: ROOT, channels: [], listen: false, queuePrefix: prefix, logger: pino({ level: 'silent' }) });

const redis = new Redis(configs[0]!.REDIS_URL);

beforeAll(async () => {
  // What an earlier version left under the bare prefix: a cohort's sweep marks (one fold cut short) and a block.
  await redis.sadd(`${prefix}:sweep:dirty:demo`, 'learner-a|demo');
  await redis.sadd(`${prefix}:sweep:folding:demo`, 'learner-b|demo');
  await redis.hset(`${prefix}:blocked`, 'zalo:old', '1700000000000');
  first = await start(configs[0]!);
  second = await start(configs[1]!);
}, 30_000);
afterAll(async () => {
  await first?.stop().catch(() => undefined);
  await second?.stop().catch(() => undefined);
  await redis.quit();
  for (const config of configs) await dropRun(config, prefix);
});

describe('the Redis copies of records, per database', () => {
  it('should not show one database’s learner, link or block to an app on another database', async () => {
    const conversation = 'telegram:4242' as const;
    const learner = await first.learners.create({
      conversations: [conversation],
      unreachable: [],
      profile: { fullName: 'Nguyễn Văn An', province: 'Nghệ An' },
      locale: 'vi',
      cohortId: 'demo',
      stopped: false,
      onboarded: true,
      createdAt: new Date(),
    });
    // Read through the first app: its link, its record and the block are now copied in Redis.
    expect((await first.learners.findByConversation(conversation))?.id).toBe(learner.id);
    expect((await first.learners.findById(learner.id))?.profile.fullName).toBe('Nguyễn Văn An');
    await first.reachability.markBlocked(conversation, new Date());
    expect(await first.reachability.blockedSince(conversation)).not.toBeNull();

    expect(await second.learners.findByConversation(conversation)).toBeNull();
    expect(await second.learners.findById(learner.id)).toBeNull();
    expect(await second.reachability.blockedSince(conversation)).toBeNull();
  });

  it('should move the sweep marks and blocks an earlier version kept under the bare prefix to the first database started', async () => {
    const records = `${prefix}:db:${databaseOf(configs[0]!)}`;
    expect((await redis.smembers(`${records}:sweep:dirty:demo`)).sort()).toEqual(['learner-a|demo', 'learner-b|demo']);
    expect(await redis.exists(`${prefix}:sweep:dirty:demo`, `${prefix}:sweep:folding:demo`, `${prefix}:blocked`)).toBe(0);
    expect(await first.reachability.blockedSince('zalo:old')).toEqual(new Date(1700000000000));
    expect(await second.reachability.blockedSince('zalo:old')).toBeNull();
  });

  it('should keep the update log under the queue prefix, beside the updates’ jobs', async () => {
    await first.updates.done('telegram:77');
    expect(await first.updates.find('telegram:77')).toEqual({ reply: [], done: true });
    expect(await redis.exists(`${prefix}:update:telegram:77`)).toBe(1);
  });
});
