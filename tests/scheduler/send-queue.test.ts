import { afterEach, describe, expect, it } from 'vitest';
import { SendError } from '../../src/channels/shared/errors.js';
import { jobId } from '../../src/scheduler/jobs.js';
import type { OutgoingJob } from '../../src/scheduler/outbox.js';
import { eventually } from '../support/env.js';
import { schedulingHarness, type SchedulingHarness } from '../support/scheduling.js';
import { reply } from '../support/jobs.js';

const opensAt = new Date('2026-05-20T00:00:00+07:00');
const closesAt = new Date('2026-06-10T23:59:00+07:00');

let h: SchedulingHarness;
afterEach(() => h?.close());

async function harness() {
  h = await schedulingHarness({ opensAt, closesAt, reminders: ['P1D'], quietHours: null, lessonHour: 8 });
  return h;
}

function text(conversation: string, body: string, opts?: OutgoingJob['opts']): OutgoingJob {
  return { data: reply(conversation as `console:${string}`, body), jobId: jobId('t', body), opts };
}

describe('send queue', () => {
  it('should pause the whole channel for retry_after on a 429, then deliver the refused message once and first', async () => {
    await harness();
    h.adapter.failNext('chat1', new SendError('rate_limited', 'Too Many Requests: retry after 1', 1000));
    await h.outbox.add([text('console:chat1', 'first'), text('console:chat2', 'second')]);
    h.startSender({ concurrency: 1 });
    await h.drained();
    expect(h.adapter.calls).toBe(3);
    expect(h.adapter.sent.map((s) => s.messages[0]!.text)).toEqual(['first', 'second']);
    expect(await h.metrics.messagesThrottled.get()).toMatchObject({ values: [{ labels: { channel: 'console', by: 'platform' }, value: 1 }] });
  });

  it('should keep the order of one chats messages across workers and across a retry', async () => {
    await harness();
    const bodies = ['m1', 'm2', 'm3', 'm4', 'm5', 'm6'];
    h.adapter.failNext('same', new SendError('network', 'ECONNRESET'));
    await h.outbox.add(bodies.map((b) => text('console:same', b, { attempts: 3, backoff: { type: 'fixed', delay: 300 } })));
    await h.outbox.add([text('console:other', 'o1')]);
    h.startSender({ concurrency: 3 });
    h.startSender({ concurrency: 3 });
    await h.drained();
    expect(h.adapter.texts('same')).toEqual(bodies);
    expect(h.adapter.texts('other')).toEqual(['o1']);
    expect(h.adapter.calls).toBe(8);
  });

  it('should mark a learner who blocked the bot unreachable and drop their queued messages', async () => {
    await harness();
    const blocker = await h.learner('Chặn Bot');
    const other = await h.learner('Vẫn Nhận');
    h.adapter.failNext(blocker.address, new SendError('blocked', 'Forbidden: bot was blocked by the user'));
    await h.outbox.add([
      text(blocker.conversation, 'b1'),
      text(blocker.conversation, 'b2'),
      text(other.conversation, 'x1'),
      text(blocker.conversation, 'b3'),
    ]);
    h.startSender();
    await h.drained();
    expect(h.adapter.texts(blocker.address)).toEqual([]);
    expect(h.adapter.texts(other.address)).toEqual(['x1']);
    const doc = await h.db.models.Learner.findById(blocker.id).lean<{ unreachable: string[] }>();
    expect(doc!.unreachable).toEqual([blocker.conversation]);
    const failed = await h.queues.send.console.getFailed();
    expect(failed.map((j) => j.failedReason)).toEqual([expect.stringContaining('blocked')]);
  });

  it('should retry other failures with back-off, then leave the job failed for operators', async () => {
    await harness();
    h.adapter.failNext('flaky', new SendError('network', 'ECONNRESET'), new SendError('network', 'ECONNRESET'));
    h.adapter.failNext('down', new SendError('network', 'ETIMEDOUT'), new SendError('network', 'ETIMEDOUT'));
    const fast = { attempts: 3, backoff: { type: 'fixed', delay: 50 } };
    await h.outbox.add([text('console:flaky', 'eventually', fast), text('console:down', 'never', { ...fast, attempts: 2 })]);
    h.startSender();
    await h.drained();
    expect(h.adapter.texts('flaky')).toEqual(['eventually']);
    expect(h.adapter.texts('down')).toEqual([]);
    const failed = await h.queues.send.console.getFailed();
    expect(failed.map((j) => [j.id, j.attemptsMade, j.failedReason])).toEqual([['t-never', 2, 'ETIMEDOUT']]);
  });

  it('should send a scheduled push once when its first attempt failed after claiming it', async () => {
    await harness();
    const a = await h.learner();
    h.clock.current = new Date(closesAt.getTime() - 24 * 3600_000 + 60_000);
    await h.planner().planReminders();
    const [job] = await h.queues.send.console.getWaiting();
    // The same job again with quick retries, so the test need not wait for the production back-off.
    await h.queues.send.console.remove(job!.id!);
    await h.outbox.add([{ data: job!.data, jobId: job!.id!, opts: { attempts: 3, backoff: { type: 'fixed', delay: 50 } } }]);
    h.adapter.failNext(a.address, new SendError('network', 'socket hang up'));
    h.startSender();
    await h.drained();
    expect(h.adapter.texts(a.address)).toHaveLength(1);
    await eventually(async () => (await h.db.models.ScheduledSend.countDocuments({ state: 'sent' })) === 1, 'the reminder recorded as sent');
  });
});
