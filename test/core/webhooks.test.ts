import { createHmac } from "node:crypto";
import { createServer } from "node:net";
import { afterEach, describe, expect, it, vi } from "vitest";
import * as z from "zod";
import { createClock } from "../../src/core/clock.js";
import { createIdGenerator } from "../../src/core/ids.js";
import { createNamespaces } from "../../src/core/namespaces.js";
import { checkSubscription } from "../../src/core/subscriptions.js";
import {
  createWebhookEngine,
  deliveryView,
  type DeliveryMode,
  type WebhookSpec,
} from "../../src/core/webhooks.js";
import type { Namespace } from "../../src/core/context.js";
import { createMemoryDeliveryLog, type Delivery, type Subscription } from "../../src/core/deliveries.js";
import type { Store } from "../../src/core/store.js";
import { failTimes, holdOne, startReceiver, type AnswerFn, type Receiver } from "../helpers/receiver.js";

const T0 = Date.parse("2026-01-01T00:00:00.000Z");

/** A made-up vendor: the engine must not care which one it is. */
const acme: WebhookSpec = {
  events: {
    "thing.done": { summary: "done", body: z.object({ n: z.number() }) },
    "thing.failed": { summary: "failed", body: z.object({ n: z.number() }) },
  },
  options: z.object({ flavour: z.enum(["plain", "salty"]).default("plain") }),
  signing: "X-Acme-Sig: hex HMAC-SHA256 of id.timestamp.body",
  sign: ({ id, body, timestamp, secret }) => ({
    "x-acme-sig": createHmac("sha256", secret)
      .update(`${id}.${String(timestamp)}.${body}`)
      .digest("hex"),
    "x-acme-ts": String(timestamp),
  }),
};
const specs = new Map([["acme", acme]]);

/** The bounds of every namespace these tests make (only how many deliveries are kept varies). */
const LIMITS = { maxEntries: 100, maxCounters: 100, maxNamespaces: 10, journalSize: 100 };

/** A subscription of the made-up vendor, secret `s3cret`, every event. */
const acmeSubscription = (id: string, url: string, extra: Partial<Subscription> = {}): Subscription => ({
  id,
  vendor: "acme",
  url,
  secret: "s3cret",
  events: null,
  headers: {},
  options: {},
  source: "api",
  createdAt: T0,
  ...extra,
});

const receivers: Receiver[] = [];
const engines: { close(): void }[] = [];
afterEach(async () => {
  for (const e of engines.splice(0)) e.close();
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

async function receiver(answer?: AnswerFn) {
  const r = await startReceiver(answer ? { answer } : {});
  receivers.push(r);
  return r;
}

function setup(
  options: {
    timeoutSeconds?: number;
    retryDelaysSeconds?: number[];
    keep?: number;
    configured?: Subscription[];
    mode?: DeliveryMode;
  } = {},
) {
  const clock = createClock({ start: T0, frozen: true });
  const namespaces = createNamespaces({ ...LIMITS, deliveriesKept: options.keep ?? 100, clock });
  const engine = createWebhookEngine({
    specs,
    configured: options.configured ?? [],
    settings: {
      timeoutSeconds: options.timeoutSeconds ?? 5,
      retryDelaysSeconds: options.retryDelaysSeconds ?? [60, 60, 60, 60],
    },
    ids: createIdGenerator(),
    modeOf: () => Promise.resolve(options.mode),
  });
  engines.push(engine);
  let n = 0;
  const subscribe = (nsId: string, url: string, extra: Partial<Subscription> = {}) => {
    const sub = acmeSubscription(`whs_${String(++n)}`, url, extra);
    namespaces.get(nsId).webhooks.subscriptions.set(sub.id, sub);
    return sub;
  };
  /** A delivery as its namespace's log keeps it now. */
  const now = async (d: Delivery, nsId = "default") => (await engine.delivery(namespaces.get(nsId), d.id))!;
  return { clock, namespaces, engine, subscribe, now, ns: namespaces.default };
}

describe("webhook engine", () => {
  it("sends the exact bytes, signed per attempt, without waiting for the receiver", async () => {
    const r = await receiver();
    const { engine, subscribe, ns, now } = setup();
    subscribe("default", r.url, { headers: { Authorization: "Bearer receiver-token" } });
    const [d] = await engine.emit(ns, "acme", "thing.done", { n: 1, text: "é" });
    // Nothing has been sent yet: the caller (a request handler) answers first.
    expect(r.received).toHaveLength(0);
    expect(d!.status).toBe("pending");
    const got = await r.next();
    expect(got.body).toBe('{"n":1,"text":"é"}');
    expect(got.method).toBe("POST");
    expect(got.headers["content-type"]).toBe("application/json");
    expect(got.headers["x-sandbox-namespace"]).toBe("default");
    expect(got.headers.authorization).toBe("Bearer receiver-token");
    const ts = String(Math.floor(T0 / 1000));
    expect(got.headers["x-acme-ts"]).toBe(ts);
    expect(got.headers["x-acme-sig"]).toBe(
      createHmac("sha256", "s3cret").update(`${d!.id}.${ts}.${got.body}`).digest("hex"),
    );
    await engine.flush(ns);
    expect((await now(d!)).status).toBe("delivered");
    expect((await now(d!)).attempts).toEqual([
      { at: T0, status: 200, error: null, durationMs: expect.any(Number), duplicate: false },
    ]);
    // Journaled, outgoing.
    expect(await ns.journal.query({ direction: "out" })).toEqual([
      expect.objectContaining({ direction: "out", method: "POST", path: r.url, vendor: "acme", status: 200 }),
    ]);
  });

  it("sends a subscription only the events it asked for", async () => {
    const r = await receiver();
    const { engine, subscribe, ns } = setup();
    subscribe("default", r.url, { events: ["thing.failed"] });
    expect(await engine.emit(ns, "acme", "thing.done", { n: 1 })).toEqual([]);
    await engine.emit(ns, "acme", "thing.failed", { n: 2 });
    expect((await r.next()).body).toBe('{"n":2}');
    await engine.flush(ns);
    expect(r.received).toHaveLength(1);
  });

  it("retries a failing receiver after the delays, and flush sends a waiting retry now", async () => {
    const r = await receiver(failTimes(2, 503));
    const { engine, subscribe, ns, clock, now } = setup({ retryDelaysSeconds: [30, 30] });
    subscribe("default", r.url);
    const [d] = await engine.emit(ns, "acme", "thing.done", { n: 1 });
    const [tried] = await engine.flush(ns);
    expect(tried).toMatchObject({ id: d!.id, status: "pending", nextAttemptAt: clock.now() + 30_000 });
    await engine.flush(ns);
    expect((await now(d!)).attempts.map((a) => a.status)).toEqual([503, 503]);
    await engine.flush(ns);
    expect(await now(d!)).toMatchObject({ status: "delivered", nextAttemptAt: null });
    expect((await now(d!)).attempts.map((a) => a.status)).toEqual([503, 503, 200]);
    // Every attempt sent the same bytes.
    expect(new Set(r.received.map((q) => q.body)).size).toBe(1);
  });

  it("marks a delivery failed once its retries are spent", async () => {
    const r = await receiver(() => ({ status: 500 }));
    const { engine, subscribe, ns, now } = setup({ retryDelaysSeconds: [1] });
    subscribe("default", r.url);
    const [d] = await engine.emit(ns, "acme", "thing.done", { n: 1 });
    await engine.flush(ns);
    await engine.flush(ns);
    expect((await now(d!)).status).toBe("failed");
    expect((await now(d!)).attempts).toHaveLength(2);
    // Nothing pending is left to flush.
    expect(await engine.flush(ns)).toEqual([]);
  });

  it("gives up on a receiver that never answers after the timeout, and closes its socket", async () => {
    const r = await receiver(() => "hang");
    const { engine, subscribe, ns, now } = setup({ timeoutSeconds: 0.2, retryDelaysSeconds: [] });
    subscribe("default", r.url);
    const [d] = await engine.emit(ns, "acme", "thing.done", { n: 1 });
    await engine.flush(ns);
    expect((await now(d!)).status).toBe("failed");
    expect((await now(d!)).attempts[0]).toMatchObject({ status: null, error: "no answer within 0.2 s" });
    await r.waitForSockets(0);
    expect((await ns.journal.query({ direction: "out" }))[0]?.status).toBe(0);
  });

  it("records a refused connection as the attempt's error", async () => {
    // A port nothing listens on: bound, then released.
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, "127.0.0.1", () => {
        const { port: p } = s.address() as { port: number };
        s.close(() => {
          resolve(p);
        });
      });
    });
    const { engine, subscribe, ns, now } = setup({ retryDelaysSeconds: [] });
    subscribe("default", `http://127.0.0.1:${String(port)}/hook`);
    const [d] = await engine.emit(ns, "acme", "thing.done", { n: 1 });
    await engine.flush(ns);
    expect((await now(d!)).attempts[0]).toMatchObject({ status: null, error: "ECONNREFUSED" });
  });

  it("sends a scenario's duplicate: the same delivery twice, after it succeeded", async () => {
    const r = await receiver();
    const { engine, subscribe, ns, now } = setup({ mode: { duplicate: true, scenario: "dup" } });
    subscribe("default", r.url);
    const [d] = await engine.emit(ns, "acme", "thing.done", { n: 1 });
    const [first, second] = await r.waitFor(2);
    expect(second!.body).toBe(first!.body);
    expect(second!.headers["x-acme-sig"]).toBe(first!.headers["x-acme-sig"]);
    await engine.flush(ns);
    expect((await now(d!)).attempts.map((a) => a.duplicate)).toEqual([false, true]);
    expect(d!.scenario).toBe("dup");
  });

  it("holds an out-of-order delivery until the next one has gone", async () => {
    const r = await receiver();
    let mode: DeliveryMode | undefined = { outOfOrder: true };
    const s = setup();
    const engine = createWebhookEngine({
      specs,
      configured: [],
      settings: { timeoutSeconds: 5, retryDelaysSeconds: [] },
      ids: createIdGenerator(),
      modeOf: () => {
        const m = mode;
        mode = undefined;
        return Promise.resolve(m);
      },
    });
    engines.push(engine);
    s.subscribe("default", r.url);
    await engine.emit(s.ns, "acme", "thing.done", { n: 1 });
    await engine.emit(s.ns, "acme", "thing.failed", { n: 2 });
    const got = await r.waitFor(2);
    expect(got.map((q) => q.body)).toEqual(['{"n":2}', '{"n":1}']);
  });

  it("swaps pairs when every delivery is held: 2, 1, 4, 3", async () => {
    const r = await receiver();
    const { engine, subscribe, ns } = setup({ mode: { outOfOrder: true } });
    subscribe("default", r.url);
    for (const n of [1, 2, 3, 4]) await engine.emit(ns, "acme", "thing.done", { n });
    const got = await r.waitFor(4);
    expect(got.map((q) => (JSON.parse(q.body) as { n: number }).n)).toEqual([2, 1, 4, 3]);
  });

  it("sends a held delivery on flush when nothing follows it", async () => {
    const r = await receiver();
    const { engine, subscribe, ns, now } = setup({ mode: { outOfOrder: true } });
    subscribe("default", r.url);
    const [d] = await engine.emit(ns, "acme", "thing.done", { n: 1 });
    await new Promise((resolve) => setImmediate(resolve));
    expect(r.received).toHaveLength(0);
    await engine.flush(ns);
    expect((await now(d!)).status).toBe("delivered");
  });

  it("keeps one subscription's deliveries in the order their events happened", async () => {
    const r = await receiver();
    const { engine, subscribe, ns } = setup();
    subscribe("default", r.url);
    for (let n = 0; n < 20; n++) await engine.emit(ns, "acme", "thing.done", { n });
    const got = await r.waitFor(20);
    expect(got.map((q) => (JSON.parse(q.body) as { n: number }).n)).toEqual([...Array(20).keys()]);
  });

  it("sends different records' events in parallel, and one record's in order", async () => {
    let bArrived!: () => void;
    const b = new Promise<void>((resolve) => {
      bArrived = resolve;
    });
    // The first event of record a is answered only once record b's has arrived: b is not queued behind a.
    const r = await receiver(async (q) => {
      if (q.body.includes('"a1"')) await b;
      if (q.body.includes('"b1"')) bArrived();
      return { status: 200 };
    });
    const { engine, subscribe, ns } = setup();
    subscribe("default", r.url);
    await engine.emit(ns, "acme", "thing.done", { n: "a1" }, "a");
    await engine.emit(ns, "acme", "thing.done", { n: "a2" }, "a");
    await engine.emit(ns, "acme", "thing.done", { n: "b1" }, "b");
    const got = (await r.waitFor(3)).map((q) => (JSON.parse(q.body) as { n: string }).n);
    expect(got.indexOf("a1")).toBeLessThan(got.indexOf("a2"));
    expect(got.indexOf("b1")).toBeLessThan(got.indexOf("a2"));
    await engine.flush(ns);
  });

  it("keeps the newest deliveries only", async () => {
    const r = await receiver();
    const { engine, subscribe, ns } = setup({ keep: 3 });
    subscribe("default", r.url);
    const all: Delivery[] = [];
    for (const n of [1, 2, 3, 4, 5]) all.push(...(await engine.emit(ns, "acme", "thing.done", { n })));
    await r.waitFor(3);
    expect((await engine.list(ns, 10)).map((d) => d.id)).toEqual(
      all
        .slice(2)
        .map((d) => d.id)
        .reverse(),
    );
    await engine.flush(ns);
  });

  it("never sends one namespace's events to another's subscriptions; config ones hear every namespace", async () => {
    const a = await receiver();
    const shared = await receiver();
    const configured = acmeSubscription("whc_1", shared.url, { secret: "s", source: "config" });
    const { engine, subscribe, namespaces } = setup({ configured: [configured] });
    subscribe("w1", a.url);
    const w2 = namespaces.get("w2");
    expect((await engine.emit(w2, "acme", "thing.done", { n: 2 })).map((d) => d.subscription)).toEqual([
      "whc_1",
    ]);
    expect((await shared.next()).headers["x-sandbox-namespace"]).toBe("w2");
    await engine.flush(w2);
    expect(a.received).toHaveLength(0);
    expect(await engine.list(namespaces.get("w1"), 10)).toEqual([]);
  });

  it("redelivers the same delivery once, with no retries after it", async () => {
    const answers = [200, 500];
    const r = await receiver((_q, i) => ({ status: answers[i] ?? 200 }));
    const { engine, subscribe, ns, now } = setup({ retryDelaysSeconds: [1, 1] });
    subscribe("default", r.url);
    const [d] = await engine.emit(ns, "acme", "thing.done", { n: 1 });
    await engine.flush(ns);
    expect(await engine.redeliver(ns, d!.id)).toBe("sent");
    expect(d!.id).toMatch(/^dlv_/);
    expect(await now(d!)).toMatchObject({ status: "failed", nextAttemptAt: null });
    expect(r.received.map((q) => q.body)).toEqual(['{"n":1}', '{"n":1}']);
    expect(await engine.redeliver(ns, d!.id)).toBe("sent");
    expect((await now(d!)).status).toBe("delivered");
    expect((await now(d!)).attempts.map((a) => a.status)).toEqual([200, 500, 200]);
    expect(await engine.redeliver(ns, "dlv_none")).toBe("gone");
  });

  it("fails a delivery whose subscription went while it waited, and a flush still answers", async () => {
    const r = await receiver(() => ({ status: 500 }));
    const { engine, subscribe, ns, now } = setup({ retryDelaysSeconds: [60] });
    const sub = subscribe("default", r.url);
    const [d] = await engine.emit(ns, "acme", "thing.done", { n: 1 });
    await engine.flush(ns);
    ns.webhooks.subscriptions.delete(sub.id);
    await engine.flush(ns);
    expect((await now(d!)).status).toBe("failed");
    expect((await now(d!)).attempts.at(-1)).toMatchObject({ status: null, error: "subscription deleted" });
    expect(await engine.flush(ns)).toEqual([]);
  });

  it("keeps a namespace's slow receiver from holding up another namespace's deliveries", async () => {
    const slow = await receiver(() => "hang");
    const fast = await receiver();
    const { engine, subscribe, namespaces, now } = setup({ timeoutSeconds: 2, retryDelaysSeconds: [] });
    subscribe("noisy", slow.url);
    subscribe("victim", fast.url);
    const noisy = namespaces.get("noisy");
    const stuck: Delivery[] = [];
    for (let n = 0; n < 40; n++)
      stuck.push(...(await engine.emit(noisy, "acme", "thing.done", { n }, `r${String(n)}`)));
    await slow.waitFor(8);
    await engine.emit(namespaces.get("victim"), "acme", "thing.done", { n: "victim" });
    expect((await fast.next()).body).toBe('{"n":"victim"}');
    // Arrived while every one of the noisy namespace's attempts was still waiting for its receiver.
    const kept = await Promise.all(stuck.map((d) => now(d, "noisy")));
    expect(kept.every((d) => d.attempts.length === 0)).toBe(true);
    expect(slow.received).toHaveLength(8);
    engine.close();
  });

  it("drops a finished delivery before a pending one when over the bound", async () => {
    const failing = await receiver(() => ({ status: 500 }));
    const ok = await receiver();
    const { engine, subscribe, ns, now } = setup({ keep: 2, retryDelaysSeconds: [60, 60, 60] });
    subscribe("default", failing.url, { events: ["thing.failed"] });
    subscribe("default", ok.url, { events: ["thing.done"] });
    const [b] = await engine.emit(ns, "acme", "thing.failed", { n: "b" });
    await engine.flush(ns);
    const [a] = await engine.emit(ns, "acme", "thing.done", { n: "a" });
    await ok.next();
    await engine.flush(ns);
    expect([(await now(b!)).status, (await now(a!)).status]).toEqual(["pending", "delivered"]);
    const [c] = await engine.emit(ns, "acme", "thing.done", { n: "c" });
    expect((await engine.list(ns, 10)).map((d) => d.id)).toEqual([c!.id, b!.id]);
    await ok.next();
    engine.close();
  });

  it("refuses to resend a delivery being sent, and keeps its headers redacted after the subscription is gone", async () => {
    let answer!: () => void;
    const gate = new Promise<void>((resolve) => {
      answer = resolve;
    });
    const r = await receiver(async () => {
      await gate;
      return { status: 200 };
    });
    const { engine, subscribe, ns, now } = setup();
    const sub = subscribe("default", r.url, { headers: { Authorization: "Bearer receiver" } });
    const [d] = await engine.emit(ns, "acme", "thing.done", { n: 1 });
    await r.next();
    expect(await engine.redeliver(ns, d!.id)).toBe("busy");
    answer();
    await engine.flush(ns);
    ns.webhooks.subscriptions.delete(sub.id);
    expect(deliveryView(await now(d!)).headers.authorization).toBe("[redacted]");
    expect(await engine.redeliver(ns, d!.id)).toBe("sent");
    expect((await now(d!)).attempts.at(-1)).toMatchObject({ error: "subscription deleted" });
  });

  it("forgets a namespace's deliveries and subscriptions on reset, cancelling their retries", async () => {
    const r = await receiver(() => ({ status: 500 }));
    const { engine, subscribe, ns } = setup({ retryDelaysSeconds: [1] });
    subscribe("default", r.url);
    await engine.emit(ns, "acme", "thing.done", { n: 1 });
    await engine.flush(ns);
    await engine.reset(ns);
    expect(await engine.list(ns, 10)).toEqual([]);
    expect(ns.webhooks.subscriptions.size).toBe(0);
    expect(await engine.flush(ns)).toEqual([]);
  });
});

/**
 * Two sandboxes as the engine sees them: an engine each, and each its own namespace object over one shared log and
 * subscription (what Redis gives sandboxes that share it; the log's own behaviour on Redis is test/core/deliveries).
 */
function twoSandboxes(
  url: string,
  options: { takeoverSeconds?: number; timeoutSeconds?: number; mode?: () => DeliveryMode | undefined } = {},
) {
  const log = createMemoryDeliveryLog(100);
  const subscription = acmeSubscription("whs_shared", url);
  const one = () => {
    const namespaces = createNamespaces({
      ...LIMITS,
      deliveriesKept: 100,
      clock: createClock({ start: T0, frozen: true }),
    });
    const base = namespaces.default;
    const ns: Namespace = {
      ...base,
      // Shared, as a Redis store says it is: the tick takes over what a stopped sandbox left.
      store: Object.create(base.store, { shared: { value: true } }) as Store,
      webhooks: { subscriptions: new Map([[subscription.id, subscription]]), log },
    };
    const engine = createWebhookEngine({
      specs,
      configured: [],
      settings: {
        timeoutSeconds: options.timeoutSeconds ?? 5,
        retryDelaysSeconds: [60],
        takeoverSeconds: options.takeoverSeconds ?? 30,
      },
      ids: createIdGenerator(),
      modeOf: () => Promise.resolve(options.mode?.()),
    });
    engines.push(engine);
    return { ns, engine };
  };
  return { a: one(), b: one(), log };
}

/** Lets a few turns of the event loop run: what another sandbox decides in the meantime has been decided. */
const turns = async (n = 5) => {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
};

describe("webhook engine, two sandboxes on one log", () => {
  it("lets go a held delivery another sandbox sent, so the record's next event still goes", async () => {
    const r = await receiver();
    let outOfOrder = true;
    const { a, b, log } = twoSandboxes(r.url, {
      mode: () => (outOfOrder ? { outOfOrder: true } : undefined),
    });
    const [held] = await a.engine.emit(a.ns, "acme", "thing.done", { n: 1 }, "record");
    await turns();
    // B's flush sends it; A's flush then has nothing pending, and must still let go of it.
    await b.engine.flush(b.ns);
    expect((await log.get(held!.id))?.value.status).toBe("delivered");
    expect(await a.engine.flush(a.ns)).toEqual([]);
    outOfOrder = false;
    await a.engine.emit(a.ns, "acme", "thing.done", { n: 2 }, "record");
    expect((await r.waitFor(2)).map((q) => q.body)).toEqual(['{"n":1}', '{"n":2}']);
  });

  it("leaves to A, in their order, one record's events A is still sending when B flushes", async () => {
    const { answer, release: answered } = holdOne(0);
    const r = await receiver(answer);
    const { a, b, log } = twoSandboxes(r.url);
    await a.engine.emit(a.ns, "acme", "thing.done", { n: "pending" }, "applicant");
    const [second] = await a.engine.emit(a.ns, "acme", "thing.done", { n: "reviewed" }, "applicant");
    await r.next();
    const flushed = b.engine.flush(b.ns);
    await turns();
    // B left the second to A (it did not take it over), and waits for A's attempts.
    expect((await log.get(second!.id))!.value.owner).toBe(second!.owner);
    const releasedAt = Date.now();
    answered();
    const tried = await flushed;
    expect(tried.map((d) => d.status)).toEqual(["delivered", "delivered"]);
    const got = await r.waitFor(2);
    expect(got.map((q) => q.body)).toEqual(['{"n":"pending"}', '{"n":"reviewed"}']);
    // The second went only once the first had its answer.
    expect(got[1]!.at).toBeGreaterThanOrEqual(releasedAt);
  });

  it("answers a resend through A once the attempt is made, when B's flush took the delivery meanwhile", async () => {
    const r = await receiver(() => ({ status: 500 }));
    const { a, b, log } = twoSandboxes(r.url);
    const [d] = await a.engine.emit(a.ns, "acme", "thing.done", { n: 1 });
    await a.engine.flush(a.ns);
    const [resend, flush] = [a.engine.redeliver(a.ns, d!.id), b.engine.flush(b.ns)];
    expect(await resend).toBe("sent");
    await flush;
    const kept = (await log.get(d!.id))!.value;
    // The first attempt, then exactly one for the resend and the flush together: B waited for A's.
    expect(kept.attempts.map((a) => a.status)).toEqual([500, 500]);
    expect(r.received).toHaveLength(2);
    expect(kept).toMatchObject({ sending: false, status: "failed" });
  });

  it("keeps what a live sandbox still queues while its tick puts the takeover off", async () => {
    const { answer, release: answered } = holdOne(0);
    const r = await receiver(answer);
    const { a, b, log } = twoSandboxes(r.url, { takeoverSeconds: 0.3 });
    await a.engine.emit(a.ns, "acme", "thing.done", { n: "pending" }, "applicant");
    const [second] = await a.engine.emit(a.ns, "acme", "thing.done", { n: "reviewed" }, "applicant");
    await r.next();
    // Three times the grace, both sandboxes ticking (real time: the takeover is a matter of real time).
    for (const until = Date.now() + 900; Date.now() < until;) {
      await a.engine.renew();
      await b.engine.tick(b.ns);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(r.received).toHaveLength(1);
    expect((await log.get(second!.id))!.value.owner).toBe(second!.owner);
    answered();
    expect((await r.waitFor(2)).map((q) => q.body)).toEqual(['{"n":"pending"}', '{"n":"reviewed"}']);
  });

  it("takes over a held delivery whose sandbox stopped", async () => {
    const r = await receiver();
    const { a, b } = twoSandboxes(r.url, { takeoverSeconds: 0.05, mode: () => ({ outOfOrder: true }) });
    await a.engine.emit(a.ns, "acme", "thing.done", { n: 1 });
    await turns();
    a.engine.close();
    expect(r.received).toHaveLength(0);
    await vi.waitFor(
      async () => {
        await b.engine.tick(b.ns);
        expect(r.received).toHaveLength(1);
      },
      { timeout: 3000, interval: 50 },
    );
  });

  it("counts no attempt a closing sandbox cut short, and the next sandbox sends it", async () => {
    const hung = await receiver(() => "hang");
    const { a, b, log } = twoSandboxes(hung.url, { takeoverSeconds: 0.05 });
    const [d] = await a.engine.emit(a.ns, "acme", "thing.done", { n: 1 });
    await hung.next();
    a.engine.close();
    await vi.waitFor(async () => {
      expect((await log.get(d!.id))!.value).toMatchObject({
        attempts: [],
        sending: false,
        status: "pending",
      });
    });
    await vi.waitFor(
      async () => {
        await b.engine.tick(b.ns);
        expect(hung.received).toHaveLength(2);
      },
      { timeout: 3000, interval: 50 },
    );
  });
});

describe("checkSubscription", () => {
  const input = { vendor: "acme", url: "http://127.0.0.1:9/hook", secret: "s" };

  it("takes a vendor's own options, with their defaults", () => {
    expect(checkSubscription({ ...input, flavour: "salty", events: ["thing.done"] }, specs)).toEqual({
      ok: true,
      value: {
        vendor: "acme",
        url: input.url,
        secret: "s",
        events: ["thing.done"],
        headers: {},
        options: { flavour: "salty" },
      },
    });
    expect(checkSubscription(input, specs)).toMatchObject({
      ok: true,
      value: { options: { flavour: "plain" } },
    });
  });

  it("names the field at fault and lists what is valid", () => {
    expect(checkSubscription({ ...input, vendor: "nope" }, specs)).toEqual({
      ok: false,
      field: "vendor",
      message: "vendor: nope sends no webhooks here (one of acme)",
    });
    expect(checkSubscription({ ...input, events: ["thing.gone"] }, specs)).toEqual({
      ok: false,
      field: "events",
      message: "events: thing.gone is not a acme event (one of thing.done, thing.failed)",
    });
    expect(checkSubscription({ ...input, colour: "red" }, specs)).toEqual({
      ok: false,
      field: "colour",
      message: "colour: not a field of a acme subscription",
    });
    expect(checkSubscription({ ...input, flavour: "sweet" }, specs)).toMatchObject({
      ok: false,
      field: "flavour",
    });
    const strict = new Map([
      ["acme", { ...acme, secret: z.string().startsWith("whsec_", "must start with whsec_") }],
    ]);
    expect(checkSubscription(input, strict)).toEqual({
      ok: false,
      field: "secret",
      message: "secret: must start with whsec_",
    });
  });
});
