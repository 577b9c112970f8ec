import type { Delivery, DeliveryLog } from "./deliveries.js";
import { guarded, withScripts, type RedisClient } from "./redis.js";

/**
 * A namespace's webhook deliveries on Redis, so every sandbox sharing it lists, sends, resends and takes over the
 * same ones. Key layout, in the namespace's hash slot like the rest of its keys (`<prefix>{<ns>}:`):
 * - `dlv` a hash: id → `<revision> <delivery as JSON>`;
 * - `dlvo` every id in creation order, `dlvp` the pending ones and `dlvf` the finished ones (score: `dlvseq`, their
 *   creation number), so the bound drops the oldest finished first without reading a delivery;
 * - `dlvt` the ids someone may take over (score: `takeoverAt`, real time).
 * Every write gives them all `keptMs` more: a namespace nobody uses any more leaves nothing behind for long.
 */
const KEYS = ["dlv", "dlvo", "dlvp", "dlvf", "dlvt", "dlvseq"];

/** Every script takes all six keys, in `KEYS` order, so a cluster sees each key a script touches. */
const PRELUDE = `
local hash, order, pending, finished, takeover, seq = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local function keep(ms)
  for _, key in ipairs(KEYS) do redis.call('PEXPIRE', key, ms) end
end
local function place(id, rank, done, takeoverAt)
  if done == '1' then
    redis.call('ZREM', pending, id)
    redis.call('ZADD', finished, rank, id)
  else
    redis.call('ZREM', finished, id)
    redis.call('ZADD', pending, rank, id)
  end
  if takeoverAt == '' then redis.call('ZREM', takeover, id) else redis.call('ZADD', takeover, takeoverAt, id) end
end
`;

/**
 * ARGV: id, delivery (JSON), finished ('1' or '0'), takeoverAt ('' for none), capacity, keptMs. Returns the ids the
 * bound dropped: the oldest finished first, then the oldest pending.
 */
const ADD = `${PRELUDE}
local id = ARGV[1]
local rank = redis.call('INCR', seq)
redis.call('HSET', hash, id, '1 ' .. ARGV[2])
redis.call('ZADD', order, rank, id)
place(id, rank, ARGV[3], ARGV[4])
local dropped = {}
local over = redis.call('ZCARD', order) - tonumber(ARGV[5])
while over > 0 do
  local victim = redis.call('ZRANGE', finished, 0, 0)[1] or redis.call('ZRANGE', pending, 0, 0)[1]
  redis.call('HDEL', hash, victim)
  for _, key in ipairs({order, pending, finished, takeover}) do redis.call('ZREM', key, victim) end
  dropped[#dropped + 1] = victim
  over = over - 1
end
keep(tonumber(ARGV[6]))
return dropped
`;

/**
 * ARGV: id, rev, delivery (JSON), finished, takeoverAt, keptMs. Writes only if the delivery is still revision `rev`:
 * 1 if it did, else 0.
 */
const REPLACE = `${PRELUDE}
local id = ARGV[1]
local current = redis.call('HGET', hash, id)
local rank = redis.call('ZSCORE', order, id)
if not current or not rank then return 0 end
if string.sub(current, 1, string.find(current, ' ', 1, true) - 1) ~= ARGV[2] then return 0 end
redis.call('HSET', hash, id, (tonumber(ARGV[2]) + 1) .. ' ' .. ARGV[3])
place(id, rank, ARGV[4], ARGV[5])
keep(tonumber(ARGV[6]))
return 1
`;

/** ARGV: which order set ('o' every delivery, 'p' the pending), first, last (ZRANGE ranks). Those deliveries. */
const RANGE = `${PRELUDE}
local set = ARGV[1] == 'p' and pending or order
local out = {}
for _, id in ipairs(redis.call('ZRANGE', set, ARGV[2], ARGV[3])) do
  out[#out + 1] = redis.call('HGET', hash, id)
end
return out
`;

type Args = (string | number)[];

/** Each takes the six keys, then its arguments. */
interface Scripts {
  idvDeliveryAdd(...keysAndArgs: Args): Promise<string[]>;
  idvDeliveryReplace(...keysAndArgs: Args): Promise<number>;
  idvDeliveryRange(...keysAndArgs: Args): Promise<(string | null)[]>;
}

const SCRIPTS: Record<keyof Scripts, string> = {
  idvDeliveryAdd: ADD,
  idvDeliveryReplace: REPLACE,
  idvDeliveryRange: RANGE,
};

/** `<revision> <JSON>` as stored, read back. */
function parse(stored: string): { value: Delivery; rev: number } {
  const space = stored.indexOf(" ");
  return { rev: Number(stored.slice(0, space)), value: JSON.parse(stored.slice(space + 1)) as Delivery };
}

/** How a delivery sits in the indexes: finished or not, and when it may be taken over. */
const placing = (d: Delivery) => [d.status === "pending" ? "0" : "1", d.takeoverAt ?? ""] as const;

/** How many pending deliveries one read takes. */
const PENDING_PAGE = 500;

/** One namespace's deliveries on Redis (see the key layout above). */
export function createRedisDeliveryLog(
  redis: RedisClient,
  options: { prefix: string; namespace: string; capacity: number; keptMs: number },
): DeliveryLog {
  const client = withScripts<Scripts>(redis, SCRIPTS, KEYS.length);
  const base = `${options.prefix}{${options.namespace}}:`;
  const keys = KEYS.map((name) => base + name);
  const range = async (set: "o" | "p", first: number, last: number) =>
    (await client.idvDeliveryRange(...keys, set, first, last))
      .filter((stored) => stored !== null)
      .map((stored) => parse(stored).value);
  return guarded<DeliveryLog>({
    add: (d) =>
      client.idvDeliveryAdd(
        ...keys,
        d.id,
        JSON.stringify(d),
        ...placing(d),
        options.capacity,
        options.keptMs,
      ),
    async get(id) {
      const stored = await client.hget(keys[0]!, id);
      return stored === null ? undefined : parse(stored);
    },
    async replace(rev, d) {
      const written = await client.idvDeliveryReplace(
        ...keys,
        d.id,
        rev,
        JSON.stringify(d),
        ...placing(d),
        options.keptMs,
      );
      return written === 1;
    },
    async newest(offset, count) {
      if (count <= 0) return [];
      return (await range("o", -(offset + count), -(offset + 1))).reverse();
    },
    async pending() {
      // A page at a time: a namespace may keep many.
      const out: Delivery[] = [];
      for (let first = 0; ; first += PENDING_PAGE) {
        const page = await range("p", first, first + PENDING_PAGE - 1);
        out.push(...page);
        if (page.length < PENDING_PAGE) return out;
      }
    },
    due: (at, limit) => client.zrangebyscore(keys[4]!, "-inf", at, "LIMIT", 0, limit),
    async clear() {
      await client.del(...keys);
    },
  });
}

/** The keys of a namespace's deliveries, after its base: what forgetting the namespace deletes. */
export const DELIVERY_KEYS: readonly string[] = KEYS;
