import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClock } from "../../src/core/clock.js";
import type { Subscription } from "../../src/core/deliveries.js";
import { SandboxError } from "../../src/core/errors.js";
import { redactorFor } from "../../src/core/journal.js";
import { createNamespaces } from "../../src/core/namespaces.js";
import { redisNamespaces } from "../../src/core/redis-store.js";
import { changeGlobal, changeSubscriptions, MAX_CHANGE_TRIES, SETTINGS } from "../../src/core/settings.js";
import { startRedis, type RedisServer } from "../helpers/redis.js";

// Two "sandboxes" (two sets of namespaces, as two processes hold them) on one real redis-server, under one prefix.
let server: RedisServer | undefined;
let client: Redis | undefined;
let prefixes = 0;
beforeAll(async () => {
  server = await startRedis();
  client = new Redis(server.url);
});
afterAll(async () => {
  await client?.quit();
  await server?.stop();
});

const options = {
  maxEntries: 100,
  maxCounters: 100,
  maxNamespaces: 10,
  journalSize: 10,
  deliveriesKept: 10,
};

/** A sandbox's namespaces: on the shared Redis under `prefix`, or (no prefix) in memory. */
function sandbox(prefix?: string) {
  const clock = createClock({ start: 0, frozen: true });
  return createNamespaces({
    ...options,
    clock,
    global: [],
    ...(prefix === undefined
      ? {}
      : { shared: redisNamespaces(client!, { ...options, prefix, redact: redactorFor() }) }),
  });
}

function pair() {
  const prefix = `set${String(++prefixes)}:`;
  return [sandbox(prefix), sandbox(prefix)] as const;
}

const subscription = (id: string): Subscription => ({
  id,
  vendor: "regula",
  url: `http://127.0.0.1:9/${id}`,
  secret: "s",
  events: null,
  headers: {},
  options: {},
  source: "api",
  createdAt: 0,
});

describe("changeSubscriptions", () => {
  it("never writes back what another sandbox holds of a namespace the store forgot", async () => {
    const [a, b] = pair();
    await changeSubscriptions(a.get("w9"), (subscriptions) => {
      subscriptions.set("whs_old", subscription("whs_old"));
    });
    const held = b.get("w9");
    await b.refresh(held);
    expect([...held.webhooks.subscriptions.keys()]).toEqual(["whs_old"]);
    // Forgotten in the store (the shared bound, or a week without a request): its settings are gone.
    await client!.del(`set${String(prefixes)}:{w9}:settings`);
    await changeSubscriptions(held, (subscriptions) => {
      subscriptions.set("whs_new", subscription("whs_new"));
    });
    const fresh = a.get("w9");
    await a.refresh(fresh);
    expect([...fresh.webhooks.subscriptions.keys()]).toEqual(["whs_new"]);
    // A refresh alone lets go of what was forgotten too.
    await client!.del(`set${String(prefixes)}:{w9}:settings`);
    await a.refresh(fresh);
    expect(fresh.webhooks.subscriptions.size).toBe(0);
  });

  it("keeps all 10 subscriptions added at once through two sandboxes, and each sees them all", async () => {
    const [a, b] = pair();
    const ids = Array.from({ length: 10 }, (_, i) => `whs_${String(i)}`);
    await Promise.all(
      ids.map((id, i) =>
        changeSubscriptions((i % 2 === 0 ? a : b).get("w1"), (subscriptions) => {
          subscriptions.set(id, subscription(id));
        }),
      ),
    );
    for (const namespaces of [a, b]) {
      const ns = namespaces.get("w1");
      await namespaces.refresh(ns);
      expect([...ns.webhooks.subscriptions.keys()].sort()).toEqual(ids);
    }
  });

  it("decides on what the other sandbox wrote: a delete through B of what A added answers as it is there", async () => {
    const [a, b] = pair();
    await changeSubscriptions(a.get("w2"), (subscriptions) => {
      subscriptions.set("whs_a", subscription("whs_a"));
    });
    // B has not read w2 since A wrote: the change is given the stored subscriptions, not B's stale (empty) map.
    const found = await changeSubscriptions(b.get("w2"), (subscriptions) => subscriptions.delete("whs_a"));
    expect(found).toBe(true);
    expect([...b.get("w2").webhooks.subscriptions.keys()]).toEqual([]);
    await a.refresh(a.get("w2"));
    expect([...a.get("w2").webhooks.subscriptions.keys()]).toEqual([]);
  });

  it("writes nothing, and leaves the process's map as it was, when the change throws", async () => {
    const [a, b] = pair();
    await changeSubscriptions(a.get("w3"), (subscriptions) => {
      subscriptions.set("whs_a", subscription("whs_a"));
    });
    const stored = await b.get("w3").store.getSetting(SETTINGS.subscriptions);
    const refused = new SandboxError("not_found", 404, "no subscription whs_b");
    await expect(
      changeSubscriptions(b.get("w3"), (subscriptions) => {
        subscriptions.clear();
        throw refused;
      }),
    ).rejects.toBe(refused);
    expect(await b.get("w3").store.getSetting(SETTINGS.subscriptions)).toBe(stored);
    expect([...b.get("w3").webhooks.subscriptions.keys()]).toEqual(["whs_a"]);
  });

  it("gives up with a 503 after MAX_CHANGE_TRIES when another sandbox writes the setting before every try", async () => {
    const [a, b] = pair();
    const ns = a.get("w4");
    const other = b.get("w4");
    let tries = 0;
    const error = await changeSubscriptions(ns, (subscriptions) => {
      tries++;
      // Sent on the same connection before this try's compare-and-set: it always lands first.
      void other.store.setSetting(
        SETTINGS.subscriptions,
        JSON.stringify([subscription(`whs_b${String(tries)}`)]),
      );
      subscriptions.set("whs_a", subscription("whs_a"));
    }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(SandboxError);
    expect(error).toMatchObject({
      code: "unavailable",
      status: 503,
      message: `the subscriptions of namespace w4 changed through other sandboxes ${String(MAX_CHANGE_TRIES)} times while this change was tried: try again`,
    });
    expect(tries).toBe(MAX_CHANGE_TRIES);
    expect(JSON.parse((await other.store.getSetting(SETTINGS.subscriptions))!)).toEqual([
      subscription(`whs_b${String(MAX_CHANGE_TRIES)}`),
    ]);
  });

  it("with the memory store, applies the change in the process and writes nothing", async () => {
    const namespaces = sandbox();
    const ns = namespaces.get("w5");
    const added = await changeSubscriptions(
      ns,
      (subscriptions) => subscriptions.set("whs_a", subscription("whs_a")).size,
    );
    expect(added).toBe(1);
    expect([...ns.webhooks.subscriptions.keys()]).toEqual(["whs_a"]);
    expect(await ns.store.readShared()).toEqual({ settings: {}, queued: 0 });
  });
});

describe("changeGlobal", () => {
  it("keeps every name added at once through two sandboxes in the list both hold", async () => {
    const [a, b] = pair();
    const names = ["slow", "flaky", "malformed", "empty-body", "timeout", "rate-limited"];
    await Promise.all(
      names.map((name, i) => {
        const namespaces = i % 2 === 0 ? a : b;
        return changeGlobal(namespaces.default, namespaces.global, (list) => list.push(name));
      }),
    );
    await a.refresh(a.get("w1"));
    await b.refresh(b.default);
    expect([...a.global].sort()).toEqual([...names].sort());
    expect(b.global).toEqual(a.global);
  });
});
