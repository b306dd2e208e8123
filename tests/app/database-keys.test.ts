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

const prefix = uniqueName('cdsdbkeys');
const configs: Config[] = [testConfig({ CHAT_GAP_MS: '0' }), testConfig({ CHAT_GAP_MS: '0' })];
let first: App;
let second: App;

const start = (config: Config) => createApp({ config, role: 'web', root: ROOT, channels: [], listen: false, queuePrefix: prefix, logger: pino({ level: 'silent' }) });

beforeAll(async () => {
  first = await start(configs[0]!);
  second = await start(configs[1]!);
}, 30_000);
afterAll(async () => {
  await first?.stop().catch(() => undefined);
  await second?.stop().catch(() => undefined);
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
});
