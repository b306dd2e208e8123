/**
 * A bare send worker for the planning benches, in a process of its own (so the planner's RSS is
 * measured alone): completes each job of a channel's send queue at once, and takes it out of its
 * chat's order as the send worker does once a message is sent (src/scheduler/pacing.ts), so Redis
 * holds only what the planner's window lets wait. Stops on SIGTERM; prints how many it completed.
 *   node --import tsx bench/drain.ts --prefix P [--channel telegram] [--concurrency 64]
 */
import { parseArgs } from 'node:util';
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { loadConfig } from '../src/config.js';
import { sendQueueName, type SendJob } from '../src/scheduler/jobs.js';
import { ChatPacing } from '../src/scheduler/pacing.js';
import type { ChannelName } from '../src/core/model.js';

const { values } = parseArgs({ options: { prefix: { type: 'string' }, channel: { type: 'string', default: 'telegram' }, concurrency: { type: 'string', default: '64' } } });
const prefix = values.prefix!;
const config = loadConfig();
const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: null });
const pacing = new ChatPacing(redis, prefix);
let done = 0;
const worker = new Worker<SendJob>(
  sendQueueName(values.channel as ChannelName),
  async (job) => {
    await pacing.release(job.data.conversation, job.id!);
    done += 1;
    return 'drained';
  },
  { connection: redis, prefix, concurrency: Number(values.concurrency) },
);
await worker.waitUntilReady();
process.stdout.write('ready\n');
process.on('SIGTERM', () => {
  void worker.close().then(async () => {
    process.stdout.write(`${JSON.stringify({ drained: done, drainRssMB: Math.round(process.memoryUsage().rss / 1e6), drainCpuSeconds: Number(((process.cpuUsage().user + process.cpuUsage().system) / 1e6).toFixed(1)) })}\n`);
    await redis.quit();
    process.exit(0);
  });
});
