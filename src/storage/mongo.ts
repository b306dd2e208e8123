/** Connecting to MongoDB (or FerretDB) with the settings every process uses. */
import mongoose, { type Connection } from 'mongoose';
import { ensureIndexes, registerModels, type Models } from './models.js';
import { runMigrations } from './migrations.js';

export interface Database {
  conn: Connection;
  models: Models;
  close(): Promise<void>;
}

export async function connectDatabase(url: string): Promise<Database> {
  const conn = mongoose.createConnection(url, {
    serverSelectionTimeoutMS: 10_000,
    // Every filter value is data, never an operator: `{ $gt: '' }` from a chat message matches nothing.
    sanitizeFilter: true,
    autoIndex: false,
  });
  await conn.asPromise();
  const models = registerModels(conn);
  await ensureIndexes(models);
  await runMigrations(models);
  return { conn, models, close: () => conn.close() };
}
