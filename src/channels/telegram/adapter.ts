/**
 * The Telegram channel over telegraf: updates (long polling or the webhook route) become the
 * core's inbound events, the core's messages become Bot API calls. Nothing here decides what
 * to say; the tutor does, through the queues.
 *
 * Questions are inline keyboards, not native quiz polls: the core already gives every choice
 * a short value, a button press arrives as a callback_query tied to the chat (a poll_answer
 * has no chat and would need a poll → learner map), the same flow serves the onboarding
 * prompts, and a quiz poll's 200-character explanation and 100-character options would not
 * hold every lesson's feedback.
 */
import { resolve, sep } from 'node:path';
import { Input, Telegraf, type Types } from 'telegraf';
import type { InlineKeyboardMarkup } from 'telegraf/types';
import type { Logger } from 'pino';
import type { Locale } from '../../core/course.js';
import type { DocumentFile, OutboundMessage } from '../../core/messages.js';
import type { ConversationId } from '../../core/model.js';
import type { Translator } from '../../core/ports.js';
import { logSendError, SendError } from '../shared/errors.js';
import { IngressSlot } from '../shared/ingress.js';
import type { ChannelAdapter, ChannelWebhook, Ingress, WebhookOutcome } from '../types.js';
import { menuCommands } from './commands.js';
import { toSendError } from './errors.js';
import { renderParts } from './render.js';
import { classifyUpdate } from './updates.js';

/** The update types we read; poll answers, edits and channel posts are not asked for. */
export const ALLOWED_UPDATES: Types.UpdateType[] = ['message', 'callback_query', 'my_chat_member'];

/** The route Telegram posts updates to (webhook mode). */
export const TELEGRAM_WEBHOOK_PATH = '/webhooks/telegram';
/** The header Telegram sends the `secret_token` given to setWebhook in. */
const SECRET_HEADER = 'x-telegram-bot-api-secret-token';

export interface TelegramOptions {
  token: string;
  /** Bot API server; tests point it at a local fake. */
  apiRoot: string;
  mode: 'polling' | 'webhook';
  /** False in worker-only processes: they send but neither poll nor register the webhook. */
  receive: boolean;
  /** Webhook mode: where Telegram reaches us (PUBLIC_BASE_URL; the path is ours) and the secret it sends back. */
  webhook?: { publicBaseUrl: string; secret: string };
  /** Lesson images given as paths are read from here. */
  contentDir: string;
  i18n: Translator;
  defaultLocale: Locale;
  logger: Logger;
  /** The learner blocked the bot (my_chat_member kicked). */
  onBlocked(conversation: ConversationId): Promise<void>;
}

export class TelegramAdapter implements ChannelAdapter {
  readonly name = 'telegram' as const;
  /** The route the composition root serves, in webhook mode in a process that takes updates in. */
  readonly webhook?: ChannelWebhook;
  private readonly bot: Telegraf;
  private readonly ingress = new IngressSlot<Ingress>();
  private polling?: Promise<void>;
  private pollingDone = false;

  constructor(private readonly opts: TelegramOptions) {
    this.bot = new Telegraf(opts.token, { telegram: { apiRoot: opts.apiRoot, webhookReply: false } });
    this.bot.use((ctx) => this.receive(ctx.update));
    // Without a handler telegraf rethrows and stops polling; receive() only fails when Redis or
    // MongoDB do, and ioredis waits for Redis rather than failing, so logging is enough here.
    this.bot.catch((err) => this.opts.logger.error({ err: (err as Error).message }, 'telegram update failed'));
    if (opts.mode === 'webhook' && opts.webhook && opts.receive) {
      this.webhook = { path: TELEGRAM_WEBHOOK_PATH, secretHeader: SECRET_HEADER, secret: opts.webhook.secret, receive: (body) => this.receiveWebhook(body) };
    }
  }

  async start(ingress: Ingress): Promise<void> {
    this.ingress.set(ingress);
    if (!this.opts.receive) return;
    try {
      this.bot.botInfo = await this.bot.telegram.getMe();
      await this.setCommands();
      if (this.opts.mode === 'webhook') {
        const hook = this.opts.webhook;
        if (!hook) throw new Error('webhook mode needs a URL and a secret');
        const url = `${hook.publicBaseUrl.replace(/\/+$/, '')}${TELEGRAM_WEBHOOK_PATH}`;
        await this.bot.telegram.setWebhook(url, { secret_token: hook.secret, allowed_updates: ALLOWED_UPDATES });
        this.opts.logger.info({ url }, 'telegram webhook registered');
        return;
      }
    } catch (err) {
      throw new Error(`The Telegram channel could not start: ${toSendError(err, this.opts.token).message}`);
    }
    // launch() never settles while polling (telegraf #1749): keep the promise for stop().
    this.polling = this.bot
      .launch({ allowedUpdates: ALLOWED_UPDATES })
      .catch((err: unknown) => this.opts.logger.error({ err: toSendError(err, this.opts.token).message }, 'telegram polling stopped'))
      .finally(() => {
        this.pollingDone = true;
      });
    this.opts.logger.info({ bot: this.bot.botInfo.username }, 'telegram long polling');
  }

  /** A webhook body: anything with a usable update_id is an update (taken in or dropped by receive); the rest is not. */
  private async receiveWebhook(body: Record<string, unknown>): Promise<WebhookOutcome> {
    const id = body.update_id;
    if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0) return 'not_an_update';
    await this.receive(body);
    return 'accepted';
  }

  /** One update from Telegram (webhook body or polled): queued for the tutor before this resolves. */
  async receive(update: unknown): Promise<void> {
    const ingress = await this.ingress.get('telegram');
    const action = classifyUpdate(update, new Date());
    try {
      switch (action.type) {
        case 'event':
          await ingress(action.event);
          break;
        case 'blocked':
          await this.opts.onBlocked(action.conversation);
          break;
        case 'group':
          if (action.command) void this.pointToPrivateChat(action.chatId, action.languageCode);
          break;
        case 'ignore':
          this.opts.logger.debug({ reason: action.reason }, 'telegram update ignored');
          break;
        case 'invalid':
          // Acknowledged and dropped: refusing it would only make Telegram deliver it again forever.
          this.opts.logger.warn({ reason: action.reason, updateId: action.updateId }, 'telegram update dropped');
          break;
      }
    } finally {
      // Always, so the button's spinner stops; not awaited, the webhook answers without it.
      if (action.callbackQueryId) void this.answerCallback(action.callbackQueryId);
    }
  }

  async send(address: string, messages: OutboundMessage[]): Promise<void> {
    for (const message of messages) {
      let parts;
      try {
        parts = renderParts(message);
      } catch (err) {
        throw new SendError('rejected', (err as Error).message);
      }
      for (const part of parts) {
        try {
          if (part.document) await this.sendDocument(address, part.document, part.html, part.keyboard);
          else if (part.photo) await this.sendPhoto(address, part.photo, part.html, part.keyboard);
          else await this.sendText(address, part.html, part.keyboard);
        } catch (err) {
          const e = toSendError(err, this.opts.token);
          logSendError(this.opts.logger, e);
          throw e;
        }
      }
    }
  }

  async stop(): Promise<void> {
    if (!this.polling) return;
    // stop() throws "Bot is not running!" until launch() has started the loop (telegraf #2003).
    while (!this.pollingDone) {
      try {
        this.bot.stop('shutdown');
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    // Waits for the batch in hand to be queued.
    await this.polling;
  }

  private sendText(chatId: string, html: string, keyboard?: InlineKeyboardMarkup) {
    return this.bot.telegram.sendMessage(chatId, html, {
      parse_mode: 'HTML',
      link_preview_options: { is_disabled: true },
      ...(keyboard ? { reply_markup: keyboard } : {}),
    });
  }

  private sendPhoto(chatId: string, image: string, caption: string, keyboard?: InlineKeyboardMarkup) {
    return this.bot.telegram.sendPhoto(chatId, this.photoInput(image), {
      ...(caption ? { caption, parse_mode: 'HTML' as const } : {}),
      ...(keyboard ? { reply_markup: keyboard } : {}),
    });
  }

  /** A file on this machine's disk, uploaded (multipart/form-data). */
  private sendDocument(chatId: string, file: DocumentFile, caption: string, keyboard?: InlineKeyboardMarkup) {
    return this.bot.telegram.sendDocument(chatId, Input.fromLocalFile(file.path, file.name), {
      ...(caption ? { caption, parse_mode: 'HTML' as const } : {}),
      ...(keyboard ? { reply_markup: keyboard } : {}),
    });
  }

  /** An https URL Telegram fetches itself, or a file under the content folder, uploaded. */
  private photoInput(image: string) {
    if (/^https:\/\//i.test(image)) return Input.fromURL(image);
    const root = resolve(this.opts.contentDir);
    const path = resolve(root, image);
    if (!path.startsWith(root + sep)) throw new SendError('rejected', `image ${image} is outside the content folder`);
    return Input.fromLocalFile(path);
  }

  private async setCommands(): Promise<void> {
    const t = (locale: Locale) => (key: string) => this.opts.i18n.t(locale, key);
    await this.bot.telegram.setMyCommands(menuCommands(this.opts.defaultLocale, t(this.opts.defaultLocale)));
    for (const locale of ['vi', 'en'] as const) {
      await this.bot.telegram.setMyCommands(menuCommands(locale, t(locale)), { language_code: locale });
    }
  }

  private async answerCallback(id: string): Promise<void> {
    try {
      await this.bot.telegram.answerCbQuery(id);
    } catch (err) {
      this.opts.logger.warn({ err: toSendError(err, this.opts.token).message }, 'answerCallbackQuery failed');
    }
  }

  /** A command in a group: one short pointer to the private chat, sent directly (no learner, no queue). */
  private async pointToPrivateChat(chatId: number, languageCode?: string): Promise<void> {
    const lang = languageCode?.slice(0, 2);
    const locale: Locale = lang === 'vi' || lang === 'en' ? lang : this.opts.defaultLocale;
    const link = `https://t.me/${this.bot.botInfo?.username ?? ''}`;
    try {
      await this.bot.telegram.sendMessage(chatId, this.opts.i18n.t(locale, 'telegram.privateOnly', { link }), {
        link_preview_options: { is_disabled: true },
      });
    } catch (err) {
      this.opts.logger.warn({ err: toSendError(err, this.opts.token).message }, 'telegram group reply failed');
    }
  }
}
