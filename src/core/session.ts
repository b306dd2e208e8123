/** Everything one inbound event is handled with: the learner, their enrolment, the course, and the reply being built. */
import { pick, type Course, type Locale, type Localized } from './course.js';
import type { InboundEvent, OutboundMessage } from './messages.js';
import type { AnswerContext, Cohort, Enrolment, Learner } from './model.js';
import type { RecordResult } from './ports.js';
import type { TutorDeps } from './ports.js';
import type { ReviewDeck } from './review.js';

export class Session {
  readonly out: OutboundMessage[] = [];
  /** The learner's review deck once read (review-flow.ts `deckOf`); undefined until then. */
  reviewDeck: ReviewDeck | undefined;
  /** This update changed the deck: it is saved with the decision. */
  reviewChanged = false;

  constructor(
    readonly deps: TutorDeps,
    readonly event: InboundEvent,
    public learner: Learner,
    readonly cohort: Cohort,
    readonly course: Course,
    public enrolment: Enrolment | null,
  ) {}

  get locale(): Locale {
    return this.learner.locale;
  }

  get now(): Date {
    return this.deps.clock.now();
  }

  t(key: string, vars?: Record<string, unknown>): string {
    return this.deps.i18n.t(this.locale, key, vars);
  }

  text(value: Localized): string {
    return pick(value, this.locale);
  }

  say(message: OutboundMessage | string): void {
    this.out.push(typeof message === 'string' ? { text: message } : message);
  }

  /** A date in the learner's time zone, e.g. 22/05/2022 23:59. */
  formatDate(date: Date): string {
    const parts = Object.fromEntries(
      new Intl.DateTimeFormat('en-GB', {
        timeZone: this.deps.timezone,
        day: '2-digit',
        month: '2-digit',
        year: 'numeric',
        hour: '2-digit',
        minute: '2-digit',
        hourCycle: 'h23',
      })
        .formatToParts(date)
        .map((p) => [p.type, p.value]),
    );
    return `${parts.day}/${parts.month}/${parts.year} ${parts.hour}:${parts.minute}`;
  }

  /** Appends the learner's answer (append-only; 'duplicate' when this update or question slot was already recorded). */
  recordAnswer(cohortId: string, questionId: string, chosenIndex: number, correct: boolean, context: AnswerContext, attempt?: number): Promise<RecordResult> {
    return this.deps.answers.record({
      learnerId: this.learner.id,
      cohortId,
      questionId,
      chosenIndex,
      correct,
      context,
      ...(attempt !== undefined ? { attempt } : {}),
      channel: this.event.channel,
      updateId: this.event.updateId,
      at: this.now,
    });
  }

  windowState(): 'before' | 'open' | 'closed' {
    const now = this.now.getTime();
    if (now < this.cohort.opensAt.getTime()) return 'before';
    if (now > this.cohort.closesAt.getTime()) return 'closed';
    return 'open';
  }
}
