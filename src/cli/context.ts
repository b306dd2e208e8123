/** What every CLI command runs with: validated configuration, content, the database and queues; closed afterwards. */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { loadConfig, ConfigError, type Config } from '../config.js';
import { loadContent, type LoadedContent } from '../content/load.js';
import { connectDatabase, type Database } from '../storage/mongo.js';
import { syncContentCohorts } from '../storage/cohorts.js';
import { Queues } from '../scheduler/queues.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export interface CliContext {
  config: Config;
  content: LoadedContent;
  db: Database;
  queues: Queues;
  print(text: string): void;
}

/** Runs `action`, then closes everything; a bad input or configuration prints its message and sets exit code 1. */
export async function withServices(action: (ctx: CliContext) => Promise<void>): Promise<void> {
  let db: Database | undefined;
  let redis: Redis | undefined;
  let queues: Queues | undefined;
  try {
    const config = loadConfig();
    const dir = config.CONTENT_DIR.startsWith('/') ? config.CONTENT_DIR : resolve(root, config.CONTENT_DIR);
    const content = loadContent(dir);
    db = await connectDatabase(config.MONGODB_URL);
    await syncContentCohorts(db.models, content.cohorts, new Date());
    redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: null });
    queues = new Queues({ connection: redis, prefix: 'cds' });
    await action({ config, content, db, queues, print: (t) => process.stdout.write(`${t}\n`) });
  } catch (err) {
    const known = err instanceof ConfigError || (err as Error).name === 'CliInputError';
    process.stderr.write(`error: ${known ? (err as Error).message : ((err as Error).stack ?? String(err))}\n`);
    process.exitCode = 1;
  } finally {
    await queues?.close().catch(() => undefined);
    await redis?.quit().catch(() => undefined);
    await db?.close().catch(() => undefined);
  }
}
