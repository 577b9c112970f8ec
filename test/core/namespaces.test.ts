import { createMemoryDeliveryLog } from "../../src/core/deliveries.js";
import { describe, expect, it } from "vitest";
import { createClock, type Clock } from "../../src/core/clock.js";
import { SandboxError } from "../../src/core/errors.js";
import { createJournal } from "../../src/core/journal.js";
import { createMemoryStore } from "../../src/core/memory-store.js";
import {
  createNamespaces,
  DEFAULT_NAMESPACE,
  resetNamespace,
  type NamespaceOptions,
} from "../../src/core/namespaces.js";
import { MAX_QUEUED } from "../../src/core/scenarios/state.js";
import { kind, type Store } from "../../src/core/store.js";

const tokens = kind<string>("test.token");

function setup(options: Partial<NamespaceOptions> = {}) {
  // Frozen at 0: every reading below is an exact number of milliseconds.
  const root = createClock({ start: 0, frozen: true });
  const namespaces = createNamespaces({
    maxEntries: 100,
    maxCounters: 100,
    maxNamespaces: 10,
    journalSize: 10,
    deliveriesKept: 10,
    clock: root,
    ...options,
  });
  return { root, namespaces };
}

const idsOf = (namespaces: ReturnType<typeof setup>["namespaces"]) => namespaces.all().map((n) => n.id);

describe("namespace clocks", () => {
  it("follow the root: moving it moves every namespace", () => {
    const { root, namespaces } = setup();
    const a = namespaces.get("a");
    const b = namespaces.get("b");
    expect([root.now(), namespaces.default.clock.now(), a.clock.now(), b.clock.now()]).toEqual([0, 0, 0, 0]);
    root.advance(10);
    expect([namespaces.default.clock.now(), a.clock.now(), b.clock.now()]).toEqual([10_000, 10_000, 10_000]);
    root.set(50_000);
    expect([namespaces.default.clock.now(), a.clock.now(), b.clock.now()]).toEqual([50_000, 50_000, 50_000]);
  });

  it("move on their own without touching the root or each other", () => {
    const { root, namespaces } = setup();
    const a = namespaces.get("a");
    const b = namespaces.get("b");
    a.clock.advance(5);
    expect([root.now(), namespaces.default.clock.now(), a.clock.now(), b.clock.now()]).toEqual([
      0, 0, 5_000, 0,
    ]);
    // The offset rides on the root: moving the root keeps a 5 s ahead.
    root.advance(1);
    expect([a.clock.now(), b.clock.now()]).toEqual([6_000, 1_000]);
    b.clock.set(1_000_000);
    expect([root.now(), a.clock.now(), b.clock.now()]).toEqual([1_000, 6_000, 1_000_000]);
    root.advance(1);
    expect([root.now(), a.clock.now(), b.clock.now()]).toEqual([2_000, 7_000, 1_001_000]);
  });

  it("can be frozen on their own: the root moves, the frozen namespace stays", () => {
    const { root, namespaces } = setup();
    const a = namespaces.get("a");
    a.clock.advance(3);
    a.clock.freeze(true);
    root.advance(10);
    expect([root.now(), a.clock.now(), namespaces.default.clock.now()]).toEqual([10_000, 3_000, 10_000]);
    a.clock.advance(1);
    expect([root.now(), a.clock.now()]).toEqual([10_000, 4_000]);
    // Unfrozen, it resumes from where it stood and follows the root again.
    a.clock.freeze(false);
    root.advance(1);
    expect([root.now(), a.clock.now()]).toEqual([11_000, 5_000]);
  });

  it("drop their offset and freeze on real(), reading the root again", () => {
    const { root, namespaces } = setup();
    const a = namespaces.get("a");
    const b = namespaces.get("b");
    a.clock.advance(60);
    b.clock.freeze(true);
    root.advance(5);
    expect([a.clock.now(), b.clock.now()]).toEqual([65_000, 0]);
    a.clock.real();
    b.clock.real();
    expect([root.now(), a.clock.now(), b.clock.now()]).toEqual([5_000, 5_000, 5_000]);
    root.advance(1);
    expect([a.clock.now(), b.clock.now()]).toEqual([6_000, 6_000]);
  });

  it("are frozen while they follow a frozen root, and only then unless frozen themselves", () => {
    const { namespaces } = setup();
    const a = namespaces.get("a");
    expect(a.clock.frozen).toBe(true);
    expect(namespaces.default.clock.frozen).toBe(true);
    // A root running on a test's own source: its namespaces run too.
    let t = 0;
    const running: Clock = createClock({ source: () => t });
    const live = createNamespaces({
      maxEntries: 1,
      maxCounters: 1,
      maxNamespaces: 2,
      journalSize: 1,
      deliveriesKept: 1,
      clock: running,
    });
    const c = live.get("c");
    expect(c.clock.frozen).toBe(false);
    t = 7_000;
    expect(c.clock.now()).toBe(7_000);
    c.clock.freeze(true);
    expect(c.clock.frozen).toBe(true);
    expect(live.default.clock.frozen).toBe(false);
    t = 9_000;
    expect([c.clock.now(), live.default.clock.now()]).toEqual([7_000, 9_000]);
    // Freezing the root freezes every namespace that follows it.
    running.freeze(true);
    expect(live.default.clock.frozen).toBe(true);
  });
});

describe("namespace ids", () => {
  it("refuse an invalid id with a 400 invalid_request, creating nothing", () => {
    const { namespaces } = setup();
    // `.` and `..` alone would break every URL written for them (`/ns/../regula/mobile`).
    for (const id of [
      "",
      "white space",
      "a/b",
      "ns?x",
      "é",
      "x".repeat(65),
      "../default",
      ".",
      "..",
      "-",
      "._-",
    ]) {
      let error: unknown;
      try {
        namespaces.get(id);
      } catch (e) {
        error = e;
      }
      expect(error, JSON.stringify(id)).toBeInstanceOf(SandboxError);
      expect(error).toMatchObject({
        code: "invalid_request",
        status: 400,
        message: "namespace must be 1 to 64 of A-Z a-z 0-9 . _ -, with at least one letter or digit",
      });
    }
    expect(idsOf(namespaces)).toEqual([DEFAULT_NAMESPACE]);
  });

  it("accept letters, digits, dot, underscore and dash up to 64 characters, and give the same one back", () => {
    const { namespaces } = setup();
    const long = "x".repeat(64);
    for (const id of ["w1", "A.b_c-9", long, "..a", "-1"]) expect(namespaces.get(id).id).toBe(id);
    expect(namespaces.get("w1")).toBe(namespaces.get("w1"));
    expect(namespaces.get(DEFAULT_NAMESPACE)).toBe(namespaces.default);
    expect(namespaces.default.id).toBe("default");
  });
});

describe("namespace bound", () => {
  it("forgets the least recently used namespace past maxNamespaces, never the default", async () => {
    const { namespaces } = setup({ maxNamespaces: 2 });
    const n1 = namespaces.get("n1");
    await n1.store.put(tokens, "t", "v", 60);
    namespaces.get("n2");
    namespaces.get("n1"); // n1 is now more recent than n2
    namespaces.get("n3");
    expect(idsOf(namespaces)).toEqual(["default", "n1", "n3"]);
    namespaces.get("n4");
    expect(idsOf(namespaces)).toEqual(["default", "n3", "n4"]);
    // Using the default does not push another namespace out, nor does it go itself.
    namespaces.get(DEFAULT_NAMESPACE);
    expect(idsOf(namespaces)).toEqual(["default", "n3", "n4"]);
    // A forgotten namespace comes back empty.
    const again = namespaces.get("n1");
    expect(again).not.toBe(n1);
    expect(await again.store.get(tokens, "t")).toBeUndefined();
    expect(idsOf(namespaces)).toEqual(["default", "n4", "n1"]);
  });

  it("keeps the default even with a bound of one", () => {
    const { namespaces } = setup({ maxNamespaces: 1 });
    for (const id of ["a", "b", "c"]) namespaces.get(id);
    expect(idsOf(namespaces)).toEqual(["default", "c"]);
  });
});

describe("eviction", () => {
  it("tells onEvict which namespace the bound forgot", () => {
    const evicted: string[] = [];
    const namespaces = createNamespaces({
      maxEntries: 1,
      maxCounters: 1,
      maxNamespaces: 1,
      journalSize: 1,
      deliveriesKept: 1,
      clock: createClock({ start: 0, frozen: true }),
      onEvict: (ns) => evicted.push(ns.id),
    });
    namespaces.get("a");
    namespaces.get("b");
    expect(evicted).toEqual(["a"]);
  });
});

describe("resetNamespace", () => {
  it("clears the store, queued one-shots, counters and journal, but not the clock or other namespaces", async () => {
    const { root, namespaces } = setup();
    const ns = namespaces.get("w1");
    const other = namespaces.get("w2");
    ns.clock.advance(42);
    await ns.store.put(tokens, "t", "v", 600);
    await ns.store.hit("limit", 60);
    await other.store.put(tokens, "t", "other", 600);
    ns.scenarios.active.push("flaky");
    for (let i = 0; i < 3; i++) await ns.store.count("seen:flaky#0");
    ns.scenarios.queued = (await ns.store.enqueue('{"status":500,"vendor":"v","route":"*"}', 1, MAX_QUEUED))!;
    // Counted 3 times: at a limit of 3, nothing more is counted.
    expect(await ns.store.count("seen:flaky#0", 3)).toBeUndefined();
    expect(ns.scenarios.queued).toBe(1);
    ns.journal.record({
      at: 0,
      namespace: "w1",
      direction: "in",
      method: "GET",
      path: "/",
      vendor: null,
      route: null,
      status: 404,
      scenario: null,
      durationMs: 0,
    });

    await resetNamespace(ns);

    expect(await ns.store.list()).toEqual([]);
    expect(await ns.store.hit("limit", 60)).toEqual({ count: 1, resetAt: 102_000 });
    expect(await ns.store.queued()).toEqual([]);
    expect(ns.scenarios.queued).toBe(0);
    // The counter starts again.
    expect(await ns.store.count("seen:flaky#0")).toBe(1);
    expect(await ns.journal.size()).toBe(0);
    // Which scenarios are active is a choice, not state: it stays (see clearScenarioState).
    expect(ns.scenarios.active).toEqual(["flaky"]);
    expect(ns.clock.now()).toBe(42_000);
    expect(root.now()).toBe(0);
    expect((await other.store.get(tokens, "t"))?.value).toBe("other");
  });
});

describe("sweep", () => {
  it("drops expired entries in every namespace, each on its own clock, and sums them", async () => {
    const { root, namespaces } = setup();
    const a = namespaces.get("a");
    const b = namespaces.get("b");
    await namespaces.default.store.put(tokens, "d1", "v", 10);
    await namespaces.default.store.put(tokens, "d2", "v", 100);
    await a.store.put(tokens, "a1", "v", 10);
    await a.store.put(tokens, "a2", "v", 20);
    await a.store.put(tokens, "a3", "v", 100);
    await b.store.put(tokens, "b1", "v", 100);
    expect(await namespaces.sweep()).toBe(0);
    // Only a's clock moves: only a's entries expire.
    a.clock.advance(30);
    expect(await namespaces.sweep()).toBe(2);
    expect((await a.store.list()).map((e) => e.id)).toEqual(["a3"]);
    root.advance(50);
    expect(await namespaces.sweep()).toBe(1);
    root.advance(1_000);
    expect(await namespaces.sweep()).toBe(3);
    expect(await namespaces.sweep()).toBe(0);
  });

  it("builds each namespace's shared store on its own clock", () => {
    const made: [Clock, string][] = [];
    const { root, namespaces } = setup({
      shared: {
        store: (clock, id): Store => {
          made.push([clock, id]);
          return createMemoryStore(clock, { maxEntries: 10, maxCounters: 10 });
        },
        journal: () => createJournal(10),
        deliveries: (_id, capacity) => createMemoryDeliveryLog(capacity),
        touch: () => Promise.resolve([]),
      },
    });
    const w = namespaces.get("w");
    expect(made.map(([, id]) => id)).toEqual(["default", "w"]);
    expect(made[1]![0]).toBe(w.clock);
    expect(made[0]![0]).toBe(namespaces.default.clock);
    expect(made[0]![0]).not.toBe(root);
  });
});
