/**
 * The admin learner listing and the broadcast preview's count, answered from the kept rows
 * (rows.ts) instead of a scan of the learners: FerretDB 1.24 reads 2–10 thousand documents a
 * second, Redis filters a row in microseconds.
 *
 * The filtering runs inside Redis, in a script called again and again by Node, each call bounded
 * (a few milliseconds: Redis serves everyone else between calls). In a cohort indexed by this code:
 * - A listing with search text finds it in the search text (rows.ts: each learner's folded name,
 *   phone and commune, one line each, in 1,024 strings) with Lua's plain `string.find`, in C at
 *   memchr speed, and checks each learner found on their row: the same substring search as
 *   before, about 5 MB read at 100,000 learners when nothing matches. A listing by status,
 *   province, commune or role finds those values the same way (the lines carry them, between
 *   separators of their own). A listing with nothing to narrow walks the rows. Pages follow the
 *   search text's order (`next`: shard × 10⁹ + offset in it).
 * - The preview sums the segment counters (rows.ts: learners by status, province, role and the
 *   shape of their conversations; by commune in a hash per commune) and applies the channel rules
 *   once per counter field; the Zalo-only learners' conversations (for the budget's exact `held`)
 *   come from the Zalo index, read only when the counters say there are some. A segment by days
 *   of inactivity counts from the index fields (every field of the cohort parsed in the script).
 * Otherwise (a cohort built by older code, or `KeptLearners.baseline`, the bench's before): a query
 * that narrows walks the cohort's filter index with HSCAN MATCH (Redis matches each learner's
 * index field against a glob in C, the script reads the candidates' rows), one that does not walks
 * the rows; the preview parses each index field.
 *
 * Like any HSCAN, a learner changed or added while an admin pages may or may not appear, or may
 * appear twice (a save moves its learner's line to the end of its shard).
 *
 * Served only when every cohort asked is built (`report recount`); otherwise the callers scan as
 * before. A row whose learner part predates these readers (no search keys) is returned as unsure,
 * and the caller decides it from the records (by `_id`).
 */
import type { Redis } from 'ioredis';
import { SEARCH_SHARDS, type ExportRows, type StoredRow } from './rows.js';

/** Entries examined per script call: about 2–6 ms of Redis time. */
const STEP = 2_000;
/** HSCAN's COUNT inside the script, over the rows. */
const CHUNK = 500;
/** Over the index, whose fields Redis matches against the glob itself (about a microsecond each). */
const INDEX_STEP = 40_000;
const INDEX_CHUNK = 5_000;

/**
 * Shared by both scripts: one HSCAN step, over the rows (ARGV[4] empty: every row, each tested
 * here) or over the index with ARGV[4] as MATCH (only the candidates come back, their rows read
 * by id). Returns the next cursor, ids, raw rows (false: gone), and the entries it cost.
 */
const WALK = `
local cursor = ARGV[1]
local skip = tonumber(ARGV[2])
local budget = tonumber(ARGV[3])
local pattern = ARGV[4]
local find = string.find
local function has(raw, s) return s == '' or find(raw, s, 1, true) ~= nil end
local function encoded(k, v) if v == '' then return '' end return '"' .. k .. '":' .. cjson.encode(v) end
local function current(l) return type(l) == 'table' and type(l.q) == 'table' end
local function step(c)
  local ids, raws = {}, {}
  if pattern == '' then
    local res = redis.call('HSCAN', KEYS[1], c, 'COUNT', ${CHUNK})
    local flat = res[2]
    for i = 1, #flat / 2 do ids[i] = flat[2 * i - 1] raws[i] = flat[2 * i] end
    return res[1], ids, raws, #ids
  end
  local res = redis.call('HSCAN', KEYS[2], c, 'MATCH', pattern, 'COUNT', ${INDEX_CHUNK})
  local flat = res[2]
  for i = 1, #flat / 2 do
    local id = string.match(flat[2 * i - 1], '\\2([^\\2]*)$')
    ids[i] = id or ''
    raws[i] = id and redis.call('HGET', KEYS[1], id) or false
  end
  return res[1], ids, raws, ${INDEX_CHUNK}
end
`;

/**
 * KEYS rows, index; ARGV cursor, skip, budget, pattern, want, province, commune, role, status,
 * needle, needle is plain in JSON (1/0). Returns {cursor, skip, {'m'|'u', id, json, …}}: matches
 * and unsure rows.
 */
const LIST = `${WALK}
local want = tonumber(ARGV[5])
local province, commune, role, status, needle = ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10]
local plainNeedle = ARGV[11] == '1'
local pProvince, pCommune, pRole, pStatus = encoded('province', province), encoded('commune', commune), encoded('role', role), encoded('status', status)
local out = {}
local found, examined = 0, 0
while true do
  local nextc, ids, raws, cost = step(cursor)
  examined = examined + cost
  local n = #ids
  for i = skip + 1, n do
    local raw = raws[i]
    local verdict = nil
    if raw and has(raw, pProvince) and has(raw, pCommune) and has(raw, pRole) and has(raw, pStatus)
      and not (needle ~= '' and plainNeedle and not find(raw, needle, 1, true) and find(raw, '"q":', 1, true)) then
      local row = cjson.decode(raw)
      local l, e = row.l, row.e
      if not current(l) then
        verdict = 'u'
      elseif (province == '' or l.province == province) and (commune == '' or l.commune == commune) and (role == '' or l.role == role)
        and (status == '' or (type(e) == 'table' and e.status == status)) then
        if needle == '' then
          verdict = 'm'
        else
          for _, f in ipairs(l.q) do
            if type(f) == 'string' and find(f, needle, 1, true) then verdict = 'm' break end
          end
        end
      end
    end
    if verdict then
      out[#out + 1] = verdict
      out[#out + 1] = ids[i]
      out[#out + 1] = raw
      found = found + 1
      if found >= want then
        if i < n then return {cursor, tostring(i), out} end
        return {nextc, '0', out}
      end
    end
  end
  cursor = nextc
  skip = 0
  if cursor == '0' or examined >= budget then return {cursor, '0', out} end
end`;

/**
 * Lua shared by the two counts: one learner of the segment tallied by the rules of
 * core/broadcast.ts (`inSegment`'s channel, `pickConversation`): targeted, by province, by channel,
 * unreachable, and the Zalo conversations with no other way (Node checks their budget). Needs
 * `find`, `channel`, `enabled` and the tallies declared before it.
 */
const TALLY = `
local function chOf(c) local i = find(c, ':', 1, true) if not i then return '' end return string.sub(c, 1, i - 1) end
local function usable(c) local ch = chOf(c) return enabled[ch] == true and (channel == '' or ch == channel) end
local zaloN = 0
local function tally(pr, convs, blocked, w)
  w = w or 1
  local inChannel = channel == ''
  if not inChannel then for _, c in ipairs(convs) do if chOf(c) == channel then inChannel = true break end end end
  if not inChannel then return end
  targeted = targeted + w
  byProvince[pr] = (byProvince[pr] or 0) + w
  local preferred, to = nil, nil
  for _, c in ipairs(convs) do if usable(c) then preferred = c break end end
  if preferred then
    if not blocked[preferred] then to = preferred
    else for _, c in ipairs(convs) do if usable(c) and not blocked[c] then to = c break end end end
  end
  if not to then
    unreachable = unreachable + w
    return
  end
  local ch = chOf(to)
  byChannel[ch] = (byChannel[ch] or 0) + w
  if ch == 'zalo' then
    for _, c in ipairs(convs) do if c ~= to and not blocked[c] and enabled[chOf(c)] then return end end
    zaloN = zaloN + w
    zalo[#zalo + 1] = to
  end
end`;

/**
 * The same counts from the segment counters (rows.ts): KEYS the cohort's counters, or one
 * commune's; ARGV cursor, budget, MATCH pattern, province, role, status, channel, enabled
 * channels. Each field is a set of learners alike for the segment (status, province, role, reach
 * shape), tallied once with its count: the shape is turned back into conversations `<channel>:<i>`
 * that the tally treats as the learners' own. Returns {cursor, targeted, unreachable, {province, n,
 * …}, {channel, n, …}, Zalo-only learners (a count: their conversations come from the Zalo index)}.
 */
const COUNT_COUNTED = `
local cursor, budget, pattern = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local province, role, status, channel = ARGV[4], ARGV[5], ARGV[6], ARGV[7]
local enabled = {}
for ch in string.gmatch(ARGV[8], '[^,]+') do enabled[ch] = true end
local find = string.find
local targeted, unreachable = 0, 0
local byProvince, byChannel, zalo = {}, {}, {}
${TALLY}
local FIELD = '^([^\\1]*)\\1([^\\1]*)\\1([^\\1]*)\\1(.*)$'
local examined = 0
while true do
  local res = redis.call('HSCAN', KEYS[1], cursor, 'MATCH', pattern, 'COUNT', 1000)
  examined = examined + 1000
  local flat = res[2]
  for i = 1, #flat, 2 do
    local st, pr, ro, reach = string.match(flat[i], FIELD)
    local n = tonumber(flat[i + 1])
    if st and n and n ~= 0 and (province == '' or pr == province) and (role == '' or ro == role) and (status == '' or st == status) then
      local convs, blocked, k = {}, {}, 0
      for ent in string.gmatch(reach, '[^\\5]+') do
        k = k + 1
        if string.sub(ent, 1, 1) == 'd' then convs[k] = convs[tonumber(string.sub(ent, 2))] or ''
        else
          local b = string.sub(ent, -1) == '\\3'
          convs[k] = string.sub(ent, 2, b and -2 or -1) .. ':' .. k
          if b then blocked[convs[k]] = true end
        end
      end
      tally(pr, convs, blocked, n)
    end
  end
  cursor = res[1]
  if cursor == '0' or examined >= budget then break end
end
local function flatten(t) local f = {} for k, v in pairs(t) do f[#f + 1] = k f[#f + 1] = v end return f end
return {cursor, targeted, unreachable, flatten(byProvince), flatten(byChannel), zaloN}`;

/**
 * KEYS rows, search text; ARGV shard, offset in it, want, bytes budget, province, commune, role,
 * status, needle, mode: `k` the needle is search text (folded; none of \1–\5 or a newline),
 * found in the search keys only; `f` it is the filters' values with their separators (rows.ts),
 * found in the values. Finds the needle in the search text's shards (plain `string.find`: in C),
 * and checks each learner found on their row as LIST does. Returns {shard, offset, {'m'|'u', id,
 * json, …}}: shard SEARCH_SHARDS once every shard is done; 'u': a row older than its search text (no search
 * keys), decided by the caller from the records.
 */
const SEARCH = `
local shard, offset, want, budget = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local province, commune, role, status, needle, inKeys = ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10] == 'k'
local find = string.find
local function has(raw, s) return s == '' or find(raw, s, 1, true) ~= nil end
local function encoded(k, v) if v == '' then return '' end return '"' .. k .. '":' .. cjson.encode(v) end
local pProvince, pCommune, pRole, pStatus = encoded('province', province), encoded('commune', commune), encoded('role', role), encoded('status', status)
local out = {}
local found, spent = 0, 0
while shard < ${SEARCH_SHARDS} do
  local blob = redis.call('HGET', KEYS[2], tostring(shard)) or ''
  local pos = offset
  while true do
    local p = find(blob, needle, pos, true)
    if not p then break end
    local e = find(blob, '\\n', p, true)
    spent = spent + (e + 1 - pos)
    pos = e + 1
    -- The id follows the line's second \\2: in the keys, the needle is before both; in the values, after the first.
    local q = find(blob, '\\2', inKeys and p or p + 1, true) or e
    if inKeys and q < e then q = find(blob, '\\2', q + 1, true) or e end
    if q < e then
      local id = string.sub(blob, q + 1, e - 1)
      local raw = redis.call('HGET', KEYS[1], id)
      -- A candidate read costs about as much as matching a few hundred bytes.
      spent = spent + 300
      if raw and has(raw, pProvince) and has(raw, pCommune) and has(raw, pRole) and has(raw, pStatus) then
        local row = cjson.decode(raw)
        local l, e2 = row.l, row.e
        local verdict = nil
        if type(l) ~= 'table' or type(l.q) ~= 'table' then verdict = 'u'
        elseif (province == '' or l.province == province) and (commune == '' or l.commune == commune) and (role == '' or l.role == role)
          and (status == '' or (type(e2) == 'table' and e2.status == status)) then
          if not inKeys then verdict = 'm'
          else
            for _, f in ipairs(l.q) do
              if type(f) == 'string' and find(f, needle, 1, true) then verdict = 'm' break end
            end
          end
        end
        if verdict then
          out[#out + 1] = verdict
          out[#out + 1] = id
          out[#out + 1] = raw
          found = found + 1
        end
      end
      if found >= want or spent >= budget then return {shard, pos, out} end
    end
  end
  spent = spent + #blob - pos + 1
  shard = shard + 1
  offset = 1
  if spent >= budget then break end
end
return {shard, offset, out}`;

/**
 * KEYS rows, index; ARGV cursor, skip (0), budget, pattern, province, commune, role, status,
 * channel, inactive cutoff (ISO), enabled channels (comma-separated). The segment's rules
 * (core/broadcast.ts `inSegment`, `pickConversation`) on each row. Returns {cursor, targeted,
 * unreachable, {province, n, …}, {channel, n, …}, {zalo conversation with no other, …}, {unsure id, …}}.
 */
const COUNT = `${WALK}
local province, commune, role, status, channel, cutoff = ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10]
local enabled = {}
for ch in string.gmatch(ARGV[11], '[^,]+') do enabled[ch] = true end
local pProvince, pCommune, pRole, pStatus = encoded('province', province), encoded('commune', commune), encoded('role', role), encoded('status', status)
local targeted, unreachable = 0, 0
local byProvince, byChannel, zalo, unsure = {}, {}, {}, {}
${TALLY}
local examined = 0
while true do
  local nextc, ids, raws, cost = step(cursor)
  examined = examined + cost
  for i = 1, #ids do
    local raw = raws[i]
    if raw and has(raw, pProvince) and has(raw, pCommune) and has(raw, pRole) and has(raw, pStatus) then
      local row = cjson.decode(raw)
      local l, e = row.l, row.e
      if not current(l) then
        unsure[#unsure + 1] = ids[i]
      elseif l.stopped ~= true and (province == '' or l.province == province) and (commune == '' or l.commune == commune) and (role == '' or l.role == role)
        and (status == '' or (type(e) == 'table' and e.status == status))
        and (cutoff == '' or (type(e) == 'table' and type(e.lastActivityAt) == 'string' and e.lastActivityAt <= cutoff)) then
        local convs = type(l.conversations) == 'table' and l.conversations or {}
        local blocked = {}
        if type(l.unreachable) == 'table' then for _, c in ipairs(l.unreachable) do blocked[c] = true end end
        tally(type(l.province) == 'string' and l.province or '', convs, blocked)
      end
    end
  end
  cursor = nextc
  if cursor == '0' or examined >= budget then break end
end
local function flatten(t) local f = {} for k, v in pairs(t) do f[#f + 1] = k f[#f + 1] = v end return f end
return {cursor, targeted, unreachable, flatten(byProvince), flatten(byChannel), zalo, unsure}`;

/**
 * The same count from the index fields alone (a cohort indexed by this code): KEYS rows, index;
 * ARGV cursor, skip (0), budget, pattern (`*`: every field), province, commune, role, status,
 * channel, inactive cutoff, enabled channels; the values as the index holds them. Same reply.
 */
const COUNT_INDEXED = `
local cursor, budget, pattern = ARGV[1], tonumber(ARGV[3]), ARGV[4]
local province, commune, role, status, channel, cutoff = ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10]
local enabled = {}
for ch in string.gmatch(ARGV[11], '[^,]+') do enabled[ch] = true end
local find = string.find
local targeted, unreachable = 0, 0
local byProvince, byChannel, zalo = {}, {}, {}
${TALLY}
local FIELD = '^([^\\1]*)\\1([^\\1]*)\\1([^\\1]*)\\1([^\\1]*)\\1[^\\2]*\\2([01])\\4([^\\4]*)\\4([^\\4]*)\\4([^\\2]*)\\2'
local examined = 0
while true do
  local res
  if pattern == '*' then res = redis.call('HSCAN', KEYS[2], cursor, 'COUNT', ${INDEX_CHUNK})
  else res = redis.call('HSCAN', KEYS[2], cursor, 'MATCH', pattern, 'COUNT', ${INDEX_CHUNK}) end
  examined = examined + ${INDEX_CHUNK}
  local flat = res[2]
  for i = 1, #flat, 2 do
    local st, pr, co, ro, stopped, last, convList, blockedList = string.match(flat[i], FIELD)
    if st and stopped == '0' and (province == '' or pr == province) and (commune == '' or co == commune) and (role == '' or ro == role)
      and (status == '' or st == status) and (cutoff == '' or (last ~= '' and last <= cutoff)) then
      local convs = {}
      for c in string.gmatch(convList, '[^\\5]+') do convs[#convs + 1] = c end
      local blocked = {}
      for c in string.gmatch(blockedList, '[^\\5]+') do blocked[c] = true end
      tally(pr, convs, blocked)
    end
  end
  cursor = res[1]
  if cursor == '0' or examined >= budget then break end
end
local function flatten(t) local f = {} for k, v in pairs(t) do f[#f + 1] = k f[#f + 1] = v end return f end
return {cursor, targeted, unreachable, flatten(byProvince), flatten(byChannel), zalo, {}}`;

type Scripted = Redis & {
  cdsRowsList(key: string, index: string, ...args: (string | number)[]): Promise<[string, string, string[]]>;
  cdsRowsCount(key: string, index: string, ...args: (string | number)[]): Promise<[string, number, number, (string | number)[], (string | number)[], string[], string[]]>;
  cdsRowsCountIndexed(key: string, index: string, ...args: (string | number)[]): Promise<[string, number, number, (string | number)[], (string | number)[], string[], string[]]>;
  cdsRowsCountCounted(key: string, ...args: (string | number)[]): Promise<[string, number, number, (string | number)[], (string | number)[], number]>;
  cdsRowsSearch(rows: string, search: string, ...args: (string | number)[]): Promise<[number, number, string[]]>;
};

/** What the listing filters on (strings as the route validated and normalised them). */
export interface ListFilter {
  province?: string;
  commune?: string;
  role?: string;
  status?: string;
  /** Folded (`fold`) search text. */
  needle?: string;
}

/** Where a listing goes on from: the cohort, the HSCAN cursor in its hash, entries of that step already taken. */
export interface ListPosition {
  cohort: string;
  cursor: string;
  skip: number;
}

export interface KeptRow {
  id: string;
  cohortId: string;
  row: StoredRow;
  /** The row cannot be decided by the script (its learner part is older): the caller reads the records. */
  unsure: boolean;
}

/** A segment as the preview counts it, plus what the rows cannot decide. */
export interface CountSegment {
  province?: string;
  commune?: string;
  role?: string;
  status?: string;
  channel?: string;
  /** ISO instant: only learners whose last activity is at or before it. */
  inactiveBefore?: string;
}

export interface KeptCount {
  targeted: number;
  unreachable: number;
  byProvince: Record<string, number>;
  byChannel: Record<string, number>;
  /** Zalo conversations with no other channel (the preview checks their day's budget). */
  zaloOnly: string[];
  /** Learners whose rows the script could not decide: the caller counts them from the records. */
  unsure: { id: string; cohortId: string }[];
}

/** A value as the index holds it (rows.ts INDEX_FIELD: its separators \1–\5 become spaces). */
function indexValue(v: string): string {
  return v.replace(/[\u0001-\u0005]/g, ' ');
}

/** A value as the index holds it, escaped for a MATCH glob. */
function glob(v: string): string {
  return indexValue(v).replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

/** The MATCH pattern of the index fields a filter may match (each candidate is then checked on its row). */
export function indexPattern(f: { status?: string; province?: string; commune?: string; role?: string; needle?: string }): string {
  const exact = (v: string | undefined) => (v ? glob(v) : '*');
  const q = f.needle ? `*${glob(f.needle)}*` : '*';
  return `${exact(f.status)}\u0001${exact(f.province)}\u0001${exact(f.commune)}\u0001${exact(f.role)}\u0001${q}\u0002*`;
}

/** Counter fields examined per script call. */
const COUNTED_STEP = 20_000;

/** Bytes of search text (or their worth in candidates read) per script call: a few milliseconds. */
const SEARCH_STEP = 4_000_000;

/**
 * What a listing looks for in the search text (rows.ts): the search text itself (`k`; it holds no
 * \1–\5 nor newline: a needle with one is searched the index's way), else the filters' values
 * between their separators (`f`: `\2<status>\1<province>\4<commune>\5<role>\2`, the longest run of
 * those given; the others are checked on the row). null: nothing narrows (every row walked).
 */
export function searchFor(f: ListFilter): { needle: string; mode: 'k' | 'f' } | null {
  if (f.needle) return /[\u0001-\u0005\n]/.test(f.needle) ? null : { needle: f.needle, mode: 'k' };
  const v = (x: string | undefined) => (x ? indexValue(x).replace(/\n/g, ' ') : undefined);
  const slots: [string, string | undefined][] = [['\u0002', v(f.status)], ['\u0001', v(f.province)], ['\u0004', v(f.commune)], ['\u0005', v(f.role)]];
  let best = '';
  for (let i = 0; i < slots.length; i++) {
    let run = '';
    for (let j = i; j < slots.length && slots[j]![1] !== undefined; j++) run += slots[j]![0] + slots[j]![1];
    if (run) {
      // The separator after the run's last value: the next slot's, or the \2 before the id.
      const end = i + run.split(/[\u0001\u0002\u0004\u0005]/).length - 1;
      run += end < slots.length ? slots[end]![0] : '\u0002';
      if (run.length > best.length) best = run;
    }
  }
  return best ? { needle: best, mode: 'f' } : null;
}

/** JSON escapes these: a needle holding one is not looked for in the row's raw text. */
const ESCAPED = /["\\/\u0000-\u001f\u007f]/;

export class KeptLearners {
  /** The ways before the segment counters and the search text (the index walked): the bench's baseline, side by side. */
  static baseline = false;
  private readonly redis: Scripted;

  constructor(
    redis: Redis,
    private readonly rows: Pick<ExportRows, 'key' | 'indexKey' | 'countersKey' | 'communeCountersKey' | 'zaloKey' | 'searchKey' | 'built' | 'indexed'>,

  ) {
    const r = redis as Scripted;
    if (typeof r.cdsRowsList !== 'function') {
      r.defineCommand('cdsRowsList', { lua: LIST, numberOfKeys: 2 });
      r.defineCommand('cdsRowsCount', { lua: COUNT, numberOfKeys: 2 });
      r.defineCommand('cdsRowsCountIndexed', { lua: COUNT_INDEXED, numberOfKeys: 2 });
      r.defineCommand('cdsRowsCountCounted', { lua: COUNT_COUNTED, numberOfKeys: 1 });
      r.defineCommand('cdsRowsSearch', { lua: SEARCH, numberOfKeys: 2 });
    }
    this.redis = r;
  }

  /** Are all these cohorts' rows built (so that they hold every learner)? */
  async servable(cohorts: readonly string[]): Promise<boolean> {
    if (!cohorts.length) return false;
    for (const c of cohorts) if (!(await this.rows.built(c))) return false;
    return true;
  }

  /**
   * Up to `limit` rows matching `filter`, from `from` on, over `cohorts` in the order given. `next`
   * is null once every cohort's hash is done. Unsure rows count towards the limit (a page may come
   * back short after the caller decides them).
   */
  async list(cohorts: readonly string[], filter: ListFilter, from: ListPosition | null, limit: number): Promise<{ rows: KeptRow[]; next: ListPosition | null }> {
    const out: KeptRow[] = [];
    let i = from ? cohorts.indexOf(from.cohort) : 0;
    if (i < 0) return { rows: out, next: null };
    let cursor = from?.cursor ?? '0';
    let skip = from?.skip ?? 0;
    const needle = filter.needle ?? '';
    while (i < cohorts.length) {
      const cohortId = cohorts[i]!;
      const indexed = await this.rows.indexed(cohortId);
      const found = indexed && !KeptLearners.baseline ? searchFor(filter) : null;
      if (found) {
        // The search text: the cursor is shard × 10⁹ + offset in it.
        const at = Number(cursor);
        const [shard, offset, flat] = await this.redis.cdsRowsSearch(
          this.rows.key(cohortId),
          this.rows.searchKey(cohortId),
          Math.floor(at / 1e9),
          (at % 1e9) || 1,
          limit - out.length,
          SEARCH_STEP,
          filter.province ?? '',
          filter.commune ?? '',
          filter.role ?? '',
          filter.status ?? '',
          found.needle,
          found.mode,
        );
        for (let k = 0; k < flat.length; k += 3) out.push({ id: flat[k + 1]!, cohortId, row: JSON.parse(flat[k + 2]!) as StoredRow, unsure: flat[k] === 'u' });
        skip = 0;
        if (Number(shard) >= SEARCH_SHARDS) {
          cursor = '0';
          i += 1;
          if (i < cohorts.length && out.length >= limit) return { rows: out, next: { cohort: cohorts[i]!, cursor: '0', skip: 0 } };
        } else {
          cursor = String(Number(shard) * 1e9 + Number(offset));
          if (out.length >= limit) return { rows: out, next: { cohort: cohortId, cursor, skip: 0 } };
        }
        continue;
      }
      // The index when something narrows the listing and the cohort's rows all have their field; else every row.
      const narrowed = filter.province || filter.commune || filter.role || filter.status || needle;
      const pattern = narrowed && indexed ? indexPattern(filter) : '';
      const [nextCursor, nextSkip, flat] = await this.redis.cdsRowsList(
        this.rows.key(cohortId),
        this.rows.indexKey(cohortId),
        cursor,
        skip,
        pattern ? INDEX_STEP : STEP,
        pattern,
        limit - out.length,
        filter.province ?? '',
        filter.commune ?? '',
        filter.role ?? '',
        filter.status ?? '',
        needle,
        ESCAPED.test(needle) ? 0 : 1,
      );
      for (let k = 0; k < flat.length; k += 3) out.push({ id: flat[k + 1]!, cohortId, row: JSON.parse(flat[k + 2]!) as StoredRow, unsure: flat[k] === 'u' });
      cursor = nextCursor;
      skip = Number(nextSkip);
      if (cursor === '0' && skip === 0) {
        i += 1;
        if (i < cohorts.length && out.length >= limit) return { rows: out, next: { cohort: cohorts[i]!, cursor: '0', skip: 0 } };
      } else if (out.length >= limit) {
        return { rows: out, next: { cohort: cohortId, cursor, skip } };
      }
    }
    return { rows: out, next: null };
  }

  /** The segment's counts over these cohorts' rows (the script applies the segment and picks each learner's conversation). */
  async count(cohorts: readonly string[], s: CountSegment, channels: readonly string[]): Promise<KeptCount> {
    const out: KeptCount = { targeted: 0, unreachable: 0, byProvince: {}, byChannel: {}, zaloOnly: [], unsure: [] };
    const add = (into: Record<string, number>, flat: (string | number)[]) => {
      for (let k = 0; k < flat.length; k += 2) into[String(flat[k])] = (into[String(flat[k])] ?? 0) + Number(flat[k + 1]);
    };
    for (const cohortId of cohorts) {
      const seen = new Set<string>();
      const narrowed = s.province || s.commune || s.role || s.status;
      // An indexed cohort is counted from its index fields alone; else row by row.
      const indexed = await this.rows.indexed(cohortId);
      const asIndexed = (v: string | undefined) => (indexed && v ? indexValue(v) : (v ?? ''));
      if (indexed && !KeptLearners.baseline && !s.inactiveBefore) {
        // The counters: a few hundred fields (a few thousand by commune) summed, not 100,000 read.
        const exact = (v: string | undefined) => (v ? glob(v) : '*');
        const pattern = `${exact(s.status)}\u0001${exact(s.province)}\u0001${exact(s.role)}\u0001*`;
        let cursor = '0';
        let zaloOnly = 0;
        do {
          const [next, targeted, unreachable, byProvince, byChannel, zaloN] = await this.redis.cdsRowsCountCounted(
            s.commune ? this.rows.communeCountersKey(cohortId, s.commune) : this.rows.countersKey(cohortId),
            cursor,
            COUNTED_STEP,
            pattern,
            asIndexed(s.province),
            asIndexed(s.role),
            asIndexed(s.status),
            s.channel ?? '',
            channels.join(','),
          );
          cursor = next;
          out.targeted += Number(targeted);
          out.unreachable += Number(unreachable);
          add(out.byProvince, byProvince);
          add(out.byChannel, byChannel);
          zaloOnly += Number(zaloN);
        } while (cursor !== '0');
        // The Zalo-only learners' conversations (for their budget): from the Zalo index, only when there are some.
        if (zaloOnly > 0) {
          do {
            const [next, , , , , zalo] = await this.redis.cdsRowsCountIndexed(
              this.rows.key(cohortId),
              this.rows.zaloKey(cohortId),
              cursor,
              0,
              INDEX_STEP,
              narrowed ? indexPattern(s) : '*',
              asIndexed(s.province),
              asIndexed(s.commune),
              asIndexed(s.role),
              asIndexed(s.status),
              s.channel ?? '',
              '',
              channels.join(','),
            );
            cursor = next;
            out.zaloOnly.push(...zalo);
          } while (cursor !== '0');
        }
        continue;
      }
      const pattern = indexed ? (narrowed ? indexPattern(s) : '*') : '';
      let cursor = '0';
      do {
        const [next, targeted, unreachable, byProvince, byChannel, zalo, unsure] = await (indexed ? this.redis.cdsRowsCountIndexed : this.redis.cdsRowsCount).call(
          this.redis,
          this.rows.key(cohortId),
          this.rows.indexKey(cohortId),
          cursor,
          0,
          // Every field parsed in the script: one HSCAN step per call; candidates only: more.
          pattern === '*' ? INDEX_CHUNK : pattern ? INDEX_STEP : STEP,
          pattern,
          asIndexed(s.province),
          asIndexed(s.commune),
          asIndexed(s.role),
          asIndexed(s.status),
          s.channel ?? '',
          s.inactiveBefore ?? '',
          channels.join(','),
        );
        cursor = next;
        out.targeted += Number(targeted);
        out.unreachable += Number(unreachable);
        add(out.byProvince, byProvince);
        add(out.byChannel, byChannel);
        out.zaloOnly.push(...zalo);
        for (const id of unsure) if (!seen.has(id)) (seen.add(id), out.unsure.push({ id, cohortId }));
      } while (cursor !== '0');
    }
    return out;
  }
}
