import type { Cluster, Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import {
  changeDelivery,
  createMemoryDeliveryLog,
  type Delivery,
  type DeliveryLog,
} from "../../src/core/deliveries.js";
import { createRedisDeliveryLog } from "../../src/core/redis-deliveries.js";
import { redisAndCluster } from "../helpers/shared.js";

// A real redis-server and a real 3-master Redis Cluster: a namespace's delivery keys share one hash slot.
const { client, clusterClient } = redisAndCluster();
let namespaces = 0;

const onRedis = (redis: () => Redis | Cluster) => (capacity: number) =>
  createRedisDeliveryLog(redis(), {
    prefix: "test:",
    namespace: `ns${String(++namespaces)}`,
    capacity,
    keptMs: 60_000,
  });

// Only the DeliveryLog interface is used, so every backend passes the same tests.
const backends: { name: string; create: (capacity: number) => DeliveryLog }[] = [
  { name: "memory", create: createMemoryDeliveryLog },
  { name: "redis", create: onRedis(client) },
  { name: "redis cluster", create: onRedis(clusterClient) },
];

function delivery(id: string, fields: Partial<Delivery> = {}): Delivery {
  return {
    id,
    subscription: "whs_1",
    vendor: "acme",
    event: "thing.done",
    url: "http://127.0.0.1:1/hook",
    body: '{"n":"é"}',
    headers: {},
    hidden: [],
    status: "pending",
    attempts: [],
    createdAt: 0,
    nextAttemptAt: null,
    duplicate: false,
    orderKey: "",
    held: false,
    resend: false,
    scenario: null,
    owner: "p1",
    sending: false,
    takeoverAt: null,
    ...fields,
  };
}

const idsOf = (list: readonly Delivery[]) => list.map((d) => d.id);

describe.each(backends)("$name delivery log", ({ create }) => {
  it("keeps a delivery as given and reads it back with its revision", async () => {
    const log = create(10);
    const d = delivery("d1", { headers: { "x-sig": "abc" }, attempts: [] });
    expect(await log.add(d)).toEqual([]);
    expect(await log.get("d1")).toEqual({ value: d, rev: 1 });
    expect(await log.get("nope")).toBeUndefined();
  });

  it("replaces only the revision it read: of two writers, the second is refused", async () => {
    const log = create(10);
    await log.add(delivery("d1"));
    expect(await log.replace(1, delivery("d1", { sending: true, owner: "p2" }))).toBe(true);
    expect(await log.replace(1, delivery("d1", { sending: true, owner: "p3" }))).toBe(false);
    expect(await log.get("d1")).toMatchObject({ rev: 2, value: { owner: "p2", sending: true } });
    expect(await log.replace(1, delivery("gone"))).toBe(false);
  });

  it("lets exactly one of 20 concurrent changes claim a delivery", async () => {
    const log = create(10);
    await log.add(delivery("d1"));
    const claims = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        changeDelivery(log, "d1", (d) =>
          d.sending ? undefined : { ...d, sending: true, owner: `p${String(i)}` },
        ),
      ),
    );
    expect(claims.filter((c) => c !== undefined)).toHaveLength(1);
  });

  it("lists the newest first, a page at a time, and the pending ones oldest first", async () => {
    const log = create(10);
    for (const n of [1, 2, 3, 4, 5])
      await log.add(delivery(`d${String(n)}`, { status: n % 2 === 0 ? "delivered" : "pending" }));
    expect(idsOf(await log.newest(0, 2))).toEqual(["d5", "d4"]);
    expect(idsOf(await log.newest(2, 2))).toEqual(["d3", "d2"]);
    expect(idsOf(await log.newest(4, 2))).toEqual(["d1"]);
    expect(idsOf(await log.newest(5, 2))).toEqual([]);
    expect(idsOf(await log.pending())).toEqual(["d1", "d3", "d5"]);
    // A write moves it between pending and finished, never in the order.
    const { rev } = (await log.get("d1"))!;
    await log.replace(rev, delivery("d1", { status: "failed" }));
    expect(idsOf(await log.pending())).toEqual(["d3", "d5"]);
    expect(idsOf(await log.newest(0, 10))).toEqual(["d5", "d4", "d3", "d2", "d1"]);
  });

  it("drops the oldest finished delivery first past its capacity, then the oldest pending", async () => {
    const log = create(3);
    await log.add(delivery("p1"));
    await log.add(delivery("f1", { status: "delivered" }));
    await log.add(delivery("p2"));
    expect(await log.add(delivery("p3"))).toEqual(["f1"]);
    expect(await log.add(delivery("p4"))).toEqual(["p1"]);
    expect(idsOf(await log.newest(0, 10))).toEqual(["p4", "p3", "p2"]);
    expect(await log.get("f1")).toBeUndefined();
  });

  it("names what may be taken over by then, earliest first, and forgets a finished one", async () => {
    const log = create(10);
    await log.add(delivery("late", { takeoverAt: 2000 }));
    await log.add(delivery("early", { takeoverAt: 1000 }));
    await log.add(delivery("held", { takeoverAt: null, held: true }));
    expect(await log.due(1500, 10)).toEqual(["early"]);
    expect(await log.due(5000, 10)).toEqual(["early", "late"]);
    expect(await log.due(5000, 1)).toEqual(["early"]);
    const { rev } = (await log.get("early"))!;
    await log.replace(rev, delivery("early", { status: "delivered", takeoverAt: null }));
    expect(await log.due(5000, 10)).toEqual(["late"]);
  });

  it("forgets everything on clear", async () => {
    const log = create(10);
    await log.add(delivery("d1", { takeoverAt: 1 }));
    await log.clear();
    expect(await log.newest(0, 10)).toEqual([]);
    expect(await log.pending()).toEqual([]);
    expect(await log.due(10, 10)).toEqual([]);
    expect(await log.add(delivery("d2"))).toEqual([]);
    expect(idsOf(await log.newest(0, 10))).toEqual(["d2"]);
  });
});
