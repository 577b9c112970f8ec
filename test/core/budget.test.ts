import { describe, expect, it } from "vitest";
import { createByteBudget } from "../../src/core/budget.js";
import { createClock } from "../../src/core/clock.js";
import { createJournal, type JournalRecord } from "../../src/core/journal.js";
import { measureJson } from "../../src/core/limits.js";
import { createMemoryStore } from "../../src/core/memory-store.js";
import { createNamespaces } from "../../src/core/namespaces.js";
import { kind } from "../../src/core/store.js";

const blobs = kind<string>("test.blob");
const KIB = 1024;

function twoStores(maxBytes: number) {
  const budget = createByteBudget(maxBytes);
  const clock = createClock({ start: 0, frozen: true });
  const limits = { maxEntries: 1000, maxCounters: 10, budget };
  return { budget, a: createMemoryStore(clock, limits), b: createMemoryStore(clock, limits) };
}

describe("measureJson", () => {
  it("measures a value 100,000 levels deep without recursion, and stops early past a limit", () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(measureJson(deep).depth).toBe(100_000);
    expect(measureJson(deep, { bytes: Infinity, depth: 32 }).depth).toBe(33);
  });

  it("counts the bytes of the JSON text, give or take a comma a container", () => {
    for (const value of [{ a: "bc", d: [1, true, null] }, ["x", { y: false }], "plain", 12345]) {
      expect(measureJson(value).bytes).toBeGreaterThanOrEqual(JSON.stringify(value).length);
      expect(measureJson(value).bytes).toBeLessThanOrEqual(JSON.stringify(value).length + 2);
    }
  });
});

describe("the byte budget", () => {
  it("evicts the oldest entry of any store sharing it once the total passes the budget", async () => {
    const { budget, a, b } = twoStores(100 * KIB);
    await a.put(blobs, "a1", "x".repeat(40 * KIB), 60);
    await b.put(blobs, "b1", "x".repeat(40 * KIB), 60);
    await b.put(blobs, "b2", "x".repeat(40 * KIB), 60);
    expect(await a.get(blobs, "a1")).toBeUndefined(); // the oldest went, though it was another store's
    expect((await b.get(blobs, "b1"))?.id).toBe("b1");
    expect((await b.get(blobs, "b2"))?.id).toBe("b2");
    expect(await a.stats()).toEqual({ size: 0, evicted: 1 });
    expect(budget.stats()).toMatchObject({ evicted: 1, maxBytes: 100 * KIB });
    expect(budget.stats().usedBytes).toBeLessThanOrEqual(100 * KIB);
  });

  it("gives bytes back for what is taken, deleted, rewritten, swept or reset", async () => {
    const { budget, a } = twoStores(1024 * KIB);
    const clock = createClock({ start: 0, frozen: true });
    const s = createMemoryStore(clock, { maxEntries: 10, maxCounters: 10, budget });
    await s.put(blobs, "t", "x".repeat(KIB), 60);
    await s.take(blobs, "t");
    await s.put(blobs, "d", "x".repeat(KIB), 60);
    await s.delete(blobs, "d");
    await s.put(blobs, "r", "x".repeat(KIB), 60);
    await s.put(blobs, "r", "y".repeat(KIB), 60);
    await s.put(blobs, "e", "x".repeat(KIB), 1);
    clock.advance(2);
    await s.sweep();
    await a.put(blobs, "k", "x".repeat(KIB), 60);
    const one = budget.stats().usedBytes / 2; // "r" and "k" are left, the same size
    await s.reset();
    expect(budget.stats().usedBytes).toBe(one);
    await a.reset();
    expect(budget.stats().usedBytes).toBe(0);
  });

  it("never evicts the entry being written, even when it alone passes the budget", async () => {
    const { a } = twoStores(10 * KIB);
    await a.put(blobs, "big", "x".repeat(20 * KIB), 60);
    expect((await a.get(blobs, "big"))?.id).toBe("big");
    await a.put(blobs, "next", "x", 60);
    expect(await a.get(blobs, "big")).toBeUndefined();
  });

  it("gets back the bytes of a namespace the namespace bound forgets", async () => {
    const budget = createByteBudget(1024 * KIB);
    const namespaces = createNamespaces({
      maxEntries: 100,
      maxCounters: 10,
      maxNamespaces: 1,
      journalSize: 10,
      deliveriesKept: 10,
      budget,
      clock: createClock({ start: 0, frozen: true }),
    });
    await namespaces.get("first").store.put(blobs, "x", "x".repeat(10 * KIB), 60);
    const used = budget.stats().usedBytes;
    expect(used).toBeGreaterThan(10 * KIB);
    namespaces.get("second"); // "first" is forgotten
    expect(budget.stats().usedBytes).toBe(0);
  });

  it("charges journal records too: the oldest record goes for a newer entry, and clear gives all back", async () => {
    const { budget, a } = twoStores(64 * KIB);
    const journal = createJournal(100, undefined, budget);
    const record = (path: string): JournalRecord => ({
      at: 0,
      namespace: "default",
      direction: "in",
      method: "GET",
      path,
      vendor: null,
      route: null,
      status: 200,
      scenario: null,
      durationMs: 1,
    });
    for (let i = 0; i < 10; i++) journal.record(record(`/p${String(i)}?${"q".repeat(2 * KIB)}`));
    expect(await journal.query({})).toHaveLength(10);
    await a.put(blobs, "big", "x".repeat(50 * KIB), 60);
    const left = (await journal.query({})).map((e) => e.path.split("?")[0]);
    expect(left.length).toBeLessThan(10);
    expect(left[0]).toBe("/p9"); // newest first: the oldest went
    await journal.clear();
    await a.reset();
    expect(budget.stats().usedBytes).toBe(0);
  });
});
