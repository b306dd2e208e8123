/**
 * What every admin surface (CLI, HTTP API, chat) does with broadcasts, with the principal's scope
 * checked here once: preview a segment, create (only after an explicit confirm), list, follow,
 * pause, resume, cancel. A province account targets only its province and sees only its own
 * broadcasts; every change is audited.
 */
import { customAlphabet } from 'nanoid';
import type { Redis } from 'ioredis';
import { countsFrom, DEFAULT_QUIET_HOURS, inSegment, needsEnrolment, pickConversation, type Broadcast, type BroadcastCounts, type BroadcastState, type Recipient, type Segment } from '../core/broadcast.js';
import { channelOf, type ChannelName } from '../core/model.js';
import type { Locale } from '../core/course.js';
import type { Clock } from '../core/ports.js';
import { isIsoDuration } from '../core/durations.js';
import { provinceFor, ScopeError, covers, type AdminPrincipal, type AuditSink } from '../admin/scope.js';
import type { MongoBroadcastStore } from '../storage/broadcasts.js';
import type { BroadcastLive } from './live.js';
import type { KeptLearners } from '../admin/stats/kept-learners.js';

const newId = customAlphabet('23456789abcdefghjkmnpqrstuvwxyz', 10);

export interface BroadcastInput {
  text: { vi: string } & Partial<Record<Locale, string>>;
  image?: string;
  segment: Segment;
  /** ISO instant; default now. */
  at?: Date;
  quietHours?: boolean;
  ack?: boolean;
  remindAfter?: string;
}

export interface Preview {
  targeted: number;
  byChannel: Partial<Record<ChannelName, number>>;
  byProvince: Record<string, number>;
  unreachable: number;
  /** On Zalo with no other channel and the day's unprompted budget already spent: would be held. */
  heldByBudget: number;
}

export interface BroadcastView extends Omit<Broadcast, 'createdAt' | 'sendAt'> {
  createdAt: string;
  sendAt: string;
  counts: BroadcastCounts;
  byProvince: Record<string, BroadcastCounts>;
}

export class BadBroadcastError extends Error {
  readonly statusCode = 400;
  override readonly name = 'CliInputError';
}

export class NotFoundError extends Error {
  readonly statusCode = 404;
  override readonly name = 'CliInputError';
}

export interface BroadcastServiceDeps {
  store: MongoBroadcastStore;
  live: BroadcastLive;
  audit: AuditSink;
  clock: Clock;
  channels: readonly ChannelName[];
  /** Asked after a create or a resume: plan it now rather than at the next tick. */
  kick(id: string): Promise<void>;
  /** The Zalo unprompted budget, for the preview's estimate of held messages. */
  budget?: { redis: Redis; prefix: string; perDay: number; day(now: Date): string };
  /** The kept rows and the cohorts a segment without a cohort covers: the preview counts there when all are built. */
  kept?: { learners: KeptLearners; cohorts(): Promise<string[]> };
}

export class BroadcastService {
  constructor(private readonly d: BroadcastServiceDeps) {}

  /** The segment as the principal may ask it (a province account: its own province). */
  scoped(p: AdminPrincipal, s: Segment): Segment {
    const province = provinceFor(p.scope, s.province);
    return { ...s, ...(province !== undefined ? { province } : {}) };
  }

  async preview(p: AdminPrincipal, input: Segment): Promise<Preview> {
    const segment = this.scoped(p, input);
    const now = this.d.clock.now();
    if (this.d.kept && (segment.inactiveDays === undefined || Number.isFinite(segment.inactiveDays))) {
      const cohorts = segment.cohort !== undefined ? [String(segment.cohort)] : await this.d.kept.cohorts();
      if (await this.d.kept.learners.servable(cohorts)) return this.keptPreview(this.d.kept.learners, cohorts, segment, now);
    }
    const out: Preview = { targeted: 0, byChannel: {}, byProvince: {}, unreachable: 0, heldByBudget: 0 };
    for await (const { rows } of this.d.store.recipients(segment, 0, 1000, needsEnrolment(segment, now))) {
      const zalo: string[] = [];
      for (const r of rows) this.tally(out, r, segment, now, zalo);
      out.heldByBudget += await this.spentBudgets(zalo, now);
    }
    return out;
  }

  /** The same counts from the kept rows (the segment applied in Redis); rows too old to decide are read from the records. */
  private async keptPreview(kept: KeptLearners, cohorts: string[], segment: Segment, now: Date): Promise<Preview> {
    const nfc = (v: string | undefined) => (v === undefined ? undefined : String(v).normalize('NFC'));
    const c = await kept.count(
      cohorts,
      {
        province: nfc(segment.province),
        commune: nfc(segment.commune),
        role: segment.role,
        status: segment.status,
        channel: segment.channel,
        ...(segment.inactiveDays !== undefined ? { inactiveBefore: new Date(now.getTime() - segment.inactiveDays * 86_400_000).toISOString() } : {}),
      },
      this.d.channels,
    );
    const out: Preview = { targeted: c.targeted, byChannel: c.byChannel, byProvince: c.byProvince, unreachable: c.unreachable, heldByBudget: 0 };
    const zalo = c.zaloOnly;
    for (const u of c.unsure) {
      const r = await this.d.store.recipient(u.id);
      if (r && r.cohortId === u.cohortId) this.tally(out, r, segment, now, zalo);
    }
    out.heldByBudget = await this.spentBudgets(zalo, now);
    return out;
  }

  /** One recipient into the preview: in the segment, by province, by the channel it would go on; Zalo-only ones kept for the budget check. */
  private tally(out: Preview, r: Recipient, segment: Segment, now: Date, zalo: string[]): void {
    if (!inSegment(r, segment, now)) return;
    out.targeted += 1;
    const province = r.province ?? '';
    out.byProvince[province] = (out.byProvince[province] ?? 0) + 1;
    const to = pickConversation(r, segment, this.d.channels);
    if (!to) {
      out.unreachable += 1;
      return;
    }
    const ch = channelOf(to.conversation);
    out.byChannel[ch] = (out.byChannel[ch] ?? 0) + 1;
    const other = r.conversations.some((c) => c !== to.conversation && !r.unreachable.includes(c) && this.d.channels.includes(channelOf(c)));
    if (ch === 'zalo' && !other) zalo.push(to.conversation);
  }

  private async spentBudgets(conversations: string[], now: Date): Promise<number> {
    const b = this.d.budget;
    if (!b || !conversations.length) return 0;
    const day = b.day(now);
    let spent = 0;
    for (let i = 0; i < conversations.length; i += 1000) {
      const pipe = b.redis.pipeline();
      for (const c of conversations.slice(i, i + 1000)) pipe.hlen(`${b.prefix}:unprompted:zalo:${c}:${day}`);
      const res = (await pipe.exec()) ?? [];
      spent += res.filter(([, n]) => Number(n) >= b.perDay).length;
    }
    return spent;
  }

  /** Creates and confirms a broadcast (the surfaces show the preview first). */
  async create(p: AdminPrincipal, input: BroadcastInput, from: string): Promise<BroadcastView> {
    if (!input.text.vi.trim()) throw new BadBroadcastError('the Vietnamese text is required');
    if (input.remindAfter !== undefined && !isIsoDuration(input.remindAfter)) throw new BadBroadcastError(`--remind-after must be an ISO-8601 duration such as PT24H, not ${input.remindAfter}`);
    const segment = this.scoped(p, input.segment);
    const now = this.d.clock.now();
    const at = input.at ?? now;
    const b: Broadcast = {
      id: newId(),
      text: input.text,
      ...(input.image ? { image: input.image } : {}),
      segment,
      sendAt: at,
      quietHours: input.quietHours === false ? null : DEFAULT_QUIET_HOURS,
      ack: input.ack === true,
      ...(input.remindAfter ? { remindAfter: input.remindAfter } : {}),
      createdBy: { id: p.id, name: p.name, ...(p.scope.kind === 'province' ? { province: p.scope.province } : {}) },
      createdAt: now,
      state: 'scheduled',
    };
    await this.d.store.create(b);
    await this.d.live.setState(b.id, 'scheduled');
    await this.d.audit.record({ actor: { id: p.id, name: p.name }, action: 'broadcast.create', target: b.id, detail: { segment, at: at.toISOString(), ack: b.ack }, from, at: now });
    await this.d.kick(b.id);
    return this.show(p, b.id);
  }

  /** The broadcasts this principal may see, newest first. */
  async list(p: AdminPrincipal): Promise<BroadcastView[]> {
    const all = await this.d.store.list();
    const mine = all.filter((b) => this.visible(p, b));
    return Promise.all(mine.map((b) => this.view(p, b)));
  }

  async show(p: AdminPrincipal, id: string): Promise<BroadcastView> {
    return this.view(p, await this.load(p, id));
  }

  async pause(p: AdminPrincipal, id: string, from: string): Promise<BroadcastView> {
    return this.change(p, id, 'paused', ['scheduled', 'sending'], from);
  }

  async resume(p: AdminPrincipal, id: string, from: string): Promise<BroadcastView> {
    const v = await this.change(p, id, 'sending', ['paused'], from);
    await this.d.kick(id);
    return v;
  }

  async cancel(p: AdminPrincipal, id: string, from: string): Promise<BroadcastView> {
    return this.change(p, id, 'cancelled', ['scheduled', 'sending', 'paused'], from);
  }

  /** The Redis mirror first (every send reads it), then the record. */
  private async change(p: AdminPrincipal, id: string, to: BroadcastState, fromStates: BroadcastState[], from: string): Promise<BroadcastView> {
    const b = await this.load(p, id);
    if (!fromStates.includes(b.state)) throw new BadBroadcastError(`broadcast ${id} is ${b.state}`);
    await this.d.live.setState(id, to);
    await this.d.store.setState(id, to);
    const action = to === 'paused' ? 'pause' : to === 'cancelled' ? 'cancel' : 'resume';
    await this.d.audit.record({ actor: { id: p.id, name: p.name }, action: `broadcast.${action}`, target: id, from, at: this.d.clock.now() });
    return this.show(p, id);
  }

  private async load(p: AdminPrincipal, id: string) {
    const b = await this.d.store.get(String(id));
    if (!b) throw new NotFoundError(`no broadcast ${String(id).slice(0, 40)}`);
    if (!this.visible(p, b)) throw new ScopeError(`this account may only reach ${p.scope.kind === 'province' ? p.scope.province : ''}'s broadcasts`);
    return b;
  }

  private visible(p: AdminPrincipal, b: Broadcast): boolean {
    return p.scope.kind === 'ministry' || (b.segment.province !== undefined && covers(p.scope, b.segment.province));
  }

  private async view(p: AdminPrincipal, b: Awaited<ReturnType<MongoBroadcastStore['get']>> & object): Promise<BroadcastView> {
    const live = await this.d.live.counts(b.id);
    const total = Object.keys(live.total).length ? live.total : (b.counts ?? {});
    const counts = countsFrom({ ...total, targeted: b.plan.targeted, unreachable: b.plan.unreachable, reroutedAtPlan: b.plan.reroutedAtPlan });
    const byProvince: Record<string, BroadcastCounts> = {};
    for (const [province, targeted] of Object.entries(b.plan.byProvince)) {
      if (!covers(p.scope, province)) continue;
      byProvince[province] = countsFrom({ ...(live.byProvince[province] ?? {}), targeted });
    }
    const { plan: _plan, counts: _counts, ...rest } = b as typeof b & { counts?: unknown };
    const state = (await this.d.live.state(b.id)) ?? b.state;
    return { ...rest, state, createdAt: new Date(b.createdAt).toISOString(), sendAt: new Date(b.sendAt).toISOString(), counts, byProvince };
  }
}
