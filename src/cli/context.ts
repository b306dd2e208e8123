/** What every CLI command runs with: the shared services (configuration, content, database, queues); closed afterwards. */
import { pino } from 'pino';
import { loadConfig, ConfigError, type Config } from '../config.js';
import { ContentError } from '../content/problems.js';
import type { LoadedContent } from '../content/load.js';
import type { Database } from '../storage/mongo.js';
import type { Queues } from '../scheduler/queues.js';
import type { Translator } from '../core/ports.js';
import type { Redis } from 'ioredis';
import { buildServices, projectRoot, type Services } from '../app/services.js';

const root = projectRoot(import.meta.url);

export interface CliContext {
  config: Config;
  content: LoadedContent;
  db: Database;
  queues: Queues;
  /** The shared Redis (leases under `queues.settings.prefix`, as the app takes them). */
  redis: Redis;
  i18n: Translator;
  print(text: string): void;
}

/** Runs `action`, then closes everything; a bad input or configuration prints its message and sets exit code 1. */
export async function withServices(action: (ctx: CliContext) => Promise<void>): Promise<void> {
  let services: Services | undefined;
  try {
    const config = loadConfig();
    services = await buildServices(config, { root, logger: pino({ level: 'warn' }, pino.destination(2)) });
    await action({ ...services, print: (t) => process.stdout.write(`${t}\n`) });
  } catch (err) {
    const known = err instanceof ConfigError || err instanceof ContentError || (err as Error).name === 'CliInputError';
    process.stderr.write(`error: ${known ? (err as Error).message : ((err as Error).stack ?? String(err))}\n`);
    process.exitCode = 1;
  } finally {
    await services?.close().catch(() => undefined);
  }
}
