import { ReplyError, type Cluster, type Redis } from "ioredis";
import type { Clock } from "./clock.js";
import { StoreUnavailableError, type Kind, type Store, type StoreEntry, type WindowCount } from "./store.js";

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
 * - `<prefix>{<ns>}:seq` the revision counter and `:evicted` how many the bound evicted.
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
 * Evicts past the bound and drops up to 4 expired entries: the shared tail of every write. \`extend\` keeps a
 * namespace's index keys at least as long as its longest-lived entry (plus the backstop), so a namespace no process
 * holds any more leaves nothing behind for long.
 */
const EXTEND = `
local function extend(key, px)
  if redis.call('PTTL', key) < px then redis.call('PEXPIRE', key, px) end
end
`;

const TRIM = `${EXTEND}
local function trim(base, now, max)
  local order, exp = base .. 'order', base .. 'exp'
  for _, m in ipairs(redis.call('ZRANGEBYSCORE', exp, '-inf', now, 'LIMIT', 0, 4)) do
    redis.call('DEL', base .. 'e:' .. m)
    redis.call('ZREM', order, m)
    redis.call('ZREM', exp, m)
  end
  local over = redis.call('ZCARD', order) - max
  if over > 0 then
    local victims = redis.call('ZPOPMIN', order, over)
    for i = 1, #victims, 2 do
      redis.call('DEL', base .. 'e:' .. victims[i])
      redis.call('ZREM', exp, victims[i])
    end
    redis.call('INCRBY', base .. 'evicted', over)
  end
end
`;

/**
 * KEYS[1] the entry. ARGV: base, member, value, now, ttlMs ('' keeps the expiry: replace), mode (put, create,
 * replace), rev (replace), max, backstop. Returns {rev, createdAt, expiresAt}, or nil when create found a live entry
 * or replace a changed one.
 */
const WRITE = `${TRIM}
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
local rev = redis.call('INCR', base .. 'seq')
redis.call('DEL', key)
redis.call('HSET', key, 'v', value, 'c', createdAt, 'e', expiresAt, 'r', rev)
local px = math.max(expiresAt - now, 0) + tonumber(ARGV[9])
redis.call('PEXPIRE', key, px)
redis.call('ZADD', base .. 'order', rev, member)
redis.call('ZADD', base .. 'exp', expiresAt, member)
trim(base, now, tonumber(ARGV[8]))
for _, index in ipairs({'order', 'exp', 'seq', 'evicted'}) do extend(base .. index, px) end
return {rev, createdAt, expiresAt}
`;

/** KEYS[1] the entry. ARGV: base, member, now. Deletes it; returns {v, c, e, r} if it was live, else nil. */
const REMOVE = `
local key = KEYS[1]
local cur = redis.call('HMGET', key, 'v', 'c', 'e', 'r')
if not cur[1] then return nil end
redis.call('DEL', key)
redis.call('ZREM', ARGV[1] .. 'order', ARGV[2])
redis.call('ZREM', ARGV[1] .. 'exp', ARGV[2])
if tonumber(cur[3]) <= tonumber(ARGV[3]) then return nil end
return cur
`;

/** KEYS[1] the counter. ARGV: base, key, now, windowMs, max, backstop. Returns {count, resetAt}. */
const HIT = `${EXTEND}
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
    for i = 1, #victims, 2 do
      redis.call('DEL', base .. 'c:' .. victims[i])
      redis.call('ZREM', base .. 'cexp', victims[i])
    end
  end
end
return {redis.call('HINCRBY', key, 'n', 1), reset}
`;

/** KEYS[1] the order set (for the slot). ARGV: base, now. Drops expired entries and counters; returns how many entries. */
const SWEEP = `
local base, now = ARGV[1], ARGV[2]
local dropped = 0
repeat
  local batch = redis.call('ZRANGEBYSCORE', base .. 'exp', '-inf', now, 'LIMIT', 0, 500)
  for _, m in ipairs(batch) do
    redis.call('DEL', base .. 'e:' .. m)
    redis.call('ZREM', base .. 'order', m)
    redis.call('ZREM', base .. 'exp', m)
  end
  dropped = dropped + #batch
until #batch < 500
for _, m in ipairs(redis.call('ZRANGEBYSCORE', base .. 'cexp', '-inf', now)) do
  redis.call('DEL', base .. 'c:' .. m)
  redis.call('ZREM', base .. 'corder', m)
  redis.call('ZREM', base .. 'cexp', m)
end
return dropped
`;

/** KEYS[1] the order set (for the slot). ARGV: base. Forgets every entry and counter of the namespace. */
const RESET = `
local base = ARGV[1]
for _, m in ipairs(redis.call('ZRANGE', base .. 'order', 0, -1)) do redis.call('DEL', base .. 'e:' .. m) end
for _, m in ipairs(redis.call('ZRANGE', base .. 'corder', 0, -1)) do redis.call('DEL', base .. 'c:' .. m) end
redis.call('DEL', base .. 'order', base .. 'exp', base .. 'corder', base .. 'cexp', base .. 'evicted')
return 1
`;

type Client = Redis | Cluster;

type Args = (string | number)[];

/** The scripts as `defineCommand` adds them to the client (their replies as Redis gives them). */
interface Scripts {
  idvWrite(key: string, ...args: Args): Promise<[number, number, number] | null>;
  idvRemove(key: string, ...args: Args): Promise<[string, string, string, string] | null>;
  idvHit(key: string, ...args: Args): Promise<[number, number]>;
  idvSweep(key: string, ...args: Args): Promise<number>;
  idvReset(key: string, ...args: Args): Promise<number>;
}

const defined = new WeakSet<Client>();

/** Loads the scripts into the client once (ioredis sends EVALSHA and falls back to EVAL after a restart). */
function withScripts(client: Client): Client & Scripts {
  if (!defined.has(client)) {
    client.defineCommand("idvWrite", { numberOfKeys: 1, lua: WRITE });
    client.defineCommand("idvRemove", { numberOfKeys: 1, lua: REMOVE });
    client.defineCommand("idvHit", { numberOfKeys: 1, lua: HIT });
    client.defineCommand("idvSweep", { numberOfKeys: 1, lua: SWEEP });
    client.defineCommand("idvReset", { numberOfKeys: 1, lua: RESET });
    defined.add(client);
  }
  return client as unknown as Client & Scripts;
}

/** One namespace's store on a Redis client shared by every namespace. */
export function createRedisStore(redis: Client, clock: Clock, options: RedisStoreOptions): Store {
  const client = withScripts(redis);
  const base = `${options.prefix}{${options.namespace}}:`;
  const member = (k: Kind<unknown>, id: string) => `${k.name}:${id}`;
  const entryKey = (m: string) => `${base}e:${m}`;
  const entry = <T>(
    k: Kind<T>,
    id: string,
    value: string,
    c: number,
    e: number,
    r: number,
  ): StoreEntry<T> => ({
    kind: k.name,
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
    return {
      kind: k.name,
      id,
      value: JSON.parse(text) as StoreEntry<T>["value"],
      createdAt: c,
      expiresAt: e,
      rev: r,
    };
  };
  const remove = async <T>(k: Kind<T>, id: string) => {
    const m = member(k, id);
    const cur = await client.idvRemove(entryKey(m), base, m, clock.now());
    return cur === null ? undefined : entry(k, id, cur[0], Number(cur[1]), Number(cur[2]), Number(cur[3]));
  };

  return guarded({
    shared: true,
    async getSetting(name) {
      return (await client.hget(`${base}settings`, name)) ?? undefined;
    },
    async setSetting(name, value) {
      await client.hset(`${base}settings`, name, value);
    },
    put: (k, id, value, ttlSeconds) => write(k, id, value, ttlSeconds, "put") as Promise<StoreEntry<never>>,
    create: (k, id, value, ttlSeconds) => write(k, id, value, ttlSeconds, "create"),
    replace: (k, id, rev, value, ttlSeconds) => write(k, id, value, ttlSeconds, "replace", rev),
    async get(k, id) {
      const [v, c, e, r] = await client.hmget(entryKey(member(k, id)), "v", "c", "e", "r");
      if (v === null || v === undefined || Number(e) <= clock.now()) return undefined;
      return entry(k, id, v, Number(c), Number(e), Number(r));
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
        out.push({
          kind: m.slice(0, split),
          id: m.slice(split + 1),
          value: JSON.parse(v) as unknown,
          createdAt: Number(c),
          expiresAt: Number(e),
          rev: Number(r),
        });
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

/**
 * The store with every failure to reach Redis (closed connection, no connection, command timeout) turned into a
 * `StoreUnavailableError`, which the error door answers 503. An error Redis answered (a script's) is a bug: it stays.
 */
function guarded(store: Store): Store {
  const unavailable = (err: unknown): never => {
    if (err instanceof ReplyError) throw err;
    throw new StoreUnavailableError("redis", { cause: err });
  };
  const out: Record<string, unknown> = {};
  for (const [name, member] of Object.entries(store) as [string, unknown][])
    out[name] =
      typeof member === "function"
        ? (...args: unknown[]) =>
            (member as (...a: unknown[]) => Promise<unknown>)(...args).catch(unavailable)
        : member;
  return out as unknown as Store;
}
