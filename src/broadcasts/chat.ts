/**
 * `/thongbao` (`/announce`) for chat admins: the text (after the command, or asked for), the
 * preview of who it reaches, then "1. Gửi  2. Huỷ"; nothing is sent before "1". The dialogue's
 * draft is kept in Redis for 15 minutes (any worker may take the next message).
 */
import type { Redis } from 'ioredis';
import type { AdminChatCommand, AdminChatContext, AdminChatOutcome } from '../admin/chat-types.js';
import type { Translator } from '../core/ports.js';
import { previewLines } from './format.js';
import type { BroadcastService } from './service.js';

const DRAFT_TTL_S = 15 * 60;

type Draft = { step: 'text' } | { step: 'confirm'; text: string; targeted: number };

export interface AnnounceDeps {
  service: BroadcastService;
  i18n: Translator;
  redis: Redis;
  prefix: string;
}

const plain = (t: string) =>
  t
    .trim()
    .toLowerCase()
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/đ/g, 'd');

export function announceCommand(d: AnnounceDeps): AdminChatCommand {
  const key = (c: string) => `${d.prefix}:bcdraft:${c}`;
  const save = (c: string, draft: Draft) => d.redis.set(key(c), JSON.stringify(draft), 'EX', DRAFT_TTL_S);
  const t = (ctx: AdminChatContext, k: string, vars?: Record<string, unknown>) => d.i18n.t(ctx.locale, `broadcast.${k}`, vars);

  async function confirmStep(ctx: AdminChatContext, text: string): Promise<AdminChatOutcome> {
    const preview = await d.service.preview(ctx.principal, {});
    await save(ctx.conversation, { step: 'confirm', text, targeted: preview.targeted });
    return {
      reply: [
        { text: `${previewLines(preview, d.i18n, ctx.locale).join('\n')}\n\n${text}` },
        {
          text: t(ctx, 'chat.confirm'),
          choices: [
            { label: t(ctx, 'chat.send'), value: '1' },
            { label: t(ctx, 'chat.cancel'), value: '2' },
          ],
        },
      ],
      open: true,
    };
  }

  return {
    names: ['thongbao', 'announce'],
    async handle(ctx) {
      if (ctx.command) {
        if (!ctx.args.trim()) {
          await save(ctx.conversation, { step: 'text' });
          return { reply: [{ text: t(ctx, 'chat.askText') }], open: true };
        }
        return confirmStep(ctx, ctx.args.trim());
      }
      const raw = await d.redis.get(key(ctx.conversation));
      const draft = raw ? (JSON.parse(raw) as Draft) : null;
      if (!draft || draft.step === 'text') {
        if (!ctx.text.trim()) return { reply: [{ text: t(ctx, 'chat.askText') }], open: true };
        return confirmStep(ctx, ctx.text.trim());
      }
      const answer = plain(ctx.text);
      if (answer === '1' || answer === 'gui' || answer === 'send') {
        await d.redis.del(key(ctx.conversation));
        const b = await d.service.create(ctx.principal, { text: { vi: draft.text }, segment: {} }, `chat:${ctx.conversation}`);
        return { reply: [{ text: t(ctx, 'chat.sent', { id: b.id, count: draft.targeted }) }] };
      }
      if (answer === '2' || answer === 'huy' || answer === 'cancel') {
        await d.redis.del(key(ctx.conversation));
        return { reply: [{ text: t(ctx, 'chat.cancelled') }] };
      }
      return { reply: [{ text: t(ctx, 'chat.chooseOne') }], open: true };
    },
  };
}
