import { createRedisDeliveryLog, DELIVERY_KEYS } from "./redis-deliveries.js";
import { guarded, withScripts, type RedisClient } from "./redis.js";
import type { Clock } from "./clock.js";
import { DEFAULT_NAMESPACE, type SharedNamespaces } from "./namespaces.js";
import {
  entryOf,
  passes,
  type Journal,
  type JournalEntry,
  type JournalRecord,
  type Redact,
} from "./journal.js";
import {
  type Kind,
  type QueuedItem,
  type ScheduledItem,
  type Store,
  type StoreEntry,
  type WindowCount,
} from "./store.js";

/**
 * The store on Redis or Valkey, for sandboxes that share state (replicas, workers, restarts). Every operation that
 * reads and writes is one Lua script, so it is atomic across every client of the server: a code taken through one
 * replica is gone for all, exactly once. Expiry follows the namespace's clock (each call passes its `now`); Redis's
 * own key expiry is only a backstop, `BACKSTOP_MS` past an entry's expiry in real time.
 *
 * Key layout, one hash slot per namespace (the `{…}` hash tag), so it runs unchanged on a Redis Cluster:
 * - `<prefix>{<ns>}:e:<kind>:<id>` a hash: `v` the value as JSON, `c` created, `e` expires, `r` revision;
 * - `<prefix>{<ns>}:order` insertion order (score: revision) and `:exp` expiry order (score: expiresAt) of
 *   `<kind>:<id>`;
 * - `<prefix>{<ns>}:c:<key>` a counter (`n` hits, `t` window end), `:corder` and `:cexp` their orders;
 * - `<prefix>{<ns>}:seq` the revision counter and `:evicted` how many the bound evicted;
 * - `<prefix>{<ns>}:settings` a hash of the namespace's settings (clock, scenarios, subscriptions), `:n` a hash of
 *   counts (scenario rules), `:q` the queue's ids in order, `:qi` and `:qu` hashes of each item and its uses left, and
 *   `:qseq` their id counter, `:due` what is scheduled (score: when) and `:duei` a hash of each scheduled item. These
 *   have no retention of their own: `KEPT_MS` of real time without a request in the
 *   namespace is their backstop;
 * - `<prefix>{<ns>}:journal` and `:jseq` the journal (`createRedisJournal`), `:dlv…` the webhook deliveries
 *   (`redis-deliveries.ts`), kept `KEPT_MS` past their last write.
 */
export interface RedisStoreOptions {
  /** Key prefix, so several sandboxes can share one server (default `idv:`). */
  prefix: string;
  /** The namespace whose entries this store holds. */
  namespace: string;
  maxEntries: number;
  maxCounters: number;
}

/** How long past its expiry (real time) Redis keeps an entry anyway: the sandbox clock may be frozen or moved. */
export const BACKSTOP_MS = 3600_000;

/**
 * How long a namespace's settings, counts and queue outlive the last request in it (real time): a week, so a shared
 * sandbox keeps a namespace's scenarios over a weekend, and one nobody uses any more leaves nothing behind for long.
 */
export const KEPT_MS = 7 * 24 * 3600_000;

/** The keys that live as long as the namespace is used (see `KEPT_MS`), after its base. */
const KEPT_KEYS = ["settings", "n", "q", "qi", "qu", "qseq", "due", "duei"];

/**
 * Evicts past the bound and drops up to 4 expired entries: the shared tail of every write. \`extend\` keeps a
 * namespace's index keys at least as long as its longest-lived entry (plus the backstop), so a namespace no process
 * holds any more leaves nothing behind for long.
 */
const EXTEND = `
local function extend(key, px)
  if redis.call('PTTL', key) < px then redis.call('PEXPIRE', key, px) end
end
`;

/** Drops an entry (by its member, `<kind>:<id>`) or a counter with its place in every index: one key layout. */
const DROP = `
local function dropEntry(base, m)
  redis.call('DEL', base .. 'e:' .. m)
  redis.call('ZREM', base .. 'order', m)
  redis.call('ZREM', base .. 'exp', m)
end
local function dropCounter(base, m)
  redis.call('DEL', base .. 'c:' .. m)
  redis.call('ZREM', base .. 'corder', m)
  redis.call('ZREM', base .. 'cexp', m)
end
`;

const TRIM = `${EXTEND}${DROP}
local function trim(base, now, max)
  for _, m in ipairs(redis.call('ZRANGEBYSCORE', base .. 'exp', '-inf', now, 'LIMIT', 0, 4)) do dropEntry(base, m) end
  local over = redis.call('ZCARD', base .. 'order') - max
  if over > 0 then
    local victims = redis.call('ZPOPMIN', base .. 'order', over)
    for i = 1, #victims, 2 do dropEntry(base, victims[i]) end
    redis.call('INCRBY', base .. 'evicted', over)
  end
end
`;

/** Writes an entry (by its member) with its place in every index; returns its revision and its key's expiry (ms). */
const PUT_ENTRY = `
local function putEntry(base, member, value, createdAt, expiresAt, now, backstop)
  local key = base .. 'e:' .. member
  local rev = redis.call('INCR', base .. 'seq')
  redis.call('DEL', key)
  redis.call('HSET', key, 'v', value, 'c', createdAt, 'e', expiresAt, 'r', rev)
  local px = math.max(expiresAt - now, 0) + backstop
  redis.call('PEXPIRE', key, px)
  redis.call('ZADD', base .. 'order', rev, member)
  redis.call('ZADD', base .. 'exp', expiresAt, member)
  return rev, px
end
`;

/**
 * KEYS[1] the entry. ARGV: base, member, value, now, ttlMs ('' keeps the expiry: replace), mode (put, create,
 * replace), rev (replace), max, backstop. Returns {rev, createdAt, expiresAt}, or nil when create found a live entry
 * or replace a changed one.
 */
const WRITE = `${TRIM}${PUT_ENTRY}
local key = KEYS[1]
local base, member, value = ARGV[1], ARGV[2], ARGV[3]
local now, mode = tonumber(ARGV[4]), ARGV[6]
local cur = redis.call('HMGET', key, 'c', 'e', 'r')
local live = cur[2] and tonumber(cur[2]) > now
if mode == 'create' and live then return nil end
local createdAt, expiresAt = now, nil
if mode == 'replace' then
  if not live or cur[3] ~= ARGV[7] then return nil end
  createdAt = tonumber(cur[1])
  expiresAt = tonumber(cur[2])
end
if ARGV[5] ~= '' then expiresAt = now + tonumber(ARGV[5]) end
local rev, px = putEntry(base, member, value, createdAt, expiresAt, now, tonumber(ARGV[9]))
trim(base, now, tonumber(ARGV[8]))
for _, index in ipairs({'order', 'exp', 'seq', 'evicted'}) do extend(base .. index, px) end
return {rev, createdAt, expiresAt}
`;

/**
 * KEYS[1] the order set (for the slot). ARGV: base, now, max, backstop, then member, value, ttlMs of each entry.
 * Writes them all at `now`, as WRITE's put does one; returns their revisions.
 */
const WRITE_ALL = `${TRIM}${PUT_ENTRY}
local base, now = ARGV[1], tonumber(ARGV[2])
local revs, longest = {}, 0
for i = 5, #ARGV, 3 do
  local rev, px = putEntry(base, ARGV[i], ARGV[i + 1], now, now + tonumber(ARGV[i + 2]), now, tonumber(ARGV[4]))
  revs[#revs + 1] = rev
  if px > longest then longest = px end
end
trim(base, now, tonumber(ARGV[3]))
for _, index in ipairs({'order', 'exp', 'seq', 'evicted'}) do extend(base .. index, longest) end
return revs
`;

/** KEYS[1] the entry. ARGV: base, member, now. Deletes it; returns {v, c, e, r} if it was live, else nil. */
const REMOVE = `${DROP}
local cur = redis.call('HMGET', KEYS[1], 'v', 'c', 'e', 'r')
if not cur[1] then return nil end
dropEntry(ARGV[1], ARGV[2])
if tonumber(cur[3]) <= tonumber(ARGV[3]) then return nil end
return cur
`;

/**
 * KEYS[1] the order set (for the slot). ARGV: base, now, the number of kinds, the kinds' names, then the ids. Returns
 * 1 or 0 per id: whether a live entry of one of the kinds is under it.
 */
const HOLDS_ANY = `
local base, now, count = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local out = {}
for i = 4 + count, #ARGV do
  local found = 0
  for k = 4, 3 + count do
    local e = redis.call('HGET', base .. 'e:' .. ARGV[k] .. ':' .. ARGV[i], 'e')
    if e and tonumber(e) > now then found = 1 break end
  end
  out[#out + 1] = found
end
return out
`;

/** KEYS[1] the counter. ARGV: base, key, now, windowMs, max, backstop. Returns {count, resetAt}. */
const HIT = `${EXTEND}${DROP}
local key = KEYS[1]
local base, name, now = ARGV[1], ARGV[2], tonumber(ARGV[3])
local reset = tonumber(redis.call('HGET', key, 't'))
if not reset or reset <= now then
  reset = now + tonumber(ARGV[4])
  redis.call('DEL', key)
  redis.call('HSET', key, 't', reset)
  redis.call('PEXPIRE', key, tonumber(ARGV[4]) + tonumber(ARGV[6]))
  redis.call('ZADD', base .. 'corder', redis.call('INCR', base .. 'seq'), name)
  redis.call('ZADD', base .. 'cexp', reset, name)
  for _, index in ipairs({'corder', 'cexp', 'seq'}) do extend(base .. index, tonumber(ARGV[4]) + tonumber(ARGV[6])) end
  local over = redis.call('ZCARD', base .. 'corder') - tonumber(ARGV[5])
  if over > 0 then
    local victims = redis.call('ZPOPMIN', base .. 'corder', over)
    for i = 1, #victims, 2 do dropCounter(base, victims[i]) end
  end
end
return {redis.call('HINCRBY', key, 'n', 1), reset}
`;

/** KEYS[1] the order set (for the slot). ARGV: base, now. Drops expired entries and counters; returns how many entries. */
const SWEEP = `${DROP}
local base, now = ARGV[1], ARGV[2]
local dropped = 0
repeat
  local batch = redis.call('ZRANGEBYSCORE', base .. 'exp', '-inf', now, 'LIMIT', 0, 500)
  for _, m in ipairs(batch) do dropEntry(base, m) end
  dropped = dropped + #batch
until #batch < 500
for _, m in ipairs(redis.call('ZRANGEBYSCORE', base .. 'cexp', '-inf', now)) do dropCounter(base, m) end
return dropped
`;

/** KEYS[1] the order set (for the slot). ARGV: base. Forgets every entry, counter, count and queued item. */
const CLEAR = `
local base = ARGV[1]
for _, m in ipairs(redis.call('ZRANGE', base .. 'order', 0, -1)) do redis.call('DEL', base .. 'e:' .. m) end
for _, m in ipairs(redis.call('ZRANGE', base .. 'corder', 0, -1)) do redis.call('DEL', base .. 'c:' .. m) end
redis.call('DEL', base .. 'order', base .. 'exp', base .. 'corder', base .. 'cexp', base .. 'evicted')
redis.call('DEL', base .. 'n', base .. 'q', base .. 'qi', base .. 'qu', base .. 'due', base .. 'duei')
`;
const RESET = `${CLEAR}
return 1
`;

/**
 * KEYS[1] the journal. ARGV: base, record (JSON), capacity, keptMs. Appends `<id> <record>`, dropping the oldest past
 * the capacity; the journal and its id counter are kept `KEPT_MS` past the last record.
 */
const RECORD = `
local id = redis.call('INCR', ARGV[1] .. 'jseq')
redis.call('RPUSH', KEYS[1], id .. ' ' .. ARGV[2])
redis.call('LTRIM', KEYS[1], -tonumber(ARGV[3]), -1)
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('PEXPIRE', ARGV[1] .. 'jseq', ARGV[4])
return id
`;

/** Gives the keys of a namespace's settings, counts and queue `KEPT_MS` more, when less than half of it is left. */
const KEEP = `
local function keep(base, ms)
  for _, name in ipairs({${KEPT_KEYS.map((k) => `'${k}'`).join(", ")}}) do
    local ttl = redis.call('PTTL', base .. name)
    if ttl == -1 or (ttl >= 0 and ttl < ms / 2) then redis.call('PEXPIRE', base .. name, ms) end
  end
end
`;

/** KEYS[1] the settings. ARGV: base, keptMs. Returns {queued, name, value, …}, and keeps the namespace's keys. */
const READ_SHARED = `${KEEP}
keep(ARGV[1], tonumber(ARGV[2]))
local out = {redis.call('LLEN', ARGV[1] .. 'q')}
for _, v in ipairs(redis.call('HGETALL', KEYS[1])) do out[#out + 1] = v end
return out
`;

/** KEYS[1] the settings. ARGV: base, name, value, keptMs. */
const SET_SETTING = `${KEEP}
redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
keep(ARGV[1], tonumber(ARGV[4]))
return 1
`;

/**
 * KEYS[1] the settings. ARGV: base, name, value, keptMs, expected (none given: no setting by that name). Writes only
 * if the setting is still the expected text. Returns 1 if written, 0 if not.
 */
const SET_SETTING_IF = `${KEEP}
local current = redis.call('HGET', KEYS[1], ARGV[2])
if ARGV[5] == nil then
  if current then return 0 end
elseif current ~= ARGV[5] then
  return 0
end
redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
keep(ARGV[1], tonumber(ARGV[4]))
return 1
`;

/** KEYS[1] the counts. ARGV: base, name, limit ('' for none), keptMs. Returns the count after, nil at the limit. */
const COUNT = `${KEEP}
local n = tonumber(redis.call('HGET', KEYS[1], ARGV[2]) or '0') + 1
if ARGV[3] ~= '' and n > tonumber(ARGV[3]) then return nil end
redis.call('HSET', KEYS[1], ARGV[2], n)
keep(ARGV[1], tonumber(ARGV[4]))
return n
`;

/** KEYS[1] the counts. ARGV: prefixes (none: every count). */
const FORGET_COUNTS = `
if #ARGV == 0 then return redis.call('DEL', KEYS[1]) end
for _, name in ipairs(redis.call('HKEYS', KEYS[1])) do
  for _, prefix in ipairs(ARGV) do
    if string.sub(name, 1, #prefix) == prefix then redis.call('HDEL', KEYS[1], name) break end
  end
end
return 1
`;

/** KEYS[1] the queue. ARGV: base, item, uses, max, keptMs. Returns how many wait after, nil when full. */
const ENQUEUE = `${KEEP}
local base = ARGV[1]
if redis.call('LLEN', KEYS[1]) >= tonumber(ARGV[4]) then return nil end
local id = tostring(redis.call('INCR', base .. 'qseq'))
redis.call('HSET', base .. 'qi', id, ARGV[2])
redis.call('HSET', base .. 'qu', id, ARGV[3])
local n = redis.call('RPUSH', KEYS[1], id)
keep(base, tonumber(ARGV[5]))
return n
`;

/**
 * KEYS[1] the order set (for the slot). ARGV: base. Forgets everything of the namespace: what `RESET` forgets, and its
 * settings, journal, webhook deliveries and counters of ids too.
 */
const FORGET = `${CLEAR}
for _, name in ipairs({'settings', 'journal', 'jseq', 'qseq', 'seq', ${DELIVERY_KEYS.map((k) => `'${k}'`).join(", ")}}) do
  redis.call('DEL', base .. name)
end
return 1
`;

/**
 * KEYS[1] the namespace index (score: last use, on the server's clock, so the replicas' clocks need not agree). ARGV:
 * id, (unused), max, default. Marks `id` used; returns the namespaces past `max` (the least recently used, never the
 * default), taken out of the index: their keys go next.
 */
const TOUCH = `
local time = redis.call('TIME')
redis.call('ZADD', KEYS[1], tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000), ARGV[1])
local count = redis.call('ZCARD', KEYS[1])
if redis.call('ZSCORE', KEYS[1], ARGV[4]) then count = count - 1 end
local over = count - tonumber(ARGV[3])
if over <= 0 then return {} end
local out = {}
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, over)) do
  if id ~= ARGV[4] and #out < over then out[#out + 1] = id end
end
for _, id in ipairs(out) do redis.call('ZREM', KEYS[1], id) end
return out
`;

/** KEYS[1] the schedule. ARGV: base, key, item, at, max, keptMs. Past `max`, the earliest go. */
const SCHEDULE = `${KEEP}
local base = ARGV[1]
redis.call('ZADD', KEYS[1], ARGV[4], ARGV[2])
redis.call('HSET', base .. 'duei', ARGV[2], ARGV[3])
local over = redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[5])
if over > 0 then
  local gone = redis.call('ZPOPMIN', KEYS[1], over)
  for i = 1, #gone, 2 do redis.call('HDEL', base .. 'duei', gone[i]) end
end
keep(base, tonumber(ARGV[6]))
return 1
`;

/** KEYS[1] the schedule. ARGV: base, until, limit. Returns {key, item, at, …} earliest first. */
const SCHEDULED = `
local out = {}
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[2], 'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[3]))
for i = 1, #due, 2 do
  local item = redis.call('HGET', ARGV[1] .. 'duei', due[i])
  if item then
    out[#out + 1] = due[i]
    out[#out + 1] = item
    out[#out + 1] = due[i + 1]
  end
end
return out
`;

/** KEYS[1] the schedule. ARGV: base, key. Returns 1 if it was there. */
const UNSCHEDULE = `
redis.call('HDEL', ARGV[1] .. 'duei', ARGV[2])
return redis.call('ZREM', KEYS[1], ARGV[2])
`;

/** KEYS[1] the queue. ARGV: base. Returns {id, item, uses, …} oldest first. */
const QUEUED = `
local out = {}
for _, id in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do
  local item = redis.call('HGET', ARGV[1] .. 'qi', id)
  local uses = redis.call('HGET', ARGV[1] .. 'qu', id)
  if item and uses then
    out[#out + 1] = id
    out[#out + 1] = item
    out[#out + 1] = uses
  end
end
return out
`;

/** KEYS[1] the queue. ARGV: base, id. Takes one use; drops the item after its last. Returns 1, or 0 if none was left. */
const USE_QUEUED = `
local base, id = ARGV[1], ARGV[2]
if redis.call('HEXISTS', base .. 'qu', id) == 0 then return 0 end
if redis.call('HINCRBY', base .. 'qu', id, -1) <= 0 then
  redis.call('HDEL', base .. 'qu', id)
  redis.call('HDEL', base .. 'qi', id)
  redis.call('LREM', KEYS[1], 1, id)
end
return 1
`;

type Args = (string | number)[];

/** The scripts as `defineCommand` adds them to the client (their replies as Redis gives them). */
interface Scripts {
  idvWrite(key: string, ...args: Args): Promise<[number, number, number] | null>;
  idvWriteAll(key: string, ...args: Args): Promise<number[]>;
  idvRemove(key: string, ...args: Args): Promise<[string, string, string, string] | null>;
  idvHoldsAny(key: string, ...args: Args): Promise<number[]>;
  idvHit(key: string, ...args: Args): Promise<[number, number]>;
  idvSweep(key: string, ...args: Args): Promise<number>;
  idvReset(key: string, ...args: Args): Promise<number>;
  idvReadShared(key: string, ...args: Args): Promise<string[]>;
  idvSetSetting(key: string, ...args: Args): Promise<number>;
  idvSetSettingIf(key: string, ...args: Args): Promise<number>;
  idvCount(key: string, ...args: Args): Promise<number | null>;
  idvForgetCounts(key: string, ...args: Args): Promise<number>;
  idvEnqueue(key: string, ...args: Args): Promise<number | null>;
  idvQueued(key: string, ...args: Args): Promise<string[]>;
  idvUseQueued(key: string, ...args: Args): Promise<number>;
  idvRecord(key: string, ...args: Args): Promise<number>;
  idvSchedule(key: string, ...args: Args): Promise<number>;
  idvScheduled(key: string, ...args: Args): Promise<string[]>;
  idvUnschedule(key: string, ...args: Args): Promise<number>;
  idvForget(key: string, ...args: Args): Promise<number>;
  idvTouch(key: string, ...args: Args): Promise<string[]>;
}

const SCRIPTS: Record<keyof Scripts, string> = {
  idvWrite: WRITE,
  idvWriteAll: WRITE_ALL,
  idvRemove: REMOVE,
  idvHoldsAny: HOLDS_ANY,
  idvHit: HIT,
  idvSweep: SWEEP,
  idvReset: RESET,
  idvReadShared: READ_SHARED,
  idvSetSetting: SET_SETTING,
  idvSetSettingIf: SET_SETTING_IF,
  idvCount: COUNT,
  idvForgetCounts: FORGET_COUNTS,
  idvEnqueue: ENQUEUE,
  idvQueued: QUEUED,
  idvUseQueued: USE_QUEUED,
  idvRecord: RECORD,
  idvSchedule: SCHEDULE,
  idvScheduled: SCHEDULED,
  idvUnschedule: UNSCHEDULE,
  idvForget: FORGET,
  idvTouch: TOUCH,
};

/** One namespace's store on a Redis client shared by every namespace. */
export function createRedisStore(redis: RedisClient, clock: Clock, options: RedisStoreOptions): Store {
  const client = withScripts<Scripts>(redis, SCRIPTS, 1);
  const base = `${options.prefix}{${options.namespace}}:`;
  const member = (k: Kind<unknown>, id: string) => `${k.name}:${id}`;
  const entryKey = (m: string) => `${base}e:${m}`;
  /** An entry as read back: its value parsed from the JSON stored (a fresh copy, never the caller's object). */
  const entry = <T>(
    kindName: string,
    id: string,
    value: string,
    c: number,
    e: number,
    r: number,
  ): StoreEntry<T> => ({
    kind: kindName,
    id,
    value: JSON.parse(value) as StoreEntry<T>["value"],
    createdAt: c,
    expiresAt: e,
    rev: r,
  });
  const write = async <T>(
    k: Kind<T>,
    id: string,
    value: T,
    ttlSeconds: number | undefined,
    mode: "put" | "create" | "replace",
    rev = 0,
  ): Promise<StoreEntry<T> | undefined> => {
    const m = member(k, id);
    const text = JSON.stringify(value);
    const written = await client.idvWrite(
      entryKey(m),
      base,
      m,
      text,
      clock.now(),
      ttlSeconds === undefined ? "" : Math.round(ttlSeconds * 1000),
      mode,
      String(rev),
      options.maxEntries,
      BACKSTOP_MS,
    );
    if (written === null) return undefined;
    const [r, c, e] = written;
    return entry<T>(k.name, id, text, c, e, r);
  };
  const remove = async <T>(k: Kind<T>, id: string) => {
    const m = member(k, id);
    const cur = await client.idvRemove(entryKey(m), base, m, clock.now());
    return cur === null
      ? undefined
      : entry<T>(k.name, id, cur[0], Number(cur[1]), Number(cur[2]), Number(cur[3]));
  };

  return guarded({
    shared: true,
    async getSetting(name) {
      return (await client.hget(`${base}settings`, name)) ?? undefined;
    },
    async setSetting(name, value) {
      await client.idvSetSetting(`${base}settings`, base, name, value, KEPT_MS);
    },
    async setSettingIf(name, expected, value) {
      const given = expected === undefined ? [] : [expected];
      return (await client.idvSetSettingIf(`${base}settings`, base, name, value, KEPT_MS, ...given)) === 1;
    },
    async readShared() {
      const [queued, ...pairs] = await client.idvReadShared(`${base}settings`, base, KEPT_MS);
      const settings: Record<string, string> = {};
      for (let i = 0; i < pairs.length; i += 2) settings[pairs[i]!] = pairs[i + 1]!;
      return { settings, queued: Number(queued) };
    },
    async count(name, limit) {
      return (await client.idvCount(`${base}n`, base, name, limit ?? "", KEPT_MS)) ?? undefined;
    },
    async forgetCounts(prefixes) {
      if (prefixes?.length === 0) return; // none named: none forgotten (no prefix at all is every count)
      await client.idvForgetCounts(`${base}n`, ...(prefixes ?? []));
    },
    async enqueue(item, uses, max) {
      return (await client.idvEnqueue(`${base}q`, base, item, uses, max, KEPT_MS)) ?? undefined;
    },
    async queued() {
      const flat = await client.idvQueued(`${base}q`, base);
      const out: QueuedItem[] = [];
      for (let i = 0; i < flat.length; i += 3)
        out.push({ id: flat[i]!, item: flat[i + 1]!, uses: Number(flat[i + 2]) });
      return out;
    },
    async schedule(key, item, at, max) {
      await client.idvSchedule(`${base}due`, base, key, item, at, max, KEPT_MS);
    },
    async scheduled(until, limit) {
      const flat = await client.idvScheduled(`${base}due`, base, until, limit ?? -1);
      const out: ScheduledItem[] = [];
      for (let i = 0; i < flat.length; i += 3)
        out.push({ key: flat[i]!, item: flat[i + 1]!, at: Number(flat[i + 2]) });
      return out;
    },
    async unschedule(key) {
      return (await client.idvUnschedule(`${base}due`, base, key)) === 1;
    },
    async useQueued(id) {
      return (await client.idvUseQueued(`${base}q`, base, id)) === 1;
    },
    put: (k, id, value, ttlSeconds) => write(k, id, value, ttlSeconds, "put") as Promise<StoreEntry<never>>,
    async putAll(items, at = clock.now()) {
      if (items.length === 0) return [];
      const args: Args = [];
      const texts = items.map((item) => JSON.stringify(item.value));
      items.forEach((item, i) => {
        args.push(member(item.kind, item.id), texts[i]!, Math.round(item.ttlSeconds * 1000));
      });
      const revs = await client.idvWriteAll(
        `${base}order`,
        base,
        at,
        options.maxEntries,
        BACKSTOP_MS,
        ...args,
      );
      return items.map((item, i) =>
        entry(item.kind.name, item.id, texts[i]!, at, at + Math.round(item.ttlSeconds * 1000), revs[i]!),
      );
    },
    now: () => clock.now(),
    create: (k, id, value, ttlSeconds) => write(k, id, value, ttlSeconds, "create"),
    replace: (k, id, rev, value, ttlSeconds) => write(k, id, value, ttlSeconds, "replace", rev),
    async get(k, id) {
      const [v, c, e, r] = await client.hmget(entryKey(member(k, id)), "v", "c", "e", "r");
      if (v === null || v === undefined || Number(e) <= clock.now()) return undefined;
      return entry(k.name, id, v, Number(c), Number(e), Number(r));
    },
    async holdsAny(kinds, ids) {
      if (kinds.length === 0 || ids.length === 0) return ids.map(() => false);
      const names = kinds.map((k) => k.name);
      const found = await client.idvHoldsAny(
        `${base}order`,
        base,
        clock.now(),
        names.length,
        ...names,
        ...ids,
      );
      return found.map((f) => f === 1);
    },
    take: remove,
    async delete(k, id) {
      return (await remove(k, id)) !== undefined;
    },
    async list(k) {
      const members = (await client.zrange(`${base}order`, 0, -1)).filter(
        (m) => k === undefined || m.startsWith(`${k.name}:`),
      );
      if (members.length === 0) return [];
      const pipeline = client.pipeline();
      for (const m of members) pipeline.hmget(entryKey(m), "v", "c", "e", "r");
      const rows = (await pipeline.exec()) ?? [];
      const now = clock.now();
      const out: StoreEntry<unknown>[] = [];
      rows.forEach(([err, row], i) => {
        if (err) throw err;
        const [v, c, e, r] = row as (string | null)[];
        if (v === null || v === undefined || Number(e) <= now) return;
        const m = members[i]!;
        const split = m.indexOf(":");
        out.push(entry(m.slice(0, split), m.slice(split + 1), v, Number(c), Number(e), Number(r)));
      });
      return out;
    },
    async hit(key, windowSeconds): Promise<WindowCount> {
      const [count, resetAt] = await client.idvHit(
        `${base}c:${key}`,
        base,
        key,
        clock.now(),
        Math.round(windowSeconds * 1000),
        options.maxCounters,
        BACKSTOP_MS,
      );
      return { count, resetAt };
    },
    sweep: () => client.idvSweep(`${base}order`, base, clock.now()),
    async reset() {
      await client.idvReset(`${base}order`, base);
    },
    async stats() {
      const [size, evicted] = await Promise.all([client.zcard(`${base}order`), client.get(`${base}evicted`)]);
      return { size, evicted: Number(evicted ?? 0) };
    },
  });
}

/** How often (real time) a process marks a namespace it serves as used in the shared index, at most. */
export const TOUCH_EVERY_MS = 10_000;

/**
 * The bound on namespaces across every sandbox sharing a Redis (`namespaces.max`): `<prefix>namespaces` orders them
 * by last use (each process marks a namespace it serves at most every `TOUCH_EVERY_MS`), and past the bound the least
 * recently used one (never the default) is forgotten with all its keys, as one process forgets one in memory.
 */
function createNamespaceIndex(
  redis: RedisClient,
  options: { prefix: string; max: number; defaultId: string },
) {
  const client = withScripts<Scripts>(redis, SCRIPTS, 1);
  const touched = new Map<string, number>();
  return {
    async touch(id: string): Promise<string[]> {
      // Real time, only to space this process's marks: the order is the server's.
      const now = performance.now();
      if (now - (touched.get(id) ?? -Infinity) < TOUCH_EVERY_MS) return [];
      touched.delete(id);
      touched.set(id, now);
      // This process's own marks are bounded like the index.
      while (touched.size > options.max + 1) touched.delete(touched.keys().next().value!);
      const gone = await client.idvTouch(
        `${options.prefix}namespaces`,
        id,
        "",
        options.max,
        options.defaultId,
      );
      for (const victim of gone) {
        touched.delete(victim);
        const base = `${options.prefix}{${victim}}:`;
        await client.idvForget(`${base}order`, base);
      }
      return gone;
    },
  };
}

/** How many journal records a read takes from Redis at a time, newest first, until it has what the query asks. */
const JOURNAL_PAGE = 200;

/**
 * One namespace's journal on Redis, so every sandbox sharing it records into one list and reads the same requests:
 * `<prefix>{<ns>}:journal`, records newest last as `<id> <JSON>`, at most `capacity` of them (the oldest go first),
 * ids from `:jseq`. A record goes out behind the answer, never holding it; one Redis could not take is lost (the
 * request itself answered 503 then).
 */
export function createRedisJournal(
  redis: RedisClient,
  options: { prefix: string; namespace: string; capacity: number; redact: Redact },
): Journal {
  const client = withScripts<Scripts>(redis, SCRIPTS, 1);
  const base = `${options.prefix}{${options.namespace}}:`;
  const key = `${base}journal`;
  const parse = (line: string) => {
    const space = line.indexOf(" ");
    return { id: Number(line.slice(0, space)), record: JSON.parse(line.slice(space + 1)) as JournalRecord };
  };
  return guarded({
    record(entry) {
      client.idvRecord(key, base, JSON.stringify(entry), options.capacity, KEPT_MS).catch(() => undefined);
    },
    async query(query) {
      const { since, limit = 100 } = query;
      const out: JournalEntry[] = [];
      // Newest first, a page at a time, until enough pass the filters or `since` is reached.
      for (let end = -1; out.length < limit; end -= JOURNAL_PAGE) {
        const lines = await client.lrange(key, end - JOURNAL_PAGE + 1, end);
        for (let i = lines.length - 1; i >= 0 && out.length < limit; i--) {
          const { id, record } = parse(lines[i]!);
          if (since !== undefined && id <= since) return out;
          if (passes(record, query)) out.push(entryOf(id, record, options.redact));
        }
        if (lines.length < JOURNAL_PAGE) break;
      }
      return out;
    },
    async clear() {
      await client.del(key);
    },
    size: () => client.llen(key),
  });
}

/**
 * Every namespace's state on one Redis client: its store, its journal, and the shared bound on how many there are.
 * The one place the Redis keys of a namespace are put together from the config.
 */
export function redisNamespaces(
  redis: RedisClient,
  options: {
    prefix: string;
    maxEntries: number;
    maxCounters: number;
    maxNamespaces: number;
    journalSize: number;
    redact: Redact;
  },
): SharedNamespaces {
  const { prefix } = options;
  const index = createNamespaceIndex(redis, {
    prefix,
    max: options.maxNamespaces,
    defaultId: DEFAULT_NAMESPACE,
  });
  return {
    store: (clock, namespace) =>
      createRedisStore(redis, clock, {
        prefix,
        namespace,
        maxEntries: options.maxEntries,
        maxCounters: options.maxCounters,
      }),
    journal: (namespace) =>
      createRedisJournal(redis, { prefix, namespace, capacity: options.journalSize, redact: options.redact }),
    deliveries: (namespace, capacity) =>
      createRedisDeliveryLog(redis, { prefix, namespace, capacity, keptMs: KEPT_MS }),
    touch: (id) => index.touch(id),
  };
}
