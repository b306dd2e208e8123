/** The chat channels the configuration turns on (Telegram, Zalo), beside those the caller brings (the console, test doubles). */
import type { ChannelAdapter } from '../channels/types.js';
import { TelegramAdapter } from '../channels/telegram/adapter.js';
import { ZaloAdapter } from '../channels/zalo/adapter.js';
import { ZaloBotClient } from '../channels/zalo/client.js';
import type { ConversationId } from '../core/model.js';
import type { Services } from './services.js';
import type { Role } from './index.js';

export function buildChannels(s: Services, role: Role, extra: ChannelAdapter[], onBlocked: (c: ConversationId) => Promise<void>): ChannelAdapter[] {
  const { config, logger } = s;
  const all = [...extra];
  if (config.TELEGRAM_BOT_TOKEN && !all.some((c) => c.name === 'telegram')) {
    all.push(new TelegramAdapter({
      token: config.TELEGRAM_BOT_TOKEN,
      apiRoot: config.TELEGRAM_API_ROOT,
      mode: config.TELEGRAM_MODE,
      // Updates are taken in by web processes (webhook route or the one poller); workers only send.
      receive: role !== 'worker',
      webhook: config.TELEGRAM_WEBHOOK_SECRET ? { publicBaseUrl: config.PUBLIC_BASE_URL, secret: config.TELEGRAM_WEBHOOK_SECRET } : undefined,
      contentDir: s.contentDir,
      i18n: s.i18n,
      defaultLocale: config.DEFAULT_LOCALE,
      logger,
      onBlocked,
    }));
  }
  if (config.ZALO_BOT_TOKEN && !all.some((c) => c.name === 'zalo')) {
    all.push(new ZaloAdapter({
      client: new ZaloBotClient(config.ZALO_BOT_TOKEN, { baseApiUrl: config.ZALO_API_BASE }),
      mode: config.ZALO_MODE,
      publicBaseUrl: config.PUBLIC_BASE_URL,
      webhookSecret: config.ZALO_WEBHOOK_SECRET,
      logger: logger.child({ channel: 'zalo' }),
    }));
  }
  return all;
}

/** The channel's global send rate from the configuration; none for the console. */
export function rateOf(s: Services, channel: ChannelAdapter['name']): number | undefined {
  if (channel === 'telegram') return s.config.TELEGRAM_RATE_PER_SEC;
  if (channel === 'zalo') return s.config.ZALO_RATE_PER_SEC;
  return undefined;
}
