/**
 * `/thongbao` (`/announce`) for chat admins: the text (after the command, or asked for), then a
 * menu with the preview of who it reaches (the count, per channel and province) and the segment so
 * far: "1. Gửi  2. Huỷ", then choices to narrow it by cohort, province, role or learning status
 * (each asks for its value and comes back to the menu with a new preview). Nothing is sent before
 * "1". A province admin's segment is always their province (the service scopes it; the menu offers
 * no province choice). The dialogue's draft is kept in Redis for 15 minutes (any worker may take
 * the next message).
 */
import type { Redis } from 'ioredis';
import type { AdminChatCommand, AdminChatContext, AdminChatOutcome } from '../admin/chat-types.js';
import type { Segment } from '../core/broadcast.js';
import { ROLES } from '../core/model.js';
import type { OutboundMessage } from '../core/messages.js';
import type { Translator } from '../core/ports.js';
import { previewLines } from './format.js';
import { resolveChoice, words } from '../core/parse.js';
import type { Choice } from '../core/messages.js';
import type { BroadcastService } from './service.js';

const DRAFT_TTL_S = 15 * 60;
const STATUSES = ['not_started', 'in_progress', 'completed', 'certified'] as const;
/** Provinces offered as numbered choices (the rest can be typed). */
const PROVINCE_CHOICES = 20;

type Field = 'cohort' | 'province' | 'role' | 'status';
type Action = 'send' | 'cancel' | Field;
type Draft =
  | { step: 'text' }
  | { step: 'menu'; text: string; segment: Segment; targeted: number; actions: Action[] }
  | { step: 'pick'; text: string; segment: Segment; field: Field; options: string[] };

export interface AnnounceDeps {
  service: BroadcastService;
  i18n: Translator;
  redis: Redis;
  prefix: string;
}

/** What a typed answer is compared by: folded (no diacritics, no case), words only. */
const plain = words;

export function announceCommand(d: AnnounceDeps): AdminChatCommand {
  const key = (c: string) => `${d.prefix}:bcdraft:${c}`;
  const save = (c: string, draft: Draft) => d.redis.set(key(c), JSON.stringify(draft), 'EX', DRAFT_TTL_S);
  const t = (ctx: AdminChatContext, k: string, vars?: Record<string, unknown>) => d.i18n.t(ctx.locale, `broadcast.${k}`, vars);
  const label = (ctx: AdminChatContext, field: Field, value: string) =>
    field === 'role' ? d.i18n.t(ctx.locale, `role.${value}`) : field === 'status' ? t(ctx, `chat.status.${value}`) : value;

  const menuChoices = (ctx: AdminChatContext, actions: Action[]): Choice[] =>
    actions.map((a, i) => ({ label: a === 'send' ? t(ctx, 'chat.send') : a === 'cancel' ? t(ctx, 'chat.cancel') : t(ctx, `chat.pick.${a}`), value: String(i + 1) }));
  const pickChoices = (ctx: AdminChatContext, field: Field, options: string[]): Choice[] => [
    ...options.map((o, i) => ({ label: label(ctx, field, o), value: String(i + 1) })),
    { label: t(ctx, 'chat.all'), value: String(options.length + 1) },
  ];

  function describe(ctx: AdminChatContext, s: Segment): string {
    const parts = (['cohort', 'province', 'role', 'status'] as const).filter((f) => s[f] !== undefined).map((f) => t(ctx, `chat.seg.${f}`, { value: label(ctx, f, String(s[f])) }));
    return t(ctx, 'chat.segment', { list: parts.length ? parts.join(' · ') : t(ctx, 'chat.everyone') });
  }

  /** The preview of the draft's segment, its text, and the menu (send, cancel, narrow). */
  async function menu(ctx: AdminChatContext, text: string, asked: Segment): Promise<AdminChatOutcome> {
    const segment = d.service.scoped(ctx.principal, asked);
    const preview = await d.service.preview(ctx.principal, segment);
    const fields: Field[] = ctx.principal.scope.kind === 'province' ? ['cohort', 'role', 'status'] : ['cohort', 'province', 'role', 'status'];
    const actions: Action[] = ['send', 'cancel', ...fields];
    await save(ctx.conversation, { step: 'menu', text, segment, targeted: preview.targeted, actions });
    return {
      reply: [
        { text: `${previewLines(preview, d.i18n, ctx.locale).join('\n')}\n${describe(ctx, segment)}\n\n${text}` },
        {
          text: t(ctx, 'chat.confirm'),
          choices: menuChoices(ctx, actions),
        },
      ],
      open: true,
    };
  }

  /** Asks for one field's value: numbered choices (and "all"), or typed for a cohort or a province. */
  async function ask(ctx: AdminChatContext, draft: Extract<Draft, { step: 'menu' }>, field: Field): Promise<AdminChatOutcome> {
    let options: string[] = [];
    if (field === 'role') options = [...ROLES];
    if (field === 'status') options = [...STATUSES];
    if (field === 'province') {
      const { province: _p, ...rest } = draft.segment;
      const everywhere = await d.service.preview(ctx.principal, rest);
      options = Object.entries(everywhere.byProvince)
        .filter(([p]) => p)
        .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0], 'vi'))
        .slice(0, PROVINCE_CHOICES)
        .map(([p]) => p);
    }
    await save(ctx.conversation, { step: 'pick', text: draft.text, segment: draft.segment, field, options });
    const message: OutboundMessage = { text: t(ctx, `chat.ask.${field}`) };
    if (field !== 'cohort') message.choices = pickChoices(ctx, field, options);
    return { reply: [message], open: true };
  }

  /** The answer to `ask`: a choice's number, "0"/"all" for any, or (cohort, province) a typed name. */
  async function picked(ctx: AdminChatContext, draft: Extract<Draft, { step: 'pick' }>): Promise<AdminChatOutcome> {
    const answer = ctx.text.trim().normalize('NFC');
    // A choice by its number or its words (as every menu of the bot reads them); a cohort is typed.
    const chosen = draft.field === 'cohort' ? undefined : resolveChoice(answer, pickChoices(ctx, draft.field, draft.options));
    const n = chosen ? Number(chosen.value) : /^\d{1,3}$/.test(answer) ? Number(answer) : NaN;
    const all = answer === '0' || n === draft.options.length + 1 || ['tat ca', 'all'].includes(plain(answer));
    let value: string | undefined;
    if (!all) {
      if (n >= 1 && n <= draft.options.length) value = draft.options[n - 1];
      else if (draft.field === 'province') value = draft.options.find((o) => plain(o) === plain(answer)) ?? (answer.length <= 100 && Number.isNaN(n) ? answer : undefined);
      else if (draft.field === 'cohort' && /^[\p{L}\p{N}_.-]{1,100}$/u.test(answer)) value = answer;
      if (value === undefined) return { reply: [{ text: t(ctx, `chat.ask.${draft.field}`) }], open: true };
    }
    const { [draft.field]: _old, ...rest } = draft.segment;
    return menu(ctx, draft.text, { ...rest, ...(value !== undefined ? { [draft.field]: value } : {}) } as Segment);
  }

  return {
    names: ['thongbao', 'announce'],
    async handle(ctx) {
      if (ctx.command) {
        if (!ctx.args.trim()) {
          await save(ctx.conversation, { step: 'text' });
          return { reply: [{ text: t(ctx, 'chat.askText') }], open: true };
        }
        return menu(ctx, ctx.args.trim(), {});
      }
      const raw = await d.redis.get(key(ctx.conversation));
      const draft = raw ? (JSON.parse(raw) as Draft) : null;
      if (!draft || draft.step === 'text') {
        if (!ctx.text.trim()) return { reply: [{ text: t(ctx, 'chat.askText') }], open: true };
        return menu(ctx, ctx.text.trim(), {});
      }
      if (draft.step === 'pick') return picked(ctx, draft);
      const answer = plain(ctx.text);
      const chosen = resolveChoice(ctx.text.trim(), menuChoices(ctx, draft.actions));
      const action: Action | undefined =
        (chosen ? draft.actions[Number(chosen.value) - 1] : undefined) ?? (['gui', 'send'].includes(answer) ? 'send' : ['huy', 'cancel'].includes(answer) ? 'cancel' : undefined);
      if (action === 'send') {
        await d.redis.del(key(ctx.conversation));
        const b = await d.service.create(ctx.principal, { text: { vi: draft.text }, segment: draft.segment }, `chat:${ctx.conversation}`);
        return { reply: [{ text: t(ctx, 'chat.sent', { id: b.id, count: draft.targeted }) }] };
      }
      if (action === 'cancel') {
        await d.redis.del(key(ctx.conversation));
        return { reply: [{ text: t(ctx, 'chat.cancelled') }] };
      }
      if (action) return ask(ctx, draft, action);
      return { reply: [{ text: t(ctx, 'chat.chooseOne') }], open: true };
    },
  };
}
