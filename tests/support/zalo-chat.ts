/** Drives the application as a Zalo user would, through the fake Zalo server, and reads the bot's texts. */
import { createServer } from 'node:net';
import type { App } from '../../src/app/index.js';
import type { Course, Question } from '../../src/core/course.js';
import { findFinalQuestion, findLesson, lessonsOf } from '../../src/core/course.js';
import { MongoEnrolmentStore } from '../../src/storage/stores.js';
import { eventually } from './env.js';
import { shownAt } from './final-answers.js';
import { type FakeZalo, zaloText } from './fake-zalo.js';

/** A port nobody listens on now, so PUBLIC_BASE_URL can name it before the server starts. */
export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  await new Promise((r) => srv.close(r));
  return port;
}

export class ZaloUser {
  constructor(
    private readonly fake: FakeZalo,
    private readonly app: App,
    readonly userId: string,
    private readonly via: 'webhook' | 'polling',
  ) {}

  get conversation() {
    return `zalo:${this.userId}` as const;
  }

  /** Delivers an event and resolves the texts the bot sent back once everything is quiet. */
  async deliver(event: unknown): Promise<string[]> {
    const before = this.fake.textsTo(this.userId).length;
    if (this.via === 'webhook') {
      const status = await this.fake.deliver(event);
      if (status !== 200) throw new Error(`webhook answered ${status}`);
    } else {
      this.fake.push(event);
    }
    await eventually(async () => this.fake.textsTo(this.userId).length > before && (await this.app.idle()), `a reply to ${this.userId}`);
    return this.fake.textsTo(this.userId).slice(before);
  }

  say(text: string): Promise<string[]> {
    return this.deliver(zaloText(this.userId, text));
  }

  async enrolment() {
    const learner = await this.app.learners.findByConversation(this.conversation);
    return learner ? new MongoEnrolmentStore(this.app.db.models).find(learner.id, learner.cohortId) : null;
  }

  /** Studies lesson after lesson, answering every check question correctly, until every lesson is done. */
  async studyEverything(course: Course): Promise<void> {
    const total = lessonsOf(course).length;
    for (let step = 0; step < 1000; step++) {
      const e = (await this.enrolment())!;
      if (e.completedLessons.length === total) return;
      const c = e.cursor;
      if (c.at === 'question') {
        const q = findLesson(course, c.lessonId)!.questions.find((x) => x.id === c.questionId)!;
        await this.say(letterFor(q));
      } else {
        await this.say(c.at === 'card' ? 'tiếp tục' : 'tiep');
      }
    }
    throw new Error('the course did not end');
  }

  /** Takes the final test, answering every question right (or every one wrong). */
  async takeFinal(course: Course, right = true): Promise<string[]> {
    await this.say('/kiemtra');
    let last = await this.say('1');
    for (let i = 0; i < course.final.questions; i++) {
      const e = (await this.enrolment())!;
      const attempt = e.finalAttempts.at(-1)!;
      const q = findFinalQuestion(course, attempt.questionIds[i]!)!;
      const at = shownAt(attempt, i, q, right ? q.correctIndex : (q.correctIndex + 1) % q.options.length);
      last = await this.say(right ? String.fromCharCode(65 + at) : String.fromCharCode(97 + at));
    }
    return last;
  }
}

/** The letter of the right option (shift > 0: a wrong one). */
export function letterFor(q: Question, shift = 0): string {
  return String.fromCharCode(65 + ((q.correctIndex + shift) % q.options.length));
}
