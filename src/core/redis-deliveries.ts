import type { Cluster, Redis } from "ioredis";
import type { Delivery, DeliveryLog } from "./deliveries.js";
import { guarded } from "./redis.js";

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

const PRELUDE = `
local base, id = ARGV[1], ARGV[2]
local function keep(ms)
  for _, name in ipairs({${KEYS.map((k) => `'${k}'`).join(", ")}}) do redis.call('PEXPIRE', base .. name, ms) end
end
local function place(seq, finished, takeoverAt)
  if finished == '1' then
    redis.call('ZREM', base .. 'dlvp', id)
    redis.call('ZADD', base .. 'dlvf', seq, id)
  else
    redis.call('ZREM', base .. 'dlvf', id)
    redis.call('ZADD', base .. 'dlvp', seq, id)
  end
  if takeoverAt == '' then redis.call('ZREM', base .. 'dlvt', id) else redis.call('ZADD', base .. 'dlvt', takeoverAt, id) end
end
`;

/**
 * KEYS[1] `dlv`. ARGV: base, id, delivery (JSON), finished ('1' or '0'), takeoverAt ('' for none), capacity, keptMs.
 * Returns the ids the bound dropped: the oldest finished first, then the oldest pending.
 */
const ADD = `${PRELUDE}
local seq = redis.call('INCR', base .. 'dlvseq')
redis.call('HSET', KEYS[1], id, '1 ' .. ARGV[3])
redis.call('ZADD', base .. 'dlvo', seq, id)
place(seq, ARGV[4], ARGV[5])
local dropped = {}
local over = redis.call('ZCARD', base .. 'dlvo') - tonumber(ARGV[6])
while over > 0 do
  local victim = redis.call('ZRANGE', base .. 'dlvf', 0, 0)[1] or redis.call('ZRANGE', base .. 'dlvp', 0, 0)[1]
  redis.call('HDEL', KEYS[1], victim)
  for _, name in ipairs({'dlvo', 'dlvp', 'dlvf', 'dlvt'}) do redis.call('ZREM', base .. name, victim) end
  dropped[#dropped + 1] = victim
  over = over - 1
end
keep(tonumber(ARGV[7]))
return dropped
`;

/**
 * KEYS[1] `dlv`. ARGV: base, id, rev, delivery (JSON), finished, takeoverAt, keptMs. Writes only if the delivery is
 * still revision `rev`: 1 if it did, else 0.
 */
const REPLACE = `${PRELUDE}
local current = redis.call('HGET', KEYS[1], id)
if not current then return 0 end
if string.sub(current, 1, string.find(current, ' ', 1, true) - 1) ~= ARGV[3] then return 0 end
redis.call('HSET', KEYS[1], id, (tonumber(ARGV[3]) + 1) .. ' ' .. ARGV[4])
place(redis.call('ZSCORE', base .. 'dlvo', id), ARGV[5], ARGV[6])
keep(tonumber(ARGV[7]))
return 1
`;

/** KEYS[1] `dlv`. ARGV: base, (unused), order set, first, last (ZRANGE ranks). The deliveries in that range. */
const RANGE = `
local out = {}
for _, id in ipairs(redis.call('ZRANGE', ARGV[1] .. ARGV[3], ARGV[4], ARGV[5])) do
  out[#out + 1] = redis.call('HGET', KEYS[1], id)
end
return out
`;

type Client = Redis | Cluster;
type Args = (string | number)[];

interface Scripts {
  idvDeliveryAdd(key: string, ...args: Args): Promise<string[]>;
  idvDeliveryReplace(key: string, ...args: Args): Promise<number>;
  idvDeliveryRange(key: string, ...args: Args): Promise<(string | null)[]>;
}

const SCRIPTS: Record<keyof Scripts, string> = {
  idvDeliveryAdd: ADD,
  idvDeliveryReplace: REPLACE,
  idvDeliveryRange: RANGE,
};

const defined = new WeakSet<Client>();

function withScripts(client: Client): Client & Scripts {
  if (!defined.has(client)) {
    for (const [name, lua] of Object.entries(SCRIPTS)) client.defineCommand(name, { numberOfKeys: 1, lua });
    defined.add(client);
  }
  return client as unknown as Client & Scripts;
}

/** `<revision> <JSON>` as stored, read back. */
function parse(stored: string): { value: Delivery; rev: number } {
  const space = stored.indexOf(" ");
  return { rev: Number(stored.slice(0, space)), value: JSON.parse(stored.slice(space + 1)) as Delivery };
}

/** How a delivery sits in the indexes: finished or not, and when it may be taken over. */
const placing = (d: Delivery) => [d.status === "pending" ? "0" : "1", d.takeoverAt ?? ""] as const;

/** One namespace's deliveries on Redis (see the key layout above). */
export function createRedisDeliveryLog(
  redis: Client,
  options: { prefix: string; namespace: string; capacity: number; keptMs: number },
): DeliveryLog {
  const client = withScripts(redis);
  const base = `${options.prefix}{${options.namespace}}:`;
  const key = `${base}dlv`;
  const range = async (set: string, first: number, last: number) =>
    (await client.idvDeliveryRange(key, base, "", set, first, last))
      .filter((stored) => stored !== null)
      .map((stored) => parse(stored).value);
  return guarded<DeliveryLog>({
    add: (d) =>
      client.idvDeliveryAdd(
        key,
        base,
        d.id,
        JSON.stringify(d),
        ...placing(d),
        options.capacity,
        options.keptMs,
      ),
    async get(id) {
      const stored = await client.hget(key, id);
      return stored === null ? undefined : parse(stored);
    },
    async replace(rev, d) {
      const written = await client.idvDeliveryReplace(
        key,
        base,
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
      return (await range("dlvo", -(offset + count), -(offset + 1))).reverse();
    },
    pending: () => range("dlvp", 0, -1),
    due: (at, limit) => client.zrangebyscore(`${base}dlvt`, "-inf", at, "LIMIT", 0, limit),
    async clear() {
      await client.del(...KEYS.map((name) => base + name));
    },
  });
}

/** The keys of a namespace's deliveries, after its base: what forgetting the namespace deletes. */
export const DELIVERY_KEYS: readonly string[] = KEYS;
