import { describe, expect, it } from "vitest";
import { createClock } from "../../src/core/clock.js";
import { createStore, kind } from "../../src/core/store.js";

const codes = kind<{ client: string }>("test.code");
const tokens = kind<string>("test.token");

function setup(maxEntries = 100) {
  const clock = createClock({ start: 0, frozen: true });
  return { clock, store: createStore(clock, { maxEntries }) };
}

describe("store", () => {
  it("returns an entry until the clock reaches its expiry", () => {
    const { clock, store } = setup();
    const entry = store.put(codes, "c1", { client: "a" }, 60);
    expect(entry).toMatchObject({ createdAt: 0, expiresAt: 60_000 });
    clock.advance(59.999);
    expect(store.get(codes, "c1")?.value).toEqual({ client: "a" });
    clock.advance(0.001);
    expect(store.get(codes, "c1")).toBeUndefined();
    expect(store.size).toBe(0);
  });

  it("keeps kinds apart", () => {
    const { store } = setup();
    store.put(codes, "x", { client: "a" }, 60);
    store.put(tokens, "x", "token", 60);
    expect(store.get(codes, "x")?.value).toEqual({ client: "a" });
    expect(store.get(tokens, "x")?.value).toBe("token");
    expect(store.list(tokens).map((e) => e.id)).toEqual(["x"]);
  });

  it("take consumes an entry exactly once", () => {
    const { store } = setup();
    store.put(codes, "c1", { client: "a" }, 60);
    expect(store.take(codes, "c1")?.value).toEqual({ client: "a" });
    expect(store.take(codes, "c1")).toBeUndefined();
  });

  it("sweep drops every expired entry", () => {
    const { clock, store } = setup();
    store.put(codes, "long", { client: "a" }, 3600);
    for (let i = 0; i < 10; i++) store.put(tokens, `t${i}`, "v", 10);
    clock.advance(11);
    expect(store.sweep()).toBe(10);
    expect(store.list().map((e) => e.id)).toEqual(["long"]);
  });

  it("never holds more than maxEntries, evicting the oldest, even on a frozen clock", () => {
    const { store } = setup(5);
    for (let i = 0; i < 20; i++) store.put(tokens, `t${i}`, "v", 3600);
    expect(store.size).toBe(5);
    expect(store.evicted).toBe(15);
    expect(store.list().map((e) => e.id)).toEqual(["t15", "t16", "t17", "t18", "t19"]);
  });

  it("evicts in insertion order through rewrites and deletes, a rewrite counting as new", () => {
    const { store } = setup(3);
    store.put(tokens, "a", "1", 3600);
    store.put(tokens, "b", "1", 3600);
    store.put(tokens, "c", "1", 3600);
    store.put(tokens, "a", "2", 3600); // a is now the newest
    store.delete(tokens, "b");
    store.put(tokens, "d", "1", 3600);
    store.put(tokens, "e", "1", 3600); // over the bound: c goes, not a
    expect(store.list().map((e) => `${e.id}=${String(e.value)}`)).toEqual(["a=2", "d=1", "e=1"]);
    for (let i = 0; i < 5000; i++) store.put(tokens, `t${String(i % 7)}`, "v", 3600);
    expect(store.size).toBe(3);
    expect(store.list().map((e) => e.id)).toEqual(["t6", "t0", "t1"]); // the last three written
  });

  it("does not keep taken entries queued behind a long-lived one", () => {
    const { store } = setup(100_000);
    store.put(tokens, "refresh", "v", 30 * 86_400);
    for (let i = 0; i < 50_000; i++) {
      store.put(codes, `c${String(i)}`, { client: "a" }, 60);
      expect(store.take(codes, `c${String(i)}`)?.value).toEqual({ client: "a" });
    }
    expect(store.size).toBe(1);
    expect(store.queued).toBeLessThanOrEqual(2 * store.size + 1024 + 1);
    expect(store.list().map((e) => e.id)).toEqual(["refresh"]);
  });

  it("drops expired entries at the front as new ones are written", () => {
    const { clock, store } = setup();
    store.put(tokens, "old", "v", 1);
    clock.advance(2);
    store.put(tokens, "new", "v", 60);
    expect(store.size).toBe(1);
  });

  it("reset forgets everything", () => {
    const { store } = setup();
    store.put(tokens, "a", "v", 60);
    store.reset();
    expect(store.size).toBe(0);
    expect(store.get(tokens, "a")).toBeUndefined();
  });
});
