/** `queue counts` and `queue failed`: what operators look at when messages do not arrive. */
import type { Command } from 'commander';
import { CHANNELS, type ChannelName } from '../core/model.js';
import { withServices, type CliContext } from './context.js';
import { CliInputError } from './cohort.js';
import { reasonOf } from '../scheduler/jobs.js';

function channelsFrom(option: string | undefined): ChannelName[] {
  if (option === undefined) return [...CHANNELS];
  if (!(CHANNELS as readonly string[]).includes(option)) throw new CliInputError(`--channel must be one of ${CHANNELS.join(', ')}`);
  return [option as ChannelName];
}

export function registerQueueCommands(program: Command): void {
  const queue = program.command('queue').description('inspect the send and planning queues');
  queue
    .command('counts')
    .description('jobs per queue and state, as JSON')
    .action(() =>
      withServices(async (ctx: CliContext) => {
        const out: Record<string, Record<string, number>> = {};
        for (const d of await ctx.queues.depths(['waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed'])) (out[d.queue] ??= {})[d.state] = d.count;
        ctx.print(JSON.stringify(out, null, 2));
      }),
    );
  queue
    .command('failed')
    .description('messages that failed for good (dead letters), newest first, as JSON lines')
    .option('--channel <channel>', `one of ${CHANNELS.join(', ')} (default all)`)
    .option('--limit <n>', 'at most this many per channel', '50')
    .action((o: { channel?: string; limit: string }) =>
      withServices(async (ctx: CliContext) => {
        const limit = Number(o.limit);
        if (!Number.isInteger(limit) || limit < 1) throw new CliInputError('--limit must be a positive whole number');
        for (const channel of channelsFrom(o.channel)) {
          for (const job of await ctx.queues.send[channel].getFailed(0, limit - 1)) {
            ctx.print(
              JSON.stringify({
                channel,
                jobId: job.id,
                reason: reasonOf(job.data),
                conversation: job.data.conversation,
                push: job.data.kind === 'push' ? job.data.push.key : undefined,
                attempts: job.attemptsMade,
                failedAt: job.finishedOn ? new Date(job.finishedOn).toISOString() : undefined,
                error: job.failedReason,
              }),
            );
          }
        }
      }),
    );
}
