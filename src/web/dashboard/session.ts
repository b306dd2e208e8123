/**
 * Dashboard sessions in Redis. The cookie carries a random id (signed); Redis keeps only its
 * SHA-256, so a dump of Redis opens no session. Each session has its own CSRF token, compared in
 * constant time on every form post. Sessions expire after eight hours.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { AdminPrincipal } from '../../admin/scope.js';
import { secretMatches } from '../../http/secret.js';

export const SESSION_TTL_S = 8 * 3600;

export interface Session {
  principal: AdminPrincipal;
  csrf: string;
  createdAt: string;
}

export class Sessions {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly ttlS = SESSION_TTL_S,
  ) {}

  private key(id: string): string {
    return `${this.prefix}:dash:session:${createHash('sha256').update(id, 'utf8').digest('hex')}`;
  }

  /** Opens a session; returns the id for the cookie (never stored as is). */
  async open(principal: AdminPrincipal, now: Date): Promise<{ id: string; session: Session }> {
    const id = randomBytes(32).toString('base64url');
    const session: Session = { principal, csrf: randomBytes(24).toString('base64url'), createdAt: now.toISOString() };
    await this.redis.set(this.key(id), JSON.stringify(session), 'EX', this.ttlS);
    return { id, session };
  }

  async get(id: string | undefined): Promise<Session | null> {
    if (!id || id.length > 100) return null;
    const raw = await this.redis.get(this.key(id));
    if (!raw) return null;
    try {
      return JSON.parse(raw) as Session;
    } catch {
      return null;
    }
  }

  async close(id: string | undefined): Promise<void> {
    if (id && id.length <= 100) await this.redis.del(this.key(id));
  }
}

/** Whether a posted CSRF token is the session's (constant time). */
export function csrfMatches(session: Session, posted: unknown): boolean {
  return typeof posted === 'string' && posted.length > 0 && secretMatches(posted, session.csrf);
}
