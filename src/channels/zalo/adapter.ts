/**
 * The Zalo channel: events from polling or the webhook route into the core's InboundEvent;
 * the core's messages out as plain text (numbered or lettered choices, split at 2,000
 * characters) and photos by absolute URL, since Zalo has no buttons, no formatting and no uploads.
 */
import type { Logger } from 'pino';
import type { OutboundMessage } from '../../core/messages.js';
import { logSendError, SendError } from '../shared/errors.js';
import { IngressSlot } from '../shared/ingress.js';
import { renderPlain, splitText } from '../shared/render.js';
import type { ChannelAdapter, ChannelWebhook, Ingress, WebhookOutcome } from '../types.js';
import type { ZaloBotClient } from './client.js';
import { toSendError, ZALO_RATE_LIMIT_PAUSE_MS } from './errors.js';
import { ZaloPoller } from './polling.js';
import type { ZaloUpdate } from './types.js';
import { toInbound, unwrapUpdate, type ZaloInbound } from './updates.js';

/** Zalo's limit for `text` and `caption` (reference §5). */
export const ZALO_TEXT_LIMIT = 2000;

/** The route Zalo posts updates to. */
export const ZALO_WEBHOOK_PATH = '/webhooks/zalo';
/** The header Zalo sends the `secret_token` given to setWebhook in (reference §4). */
const SECRET_HEADER = 'x-bot-api-secret-token';

export interface ZaloAdapterOptions {
  client: ZaloBotClient;
  /** `polling` runs getUpdates; `webhook` registers PUBLIC_BASE_URL + /webhooks/zalo at start. */
  mode: 'polling' | 'webhook';
  /** Where Zalo reaches us, and where content images are fetched from. */
  publicBaseUrl: string;
  /** Required in webhook mode (8–256 characters). */
  webhookSecret?: string;
  logger: Logger;
  /** Seconds per getUpdates call. @defaultValue 30 */
  pollTimeoutSec?: number;
  /** First polling back-off after a network error, in ms. @defaultValue 1000 */
  pollBackoffMs?: number;
  /** How long the send queue pauses after a 429, which carries no retry-after. @defaultValue 30000 */
  rateLimitPauseMs?: number;
}

/** A content path becomes `<PUBLIC_BASE_URL>/content/<path>`; absolute http(s) URLs pass as they are. */
export function mediaUrl(image: string, publicBaseUrl: string): string {
  if (/^https?:\/\//i.test(image)) return image;
  const path = image.replace(/^\/+/, '').split('/').map(encodeURIComponent).join('/');
  return `${publicBaseUrl.replace(/\/+$/, '')}/content/${path}`;
}

export class ZaloAdapter implements ChannelAdapter {
  readonly name = 'zalo' as const;
  /** The route the composition root serves, in webhook mode. */
  readonly webhook?: ChannelWebhook;
  private poller?: ZaloPoller;
  private readonly ingress = new IngressSlot<Ingress>();

  constructor(private readonly opts: ZaloAdapterOptions) {
    if (opts.mode === 'webhook' && opts.webhookSecret) {
      this.webhook = { path: ZALO_WEBHOOK_PATH, secretHeader: SECRET_HEADER, secret: opts.webhookSecret, receive: (body) => this.receive(body) };
    }
  }

  /** Reads a delivered update into an event, or says why there is none. */
  read(update: ZaloUpdate): ZaloInbound {
    const inbound = toInbound(update, new Date());
    if (inbound.kind === 'ignored') {
      // A bad date is worth a look (clock or payload trouble); groups, bots and probes are routine. The
      // date is shown as JSON: String() throws on an object such as {"toString": ""}.
      if (inbound.reason === 'bad_date') this.opts.logger.warn({ reason: inbound.reason, date: (JSON.stringify(update.message?.date) ?? 'none').slice(0, 40) }, 'zalo update dropped');
      else this.opts.logger.debug({ reason: inbound.reason }, 'zalo update ignored');
    }
    return inbound;
  }

  /**
   * One delivery, a webhook body (either shape) or a polled update: queued for the tutor before
   * this resolves. Bodies without a message (probes, `{}`) and events we do not answer are taken
   * in and dropped, so Zalo does not send them again.
   */
  async receive(body: unknown): Promise<WebhookOutcome> {
    const ingress = await this.ingress.get('zalo');
    const update = unwrapUpdate(body);
    if (!update) {
      this.opts.logger.debug('zalo delivery without a message');
      return 'accepted';
    }
    const inbound = this.read(update);
    if (inbound.kind === 'event') await ingress(inbound.event);
    return 'accepted';
  }

  async start(ingress: Ingress): Promise<void> {
    const { client, mode, logger } = this.opts;
    this.ingress.set(ingress);
    if (mode === 'webhook') {
      const url = `${this.opts.publicBaseUrl.replace(/\/+$/, '')}${ZALO_WEBHOOK_PATH}`;
      await client.setWebhook(url, { secret_token: this.opts.webhookSecret ?? '' });
      logger.info({ url }, 'zalo webhook registered');
      return;
    }
    // getUpdates does not work while a webhook is set; "none set" may answer 404, which is fine.
    await client.deleteWebhook().catch((err: Error) => logger.debug({ err: err.message }, 'zalo deleteWebhook'));
    this.poller = new ZaloPoller(
      client,
      async (update) => {
        await this.receive(update);
      },
      logger,
      { timeoutSec: this.opts.pollTimeoutSec, minBackoffMs: this.opts.pollBackoffMs },
    );
    this.poller.start();
    logger.info('zalo polling started');
  }

  async send(address: string, messages: OutboundMessage[]): Promise<void> {
    const { client } = this.opts;
    try {
      for (const m of messages) {
        let text = renderPlain(m);
        if (m.document) {
          // Zalo takes no documents: the page as an image by URL, and the PDF's link in the text.
          const file = m.document.file;
          if (!file) throw new SendError('rejected', `document ${m.document.certificate} has no file attached`);
          await client.sendPhoto(address, file.imageUrl);
          text = `${text}\n📄 PDF: ${file.url}`;
        } else if (m.image) await client.sendPhoto(address, mediaUrl(m.image, this.opts.publicBaseUrl));
        for (const piece of splitText(text, ZALO_TEXT_LIMIT)) {
          if (piece.trim() !== '') await client.sendMessage(address, piece);
        }
      }
    } catch (err) {
      const e = toSendError(err, this.opts.rateLimitPauseMs ?? ZALO_RATE_LIMIT_PAUSE_MS);
      logSendError(this.opts.logger, e);
      throw e;
    }
  }

  async stop(): Promise<void> {
    await this.poller?.stop();
  }
}
