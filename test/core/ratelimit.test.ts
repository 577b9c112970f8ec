import { describe, expect, it } from "vitest";
import { createClock } from "../../src/core/clock.js";
import { createMemoryStore } from "../../src/core/memory-store.js";
import { DEFAULT_LIMITS, limitFor, overLimit, type Limits } from "../../src/core/ratelimit.js";
import type { Store, WindowCount } from "../../src/core/store.js";

describe("limitFor", () => {
  const limits: Limits = {
    POST: { limit: 50, windowSeconds: 5 },
    GET: { limit: 300, windowSeconds: 5 },
    "*": { limit: 10, windowSeconds: 60 },
  };

  it("takes the method's own limit, naming the method as the selector", () => {
    expect(limitFor(limits, "POST")).toEqual(["POST", { limit: 50, windowSeconds: 5 }]);
    expect(limitFor(limits, "GET")).toEqual(["GET", { limit: 300, windowSeconds: 5 }]);
  });

  it("finds no limit under an inherited property's name", () => {
    expect(limitFor({}, "toString")).toBeUndefined();
    expect(limitFor({ "*": { limit: 1, windowSeconds: 1 } }, "constructor")).toEqual([
      "*",
      { limit: 1, windowSeconds: 1 },
    ]);
  });

  it("falls back to *, naming * as the selector", () => {
    expect(limitFor(limits, "PUT")).toEqual(["*", { limit: 10, windowSeconds: 60 }]);
    expect(limitFor(DEFAULT_LIMITS, "GET")).toEqual(["*", { limit: 50, windowSeconds: 5 }]);
  });

  it("gives nothing when neither the method nor * has a limit", () => {
    expect(limitFor({ POST: { limit: 1, windowSeconds: 1 } }, "GET")).toBeUndefined();
    expect(limitFor({}, "POST")).toBeUndefined();
  });
});

describe("overLimit", () => {
  const T0 = Date.parse("2026-01-01T00:00:00.000Z");

  function setup() {
    // Frozen: every window edge and Retry-After below is exact.
    const clock = createClock({ start: T0, frozen: true });
    const store = createMemoryStore(clock, { maxEntries: 10, maxCounters: 10 });
    const limit = { limit: 3, windowSeconds: 10 };
    const hit = (key = "dqe:*:LICENCE") => overLimit(store, clock.now(), key, limit);
    return { clock, store, hit };
  }

  it("passes exactly limit requests in a window, then gives the whole seconds left", async () => {
    const { hit } = setup();
    expect([await hit(), await hit(), await hit()]).toEqual([undefined, undefined, undefined]);
    expect(await hit()).toBe(10);
    expect(await hit()).toBe(10);
  });

  it("rounds the seconds left up, and never below 1", async () => {
    const { clock, hit } = setup();
    for (let i = 0; i < 3; i++) await hit();
    clock.advance(2.5);
    expect(await hit()).toBe(8);
    clock.advance(7.4); // 0.1 s left
    expect(await hit()).toBe(1);
    clock.advance(0.099); // 1 ms left
    expect(await hit()).toBe(1);
  });

  it("passes again once the clock crosses the window's end, in a new window from that hit", async () => {
    const { clock, hit } = setup();
    for (let i = 0; i < 3; i++) await hit();
    expect(await hit()).toBe(10);
    clock.advance(10);
    expect([await hit(), await hit(), await hit()]).toEqual([undefined, undefined, undefined]);
    expect(await hit()).toBe(10);
    // The window starts with its first hit, not on a 10 s boundary.
    clock.advance(13);
    await hit();
    clock.advance(4);
    await hit();
    await hit();
    expect(await hit()).toBe(6);
  });

  it("counts each key apart", async () => {
    const { clock, hit } = setup();
    for (let i = 0; i < 3; i++) await hit("sumsub:POST:app-a");
    expect(await hit("sumsub:POST:app-a")).toBe(10);
    clock.advance(4);
    expect([await hit("sumsub:POST:app-b"), await hit("sumsub:GET:app-a")]).toEqual([undefined, undefined]);
    expect(await hit("sumsub:POST:app-a")).toBe(6);
    for (let i = 0; i < 2; i++) await hit("sumsub:POST:app-b");
    expect(await hit("sumsub:POST:app-b")).toBe(10);
  });

  it("answers at least 1 when a store reports a window that has already ended", async () => {
    // A network store's clock may trail the caller's: a stale reset time still means "retry shortly".
    const now = T0 + 5_000;
    const stale = (resetAt: number): Store =>
      ({ hit: (): Promise<WindowCount> => Promise.resolve({ count: 99, resetAt }) }) as unknown as Store;
    expect(await overLimit(stale(now), now, "k", { limit: 1, windowSeconds: 5 })).toBe(1);
    expect(await overLimit(stale(now - 3_000), now, "k", { limit: 1, windowSeconds: 5 })).toBe(1);
    expect(await overLimit(stale(now + 2_001), now, "k", { limit: 1, windowSeconds: 5 })).toBe(3);
  });

  it("passes the window length to the store", async () => {
    const calls: [string, number][] = [];
    const store = {
      hit: (key: string, windowSeconds: number): Promise<WindowCount> => {
        calls.push([key, windowSeconds]);
        return Promise.resolve({ count: 1, resetAt: T0 + windowSeconds * 1000 });
      },
    } as unknown as Store;
    expect(await overLimit(store, T0, "k", { limit: 1, windowSeconds: 7 })).toBeUndefined();
    expect(calls).toEqual([["k", 7]]);
  });
});
