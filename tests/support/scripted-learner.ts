/**
 * A Telegram learner with a fixed script, for load and crash tests: onboards by the buttons and
 * words a person would use, then follows the last message's buttons (`next`, or the right answer
 * of the check question found in the course), waiting for the whole reply to each update before
 * the next step, as a person reads before tapping. The reply counts as arrived when its send job
 * (`reply-telegram-<updateId>`) has completed, i.e. every message of it reached the fake Bot API.
 */
import type { App } from '../../src/app/index.js';
import { lessonsOf, type Course, type Question } from '../../src/core/course.js';
import { jobId } from '../../src/scheduler/jobs.js';
import type { FakeTelegram, Update } from './fake-telegram.js';
import { TelegramUser } from './telegram.js';

export interface Step {
  updateId: number;
  /** What the learner did: `> text` typed, `[data]` pressed. */
  input: string;
  postedAt: number;
  repliedAt?: number;
  /** Set on a check-question answer. */
  answer?: { questionId: string; lessonId: string };
}

type Action = { say: string } | { press: string };

/** SPEC §4 onboarding on the demo cohort (no district), hour 06:00 (see the crash test on why). */
export const ONBOARDING: Action[] = [
  { say: '/start' },
  { press: 'lang:vi' },
  { say: 'Nguyễn Thị Hoa' },
  { press: 'role:chair' },
  { say: 'Nghệ An' },
  { say: 'Xã Diễn Châu' },
  { press: 'consent:yes' },
  { press: 'hour:6' },
];

export interface ScriptOptions {
  /** Steps through the course after onboarding (`next` presses and answers). */
  courseSteps: number;
  /** How long one update may wait for its reply. */
  stepTimeoutMs: number;
  /** Between two looks at the reply job. @defaultValue 150 */
  pollMs?: number;
}

export class ScriptedLearner {
  readonly user: TelegramUser;
  readonly steps: Step[] = [];
  /** Webhook answers other than 200, with the update they were for. */
  readonly refused: { updateId: number; status: number }[] = [];
  private readonly questions = new Map<string, { q: Question; lessonId: string }>();

  constructor(
    private readonly fake: FakeTelegram,
    private readonly app: App,
    course: Course,
    private readonly opts: ScriptOptions,
  ) {
    this.user = new TelegramUser(fake, app);
    for (const l of lessonsOf(course)) for (const q of l.questions) this.questions.set(q.id, { q, lessonId: l.id });
  }

  get chatId(): number {
    return this.user.chatId;
  }

  /** The callback data of the last message that had buttons. */
  buttons(): string[] {
    return this.user.buttons().map((b) => b.callback_data);
  }

  async run(): Promise<void> {
    for (const action of ONBOARDING) {
      if ('say' in action) await this.send(this.user.textUpdate(action.say), `> ${action.say}`);
      else {
        if (!this.buttons().includes(action.press)) throw new Error(`chat ${this.chatId}: ${action.press} is not offered; buttons: ${this.buttons().join(', ')}\n${this.user.lastText()}`);
        await this.send(this.user.pressUpdate(action.press), `[${action.press}]`);
      }
    }
    for (let i = 0; i < this.opts.courseSteps; i++) {
      const offered = this.buttons();
      if (offered.includes('next')) {
        await this.send(this.user.pressUpdate('next'), '[next]');
      } else if (offered[0]?.startsWith('ans:')) {
        const qid = offered[0].split(':')[1]!;
        const found = this.questions.get(qid);
        if (!found) throw new Error(`chat ${this.chatId}: no question ${qid} in the course`);
        const data = `ans:${qid}:${found.q.correctIndex}`;
        await this.send(this.user.pressUpdate(data), `[${data}]`, { questionId: qid, lessonId: found.lessonId });
      } else {
        return;
      }
    }
  }

  private async send(update: Update, input: string, answer?: Step['answer']): Promise<void> {
    const step: Step = { updateId: update.update_id, input, postedAt: Date.now(), ...(answer ? { answer } : {}) };
    this.steps.push(step);
    const status = await this.fake.push(update);
    if (status !== 200) {
      this.refused.push({ updateId: update.update_id, status });
      throw new Error(`chat ${this.chatId}: the webhook answered ${status} to update ${update.update_id}`);
    }
    await this.replied(step);
  }

  /** Waits until the reply job of the update has completed (every message of it sent). */
  private async replied(step: Step): Promise<void> {
    const id = jobId('reply', 'telegram', String(step.updateId));
    const end = step.postedAt + this.opts.stepTimeoutMs;
    const poll = this.opts.pollMs ?? 150;
    for (;;) {
      const job = await this.app.queues.send.telegram.getJob(id);
      if (job?.finishedOn) {
        const state = await job.getState();
        if (state !== 'completed') throw new Error(`chat ${this.chatId}: the reply to update ${step.updateId} (${step.input}) ended ${state}: ${job.failedReason}`);
        step.repliedAt = Date.now();
        return;
      }
      if (Date.now() > end) throw new Error(`chat ${this.chatId}: no reply to update ${step.updateId} (${step.input}) within ${this.opts.stepTimeoutMs} ms`);
      await new Promise((r) => setTimeout(r, poll));
    }
  }
}
