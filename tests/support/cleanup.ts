/** Removing what a test or benchmark run left behind on the shared Redis and MongoDB-compatible server. */
import { Redis } from 'ioredis';
import { connectDatabase } from '../../src/storage/mongo.js';

/** Deletes every key under `prefix:` (SCAN, not KEYS: the Redis may be shared and large). */
export async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 5000);
    cursor = next;
    if (keys.length) await redis.unlink(...keys);
  } while (cursor !== '0');
}

/** Deletes a run's Redis keys and drops its database, on connections of its own. */
export async function dropRun(config: { REDIS_URL: string; MONGODB_URL: string }, prefix: string): Promise<void> {
  const redis = new Redis(config.REDIS_URL);
  await deleteKeys(redis, prefix);
  await redis.quit();
  const db = await connectDatabase(config.MONGODB_URL);
  await db.conn.dropDatabase();
  await db.close();
}
