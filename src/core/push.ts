/**
 * Messages the tutor sends unprompted: the daily lesson, deadline reminders and inactivity
 * nudges. Composed just before sending, so they reflect where the learner is at that moment.
 */
import { topicsOf, type Course } from './course.js';
import type { OutboundMessage } from './messages.js';
import { channelOf, type Cohort, type ConversationId, type Enrolment, type Learner } from './model.js';
import type { TutorDeps } from './ports.js';
import { Session } from './session.js';
import { currentStep, showNextLesson } from './learning.js';
import { finishedAttempts } from './final-test.js';
import { daysInactive, hasUnfinishedLessons, pushBlocker, timeLeft, type PushKind } from './schedule.js';
import { dueCount, startDailyRound } from './review-flow.js';

export interface PushRequest {
  kind: PushKind;
  learnerId: string;
  cohortId: string;
  conversation: ConversationId;
  /** Nudges: the last activity the nudge is about; a later activity makes it moot. */
  gapStart?: string;
}

export type PushResult = { messages: OutboundMessage[] } | { skipped: string };

export class Pushes {
  constructor(private readonly deps: TutorDeps) {}

  /**
   * The messages of one scheduled push, or why it is no longer due. A lesson push moves the
   * cursor as `/hoc` would, under the learner's lease, so it never races their own messages.
   */
  compose(req: PushRequest): Promise<PushResult> {
    return this.deps.leases.run(`learner:${req.learnerId}`, () => this.composeOnce(req));
  }

  private async composeOnce(req: PushRequest): Promise<PushResult> {
    const now = this.deps.clock.now();
    const learner = await this.deps.learners.findById(req.learnerId);
    const cohort = await this.deps.cohorts.get(req.cohortId);
    const course = cohort ? this.deps.catalog.get(cohort.courseId) : undefined;
    const enrolment = learner && cohort ? await this.deps.enrolments.find(learner.id, cohort.id) : null;
    const blocker = pushBlocker(req.kind, { learner, enrolment, cohort, course, now });
    if (blocker) return { skipped: blocker };
    // Reachability was checked by the send worker before composing; a conversation moved to another learner since is not theirs.
    if (!learner!.conversations.includes(req.conversation)) return { skipped: 'unreachable' };
    if (req.kind === 'nudge' && req.gapStart && enrolment!.lastActivityAt.getTime() !== new Date(req.gapStart).getTime()) {
      return { skipped: 'active_again' };
    }
    const s = this.session(req, learner!, cohort!, enrolment!, course!);
    const e = enrolment!;
    if (req.kind === 'lesson' && !hasUnfinishedLessons(course!, e)) return this.reviewPush(s);
    if (req.kind === 'lesson') {
      s.say(s.t('push.lesson'));
      const reviews = await dueCount(s);
      if (reviews > 0) s.say(s.t('review.pushAfterLesson', { count: reviews }));
      const step = currentStep(s, e);
      if (step) s.say(step);
      else {
        const before = JSON.stringify(e.cursor);
        showNextLesson(s, e);
        if (JSON.stringify(e.cursor) !== before || e.status !== enrolment!.status) await this.deps.enrolments.save(e);
      }
    } else if (req.kind === 'reminder') {
      s.say(this.reminderText(s, e));
    } else {
      s.say(s.t('push.nudge', { count: Math.max(1, daysInactive(e.lastActivityAt, now)), name: learner!.profile.fullName ?? '' }));
    }
    return { messages: s.out };
  }

  /**
   * The daily push of a learner whose lessons are done: the day's review round (at most three
   * questions), saved as the learner's open prompt so that their answers are taken as its answers.
   */
  private async reviewPush(s: Session): Promise<PushResult> {
    if (!(await startDailyRound(s, 'review.push'))) return { skipped: 'nothing_due' };
    await this.deps.learners.save(s.learner);
    if (s.reviewDeck) await this.deps.reviews.save(s.reviewDeck);
    if (s.enrolment) await this.deps.enrolments.save(s.enrolment);
    return { messages: s.out };
  }

  private session(req: PushRequest, learner: Learner, cohort: Cohort, enrolment: Enrolment, course: Course): Session {
    // Pushes answer no update: a synthetic event gives the session its conversation and channel.
    const event = { conversation: req.conversation, channel: channelOf(req.conversation), updateId: `push-${req.kind}`, kind: 'text' as const, text: '', at: this.deps.clock.now() };
    return new Session(this.deps, event, learner, cohort, course, enrolment);
  }

  /** "3 days left until 22/05/2022 23:59: 2 topics and the final test to go." */
  private reminderText(s: Session, e: Enrolment): string {
    const left = timeLeft(s.cohort.closesAt, s.now);
    const done = new Set(e.completedLessons);
    const topicsLeft = topicsOf(s.course).filter((t) => t.lessons.some((l) => !done.has(l.id))).length;
    const passed = finishedAttempts(e).some((a) => a.passed);
    const where =
      topicsLeft > 0
        ? s.t(passed ? 'push.topicsLeft' : 'push.topicsAndFinalLeft', { count: topicsLeft })
        : s.t(passed ? 'push.almostDone' : 'push.finalLeft');
    return s.t('push.reminder', { left: s.t(`push.left.${left.unit}`, { count: left.count }), date: s.formatDate(s.cohort.closesAt), where });
  }
}
