import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { UnrecoverableError, Worker } from 'bullmq';
import { Queues } from '../../src/scheduler/queues.js';
import { ROOT, eventually, testConfig, uniqueName } from '../support/env.js';
import { dropRun } from '../support/cleanup.js';
import { reply } from '../support/jobs.js';

const run = promisify(execFile);
const config = testConfig();
const prefix = uniqueName('cdscli');
let redis: Redis;
let queues: Queues;

async function cli(env: Record<string, string>, ...args: string[]): Promise<string> {
  const r = await run('node', ['--import', 'tsx', 'src/cli/index.ts', ...args], { cwd: ROOT, env: { ...process.env, MONGODB_URL: config.MONGODB_URL, ...env } });
  return r.stdout;
}

beforeAll(async () => {
  redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: null });
  queues = new Queues({ connection: redis, prefix });
  // A message that failed for good, on a queue under this run's own prefix.
  const worker = new Worker(
    'send-telegram',
    async () => {
      throw new UnrecoverableError('rejected: 400 Bad Request: chat not found');
    },
    { connection: redis, prefix },
  );
  const job = await queues.send.telegram.add('reply', reply('telegram:123456', 'Xin chào'), { jobId: 'cli-failed-1' });
  await eventually(async () => (await job.getState()) === 'failed', 'the job to fail');
  await worker.close();
});

afterAll(async () => {
  await queues.close();
  await redis.quit();
  await dropRun(config, prefix);
});

describe('npm run cli -- queue', () => {
  it('should read the queues of QUEUE_PREFIX when listing failed messages', async () => {
    const lines = (await cli({ QUEUE_PREFIX: prefix }, 'queue', 'failed', '--channel', 'telegram')).trim().split('\n');
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      expect.objectContaining({ channel: 'telegram', jobId: 'cli-failed-1', reason: 'reply', conversation: 'telegram:123456', error: expect.stringContaining('chat not found') }),
    ]);
  });

  it('should find nothing under another prefix', async () => {
    expect((await cli({ QUEUE_PREFIX: `${prefix}x` }, 'queue', 'failed', '--channel', 'telegram')).trim()).toBe('');
  });

  it('should count the jobs of QUEUE_PREFIX per queue and state', async () => {
    const counts = JSON.parse(await cli({ QUEUE_PREFIX: prefix }, 'queue', 'counts')) as Record<string, Record<string, number>>;
    expect(counts['send-telegram']).toMatchObject({ failed: 1, waiting: 0 });
    expect(Object.keys(counts)).toEqual(expect.arrayContaining(['inbound', 'plan', 'send-telegram', 'send-zalo', 'send-console']));
  });
});
