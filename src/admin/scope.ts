/**
 * Who an administrator is and what they may reach. Shared by every admin surface (HTTP API, CLI,
 * chat commands, dashboard): the account's scope is checked on the server for every read and write.
 */
export type AdminScope = { kind: 'ministry' } | { kind: 'province'; province: string };

/** The account a request or command acts as. `id` is `bootstrap` for ADMIN_TOKEN. */
export interface AdminPrincipal {
  id: string;
  name: string;
  scope: AdminScope;
}

/** Thrown when a principal asks for what its scope does not cover: 403, never an empty success. */
export class ScopeError extends Error {
  readonly statusCode = 403;
  constructor(message: string) {
    super(message);
    this.name = 'ScopeError';
  }
}

/** `ministry` or `province:<name>` (the name as listed in content/provinces.yaml). */
export function parseScope(text: string): AdminScope {
  const t = text.trim().normalize('NFC');
  if (t === 'ministry') return { kind: 'ministry' };
  const m = /^province:\s*"?([^"]+?)"?\s*$/.exec(t);
  if (m) return { kind: 'province', province: m[1]! };
  throw new Error(`scope must be "ministry" or "province:<name>", not "${text.slice(0, 80)}"`);
}

export function formatScope(scope: AdminScope): string {
  return scope.kind === 'ministry' ? 'ministry' : `province:${scope.province}`;
}

/** Whether the scope covers a province (a ministry account covers all of them). */
export function covers(scope: AdminScope, province: string | undefined): boolean {
  if (scope.kind === 'ministry') return true;
  return province !== undefined && province.normalize('NFC') === scope.province.normalize('NFC');
}

/**
 * The province a request may read or write, given the one it asked for: a province account asking
 * for nothing gets its own; asking for another is a ScopeError. A ministry account gets what it asked.
 */
export function provinceFor(scope: AdminScope, asked: string | undefined): string | undefined {
  if (scope.kind === 'ministry') return asked;
  if (asked === undefined || asked === '') return scope.province;
  if (!covers(scope, asked)) throw new ScopeError(`this account may only reach ${scope.province}`);
  return scope.province;
}

/** One line of the append-only audit log: who did what, when, from where. */
export interface AuditEntry {
  actor: Pick<AdminPrincipal, 'id' | 'name'>;
  /** e.g. `admin.add`, `roster.import`, `broadcast.create`, `certificate.revoke`. */
  action: string;
  /** What it acted on (an id, a cohort, a code). */
  target?: string;
  /** Small JSON-able facts (counts, reason); never a token. */
  detail?: Record<string, unknown>;
  /** The client's address for HTTP; `cli` or `chat:<conversation>` otherwise. */
  from: string;
  at?: Date;
}

/** Where audit entries go; the admin issue's store implements it. */
export interface AuditSink {
  record(entry: AuditEntry): Promise<void>;
}
