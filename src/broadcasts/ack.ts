/**
 * Acknowledgements: a learner's "Đã đọc ✅" (the Telegram button, or `1` / "đã đọc" typed on Zalo
 * and the console while a broadcast awaits it) is taken before the tutor sees the update, so the
 * lesson in hand is left exactly as it was. The first acknowledgement per learner and broadcast is
 * recorded with its time (an insert by `_id`: a repeat or a redelivery records nothing more).
 */
import { parseAck } from '../core/broadcast.js';
import type { Locale } from '../core/course.js';
import type { InboundEvent, OutboundMessage } from '../core/messages.js';
import type { Clock, Translator } from '../core/ports.js';
import type { MongoBroadcastStore } from '../storage/broadcasts.js';
import type { BroadcastLive } from './live.js';

export interface AckDeps {
  store: MongoBroadcastStore;
  live: BroadcastLive;
  i18n: Translator;
  clock: Clock;
  /** The learner of a conversation, with their locale and province; null when unknown. */
  learnerOf(conversation: InboundEvent['conversation']): Promise<{ id: string; locale: Locale; province: string } | null>;
}

export class BroadcastAcks {
  constructor(private readonly d: AckDeps) {}

  /** The reply to an acknowledgement, or null when the update is not one (it goes to the tutor). */
  async intercept(event: InboundEvent): Promise<OutboundMessage[] | null> {
    if (event.kind !== 'text' && event.kind !== 'choice') return null;
    const parsed = parseAck(event.text);
    if (!parsed) return null;
    const pending = await this.d.live.pendingAck(event.conversation);
    let target: { id: string; learnerId: string; province: string } | null = null;
    if (parsed === 'pending') target = pending;
    else if (pending?.id === parsed.broadcastId) target = pending;
    else {
      const learner = await this.d.learnerOf(event.conversation);
      const delivered = learner && (await this.d.store.delivery(parsed.broadcastId, learner.id));
      if (learner && delivered) target = { id: parsed.broadcastId, learnerId: learner.id, province: learner.province };
    }
    if (!target) return parsed === 'pending' ? null : [];
    const first = await this.d.store.ack(target.id, target.learnerId, event.conversation, this.d.clock.now(), target.province);
    if (first) await this.d.live.count(target.id, 'acknowledged', target.province);
    if (pending?.id === target.id) await this.d.live.clearAck(event.conversation);
    const locale = (await this.d.learnerOf(event.conversation))?.locale ?? 'vi';
    return [{ text: this.d.i18n.t(locale, first ? 'broadcast.acked' : 'broadcast.alreadyAcked') }];
  }
}
