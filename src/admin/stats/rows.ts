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
 *
 * Kept by the same script, beside it:
 * - the segment counters (`…:rows-cnt:<cohort>`, and by commune `…:rows-cntc:<cohort>:<commune>`,
 *   the communes listed in the set `…:rows-cntc:<cohort>`): how many learners not stopped have
 *   each `<status>\1<province>\1<role>\1<reach>`, where `<reach>` is the shape of their
 *   conversations: per conversation in order, `c<channel>` (+ `\3` when unreachable) or `d<k>`
 *   (the same conversation as the k-th), joined by \5. The broadcast preview sums these instead
 *   of reading 100,000 index fields; the reach shape is all its channel choice needs.
 * - the Zalo index (`…:rows-zalo:<cohort>`): the index fields of the learners with a Zalo
 *   conversation, for the preview's exact count of those held by the day's Zalo budget.
 * - the search text (`…:rows-q:<cohort>`): SEARCH_SHARDS fields (shards by id), each the lines
 *   `<search keys joined by \3>\2<status>\1<province>\4<commune>\5<role>\2<id>\n` of its
 *   learners, \1–\5 and newlines in values made spaces. A search reads each shard as one string and
 *   finds the text in it with Lua's plain `string.find` (memchr and memcmp: megabytes a
 *   millisecond), instead of matching 100,000 index fields one by one; a listing by status,
 *   province, commune or role finds its values the same way (`\1<province>\4`: the separators
 *   around each value are its own).
 *
 * The counters are the one part that adds up rather than being set, so a rebuild (the recount)
 * empties them with the index, the Zalo index and the search text, marks the cohort rebuilding,
 * and from then on counts a learner once: the first write of a learner during a rebuild adds their
 * row as it now is (and notes the id); later writes move them as usual. The rebuild then drops the
 * rows of learners it never wrote (gone from the records).
 */
/**
 * The search text's shards: a save rewrites its learner's shard (about 105 bytes a learner: 10 KB
 * at 100,000 learners, 100 KB at a million), a search reads them all.
 */
export const SEARCH_SHARDS = 1024;

const INDEX_FIELD = `
local find = string.find
local function s(v) if type(v) ~= 'string' then return '' end return (string.gsub(v, '[\\1-\\5]', ' ')) end
local function chOf(c) local i = find(c, ':', 1, true) if not i then return '' end return string.sub(c, 1, i - 1) end
local function idxField(r, id)
  local l, e = r.l, r.e
  if type(l) ~= 'table' or type(l.q) ~= 'table' then return nil end
  local function joined(t) local out = {} if type(t) == 'table' then for i, v in ipairs(t) do out[i] = s(v) end end return table.concat(out, '\\5') end
  local ev = type(e) == 'table'
  return s(ev and e.status or nil) .. '\\1' .. s(l.province) .. '\\1' .. s(l.commune) .. '\\1' .. s(l.role) .. '\\1' .. joined(l.q) .. '\\2'
    .. (l.stopped == true and '1' or '0') .. '\\4' .. s(ev and e.lastActivityAt or nil) .. '\\4' .. joined(l.conversations) .. '\\4' .. joined(l.unreachable) .. '\\2' .. id
end
-- The counters' fields (coarse, by commune) of a row, the Zalo index's field, the search line; nil where none.
local function parts(r, id)
  local f = idxField(r, id)
  if not f then return nil, nil, nil, nil, nil end
  local l, e = r.l, r.e
  local convs = type(l.conversations) == 'table' and l.conversations or {}
  local blocked, seen, shape, zalo = {}, {}, {}, false
  if type(l.unreachable) == 'table' then for _, c in ipairs(l.unreachable) do blocked[c] = true end end
  for i, c in ipairs(convs) do
    if seen[c] then shape[i] = 'd' .. seen[c]
    else
      seen[c] = i
      local ch = type(c) == 'string' and chOf(c) or ''
      if ch == 'zalo' then zalo = true end
      shape[i] = 'c' .. s(ch) .. (blocked[c] and '\\3' or '')
    end
  end
  local function nl(v) return (string.gsub(v, '\\n', ' ')) end
  local keys = {}
  for i, v in ipairs(l.q) do keys[i] = nl(s(v)) end
  local st, pr, co, ro = s(type(e) == 'table' and e.status or nil), s(l.province), s(l.commune), s(l.role)
  local line = table.concat(keys, '\\3') .. '\\2' .. nl(st) .. '\\1' .. nl(pr) .. '\\4' .. nl(co) .. '\\5' .. nl(ro) .. '\\2' .. id .. '\\n'
  if l.stopped == true then return f, nil, nil, zalo and f or nil, line end
  local reach = table.concat(shape, '\\5')
  local field = st .. '\\1' .. pr .. '\\1' .. ro .. '\\1' .. reach
  return f, field, co .. '\\2' .. field, zalo and f or nil, line
end
local function shardOf(id)
  local h = 0
  for i = 1, #id do h = (h * 31 + string.byte(id, i)) % 2147483647 end
  return tostring(h % ${SEARCH_SHARDS})
end
local function unline(key, id)
  local field = shardOf(id)
  local blob = redis.call('HGET', key, field)
  if not blob then return end
  local tail = '\\2' .. id .. '\\n'
  local q = find(blob, tail, 1, true)
  if not q then return end
  local st = q
  while st > 1 and string.byte(blob, st - 1) ~= 10 do st = st - 1 end
  local rest = string.sub(blob, 1, st - 1) .. string.sub(blob, q + #tail)
  if rest == '' then redis.call('HDEL', key, field) else redis.call('HSET', key, field, rest) end
end
local function addLine(key, id, line)
  local field = shardOf(id)
  redis.call('HSET', key, field, (redis.call('HGET', key, field) or '') .. line)
end
local function bump(key, field, by)
  if not field then return end
  if redis.call('HINCRBY', key, field, by) == 0 then redis.call('HDEL', key, field) end
end
-- By commune: a hash per commune (\`<set key>:<commune>\`), the communes in the set (for the rebuild).
local function bumpC(set, cf, by)
  if not cf then return end
  local i = find(cf, '\\2', 1, true)
  local co = string.sub(cf, 1, i - 1)
  if by > 0 then redis.call('SADD', set, co) end
  bump(set .. ':' .. co, string.sub(cf, i + 1), by)
end
-- KEYS rows, index, counters, counters by commune, Zalo index, search, rebuilding flag, rebuilt ids.
-- The row's old form (b*) replaced by its new (a*, nil: dropped) in everything kept beside it.
local function moved(id, bIdx, bC, bF, bZ, bQ, aIdx, aC, aF, aZ, aQ)
  local counted = redis.call('EXISTS', KEYS[7]) == 0 or redis.call('HEXISTS', KEYS[8], id) == 1
  if bIdx ~= aIdx or not counted then
    if bIdx and bIdx ~= aIdx then redis.call('HDEL', KEYS[2], bIdx) end
    if aIdx then redis.call('HSET', KEYS[2], aIdx, '') end
  end
  if bZ ~= aZ or not counted then
    if bZ and bZ ~= aZ then redis.call('HDEL', KEYS[5], bZ) end
    if aZ then redis.call('HSET', KEYS[5], aZ, '') end
  end
  if bQ ~= aQ or not counted then
    unline(KEYS[6], id)
    if aQ then addLine(KEYS[6], id, aQ) end
  end
  if counted then
    if bC ~= aC then bump(KEYS[3], bC, -1) bump(KEYS[3], aC, 1) end
    if bF ~= aF then bumpC(KEYS[4], bF, -1) bumpC(KEYS[4], aF, 1) end
  else
    bump(KEYS[3], aC, 1)
    bumpC(KEYS[4], aF, 1)
    redis.call('HSET', KEYS[8], id, '1')
  end
end`;

/** KEYS as for `moved`; ARGV learner id, part name (`l`/`e`), record version, part JSON. An older version than the stored one is ignored. */
const WRITE = `${INDEX_FIELD}
local cur = redis.call('HGET', KEYS[1], ARGV[1])
local row = cur and cjson.decode(cur) or {}
local vk = ARGV[2] .. 'v'
local v = tonumber(ARGV[3])
local older = row[vk] and tonumber(row[vk]) > v
local bIdx, bC, bF, bZ, bQ = parts(row, ARGV[1])
if older then
  -- Nothing to write; during a rebuild the stored row is still counted once.
  if redis.call('EXISTS', KEYS[7]) == 1 and redis.call('HEXISTS', KEYS[8], ARGV[1]) == 0 then moved(ARGV[1], bIdx, bC, bF, bZ, bQ, bIdx, bC, bF, bZ, bQ) end
  return 0
end
row[ARGV[2]] = cjson.decode(ARGV[4])
row[vk] = v
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(row))
local aIdx, aC, aF, aZ, aQ = parts(row, ARGV[1])
moved(ARGV[1], bIdx, bC, bF, bZ, bQ, aIdx, aC, aF, aZ, aQ)
return 1`;

/** KEYS as for `moved`; ARGV ids: their rows dropped with what is kept beside them. */
const DROP = `${INDEX_FIELD}
local n = 0
for _, id in ipairs(ARGV) do
  local cur = redis.call('HGET', KEYS[1], id)
  if cur then
    local bIdx, bC, bF, bZ, bQ = parts(cjson.decode(cur), id)
    moved(id, bIdx, bC, bF, bZ, bQ, nil, nil, nil, nil, nil)
    redis.call('HDEL', KEYS[1], id)
    redis.call('HDEL', KEYS[8], id)
    n = n + 1
  end
end
return n`;

/**
 * KEYS as for `moved`, then the indexed marker; ARGV the time. A rebuild starts: what is kept beside
 * the rows emptied (the communes' counters by their set), the cohort marked rebuilding, at once.
 */
const REBUILD = `
redis.call('DEL', KEYS[9], KEYS[8])
for _, co in ipairs(redis.call('SMEMBERS', KEYS[4])) do redis.call('DEL', KEYS[4] .. ':' .. co) end
redis.call('DEL', KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6])
redis.call('SET', KEYS[7], ARGV[1])
return 1`;

/** KEYS rows, rebuilt ids; ARGV HSCAN cursor: the ids of one step's rows not written by the rebuild. */
const STALE = `
local res = redis.call('HSCAN', KEYS[1], ARGV[1], 'COUNT', 1000)
local out = {}
local flat = res[2]
for i = 1, #flat, 2 do if redis.call('HEXISTS', KEYS[2], flat[i]) == 0 then out[#out + 1] = flat[i] end end
return {res[1], out}`;

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

type Scripted = Redis & {
  cdsStatsRow(...args: (string | number)[]): Promise<number>;
  cdsStatsDrop(...args: string[]): Promise<number>;
  cdsStatsStale(rows: string, rebuilt: string, cursor: string): Promise<[string, string[]]>;
  cdsStatsRebuild(...args: string[]): Promise<number>;
};

export class ExportRows {
  private readonly redis: Scripted;

  /** `keyPrefix`: the counters' (`<prefix>:stats:<database>`). */
  constructor(
    redis: Redis,
    private readonly keyPrefix: string,
  ) {
    const r = redis as Scripted;
    if (typeof r.cdsStatsRow !== 'function') {
      r.defineCommand('cdsStatsRow', { lua: WRITE, numberOfKeys: 8 });
      r.defineCommand('cdsStatsDrop', { lua: DROP, numberOfKeys: 8 });
      r.defineCommand('cdsStatsStale', { lua: STALE, numberOfKeys: 2 });
      r.defineCommand('cdsStatsRebuild', { lua: REBUILD, numberOfKeys: 9 });
    }
    this.redis = r;
  }

  key(cohortId: string): string {
    return `${this.keyPrefix}:rows:${cohortId}`;
  }

  /** The filter index (see INDEX_FIELD). */
  indexKey(cohortId: string): string {
    return `${this.keyPrefix}:rows-idx:${cohortId}`;
  }

  /** The segment counters: by status, province, role and reach. */
  countersKey(cohortId: string): string {
    return `${this.keyPrefix}:rows-cnt:${cohortId}`;
  }

  /** The set of the communes counted: each has the same counters for its learners (`communeCountersKey`). */
  communesKey(cohortId: string): string {
    return `${this.keyPrefix}:rows-cntc:${cohortId}`;
  }

  /** One commune's counters (the commune as the index holds it: \1–\5 made spaces). */
  communeCountersKey(cohortId: string, commune: string): string {
    return `${this.communesKey(cohortId)}:${commune.replace(/[\u0001-\u0005]/g, ' ')}`;
  }

  /** The index fields of the learners with a Zalo conversation. */
  zaloKey(cohortId: string): string {
    return `${this.keyPrefix}:rows-zalo:${cohortId}`;
  }

  /** The search text, SEARCH_SHARDS shards. */
  searchKey(cohortId: string): string {
    return `${this.keyPrefix}:rows-q:${cohortId}`;
  }

  private builtKey(cohortId: string): string {
    return `${this.keyPrefix}:rows-built:${cohortId}`;
  }

  /** Set by a rebuild with this code: the index, counters, Zalo index and search text hold every row (rows built before lack them). */
  private indexedKey(cohortId: string): string {
    return `${this.keyPrefix}:rows-indexed3:${cohortId}`;
  }

  /** The keys the row scripts take (see `moved` in INDEX_FIELD). */
  private scriptKeys(cohortId: string): string[] {
    return [this.key(cohortId), this.indexKey(cohortId), this.countersKey(cohortId), this.communesKey(cohortId), this.zaloKey(cohortId), this.searchKey(cohortId), `${this.keyPrefix}:rows-rebuilding:${cohortId}`, `${this.keyPrefix}:rows-rebuilt:${cohortId}`];
  }

  /** After a save: `version` is the saved record's. */
  async learnerSaved(l: Pick<Learner, 'id' | 'cohortId' | 'profile' | 'conversations' | 'onboarded' | 'createdAt'> & Partial<Pick<Learner, 'unreachable' | 'stopped' | 'locale'>>, version: number): Promise<void> {
    await this.redis.cdsStatsRow(...this.scriptKeys(l.cohortId), l.id, 'l', version, JSON.stringify(learnerPart(l)));
  }

  async enrolmentSaved(e: Pick<Enrolment, 'learnerId' | 'cohortId' | 'status' | 'completedLessons' | 'finalAttempts' | 'lastActivityAt'>, version: number): Promise<void> {
    await this.redis.cdsStatsRow(...this.scriptKeys(e.cohortId), e.learnerId, 'e', version, JSON.stringify(enrolmentPart(e)));
  }

  /**
   * A rebuild (the recount): writes rows as the records have them, through the same version check,
   * many per round trip. It first empties what is kept beside the rows (the readers scan the rows
   * meanwhile) and marks the cohort rebuilding (see INDEX_FIELD); `done` drops the rows of learners
   * it was not given (nor saved meanwhile) and marks the cohort built and indexed.
   */
  builder(cohortId: string): { add(id: string, l: LearnerPart, lv: number, e: EnrolmentPart | undefined, ev: number | undefined): Promise<void>; done(): Promise<void> } {
    const keys = this.scriptKeys(cohortId);
    const [rowsKey, , , , , , rebuilding, rebuilt] = keys as [string, string, string, string, string, string, string, string];
    let pipe = this.redis.pipeline();
    let n = 0;
    let started: Promise<void> | null = null;
    const start = () =>
      (started ??= (async () => {
        await this.redis.cdsStatsRebuild(...keys, this.indexedKey(cohortId), new Date().toISOString());
      })());
    const send = async () => {
      await start();
      const p = pipe;
      pipe = this.redis.pipeline();
      n = 0;
      const res = await p.exec();
      const failed = res?.find(([err]) => err);
      if (failed) throw failed[0];
    };
    return {
      add: async (id, l, lv, e, ev) => {
        await start();
        (pipe as any).cdsStatsRow(...keys, id, 'l', lv, JSON.stringify(l));
        if (e && ev !== undefined) (pipe as any).cdsStatsRow(...keys, id, 'e', ev, JSON.stringify(e));
        if (++n >= 500) await send();
      },
      done: async () => {
        await send();
        // Rows never written during the rebuild belong to learners gone from the records.
        let cursor = '0';
        do {
          const [next, stale] = await this.redis.cdsStatsStale(rowsKey, rebuilt, cursor);
          cursor = next;
          for (let i = 0; i < stale.length; i += 500) await this.redis.cdsStatsDrop(...keys, ...stale.slice(i, i + 500));
        } while (cursor !== '0');
        const at = new Date().toISOString();
        await this.redis.multi().del(rebuilding, rebuilt).set(this.builtKey(cohortId), at).set(this.indexedKey(cohortId), at).exec();
      },
    };
  }

  /** Drops the rows of learners no longer in the cohort, with what is kept beside them. */
  async keepOnly(cohortId: string, ids: Set<string>): Promise<number> {
    const gone: string[] = [];
    for await (const id of this.ids(cohortId)) if (!ids.has(id)) gone.push(id);
    let n = 0;
    for (let i = 0; i < gone.length; i += 500) n += await this.redis.cdsStatsDrop(...this.scriptKeys(cohortId), ...gone.slice(i, i + 500));
    return n;
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
