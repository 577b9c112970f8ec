import { describe, expect, it } from "vitest";
import * as z from "zod";
import { createClock } from "../../src/core/clock.js";
import type { Namespace } from "../../src/core/context.js";
import { SandboxError } from "../../src/core/errors.js";
import { createNamespaces } from "../../src/core/namespaces.js";
import { createVerdicts, magicVerdict, type AutoVerdicts, type Subject } from "../../src/core/verdicts.js";

const T0 = Date.parse("2026-01-01T00:00:00.000Z");

/** A made-up vendor's record: pending until it gets a verdict, then final. */
function setup(auto?: AutoVerdicts) {
  const clock = createClock({ start: T0, frozen: true });
  const namespaces = createNamespaces({
    maxEntries: 10,
    maxCounters: 10,
    maxNamespaces: 10,
    journalSize: 10,
    deliveriesKept: 10,
    clock,
  });
  const records = new Map<string, string>();
  const given: string[] = [];
  const expired: string[] = [];
  const cases: Subject = {
    name: "case",
    verdicts: ["pass", "fail"],
    details: z.strictObject({ reason: z.string().optional() }),
    give: (ns: Namespace, id: string, verdict: string, details: Readonly<Record<string, unknown>>) => {
      const key = `${ns.id}/${id}`;
      const current = records.get(key);
      if (current === undefined) return Promise.resolve(false);
      if (current !== "pending") throw new SandboxError("conflict", 409, "already final");
      records.set(key, verdict);
      const reason = typeof details.reason === "string" ? `:${details.reason}` : "";
      given.push(`${key}=${verdict}${reason}`);
      return Promise.resolve(true);
    },
    due: (ns, id) => {
      expired.push(`${ns.id}/${id}`);
      return Promise.resolve();
    },
  };
  const verdicts = createVerdicts({
    subjectsOf: (vendor) => (vendor === "acme" ? [cases] : []),
    vendors: () => ["acme", "other"],
    ...(auto ? { auto } : {}),
  });
  const create = (ns: Namespace, id: string) => records.set(`${ns.id}/${id}`, "pending");
  return { clock, namespaces, verdicts, records, given, expired, create, ns: namespaces.default };
}

describe("due items", () => {
  it("keeps at most maxDue per namespace, the oldest going first", async () => {
    const clock = createClock({ start: T0, frozen: true });
    const ns = createNamespaces({
      maxEntries: 10,
      maxCounters: 10,
      maxNamespaces: 1,
      journalSize: 1,
      deliveriesKept: 1,
      clock,
    }).default;
    const verdicts = createVerdicts({ subjectsOf: () => [], vendors: () => [], maxDue: 2 });
    for (const id of ["a", "b", "c"]) await verdicts.schedule(ns, T0, "acme", "case", id);
    const scheduled = await ns.store.scheduled(T0);
    expect(scheduled.map((s) => (JSON.parse(s.item) as { id: string }).id)).toEqual(["b", "c"]);
    expect(await verdicts.tick(ns)).toBe(2);
  });
});

describe("magicVerdict", () => {
  it("finds outcome:<verdict> among the values, if the subject takes it", () => {
    expect(magicVerdict(["x", "outcome:fail", 3], ["pass", "fail"])).toBe("fail");
    expect(magicVerdict(["outcome:maybe"], ["pass", "fail"])).toBeUndefined();
    expect(magicVerdict(["outcome:fail:user-42"], ["pass", "fail"])).toBe("fail");
    expect(magicVerdict([{ outcome: "outcome:fail" }, " outcome:fail"], ["fail"])).toBeUndefined();
  });
});

describe("verdicts", () => {
  it("gives a magic verdict at creation", async () => {
    const { verdicts, create, ns, given } = setup({ after: 5, verdict: {} });
    create(ns, "c1");
    expect(await verdicts.created(ns, "acme", "case", "c1", ["outcome:fail"])).toBe("fail");
    expect(given).toEqual(["default/c1=fail"]);
    // A magic verdict replaces the automatic one.
    expect(await ns.store.scheduled(Number.MAX_SAFE_INTEGER)).toEqual([]);
  });

  it("gives the automatic verdict once the namespace's clock passes it, on tick or on a read", async () => {
    const { verdicts, create, ns, given, clock, namespaces } = setup({ after: 5, verdict: {} });
    create(ns, "c1");
    await verdicts.created(ns, "acme", "case", "c1", []);
    clock.advance(4);
    expect(await verdicts.tick(ns)).toBe(0);
    clock.advance(1);
    expect(await verdicts.tick(ns)).toBe(1);
    expect(given).toEqual(["default/c1=pass"]);

    const w1 = namespaces.get("w1");
    create(w1, "c2");
    await verdicts.created(w1, "acme", "case", "c2", []);
    w1.clock.advance(5);
    await verdicts.settle(w1, "acme", "case", "c2");
    expect(given).toEqual(["default/c1=pass", "w1/c2=pass"]);
  });

  it("gives the configured automatic verdict, and yields to a tester's", async () => {
    const { verdicts, create, ns, given, clock } = setup({ after: 5, verdict: { acme: "fail" } });
    create(ns, "c1");
    create(ns, "c2");
    await verdicts.created(ns, "acme", "case", "c1", []);
    await verdicts.created(ns, "acme", "case", "c2", []);
    expect(await verdicts.give(ns, "acme", "c2", "pass", { reason: "manual" })).toEqual({ subject: "case" });
    clock.advance(10);
    await verdicts.tick(ns);
    expect(given).toEqual(["default/c2=pass:manual", "default/c1=fail"]);
  });

  it("drops a waiting automatic verdict once the record is decided elsewhere", async () => {
    const { verdicts, create, ns, given, clock } = setup({ after: 5, verdict: {} });
    create(ns, "c1");
    await verdicts.created(ns, "acme", "case", "c1", []);
    await verdicts.decided(ns, "acme", "case", "c1");
    clock.advance(10);
    expect(await verdicts.tick(ns)).toBe(0);
    expect(given).toEqual([]);
  });

  it("runs a subject's scheduled due when its time comes", async () => {
    const { verdicts, ns, expired, clock } = setup();
    await verdicts.schedule(ns, T0 + 60_000, "acme", "case", "c1");
    await verdicts.tick(ns);
    expect(expired).toEqual([]);
    clock.advance(60);
    await verdicts.tick(ns);
    await verdicts.tick(ns);
    expect(expired).toEqual(["default/c1"]);
  });

  it("says why a verdict cannot be given", async () => {
    const { verdicts, create, ns } = setup();
    create(ns, "c1");
    expect(await verdicts.give(ns, "other", "c1", "pass", {})).toEqual({
      reason: "no_subjects",
      vendors: ["acme"],
    });
    expect(await verdicts.give(ns, "acme", "c1", "maybe", {})).toEqual({
      reason: "unknown_verdict",
      verdicts: ["pass", "fail"],
    });
    expect(await verdicts.give(ns, "acme", "c1", "pass", { colour: 1 })).toMatchObject({
      reason: "invalid_details",
    });
    expect(await verdicts.give(ns, "acme", "nope", "pass", {})).toEqual({ reason: "not_found" });
    await verdicts.give(ns, "acme", "c1", "pass", {});
    await expect(verdicts.give(ns, "acme", "c1", "fail", {})).rejects.toMatchObject({ status: 409 });
  });
});
