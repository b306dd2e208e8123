/**
 * Entry point: `main.ts [all|web|worker]`. With no channel token set, `all` opens the
 * console chat on this terminal. SIGINT/SIGTERM stop intake, finish work in hand and exit 0.
 */
import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { ConfigError, loadConfig } from './config.js';
import { createApp, projectRoot, type App, type Role } from './app/index.js';
import { ContentError } from './content/problems.js';
import { ConsoleAdapter } from './channels/console/adapter.js';
import type { ChannelAdapter } from './channels/types.js';

const root = projectRoot(import.meta.url);
const role = (process.argv[2] ?? 'all') as Role;
if (!['all', 'web', 'worker'].includes(role)) {
  process.stderr.write(`Unknown role "${role}": use all, web or worker.\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  const config = loadConfig();
  const useConsole = role === 'all' && !config.TELEGRAM_BOT_TOKEN && !config.ZALO_BOT_TOKEN;
  // In the console chat, logs would interleave with the conversation: only warnings and worse.
  const logger = pino({ level: useConsole && config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL }, pino.destination(2));
  const channels: ChannelAdapter[] = [];
  let app: App | undefined;
  let consoleEnded = false;
  if (useConsole) {
    channels.push(
      new ConsoleAdapter({
        input: process.stdin,
        output: process.stdout,
        sessionId: randomUUID().slice(0, 8),
        languageCode: config.DEFAULT_LOCALE,
        onEnd: () => {
          consoleEnded = true;
        },
      }),
    );
  }
  let stopping = false;
  const shutdown = async (reason: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ reason }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error('shutdown took over 10 s; exiting');
      process.exit(1);
    }, 10_000);
    timer.unref();
    // A signal during start-up waits for the start to finish, then stops what it started.
    await starting.catch(() => undefined);
    await app?.stop();
    clearTimeout(timer);
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));

  // Beside the console chat the HTTP server is a convenience: a port in use is a warning, not a failure.
  const starting = createApp({ config, role, root, logger, channels, listen: useConsole ? 'optional' : true });
  app = await starting;
  if (stopping) return;
  logger.info({ role, port: app.server ? config.HTTP_PORT : undefined }, 'cds-tutor started');
  if (useConsole) {
    process.stdout.write(`${app.i18n.t(config.DEFAULT_LOCALE, 'console.banner')}\n> `);
  }

  if (useConsole) {
    // When the input ends (Ctrl-D, or the end of a piped script), finish every reply, then stop.
    const poll = setInterval(() => {
      if (!consoleEnded || stopping) return;
      void app!.idle().then((idle) => {
        if (idle) {
          clearInterval(poll);
          void shutdown('input ended');
        }
      });
    }, 200);
  }
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof ContentError) {
    process.stderr.write(`${err.message}\n`);
  } else {
    process.stderr.write(`cds-tutor could not start: ${(err as Error).stack ?? String(err)}\n`);
  }
  process.exit(1);
});
