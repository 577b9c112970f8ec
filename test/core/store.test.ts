import type { Cluster, Redis } from "ioredis";
import { describe, expect, it, vi } from "vitest";
import { createClock, type Clock } from "../../src/core/clock.js";
import { createMemoryStore } from "../../src/core/memory-store.js";
import { createRedisStore, KEPT_MS } from "../../src/core/redis-store.js";
import { kind, putItem, update, type Store, type StoreEntry } from "../../src/core/store.js";
import { redisAndCluster } from "../helpers/shared.js";

interface Backend {
  name: string;
  create: (clock: Clock, limits: { maxEntries: number; maxCounters: number }) => Store;
}

// A real redis-server and a real 3-master Redis Cluster, started for this file on free ports and stopped after it.
// The key layout keeps a namespace in one hash slot, so the same scripts run on the cluster.
const { client, clusterClient } = redisAndCluster();
let namespaces = 0;

/** A store of a namespace of its own on `redis`, as namespaces are in the sandbox. */
const onRedis = (redis: () => Redis | Cluster) => (clock: Clock, limits: Parameters<Backend["create"]>[1]) =>
  createRedisStore(redis(), clock, { prefix: "test:", namespace: `ns${String(++namespaces)}`, ...limits });

// The suite only goes through the Store interface, so every backend passes the same tests.
const backends: Backend[] = [
  { name: "memory", create: (clock, limits) => createMemoryStore(clock, limits) },
  { name: "redis", create: onRedis(client) },
  { name: "redis cluster", create: onRedis(clusterClient) },
];

const codes = kind<{ client: string }>("test.code");
const tokens = kind<string>("test.token");
const counts = kind<{ n: number }>("test.count");

const ids = (entries: readonly StoreEntry<unknown>[]) => entries.map((e) => e.id);
const many = <T>(n: number, call: (i: number) => Promise<T>) =>
  Promise.all(Array.from({ length: n }, (_, i) => call(i)));

describe.each(backends)("$name store", ({ create }) => {
  function setup(limits: { maxEntries?: number; maxCounters?: number } = {}) {
    // Frozen at 0, so every createdAt, expiresAt and resetAt below is an exact number.
    const clock = createClock({ start: 0, frozen: true });
    return { clock, store: create(clock, { maxEntries: 100, maxCounters: 100, ...limits }) };
  }

  describe("entries", () => {
    it("returns an entry until the clock reaches its expiry, and never after", async () => {
      const { clock, store } = setup();
      const entry = await store.put(codes, "c1", { client: "a" }, 60);
      expect(entry).toMatchObject({
        kind: "test.code",
        id: "c1",
        value: { client: "a" },
        createdAt: 0,
        expiresAt: 60_000,
      });
      expect(entry.rev).toEqual(expect.any(Number));

      clock.advance(59.999);
      expect(await store.get(codes, "c1")).toMatchObject({
        value: { client: "a" },
        createdAt: 0,
        expiresAt: 60_000,
        rev: entry.rev,
      });

      clock.advance(0.001);
      expect(await store.get(codes, "c1")).toBeUndefined();
      expect(await store.take(codes, "c1")).toBeUndefined();
      expect(await store.replace(codes, "c1", entry.rev, { client: "b" })).toBeUndefined();
      expect(await store.list()).toEqual([]);
      expect(await store.list(codes)).toEqual([]);
    });

    it("writes several entries in one putAll, all created at one instant, each with its own expiry", async () => {
      const { clock, store } = setup({ maxEntries: 3 });
      clock.advance(5);
      expect(store.now()).toBe(5_000);
      const written = await store.putAll(
        [putItem(codes, "c1", { client: "a" }, 60), putItem(tokens, "t1", "value", 10)],
        4_000,
      );
      expect(written).toEqual([
        {
          kind: "test.code",
          id: "c1",
          value: { client: "a" },
          createdAt: 4_000,
          expiresAt: 64_000,
          rev: expect.any(Number),
        },
        {
          kind: "test.token",
          id: "t1",
          value: "value",
          createdAt: 4_000,
          expiresAt: 14_000,
          rev: expect.any(Number),
        },
      ]);
      expect(written[1]!.rev).toBeGreaterThan(written[0]!.rev);
      expect(await store.get(tokens, "t1")).toEqual(written[1]);
      expect(await store.putAll([])).toEqual([]);
      // Under the bound as puts one after the other: the oldest go first.
      await store.putAll([putItem(tokens, "t2", "b", 10), putItem(tokens, "t3", "c", 10)]);
      expect(ids(await store.list())).toEqual(["t1", "t2", "t3"]);
      clock.advance(9);
      expect(ids(await store.list())).toEqual(["t2", "t3"]);
    });

    it("stamps createdAt and expiresAt from the clock at the time of the put", async () => {
      const { clock, store } = setup();
      clock.advance(5);
      expect(await store.put(tokens, "t", "v", 30)).toMatchObject({ createdAt: 5_000, expiresAt: 35_000 });
    });

    it("keeps kinds apart under the same id", async () => {
      const { store } = setup();
      await store.put(codes, "x", { client: "a" }, 60);
      await store.put(tokens, "x", "token", 60);
      expect((await store.get(codes, "x"))?.value).toEqual({ client: "a" });
      expect((await store.get(tokens, "x"))?.value).toBe("token");
      expect((await store.list(tokens)).map((e) => `${e.kind}:${e.id}`)).toEqual(["test.token:x"]);

      expect(await store.delete(codes, "x")).toBe(true);
      expect(await store.get(codes, "x")).toBeUndefined();
      expect((await store.take(tokens, "x"))?.value).toBe("token");
    });

    it("lists live entries oldest first, all kinds or one", async () => {
      const { clock, store } = setup();
      await store.put(codes, "a", { client: "a" }, 10);
      clock.advance(1);
      await store.put(tokens, "b", "b", 60);
      clock.advance(1);
      await store.put(codes, "c", { client: "c" }, 60);
      expect((await store.list()).map((e) => `${e.kind}:${e.id}`)).toEqual([
        "test.code:a",
        "test.token:b",
        "test.code:c",
      ]);
      expect(ids(await store.list(codes))).toEqual(["a", "c"]);

      clock.advance(8); // a expires at 10 s
      expect(ids(await store.list())).toEqual(["b", "c"]);
      expect(ids(await store.list(codes))).toEqual(["c"]);
    });

    it("delete says whether there was an entry", async () => {
      const { store } = setup();
      await store.put(tokens, "t", "v", 60);
      expect(await store.delete(tokens, "t")).toBe(true);
      expect(await store.get(tokens, "t")).toBeUndefined();
      expect(await store.delete(tokens, "t")).toBe(false);
      expect(await store.delete(tokens, "never")).toBe(false);
    });
  });

  describe("holdsAny", () => {
    it("says for each id whether a live entry of one of the kinds is under it, in order", async () => {
      const { clock, store } = setup();
      await store.put(codes, "c1", { client: "a" }, 60);
      await store.put(tokens, "t1", "x", 10);
      await store.put(counts, "n1", { n: 1 }, 60);
      expect(await store.holdsAny([codes, tokens], ["t1", "nope", "c1", "n1"])).toEqual([
        true,
        false,
        true,
        false,
      ]);
      expect(await store.holdsAny([tokens], ["c1"])).toEqual([false]);
      expect(await store.holdsAny([], ["c1"])).toEqual([false]);
      expect(await store.holdsAny([codes], [])).toEqual([]);
      // Expired on the clock: no longer held, though not yet swept.
      clock.advance(10);
      expect(await store.holdsAny([codes, tokens], ["t1", "c1"])).toEqual([false, true]);
      await store.take(codes, "c1");
      expect(await store.holdsAny([codes, tokens], ["c1"])).toEqual([false]);
    });
  });

  describe("create", () => {
    it("writes only where no live entry is, and an expired one does not count", async () => {
      const { store, clock } = setup();
      expect(await store.create(codes, "k", { client: "a" }, 60)).toMatchObject({
        id: "k",
        value: { client: "a" },
      });
      expect(await store.create(codes, "k", { client: "b" }, 60)).toBeUndefined();
      expect((await store.get(codes, "k"))?.value).toEqual({ client: "a" });
      clock.advance(60);
      expect(await store.create(codes, "k", { client: "c" }, 60)).toMatchObject({ value: { client: "c" } });
    });

    it("lets exactly one of 50 concurrent creators in", async () => {
      const { store } = setup();
      const made = (await many(50, (i) => store.create(codes, "k", { client: String(i) }, 60))).filter(
        (e) => e !== undefined,
      );
      expect(made).toHaveLength(1);
    });
  });

  describe("take", () => {
    it("returns the entry once, then nothing", async () => {
      const { store } = setup();
      await store.put(codes, "c1", { client: "a" }, 60);
      expect(await store.take(codes, "c1")).toMatchObject({ id: "c1", value: { client: "a" }, createdAt: 0 });
      expect(await store.take(codes, "c1")).toBeUndefined();
      expect(await store.get(codes, "c1")).toBeUndefined();
      expect((await store.stats()).size).toBe(0);
    });

    it("hands a code to exactly one of 50 concurrent callers", async () => {
      const { store } = setup();
      await store.put(codes, "c1", { client: "a" }, 60);
      const taken = (await many(50, () => store.take(codes, "c1"))).filter((e) => e !== undefined);
      expect(taken).toHaveLength(1);
      expect(taken[0]?.value).toEqual({ client: "a" });
    });
  });

  describe("replace", () => {
    it("writes with the current rev, keeping createdAt and expiry", async () => {
      const { clock, store } = setup();
      const first = await store.put(counts, "k", { n: 1 }, 60);
      clock.advance(10);
      const second = await store.replace(counts, "k", first.rev, { n: 2 });
      expect(second).toMatchObject({ value: { n: 2 }, createdAt: 0, expiresAt: 60_000 });
      expect(second?.rev).not.toBe(first.rev);
      expect(await store.get(counts, "k")).toMatchObject({ value: { n: 2 }, rev: second?.rev });
    });

    it("sets a new expiry from now when ttlSeconds is given", async () => {
      const { clock, store } = setup();
      const first = await store.put(counts, "k", { n: 1 }, 60);
      clock.advance(10);
      expect(await store.replace(counts, "k", first.rev, { n: 2 }, 30)).toMatchObject({
        createdAt: 0,
        expiresAt: 40_000,
      });
      clock.advance(30);
      expect(await store.get(counts, "k")).toBeUndefined();
    });

    it("refuses a stale rev and writes nothing", async () => {
      const { store } = setup();
      const first = await store.put(counts, "k", { n: 1 }, 60);
      const second = await store.replace(counts, "k", first.rev, { n: 2 });
      expect(await store.replace(counts, "k", first.rev, { n: 3 })).toBeUndefined();
      expect(await store.get(counts, "k")).toMatchObject({ value: { n: 2 }, rev: second?.rev });
    });

    it("refuses the rev of an entry that was put again under the same id", async () => {
      // Otherwise a writer holding the old rev would overwrite a fresh entry (the ABA problem).
      const { store } = setup();
      const first = await store.put(counts, "k", { n: 1 }, 60);
      await store.put(counts, "k", { n: 10 }, 60);
      expect(await store.replace(counts, "k", first.rev, { n: 2 })).toBeUndefined();
      await store.delete(counts, "k");
      await store.put(counts, "k", { n: 20 }, 60);
      expect(await store.replace(counts, "k", first.rev, { n: 2 })).toBeUndefined();
      expect((await store.get(counts, "k"))?.value).toEqual({ n: 20 });
    });

    it("refuses a missing, taken or expired entry and writes nothing", async () => {
      const { clock, store } = setup();
      expect(await store.replace(counts, "missing", 1, { n: 1 })).toBeUndefined();
      expect(await store.get(counts, "missing")).toBeUndefined();

      const taken = await store.put(counts, "taken", { n: 1 }, 60);
      await store.take(counts, "taken");
      expect(await store.replace(counts, "taken", taken.rev, { n: 2 })).toBeUndefined();
      expect(await store.get(counts, "taken")).toBeUndefined();

      const expiring = await store.put(counts, "expiring", { n: 1 }, 1);
      clock.advance(1);
      expect(await store.replace(counts, "expiring", expiring.rev, { n: 2 }, 60)).toBeUndefined();
      expect(await store.get(counts, "expiring")).toBeUndefined();
      expect(await store.list()).toEqual([]);
    });

    it("lets exactly one of 50 concurrent writers with the same rev win", async () => {
      const { store } = setup();
      const first = await store.put(counts, "k", { n: 0 }, 60);
      const results = await many(50, (i) => store.replace(counts, "k", first.rev, { n: i + 1 }));
      const winners = results.filter((e) => e !== undefined);
      expect(winners).toHaveLength(1);
      expect(await store.get(counts, "k")).toMatchObject({ value: winners[0]?.value, rev: winners[0]?.rev });
    });
  });

  describe("update()", () => {
    it("applies a change and returns the entry written", async () => {
      const { store } = setup();
      await store.put(counts, "k", { n: 1 }, 60);
      const written = await update(store, counts, "k", (v) => ({ n: v.n + 1 }));
      expect(written).toMatchObject({ value: { n: 2 }, expiresAt: 60_000 });
      expect(await store.get(counts, "k")).toMatchObject({ value: { n: 2 }, rev: written?.rev });
    });

    it("returns undefined without calling the change when there is no live entry", async () => {
      const { clock, store } = setup();
      const change = vi.fn((v: Readonly<{ n: number }>) => ({ n: v.n + 1 }));
      expect(await update(store, counts, "missing", change)).toBeUndefined();
      await store.put(counts, "expiring", { n: 1 }, 1);
      clock.advance(1);
      expect(await update(store, counts, "expiring", change)).toBeUndefined();
      expect(change).not.toHaveBeenCalled();
      expect(await store.get(counts, "missing")).toBeUndefined();
    });

    it("leaves the entry as it is when the change declines", async () => {
      const { store } = setup();
      const entry = await store.put(counts, "k", { n: 1 }, 60);
      expect(await update(store, counts, "k", () => undefined)).toBeUndefined();
      expect(await store.get(counts, "k")).toMatchObject({ value: { n: 1 }, rev: entry.rev });
    });

    it("propagates an error thrown by the change and writes nothing", async () => {
      const { store } = setup();
      const entry = await store.put(counts, "k", { n: 1 }, 60);
      const error = new Error("change failed");
      await expect(
        update(store, counts, "k", () => {
          throw error;
        }),
      ).rejects.toBe(error);
      expect(await store.get(counts, "k")).toMatchObject({ value: { n: 1 }, rev: entry.rev });
    });

    it("loses no update among 20 concurrent increments", async () => {
      const { store } = setup();
      await store.put(counts, "k", { n: 0 }, 60);
      const results = await many(20, () => update(store, counts, "k", (v) => ({ n: v.n + 1 })));
      expect((await store.get(counts, "k"))?.value).toEqual({ n: 20 });
      // Each increment saw a different predecessor: none was applied on top of a stale read.
      const written = results.map((e) => e?.value.n ?? 0).sort((a, b) => a - b);
      expect(written).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    });
  });

  describe("settings", () => {
    it("reads back what was set, by name, and keeps it through a reset", async () => {
      const { store } = setup();
      expect(await store.getSetting("clock")).toBeUndefined();
      await store.setSetting("clock", '{"offset":5,"frozenAt":null}');
      await store.setSetting("other", "x");
      await store.reset();
      expect(await store.getSetting("clock")).toBe('{"offset":5,"frozenAt":null}');
      expect(await store.getSetting("other")).toBe("x");
    });

    it("readShared gives every setting and how many items wait in the queue, in one read", async () => {
      const { store } = setup();
      expect(await store.readShared()).toEqual({ settings: {}, queued: 0 });
      await store.setSetting("clock", '{"offset":5,"frozenAt":null}');
      await store.setSetting("scenarios", '{"active":["flaky"],"documents":[]}');
      await store.setSetting("clock", '{"offset":7,"frozenAt":null}');
      await store.enqueue('{"status":500}', 2, 10);
      await store.enqueue('{"status":502}', 1, 10);
      expect(await store.readShared()).toEqual({
        settings: { clock: '{"offset":7,"frozenAt":null}', scenarios: '{"active":["flaky"],"documents":[]}' },
        queued: 2,
      });
    });

    it("setSettingIf writes only over the expected text, undefined expecting none", async () => {
      const { store } = setup();
      expect(await store.setSettingIf("scenarios", "[]", '["a"]')).toBe(false);
      expect(await store.getSetting("scenarios")).toBeUndefined();
      expect(await store.setSettingIf("scenarios", undefined, '["a"]')).toBe(true);
      expect(await store.getSetting("scenarios")).toBe('["a"]');
      // There is one now: expecting none is refused, and so is a text it no longer has.
      expect(await store.setSettingIf("scenarios", undefined, '["b"]')).toBe(false);
      expect(await store.setSettingIf("scenarios", '["x"]', '["b"]')).toBe(false);
      expect(await store.getSetting("scenarios")).toBe('["a"]');
      expect(await store.setSettingIf("scenarios", '["a"]', '["a","b"]')).toBe(true);
      // Written over whatever set it: setSetting and setSettingIf write the same setting.
      await store.setSetting("scenarios", "[]");
      expect(await store.setSettingIf("scenarios", '["a","b"]', '["c"]')).toBe(false);
      expect(await store.setSettingIf("scenarios", "[]", '["c"]')).toBe(true);
      // An empty text is a text like any other, not none.
      expect(await store.setSettingIf("other", "", "x")).toBe(false);
      expect(await store.setSettingIf("other", undefined, "")).toBe(true);
      expect(await store.setSettingIf("other", undefined, "x")).toBe(false);
      expect(await store.setSettingIf("other", "", "x")).toBe(true);
      expect(await store.readShared()).toEqual({ settings: { scenarios: '["c"]', other: "x" }, queued: 0 });
    });

    it("lets exactly one of 50 concurrent setSettingIf with the same expected text write", async () => {
      const { store } = setup();
      await store.setSetting("global", "[]");
      const results = await many(50, (i) => store.setSettingIf("global", "[]", `["s${String(i)}"]`));
      expect(results.filter((r) => r)).toHaveLength(1);
      expect(await store.getSetting("global")).toBe(`["s${String(results.indexOf(true))}"]`);
    });
  });

  describe("count()", () => {
    it("counts each name apart, from 1, with no limit", async () => {
      const { store } = setup();
      expect(await store.count("seen:a#0")).toBe(1);
      expect(await store.count("seen:a#0")).toBe(2);
      expect(await store.count("seen:b#0")).toBe(1);
      expect(await store.count("seen:a#0")).toBe(3);
    });

    it("counts up to a limit, then answers undefined and counts nothing", async () => {
      const { store } = setup();
      expect(await store.count("applied:a#0", 2)).toBe(1);
      expect(await store.count("applied:a#0", 2)).toBe(2);
      expect(await store.count("applied:a#0", 2)).toBeUndefined();
      expect(await store.count("applied:a#0", 2)).toBeUndefined();
      // Nothing was counted at the limit: a higher one goes on from 2.
      expect(await store.count("applied:a#0", 3)).toBe(3);
      expect(await store.count("applied:a#0")).toBe(4);
    });

    it("lets exactly `limit` of 20 concurrent callers count", async () => {
      const { store } = setup();
      const results = await many(20, () => store.count("applied:race#0", 5));
      expect(results.filter((n) => n !== undefined).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5]);
      expect(await store.count("applied:race#0")).toBe(6);
    });

    it("forgetCounts forgets the counts whose names start with one of the prefixes, or every count", async () => {
      const { store } = setup();
      for (const name of ["seen:x#0", "applied:x#0", "seen:x#1", "seen:xy#0", "seen:y#0"]) {
        await store.count(name);
        await store.count(name);
      }
      await store.forgetCounts(["seen:x#", "applied:x#"]);
      expect(await store.count("seen:x#0")).toBe(1);
      expect(await store.count("applied:x#0")).toBe(1);
      expect(await store.count("seen:x#1")).toBe(1);
      // `seen:xy#0` does not start with `seen:x#`.
      expect(await store.count("seen:xy#0")).toBe(3);
      expect(await store.count("seen:y#0")).toBe(3);
      await store.forgetCounts();
      expect(await store.count("seen:xy#0")).toBe(1);
      expect(await store.count("seen:y#0")).toBe(1);
      expect(await store.count("seen:x#0")).toBe(1);
    });

    it("forgetCounts with no prefixes in the list forgets nothing", async () => {
      const { store } = setup();
      await store.count("seen:x#0");
      await store.forgetCounts([]);
      expect(await store.count("seen:x#0")).toBe(2);
    });
  });

  describe("queue", () => {
    it("queues up to max, saying how many wait after, and undefined when full", async () => {
      const { store } = setup();
      expect(await store.enqueue('{"n":1}', 1, 2)).toBe(1);
      expect(await store.enqueue('{"n":2}', 3, 2)).toBe(2);
      expect(await store.enqueue('{"n":3}', 1, 2)).toBeUndefined();
      expect((await store.queued()).map((q) => q.item)).toEqual(['{"n":1}', '{"n":2}']);
      // The bound is the caller's: a higher one takes more.
      expect(await store.enqueue('{"n":3}', 1, 3)).toBe(3);
    });

    it("lists what waits oldest first, each with its id and uses left", async () => {
      const { store } = setup();
      expect(await store.queued()).toEqual([]);
      await store.enqueue('{"n":1}', 2, 10);
      await store.enqueue('{"n":2}', 1, 10);
      await store.enqueue('{"n":1}', 5, 10);
      const queued = await store.queued();
      expect(queued).toEqual([
        { id: expect.any(String), item: '{"n":1}', uses: 2 },
        { id: expect.any(String), item: '{"n":2}', uses: 1 },
        { id: expect.any(String), item: '{"n":1}', uses: 5 },
      ]);
      // The same text queued twice is two items.
      expect(new Set(queued.map((q) => q.id)).size).toBe(3);
    });

    it("useQueued takes one use while some are left, and drops the item after its last", async () => {
      const { store } = setup();
      await store.enqueue('{"n":1}', 2, 2);
      await store.enqueue('{"n":2}', 1, 2);
      const [first, second] = await store.queued();
      expect(await store.useQueued(first!.id)).toBe(true);
      expect(await store.queued()).toEqual([
        { id: first!.id, item: '{"n":1}', uses: 1 },
        { id: second!.id, item: '{"n":2}', uses: 1 },
      ]);
      expect(await store.useQueued(first!.id)).toBe(true);
      expect(await store.queued()).toEqual([{ id: second!.id, item: '{"n":2}', uses: 1 }]);
      expect(await store.useQueued(first!.id)).toBe(false);
      expect(await store.useQueued("no-such-id")).toBe(false);
      expect(await store.useQueued(second!.id)).toBe(true);
      expect(await store.queued()).toEqual([]);
      expect(await store.readShared()).toEqual({ settings: {}, queued: 0 });
      // The room is free again.
      expect(await store.enqueue('{"n":3}', 1, 2)).toBe(1);
    });

    it("gives the 3 uses of an item to exactly 3 of 20 concurrent callers", async () => {
      const { store } = setup();
      await store.enqueue('{"n":1}', 3, 10);
      const [item] = await store.queued();
      const results = await many(20, () => store.useQueued(item!.id));
      expect(results.filter(Boolean)).toHaveLength(3);
      expect(await store.queued()).toEqual([]);
    });
  });

  describe("hit()", () => {
    it("counts within a window that starts with its first hit, then starts a new one", async () => {
      const { clock, store } = setup();
      clock.advance(10);
      expect(await store.hit("k", 60)).toEqual({ count: 1, resetAt: 70_000 });
      clock.advance(30);
      expect(await store.hit("k", 60)).toEqual({ count: 2, resetAt: 70_000 });
      clock.advance(29.999);
      expect(await store.hit("k", 60)).toEqual({ count: 3, resetAt: 70_000 });
      clock.advance(0.001);
      expect(await store.hit("k", 60)).toEqual({ count: 1, resetAt: 130_000 });
      expect(await store.hit("k", 60)).toEqual({ count: 2, resetAt: 130_000 });
    });

    it("keeps keys apart", async () => {
      const { clock, store } = setup();
      await store.hit("a", 60);
      await store.hit("a", 60);
      clock.advance(5);
      expect(await store.hit("b", 10)).toEqual({ count: 1, resetAt: 15_000 });
      expect(await store.hit("a", 60)).toEqual({ count: 3, resetAt: 60_000 });
    });
  });

  describe("bounds", () => {
    it("never holds more than maxEntries, evicting the oldest, even on a frozen clock", async () => {
      const { store } = setup({ maxEntries: 5 });
      for (let i = 0; i < 20; i++) await store.put(tokens, `t${i}`, "v", 3600);
      expect(await store.stats()).toEqual({ size: 5, evicted: 15 });
      expect(ids(await store.list())).toEqual(["t15", "t16", "t17", "t18", "t19"]);
      expect(await store.get(tokens, "t14")).toBeUndefined();
    });

    it("evicts in insertion order through rewrites and deletes, a rewrite counting as newest", async () => {
      const { store } = setup({ maxEntries: 3 });
      await store.put(tokens, "a", "1", 3600);
      await store.put(tokens, "b", "1", 3600);
      await store.put(tokens, "c", "1", 3600);
      await store.put(tokens, "a", "2", 3600);
      await store.delete(tokens, "b");
      await store.put(tokens, "d", "1", 3600);
      await store.put(tokens, "e", "1", 3600); // over the bound: c is the oldest now, not a
      expect((await store.list()).map((e) => `${e.id}=${e.value as string}`)).toEqual(["a=2", "d=1", "e=1"]);
      expect(await store.stats()).toEqual({ size: 3, evicted: 1 });

      for (let i = 0; i < 5000; i++) await store.put(tokens, `t${i % 7}`, "v", 3600);
      expect((await store.stats()).size).toBe(3);
      expect(ids(await store.list())).toEqual(["t6", "t0", "t1"]); // the last three written
    });

    it("never evicts an entry to make room for counters", async () => {
      const { store } = setup({ maxEntries: 5, maxCounters: 3 });
      for (let i = 0; i < 5; i++) await store.put(tokens, `t${i}`, "v", 3600);
      for (let i = 0; i < 30; i++) await store.hit(`k${i}`, 60);
      expect(await store.stats()).toEqual({ size: 5, evicted: 0 });
      expect(ids(await store.list())).toEqual(["t0", "t1", "t2", "t3", "t4"]);
    });

    it("never resets a counter to make room for entries", async () => {
      const { store } = setup({ maxEntries: 5, maxCounters: 3 });
      expect(await store.hit("k", 60)).toEqual({ count: 1, resetAt: 60_000 });
      for (let i = 0; i < 10; i++) await store.put(tokens, `t${i}`, "v", 3600);
      expect(await store.stats()).toEqual({ size: 5, evicted: 5 });
      expect(await store.hit("k", 60)).toEqual({ count: 2, resetAt: 60_000 });
    });

    it("keeps nothing of entries taken behind a long-lived one", async () => {
      // With a small bound, any taken entry still counted would push the long-lived one out.
      const { store } = setup({ maxEntries: 100 });
      await store.put(tokens, "refresh", "v", 30 * 86_400);
      for (let i = 0; i < 5000; i++) {
        await store.put(codes, `c${i}`, { client: "a" }, 60);
        expect((await store.take(codes, `c${i}`))?.value).toEqual({ client: "a" });
      }
      expect(await store.stats()).toEqual({ size: 1, evicted: 0 });
      expect(ids(await store.list())).toEqual(["refresh"]);
    });

    it("drops expired entries at the front as new ones are written", async () => {
      const { clock, store } = setup();
      for (let i = 0; i < 3; i++) await store.put(tokens, `old${i}`, "v", 1);
      clock.advance(2);
      await store.put(tokens, "new", "v", 60);
      // Expiry is not eviction: evicted counts only what the bound pushed out.
      expect(await store.stats()).toEqual({ size: 1, evicted: 0 });
    });
  });

  describe("sweep", () => {
    it("drops the expired entries, says how many, and leaves the live ones", async () => {
      const { clock, store } = setup();
      await store.put(tokens, "long", "v", 3600);
      for (let i = 0; i < 10; i++) await store.put(codes, `c${i}`, { client: "a" }, 10);
      await store.take(codes, "c0"); // already gone: not counted again
      clock.advance(10);
      expect(await store.sweep()).toBe(9);
      expect(ids(await store.list())).toEqual(["long"]);
      expect(await store.stats()).toEqual({ size: 1, evicted: 0 });
      expect(await store.sweep()).toBe(0);
    });

    it("drops expired counters too", async () => {
      const { clock, store } = setup({ maxCounters: 2 });
      await store.hit("live", 60);
      await store.hit("old", 1);
      clock.advance(2);
      expect(await store.sweep()).toBe(0); // counters are not entries
      // Had "old" stayed, this third counter would push the bound and could cost "live" its count.
      expect(await store.hit("new", 60)).toEqual({ count: 1, resetAt: 62_000 });
      expect(await store.hit("live", 60)).toEqual({ count: 2, resetAt: 60_000 });
      expect(await store.hit("old", 1)).toEqual({ count: 1, resetAt: 3_000 });
    });
  });

  it("reset forgets every entry and counter", async () => {
    const { clock, store } = setup();
    await store.put(tokens, "a", "v", 60);
    await store.put(codes, "b", { client: "a" }, 60);
    await store.hit("k", 60);
    clock.advance(10);
    await store.reset();
    expect(await store.get(tokens, "a")).toBeUndefined();
    expect(await store.get(codes, "b")).toBeUndefined();
    expect(await store.list()).toEqual([]);
    expect((await store.stats()).size).toBe(0);
    expect(await store.hit("k", 60)).toEqual({ count: 1, resetAt: 70_000 });
    // Still usable afterwards.
    await store.put(tokens, "a", "w", 60);
    expect((await store.get(tokens, "a"))?.value).toBe("w");
  });

  it("reset empties the counts and the queue, and keeps the settings", async () => {
    const { store } = setup();
    await store.count("seen:a#0");
    await store.count("seen:a#0");
    await store.enqueue('{"n":1}', 2, 10);
    await store.enqueue('{"n":2}', 1, 10);
    await store.setSetting("clock", '{"offset":5,"frozenAt":null}');
    await store.reset();
    expect(await store.queued()).toEqual([]);
    expect(await store.readShared()).toEqual({
      settings: { clock: '{"offset":5,"frozenAt":null}' },
      queued: 0,
    });
    expect(await store.count("seen:a#0")).toBe(1);
    // Still usable afterwards, the whole bound free.
    expect(await store.enqueue('{"n":3}', 1, 1)).toBe(1);
    expect(await store.queued()).toEqual([{ id: expect.any(String), item: '{"n":3}', uses: 1 }]);
  });
});

describe("the Redis store's keys", () => {
  it("leaves no Redis key without an expiry, and keeps settings, counts and queue a week past their last use", async () => {
    const clock = createClock({ start: 0, frozen: true });
    const namespace = `ttl${String(++namespaces)}`;
    const store = createRedisStore(client(), clock, {
      prefix: "test:",
      namespace,
      maxEntries: 2,
      maxCounters: 2,
    });
    for (let i = 0; i < 4; i++) await store.put(codes, `c${String(i)}`, { client: "a" }, 60);
    await store.hit("k", 60);
    await store.setSetting("clock", "{}");
    await store.count("seen:a#0");
    await store.enqueue('{"n":1}', 1, 10);
    const base = `test:{${namespace}}:`;
    const keys = await client().keys(`${base}*`);
    const kept = ["settings", "n", "q", "qi", "qu", "qseq"].map((name) => base + name);
    expect(keys).toEqual(expect.arrayContaining(kept));
    expect(keys.length).toBeGreaterThan(kept.length + 5);
    for (const key of keys) {
      const ttl = await client().pttl(key);
      if (kept.includes(key)) {
        expect(ttl, key).toBeGreaterThan(KEPT_MS - 60_000);
        expect(ttl, key).toBeLessThanOrEqual(KEPT_MS);
      } else expect(ttl, key).toBeGreaterThan(0);
    }
  });
});
