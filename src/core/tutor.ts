/** The tutor: turns one inbound event into the replies to send, recording progress on the way. */
import type { Cohort, Enrolment, Learner } from './model.js';
import type { InboundEvent, OutboundMessage } from './messages.js';
import type { HandledUpdate, TutorDeps } from './ports.js';
import { bareCommand, cleanText, MAX_INPUT, parseCommand, resolveChoice, type CommandName, type ParsedCommand } from './parse.js';
import { Session } from './session.js';
import { answerPrompt, nextOnboardingPrompt, promptChoices, promptMessage } from './onboarding.js';
import { courseHelpLine, currentStep, handleCourseInput, showNextLesson } from './learning.js';
import { finalHelpLine, finalQuestionMessage, handleFinalInput, offerFinalTest, startFinalTest } from './final-test.js';
import { currentOffer, resolveOffer } from './offer.js';
import { showProgress, withNextStep } from './progress.js';
import { issueLinkCode, LINK_CODE_MINUTES, redeemLinkCode } from './linking.js';
import { deliverCertificate, verifyInChat } from './certificates.js';
import { applyInvite, greetInvite, takeInvite, type InviteOutcome } from './invites.js';
import { handleReviewInput, loadForPrompt, offerExamReview, reviewProgressLine, startDemandReview } from './review-flow.js';

function updateKey(event: InboundEvent): string {
  return `${event.channel}:${event.updateId}`;
}

/** Choice values that do what a command does, wherever they are pressed or typed. */
const COMMAND_VALUES: Readonly<Record<string, CommandName>> = { exam: 'exam', progress: 'progress', certificate: 'certificate', review: 'review' };

/** A button value of ours: pressed (or pasted) when its message is no longer the current one. */
const BUTTON_VALUE = /^(?:(?:ans|fin|lang|role|consent|hour|final|rev|review|invite|rate):\S+|next)$/;

export class Tutor {
  constructor(private readonly deps: TutorDeps) {}

  /**
   * Handles an event, under the lease of the learner it comes from: decides the reply and the
   * records to save, records that decision in one step, then applies it, and returns the reply
   * for the caller to queue (then to call `delivered`). A handling cut short after the decision
   * was recorded is finished by the next attempt with the same reply, changing nothing twice;
   * one cut short before that is handled afresh (its answers are keyed by the update, so none is
   * recorded twice). An update whose reply was delivered gets nothing the second time.
   */
  async handle(event: InboundEvent): Promise<OutboundMessage[]> {
    const key = updateKey(event);
    return this.underLease(event, async (learnerId) => {
      const earlier = await this.deps.updates.find(key);
      if (earlier?.done) return [];
      if (earlier) return this.apply(earlier, 'again');
      const decided = await this.decide(event, learnerId);
      const stands = await this.deps.updates.record(key, decided, this.deps.clock.now());
      // Another handling recorded first (only after a lease ran out): theirs stands, applied with the guard.
      return this.apply(stands, stands === decided ? 'first' : 'again');
    });
  }

  /** The reply `handle` gave for this event is queued: a redelivery of it gets no second reply. */
  delivered(event: InboundEvent): Promise<void> {
    return this.deps.updates.done(updateKey(event));
  }

  /**
   * Runs `work` holding the lease of the conversation's learner, or of the conversation itself
   * while it has none; if a learner appeared meanwhile (a concurrent first message), takes theirs.
   */
  private async underLease<T>(event: InboundEvent, work: (learnerId: string | null) => Promise<T>): Promise<T> {
    for (;;) {
      const learnerId = await this.deps.learners.learnerIdOf(event.conversation);
      const key = learnerId ? `learner:${learnerId}` : `conversation:${event.conversation}`;
      const outcome = await this.deps.leases.run(key, async () => {
        if (!learnerId && (await this.deps.learners.learnerIdOf(event.conversation))) return { retry: true as const };
        return { retry: false as const, value: await work(learnerId) };
      });
      if (!outcome.retry) return outcome.value;
    }
  }

  /** Saves what a decision changed. Applied again after a crash, a record already saved (or overtaken) is left alone. */
  private async apply(h: HandledUpdate, when: 'first' | 'again'): Promise<OutboundMessage[]> {
    if (h.learner && (when === 'first' || (await this.deps.learners.findById(h.learner.id))?.version === h.learner.version)) {
      await this.deps.learners.save(h.learner);
    }
    if (h.enrolment && (when === 'first' || (await this.deps.enrolments.find(h.enrolment.learnerId, h.enrolment.cohortId))?.version === h.enrolment.version)) {
      await this.deps.enrolments.save(h.enrolment);
    }
    if (h.review && (when === 'first' || ((await this.deps.reviews.find(h.review.learnerId, h.review.cohortId))?.version ?? 0) === h.review.version)) {
      await this.deps.reviews.save(h.review);
    }
    return h.reply;
  }

  /** What the event means for this learner: the reply, and their records as they should now be (absent when unchanged). */
  private async decide(event: InboundEvent, learnerId: string | null): Promise<HandledUpdate> {
    const command = event.kind === 'text' ? parseCommand(event.text) : null;
    let learner = learnerId ? await this.deps.learners.findById(learnerId) : null;
    let linked = false;
    if (command?.name === 'link' && command.payload) {
      const outcome = await redeemLinkCode(this.deps, event, learner, command.payload);
      if (outcome.kind === 'refused') return { reply: [{ text: this.deps.i18n.t(outcome.locale, outcome.key) }] };
      learner = outcome.learner;
      linked = true;
    }
    let invite = linked ? ({ kind: 'none' } as const) : await takeInvite(this.deps, event, command, learner);
    const isNew = !learner;
    if (!learner) learner = await this.register(event, command, invite);
    // A code the old way (a learner record made with it) is not an unknown one.
    if (isNew && invite.kind === 'unknown' && learner.inviteCode) invite = { kind: 'none' };
    const before = JSON.stringify(learner);
    if (!isNew && invite.kind === 'accepted') applyInvite(learner, invite.invitation);
    if (invite.kind === 'accepted') await this.deps.invitations?.markUsed(invite.invitation.code, learner.id, event.at);
    const cohort = await this.cohortOf(learner);
    const course = this.deps.catalog.get(cohort.courseId);
    if (!course) throw new Error(`cohort ${cohort.id} names course ${cohort.courseId}, which is not in the content`);
    const enrolment = await this.deps.enrolments.find(learner.id, cohort.id);
    const s = new Session(this.deps, event, learner, cohort, course, enrolment);
    await loadForPrompt(s);

    if (linked) await this.afterLink(s);
    else if (isNew || invite.kind !== 'none') this.greet(s, invite, isNew);
    else await this.dispatch(s, command);

    if (s.enrolment) s.enrolment.lastActivityAt = s.now;
    return {
      reply: s.out,
      ...(linked || JSON.stringify(s.learner) !== before ? { learner: s.learner } : {}),
      ...(s.enrolment ? { enrolment: s.enrolment } : {}),
      ...(s.reviewChanged && s.reviewDeck ? { review: s.reviewDeck } : {}),
    };
  }

  private async register(event: InboundEvent, command: ParsedCommand | null, invite: InviteOutcome): Promise<Learner> {
    const code = command?.name === 'start' && invite.kind !== 'accepted' ? command.payload : '';
    if (code && /^[A-Za-z0-9_-]{1,64}$/.test(code)) {
      const invited = await this.deps.learners.findByInviteCode(code);
      if (invited && invited.conversations.length === 0 && (await this.deps.learners.attach(invited.id, event.conversation))) {
        invited.conversations.push(event.conversation);
        const lang = event.sender?.languageCode;
        if (lang === 'vi' || lang === 'en') invited.locale = lang;
        return this.deps.learners.save(invited);
      }
    }
    const lang = event.sender?.languageCode?.slice(0, 2);
    const fresh: Omit<Learner, 'id' | 'version'> = {
      conversations: [event.conversation],
      unreachable: [],
      profile: {},
      locale: lang === 'vi' || lang === 'en' ? lang : this.deps.defaultLocale,
      cohortId: this.deps.defaultCohort,
      stopped: false,
      onboarded: false,
      prompt: 'language',
      createdAt: event.at,
    };
    if (invite.kind === 'accepted') applyInvite(fresh, invite.invitation);
    return this.deps.learners.create(fresh);
  }

  private async cohortOf(learner: Learner): Promise<Cohort> {
    const cohort = (await this.deps.cohorts.get(learner.cohortId)) ?? (await this.deps.cohorts.get(this.deps.defaultCohort));
    if (!cohort) throw new Error(`cohort ${learner.cohortId} does not exist and neither does the default cohort`);
    return cohort;
  }

  private greet(s: Session, invite: InviteOutcome, isNew: boolean): void {
    if (greetInvite(s, invite)) return;
    if (!isNew) return this.reprompt(s);
    const name = s.learner.profile.fullName;
    s.say(name ? s.t('onboarding.welcomeInvited', { name }) : s.t('onboarding.welcome'));
    s.learner.prompt = 'language';
    s.say(promptMessage(s, 'language'));
  }

  private async dispatch(s: Session, command: ParsedCommand | null): Promise<void> {
    const { event, learner } = s;
    if (event.kind === 'unsupported') {
      s.say(s.t('input.unsupported'));
      return this.reprompt(s);
    }
    const text = event.text.trim();
    if (text === '') {
      s.say(s.t('input.empty'));
      return this.reprompt(s);
    }
    if (text.length > MAX_INPUT) {
      s.say(s.t('input.tooLong', { max: MAX_INPUT }));
      return this.reprompt(s);
    }
    if (command) return this.command(s, command);
    // What the last message offered, by its number, letter or words, before anything else.
    const input = resolveOffer(currentOffer(s), text)?.value ?? text;
    if (!learner.onboarded) return this.onboardingInput(s, input);
    if (learner.prompt) return this.promptInput(s, input);
    const asCommand = COMMAND_VALUES[input];
    if (asCommand) return this.command(s, { name: asCommand, raw: input, payload: '' });
    // A start button whose offer was left (another command came between): offer it again.
    if (input === 'final:start') return this.command(s, { name: 'exam', raw: input, payload: '' });
    if (s.windowState() !== 'open') return this.sayWindow(s);
    const e = await this.enrolment(s);
    const handled = e.cursor.at === 'final' ? await handleFinalInput(s, e, input) : await handleCourseInput(s, e, input);
    if (handled) return;
    const bare = event.kind === 'text' ? bareCommand(text) : undefined;
    if (bare) return this.command(s, { name: bare, raw: text, payload: '' });
    if (event.kind === 'choice' || BUTTON_VALUE.test(input)) s.say(s.t('lesson.stale'));
    else s.say(e.cursor.at === 'final' ? finalHelpLine(s, e) : (courseHelpLine(s, e) ?? s.t('help.unknownInput')));
    this.reprompt(s);
  }

  private async command(s: Session, cmd: ParsedCommand): Promise<void> {
    const l = s.learner;
    if (cmd.name === 'start') {
      l.unreachable = l.unreachable.filter((c) => c !== s.event.conversation);
      await this.deps.reachability.markReachable(s.event.conversation);
      l.stopped = false;
      if (!l.onboarded) {
        s.say(s.t('onboarding.welcome'));
        return this.reprompt(s);
      }
      s.say(s.t('start.welcomeBack', { name: l.profile.fullName ?? '' }));
      return this.continueCourse(s);
    }
    if (cmd.name === 'help') {
      s.say(s.t('help.text'));
      return this.reprompt(s);
    }
    if (cmd.name === 'language') {
      l.prompt = 'language';
      s.say(promptMessage(s, 'language'));
      return;
    }
    if (cmd.name === 'link') {
      const code = await issueLinkCode(this.deps, l.id);
      s.say(s.t('link.code', { code, minutes: LINK_CODE_MINUTES }));
      return;
    }
    if (cmd.name === 'stop') {
      l.stopped = true;
      s.say(s.t('stop.done'));
      return;
    }
    if (cmd.name === 'unknown') {
      s.say(s.t('help.unknownCommand', { command: `/${cmd.raw.slice(0, 32)}` }));
      s.say(s.t('help.text'));
      return this.reprompt(s);
    }
    // Anyone may check a certificate, onboarded or not.
    if (cmd.name === 'verify') return verifyInChat(s, cmd.payload);
    if (!l.onboarded) {
      s.say(s.t('onboarding.finishFirst'));
      return this.reprompt(s);
    }
    l.prompt = undefined;
    switch (cmd.name) {
      case 'learn':
        l.stopped = false;
        return this.continueCourse(s);
      case 'progress':
        return showProgress(s, s.enrolment, await reviewProgressLine(s, s.enrolment));
      case 'review':
        if (s.windowState() !== 'open') return this.sayWindow(s);
        await this.enrolment(s);
        await startDemandReview(s);
        if (!l.prompt) this.reprompt(s);
        return;
      case 'exam':
        return this.offerExam(s, true);
      case 'certificate':
        return deliverCertificate(s, s.enrolment);
      case 'remind':
        l.prompt = 'hour';
        s.say(s.t('remind.current', { hour: l.lessonHour ?? s.cohort.lessonHour }));
        s.say(promptMessage(s, 'hour'));
        return;
      case 'feedback':
        l.prompt = 'feedback';
        s.say(promptMessage(s, 'feedback'));
        return;
    }
  }

  /** /kiemtra: the final test's offer, after offering a short review of the items due (once: not after that review or its refusal). */
  private async offerExam(s: Session, withReview: boolean): Promise<void> {
    const e = await this.enrolment(s);
    if (!offerFinalTest(s, e)) return;
    if (withReview && (await offerExamReview(s))) return;
    s.learner.prompt = 'final_confirm';
    s.say(promptMessage(s, 'final_confirm'));
  }

  /** A conversation just joined this learner: pick up where they are. */
  private async afterLink(s: Session): Promise<void> {
    s.say(s.t('link.done'));
    if (s.learner.onboarded && !s.learner.prompt) return this.continueCourse(s);
    this.reprompt(s);
  }

  private async continueCourse(s: Session): Promise<void> {
    const e = await this.enrolment(s);
    if (s.windowState() !== 'open') return this.sayWindow(s);
    if (e.cursor.at === 'final') {
      s.say(finalQuestionMessage(s, e));
      return;
    }
    const step = currentStep(s, e);
    if (step) s.say(step);
    else showNextLesson(s, e);
  }

  private async onboardingInput(s: Session, text: string): Promise<void> {
    const l = s.learner;
    const prompt = l.prompt ?? 'language';
    if (answerPrompt(s, prompt, text) === 'rejected') {
      s.say(promptMessage(s, prompt));
      return;
    }
    const next = nextOnboardingPrompt(s, true);
    if (next) {
      l.prompt = next;
      s.say(promptMessage(s, next));
      return;
    }
    l.prompt = undefined;
    l.onboarded = true;
    s.say(s.t('onboarding.done', { name: l.profile.fullName, hour: l.lessonHour, date: s.formatDate(s.cohort.closesAt) }));
    if (s.windowState() !== 'open') return this.sayWindow(s);
    showNextLesson(s, await this.enrolment(s));
  }

  private async promptInput(s: Session, text: string): Promise<void> {
    const l = s.learner;
    const prompt = l.prompt!;
    if (prompt === 'review' || prompt === 'review_offer') {
      const outcome = await handleReviewInput(s, text);
      if (outcome === 'unknown') {
        s.say(s.t('review.answerHelp'));
        return this.reprompt(s);
      }
      if (outcome === 'exam') return this.offerExam(s, false);
      if (outcome === 'done') this.reprompt(s);
      return;
    }
    if (prompt === 'feedback') {
      const body = cleanText(text);
      await this.deps.feedback.add({ learnerId: l.id, text: body, channel: s.event.channel, at: s.now });
      l.prompt = undefined;
      s.say(withNextStep(s, s.t('feedback.thanks')));
      return;
    }
    if (prompt === 'final_confirm') {
      const chosen = resolveChoice(text, promptChoices(s, prompt));
      if (!chosen) {
        s.say(s.t('invalid.choice'));
        s.say(promptMessage(s, prompt));
        return;
      }
      l.prompt = undefined;
      if (chosen.value === 'final:later') {
        s.say(s.t('final.later'));
        return;
      }
      const e = await this.enrolment(s);
      if (offerFinalTest(s, e)) startFinalTest(s, e);
      return;
    }
    if (answerPrompt(s, prompt, text) === 'rejected') {
      s.say(promptMessage(s, prompt));
      return;
    }
    l.prompt = undefined;
    if (prompt === 'language') s.say(withNextStep(s, s.t('language.changed')));
    if (prompt === 'hour') s.say(withNextStep(s, s.t('remind.set', { hour: l.lessonHour })));
  }

  /** Shows again what is offered now, so the learner can always go on. */
  private reprompt(s: Session): void {
    const offer = currentOffer(s);
    if (offer) s.say(offer);
  }

  private sayWindow(s: Session): void {
    if (s.windowState() === 'before') s.say(s.t('course.notOpen', { date: s.formatDate(s.cohort.opensAt) }));
    else s.say(s.t('course.closed', { date: s.formatDate(s.cohort.closesAt) }));
  }

  private async enrolment(s: Session): Promise<Enrolment> {
    if (s.enrolment) return s.enrolment;
    s.enrolment = await this.deps.enrolments.ensure({
      learnerId: s.learner.id,
      cohortId: s.cohort.id,
      courseId: s.course.id,
      status: 'not_started',
      cursor: { at: 'idle' },
      completedLessons: [],
      checkResults: {},
      finalAttempts: [],
      lastActivityAt: s.now,
    });
    return s.enrolment;
  }
}
