/**
 * The export's rows, kept in Redis: one hash per cohort (`<prefix>:stats:<database>:rows:<cohort>`),
 * a field per learner holding a compact JSON row — the learner's part (`l`, profile and onboarding)
 * and the enrolment's part (`e`, progress), each with the version of the record it was taken from
 * (`lv`, `ev`), so a late older write never replaces a newer one. The tracked stores write the
 * part they saved (one script, off MongoDB); `report recount` rebuilds every row from the records
 * and marks the cohort built. The export reads a built cohort's rows with HSCAN (no scan of the
 * learners and enrolments: FerretDB returns 2–3 thousand documents a second however small they
 * are), and falls back to scanning the records when the cohort was never built (or Redis lost it).
 */
import type { Redis } from 'ioredis';
import type { Enrolment, Learner } from '../../core/model.js';
import { fold } from '../accounts.js';

/** The learner's part of a row. */
export interface LearnerPart {
  fullName: string | null;
  role: string | null;
  province: string | null;
  commune: string | null;
  phone: string | null;
  onboarded: boolean;
  /** Has a conversation (else only invited). */
  started: boolean;
  joinedAt: string | null;
  /**
   * What the admin listing and the broadcast preview read from the row (kept-learners.ts); a part
   * written before they existed lacks them, and those readers then read the learner's record.
   */
  district?: string | null;
  locale?: string;
  stopped?: boolean;
  conversations?: string[];
  unreachable?: string[];
  /** The search keys: name, phone and commune folded (accents, đ and case dropped, as `fold`). */
  q?: string[];
}

/** The enrolment's part of a row. */
export interface EnrolmentPart {
  status: string;
  lessonsDone: number;
  bestPercent: number | null;
  passed: boolean;
  lastActivityAt: string | null;
}

export interface StoredRow {
  l?: LearnerPart;
  lv?: number;
  e?: EnrolmentPart;
  ev?: number;
}

/**
 * The filter index beside the rows (`…:rows-idx:<cohort>`): one field per learner,
 * `<status>\1<province>\1<commune>\1<role>\1<search keys joined by \3>\2<stopped 1/0>\4<last
 * activity>\4<conversations joined by \5>\4<unreachable joined by \5>\2<id>`, so that a listing
 * or a count asks Redis for the fields matching a glob (HSCAN MATCH, in C) instead of walking
 * every row in a script, and a count reads what it needs from the field alone (kept-learners.ts).
 * Values lose any \1–\5 they hold (the reader does the same to what it compares).
 */
const INDEX_FIELD = `
local function idxField(r, id)
  local l, e = r.l, r.e
  if type(l) ~= 'table' or type(l.q) ~= 'table' then return nil end
  local function s(v) if type(v) ~= 'string' then return '' end return (string.gsub(v, '[\\1-\\5]', ' ')) end
  local function joined(t) local out = {} if type(t) == 'table' then for i, v in ipairs(t) do out[i] = s(v) end end return table.concat(out, '\\5') end
  local ev = type(e) == 'table'
  return s(ev and e.status or nil) .. '\\1' .. s(l.province) .. '\\1' .. s(l.commune) .. '\\1' .. s(l.role) .. '\\1' .. joined(l.q) .. '\\2'
    .. (l.stopped == true and '1' or '0') .. '\\4' .. s(ev and e.lastActivityAt or nil) .. '\\4' .. joined(l.conversations) .. '\\4' .. joined(l.unreachable) .. '\\2' .. id
end`;

/** KEYS rows, index; ARGV learner id, part name (`l`/`e`), record version, part JSON. An older version than the stored one is ignored. */
const WRITE = `${INDEX_FIELD}
local cur = redis.call('HGET', KEYS[1], ARGV[1])
local row = cur and cjson.decode(cur) or {}
local vk = ARGV[2] .. 'v'
local v = tonumber(ARGV[3])
if row[vk] and tonumber(row[vk]) > v then return 0 end
local before = idxField(row, ARGV[1])
row[ARGV[2]] = cjson.decode(ARGV[4])
row[vk] = v
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(row))
local after = idxField(row, ARGV[1])
if before ~= after then
  if before then redis.call('HDEL', KEYS[2], before) end
  if after then redis.call('HSET', KEYS[2], after, '') end
end
return 1`;

export function iso(d: unknown): string | null {
  if (!d) return null;
  const t = new Date(d as string);
  return Number.isNaN(t.getTime()) ? null : t.toISOString();
}

function str(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

/** What an admin's search text is looked for in: the name, phone and commune, folded (`fold`). */
export function searchKeys(profile: Record<string, unknown>): string[] {
  return [profile.fullName, profile.phone, profile.commune].filter((f): f is string => typeof f === 'string').map(fold);
}

export function learnerPart(l: Pick<Learner, 'profile' | 'conversations' | 'onboarded' | 'createdAt'> & Partial<Pick<Learner, 'unreachable' | 'stopped' | 'locale'>>): LearnerPart {
  const p = (l.profile ?? {}) as Record<string, unknown>;
  const conversations = Array.isArray(l.conversations) ? l.conversations.map(String) : [];
  return {
    fullName: str(p.fullName),
    role: str(p.role),
    province: str(p.province),
    commune: str(p.commune),
    phone: str(p.phone),
    onboarded: l.onboarded === true,
    started: (l.conversations?.length ?? 0) > 0,
    joinedAt: iso(l.createdAt),
    district: str(p.district),
    locale: typeof l.locale === 'string' ? l.locale : undefined,
    stopped: l.stopped === true,
    conversations,
    unreachable: Array.isArray(l.unreachable) ? l.unreachable.map(String) : [],
    q: searchKeys(p),
  };
}

export function enrolmentPart(e: Pick<Enrolment, 'status' | 'completedLessons' | 'finalAttempts' | 'lastActivityAt'>): EnrolmentPart {
  const attempts: any[] = Array.isArray(e.finalAttempts) ? e.finalAttempts : [];
  const scores = attempts.map((a) => a?.scorePercent).filter((s): s is number => typeof s === 'number');
  return {
    status: String(e.status),
    lessonsDone: new Set(Array.isArray(e.completedLessons) ? e.completedLessons : []).size,
    bestPercent: scores.length ? Math.max(...scores) : null,
    passed: attempts.some((a) => a?.passed === true),
    lastActivityAt: iso(e.lastActivityAt),
  };
}

type Scripted = Redis & { cdsStatsRow(key: string, index: string, id: string, part: string, version: number, json: string): Promise<number> };

export class ExportRows {
  private readonly redis: Scripted;

  /** `keyPrefix`: the counters' (`<prefix>:stats:<database>`). */
  constructor(
    redis: Redis,
    private readonly keyPrefix: string,
  ) {
    const r = redis as Scripted;
    if (typeof r.cdsStatsRow !== 'function') r.defineCommand('cdsStatsRow', { lua: WRITE, numberOfKeys: 2 });
    this.redis = r;
  }

  key(cohortId: string): string {
    return `${this.keyPrefix}:rows:${cohortId}`;
  }

  /** The filter index (see INDEX_FIELD). */
  indexKey(cohortId: string): string {
    return `${this.keyPrefix}:rows-idx:${cohortId}`;
  }

  private builtKey(cohortId: string): string {
    return `${this.keyPrefix}:rows-built:${cohortId}`;
  }

  /** Set by a rebuild with this code: every row has its index field in this form (rows built before lack them). */
  private indexedKey(cohortId: string): string {
    return `${this.keyPrefix}:rows-indexed2:${cohortId}`;
  }

  /** After a save: `version` is the saved record's. */
  async learnerSaved(l: Pick<Learner, 'id' | 'cohortId' | 'profile' | 'conversations' | 'onboarded' | 'createdAt'> & Partial<Pick<Learner, 'unreachable' | 'stopped' | 'locale'>>, version: number): Promise<void> {
    await this.redis.cdsStatsRow(this.key(l.cohortId), this.indexKey(l.cohortId), l.id, 'l', version, JSON.stringify(learnerPart(l)));
  }

  async enrolmentSaved(e: Pick<Enrolment, 'learnerId' | 'cohortId' | 'status' | 'completedLessons' | 'finalAttempts' | 'lastActivityAt'>, version: number): Promise<void> {
    await this.redis.cdsStatsRow(this.key(e.cohortId), this.indexKey(e.cohortId), e.learnerId, 'e', version, JSON.stringify(enrolmentPart(e)));
  }

  /** A rebuild (the recount): writes rows as the records have them, through the same version check, many per round trip. */
  builder(cohortId: string): { add(id: string, l: LearnerPart, lv: number, e: EnrolmentPart | undefined, ev: number | undefined): Promise<void>; done(): Promise<void> } {
    const key = this.key(cohortId);
    const index = this.indexKey(cohortId);
    let pipe = this.redis.pipeline();
    let n = 0;
    const send = async () => {
      const p = pipe;
      pipe = this.redis.pipeline();
      n = 0;
      const res = await p.exec();
      const failed = res?.find(([err]) => err);
      if (failed) throw failed[0];
    };
    return {
      add: async (id, l, lv, e, ev) => {
        (pipe as any).cdsStatsRow(key, index, id, 'l', lv, JSON.stringify(l));
        if (e && ev !== undefined) (pipe as any).cdsStatsRow(key, index, id, 'e', ev, JSON.stringify(e));
        if (++n >= 500) await send();
      },
      done: async () => {
        await send();
        const at = new Date().toISOString();
        await this.redis.set(this.builtKey(cohortId), at);
        await this.redis.set(this.indexedKey(cohortId), at);
      },
    };
  }

  /** Drops the rows of learners no longer in the cohort (the recount, once it saw every learner). */
  async keepOnly(cohortId: string, ids: Set<string>): Promise<number> {
    const gone: string[] = [];
    for await (const id of this.ids(cohortId)) if (!ids.has(id)) gone.push(id);
    for (let i = 0; i < gone.length; i += 500) await this.redis.hdel(this.key(cohortId), ...gone.slice(i, i + 500));
    return gone.length;
  }

  private async *ids(cohortId: string): AsyncGenerator<string> {
    for await (const [id] of this.scan(cohortId)) yield id;
  }

  async built(cohortId: string): Promise<boolean> {
    return (await this.redis.exists(this.builtKey(cohortId))) === 1;
  }

  /** Built by this code's rebuild: the filter index holds every row. */
  async indexed(cohortId: string): Promise<boolean> {
    return (await this.redis.exists(this.indexedKey(cohortId))) === 1;
  }

  /**
   * Every row of the cohort, a thousand per round trip. HSCAN may return a field twice when the
   * hash is resized meanwhile: the ids seen are kept (a few MB for 100,000) so each row comes once.
   */
  async *scan(cohortId: string): AsyncGenerator<[string, StoredRow]> {
    const seen = new Set<string>();
    let cursor = '0';
    do {
      const [next, flat] = await this.redis.hscan(this.key(cohortId), cursor, 'COUNT', 1000);
      cursor = next;
      for (let i = 0; i < flat.length; i += 2) {
        const id = flat[i]!;
        if (seen.has(id)) continue;
        seen.add(id);
        yield [id, JSON.parse(flat[i + 1]!) as StoredRow];
      }
    } while (cursor !== '0');
  }
}
