/**
 * The append-only audit log (`admin_audit`): who did what, when, from where. Entries are only
 * inserted, never updated or deleted by the application. The `_id` is the time in ISO-8601 and a
 * random tail (`2026-11-28T12:14:04.123Z~9f2c41d0`), so `_id` order is time order across processes
 * and the `_id` of the last entry read is the cursor of the next page.
 */
import { randomBytes } from 'node:crypto';
import type { Connection } from 'mongoose';
import type { AuditEntry, AuditSink } from './scope.js';

interface AuditDoc {
  _id: string;
  actor: { id: string; name: string };
  action: string;
  target?: string;
  detail?: Record<string, unknown>;
  from: string;
  at: Date;
}

export interface AuditRecord extends Required<Pick<AuditEntry, 'actor' | 'action' | 'from'>> {
  id: string;
  target?: string;
  detail?: Record<string, unknown>;
  at: Date;
}

/** A cursor is an entry's `_id`. */
export const AUDIT_CURSOR = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z~[0-9a-f]{8}$/;

/** Keys that must never reach the log, at any depth of `detail`. */
const SECRET_KEY = /token|secret|password|authorization/i;

function scrub(value: unknown, depth = 0): unknown {
  if (depth > 4 || value === null || typeof value !== 'object' || value instanceof Date) return value;
  if (Array.isArray(value)) return value.slice(0, 50).map((v) => scrub(v, depth + 1));
  return Object.fromEntries(Object.entries(value).filter(([k]) => !SECRET_KEY.test(k)).map(([k, v]) => [k, scrub(v, depth + 1)]));
}

export class MongoAuditLog implements AuditSink {
  constructor(
    private readonly conn: Connection,
    private readonly now: () => Date = () => new Date(),
  ) {}

  private get col() {
    return this.conn.collection<AuditDoc>('admin_audit');
  }

  async record(entry: AuditEntry): Promise<void> {
    const at = entry.at ?? this.now();
    await this.col.insertOne({
      _id: `${at.toISOString()}~${randomBytes(4).toString('hex')}`,
      actor: { id: String(entry.actor.id), name: String(entry.actor.name) },
      action: String(entry.action),
      ...(entry.target !== undefined ? { target: String(entry.target).slice(0, 200) } : {}),
      ...(entry.detail ? { detail: scrub(entry.detail) as Record<string, unknown> } : {}),
      from: String(entry.from),
      at,
    });
  }

  /**
   * Newest first, `limit` entries older than the cursor. A scan sorted in memory on FerretDB 1.24 (it
   * answers only exact `_id` filters from an index): fine for a paginated admin listing, not for a hot path.
   */
  async list(o: { before?: string; limit: number }): Promise<{ entries: AuditRecord[]; next: string | null }> {
    if (o.before !== undefined && !AUDIT_CURSOR.test(o.before)) throw Object.assign(new Error('malformed cursor'), { statusCode: 400 });
    const filter = o.before !== undefined ? { _id: { $lt: o.before } } : {};
    const docs = await this.col.find(filter).sort({ _id: -1 }).limit(o.limit + 1).toArray();
    const page = docs.slice(0, o.limit);
    return {
      entries: page.map(({ _id, ...rest }) => ({ id: _id, ...rest, at: new Date(rest.at) })),
      next: docs.length > o.limit ? page.at(-1)!._id : null,
    };
  }
}
