/** Drives the tutor as one learner would: type text, press buttons, read the replies. */
import type { Tutor } from '../../src/core/tutor.js';
import type { InboundEvent, OutboundMessage } from '../../src/core/messages.js';
import type { ChannelName, ConversationId } from '../../src/core/model.js';
import type { Course, Question } from '../../src/core/course.js';
import { findFinalQuestion, findLesson } from '../../src/core/course.js';

let counter = 0;

export class ChatLearner {
  readonly conversation: ConversationId;
  last: OutboundMessage[] = [];
  readonly transcript: OutboundMessage[] = [];

  constructor(
    private readonly tutor: Tutor,
    readonly channel: ChannelName = 'console',
    address = `${Date.now()}${++counter}`,
    private readonly sender: InboundEvent['sender'] = {},
  ) {
    this.conversation = `${channel}:${address}`;
  }

  event(text: string, kind: InboundEvent['kind'] = 'text', updateId = `u${++counter}`): InboundEvent {
    return { conversation: this.conversation, channel: this.channel, updateId, kind, text, sender: this.sender, at: new Date() };
  }

  async send(event: InboundEvent): Promise<OutboundMessage[]> {
    this.last = await this.tutor.handle(event);
    // As the inbound worker does once the reply is queued.
    await this.tutor.delivered(event);
    this.transcript.push(...this.last);
    return this.last;
  }

  say(text: string): Promise<OutboundMessage[]> {
    return this.send(this.event(text));
  }

  press(value: string): Promise<OutboundMessage[]> {
    return this.send(this.event(value, 'choice'));
  }

  text(): string {
    return this.last.map((m) => m.text).join('\n---\n');
  }

  lastChoices(): string[] {
    return this.last.at(-1)?.choices?.map((c) => c.value) ?? [];
  }

  /** Onboarding with the answers given, in Vietnamese unless told otherwise. */
  async onboard(p: { lang?: '1' | '2'; name?: string; role?: string; province?: string; commune?: string } = {}): Promise<void> {
    await this.say('/start');
    await this.say(p.lang ?? '1');
    await this.say(p.name ?? 'Nguyễn Thị Hoa');
    await this.say(p.role ?? '1');
    await this.say(p.province ?? 'Nghệ An');
    await this.say(p.commune ?? 'Xã Diễn Châu');
    await this.say('1');
    await this.say('8');
  }
}

/** The question a message asks, found through its answer buttons. */
export function askedQuestion(course: Course, message: OutboundMessage | undefined): Question | undefined {
  const value = message?.choices?.[0]?.value ?? '';
  if (value.startsWith('ans:')) {
    const qid = value.split(':')[1]!;
    for (const p of course.parts) for (const t of p.topics) for (const l of t.lessons) {
      const q = l.questions.find((x) => x.id === qid);
      if (q) return q;
    }
  }
  return undefined;
}

export function letter(index: number): string {
  return String.fromCharCode(65 + index);
}

export { findFinalQuestion, findLesson };
