import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import * as z from "zod";
import { isoAt, wallTime } from "./clock.js";
import type { Namespace } from "./context.js";
import { changeDelivery, type Attempt, type Delivery, type Subscription } from "./deliveries.js";
import type { IdGenerator } from "./ids.js";

/**
 * What a vendor pushes: its event names, the options a subscription to it may carry, and how a delivery is signed.
 * The engine knows no vendor: it sends bytes with the headers `sign` returns.
 */
export interface WebhookSpec {
  /** Every event the vendor sends, with the schema of its body (also the OpenAPI `webhooks` entry). */
  readonly events: Readonly<Record<string, { summary: string; body: z.ZodType }>>;
  /** Vendor options a subscription may carry (Sumsub's `digestAlg`); none unless given. */
  readonly options?: z.ZodObject;
  /** What a subscription's secret must look like (a `whsec_…` key); any non-empty string unless given. */
  readonly secret?: z.ZodType<string>;
  /** How the signature headers are described, for the README and the document. */
  readonly signing: string;
  /**
   * The headers that sign one attempt. `timestamp` is the attempt's time in Unix seconds on the namespace's clock,
   * `id` the delivery's stable id.
   */
  sign(input: {
    id: string;
    body: string;
    timestamp: number;
    secret: string;
    options: Readonly<Record<string, unknown>>;
  }): Record<string, string>;
}

export interface DeliverySettings {
  /** How long a receiver has to answer one attempt. */
  timeoutSeconds: number;
  /** Real seconds before each retry: its length is the number of retries. */
  retryDelaysSeconds: readonly number[];
  /**
   * With a shared store: how long past when its owner should have sent a delivery another sandbox sends it (its owner
   * stopped); 30 unless given.
   */
  takeoverSeconds?: number;
}

/** What a scenario asks of the deliveries of one event. */
export interface DeliveryMode {
  duplicate?: boolean;
  outOfOrder?: boolean;
  scenario?: string;
}

export interface WebhookEngineOptions {
  specs: ReadonlyMap<string, WebhookSpec>;
  /** Subscriptions in every namespace, from the config file. */
  configured: readonly Subscription[];
  settings: DeliverySettings;
  ids: IdGenerator;
  /** What decides duplicate or out-of-order delivery for an event (the active scenarios' webhook rules). */
  modeOf?: (ns: Namespace, vendor: string, event: string) => Promise<DeliveryMode | undefined>;
}

/** Most attempts in flight at once across the sandbox; the rest wait their turn in their lane. */
const MAX_IN_FLIGHT = 32;
/** Most attempts one namespace may have in flight, so one worker's slow receiver never starves another's. */
const MAX_IN_FLIGHT_PER_NAMESPACE = 8;
/** How often a flush reads a delivery another sandbox is sending, until that attempt has ended. */
const POLL_MS = 20;
/** Most deliveries one tick takes over in one namespace. */
const TAKEOVER_BATCH = 50;
/** How many deliveries the listing reads from the log at a time, newest first, until it has what it asks. */
const PAGE = 200;

/** A delivery this process will send: queued in its lane, or being sent. */
interface LaneItem {
  readonly id: string;
  /** `<namespace>/<subscription>/<orderKey>`. */
  readonly lane: string;
  /** Waits until the subscription's next delivery has been sent (out of order); only this process knows. */
  held: boolean;
  /** The held delivery this one lets go once it has been sent: the pair swaps places. */
  releases?: LaneItem;
  /** When (`wallTime`) this process last put off the delivery's `takeoverAt`: it still means to send it. */
  renewedAt: number;
}

/**
 * Sends vendors' events to the subscriptions of the namespace they happened in, as the vendors do: an HTTP POST
 * with a JSON body, signed per attempt, a timeout, a 2xx is success, anything else is retried after the configured
 * delays, then `failed`. At-least-once: a scenario can ask for a duplicate or for out-of-order delivery.
 *
 * One record's events (same `orderKey`) reach a subscription one at a time, in the order they happened, as a receiver
 * expects (Sumsub's applicantPending before its applicantReviewed); different records' go in parallel, up to
 * `MAX_IN_FLIGHT`. A retry waits its delay and then queues again, so a failing delivery never holds back the next.
 * Emitting never blocks the caller: the first attempt starts on a later turn.
 *
 * Deliveries live in the namespace's `DeliveryLog`, which sandboxes sharing a store share. The process that emitted
 * one owns it and sends its attempts; every change is a compare-and-set of the whole delivery, so of two sandboxes
 * exactly one starts an attempt. A flush or a resend through any sandbox sends from there what waits a retry or is
 * held, and waits for what another sandbox is still queuing or sending (so one record's events keep their order).
 * The owner's tick puts off `takeoverAt` of what it still holds; one whose owner stopped (a restart, a replica gone)
 * is taken over by the next sandbox whose tick finds it past its `takeoverAt`. What stays in the process is only the
 * order of sending: the lanes, and which delivery is held out of order.
 */
export function createWebhookEngine(options: WebhookEngineOptions) {
  const { specs, settings, ids } = options;
  /** This process, as the owner of the deliveries it sends. */
  const owner = ids.alnum(16);
  /** How late a delivery's owner may be before another sandbox sends it (see `takeoverAt`). */
  const graceMs = (settings.takeoverSeconds ?? 30) * 1000;
  /** The longest an attempt can take (twice its timeout with a scenario's duplicate), and the grace. */
  const leaseMs = 2 * settings.timeoutSeconds * 1000 + graceMs;
  /** Per `<namespace>/<subscription>/<orderKey>`: deliveries waiting their turn, and whether one is being sent. */
  const lanes = new Map<string, { queue: LaneItem[]; busy: boolean; ns: Namespace }>();
  /** The deliveries this process queued or is sending, by `<namespace>/<id>`: at most one item each. */
  const items = new Map<string, LaneItem>();
  const sending = new Set<string>();
  /** Per `<namespace>/<subscription>`: the out-of-order delivery waiting for the next one to go first. */
  const waitingHeld = new Map<string, LaneItem>();
  /** Retries this process waits to send, by `<namespace>/<id>`. */
  const timers = new Map<string, NodeJS.Timeout>();
  /** Resolvers waiting for a delivery's attempt here to end (flush, redeliver). */
  const waiters = new Map<string, (() => void)[]>();
  let inFlight = 0;
  const inFlightOf = new Map<string, number>();
  /** Lanes that had something to send when no slot was free, in the order they asked. */
  const waitingLanes = new Set<string>();
  const controllers = new Set<AbortController>();
  let closed = false;

  const keyOf = (ns: Namespace, id: string) => `${ns.id}/${id}`;
  const laneOf = (ns: Namespace, d: Delivery) => `${ns.id}/${d.subscription}/${d.orderKey}`;
  /** An attempt under way that has taken longer than any can: its sandbox stopped in it. */
  const abandoned = (d: Delivery, now: number) => d.sending && d.takeoverAt !== null && d.takeoverAt <= now;

  const subscriptionsOf = (ns: Namespace): Subscription[] => [
    ...options.configured,
    ...ns.webhooks.subscriptions.values(),
  ];
  const subscriptionById = (ns: Namespace, id: string) =>
    ns.webhooks.subscriptions.get(id) ?? options.configured.find((s) => s.id === id);

  /** Stops a delivery's waiting retry here, if it has one; whether it had. */
  const cancelRetry = (key: string): boolean => {
    const timer = timers.get(key);
    if (timer) clearTimeout(timer);
    return timers.delete(key);
  };
  /** Forgets the namespace's deliveries waiting out of order for a next one. */
  const forgetHeld = (ns: Namespace) => {
    for (const key of waitingHeld.keys()) if (key.startsWith(`${ns.id}/`)) waitingHeld.delete(key);
  };

  const settle = (key: string) => {
    const list = waiters.get(key);
    waiters.delete(key);
    for (const resolve of list ?? []) resolve();
  };
  const attemptEnded = (key: string) =>
    new Promise<void>((resolve) => {
      waiters.set(key, [...(waiters.get(key) ?? []), resolve]);
    });

  /** Lets go of what this process holds of a delivery its log dropped: its retry, its place in a lane. */
  const forget = (key: string) => {
    cancelRetry(key);
    const item = items.get(key);
    if (item && !sending.has(key)) {
      const lane = lanes.get(item.lane);
      if (lane) lane.queue = lane.queue.filter((q) => q !== item);
      items.delete(key);
    }
    settle(key);
  };

  /** Queues `item` in its lane: it is sent when its turn comes. */
  const enqueue = (ns: Namespace, item: LaneItem) => {
    const key = keyOf(ns, item.id);
    const there = items.get(key);
    if (there !== undefined && there !== item) return;
    items.set(key, item);
    let lane = lanes.get(item.lane);
    if (!lane) {
      lane = { queue: [], busy: false, ns };
      lanes.set(item.lane, lane);
    }
    // The namespace as it is now: one the bound forgot and that came back is another object.
    lane.ns = ns;
    lane.queue.push(item);
    pump(item.lane);
  };

  /** Lets a held delivery go: it queues behind nothing but its own record's earlier events. */
  const release = (item: LaneItem) => {
    if (!item.held) return;
    item.held = false;
    pump(item.lane);
  };

  /** Starts the lane's next delivery, unless it is busy or the sandbox is at its limit of attempts in flight. */
  const pump = (laneId: string) => {
    const lane = lanes.get(laneId);
    if (!lane || lane.busy || closed) return;
    const first = lane.queue[0];
    if (first === undefined) {
      lanes.delete(laneId);
      return;
    }
    // An out-of-order delivery waits until the subscription's next one has been sent; in its own lane, that next
    // one passes it (the swap), and nothing else does.
    const index = first.held ? lane.queue.findIndex((q) => q.releases === first) : 0;
    if (index < 0) return;
    const nsId = lane.ns.id;
    if (inFlight >= MAX_IN_FLIGHT || (inFlightOf.get(nsId) ?? 0) >= MAX_IN_FLIGHT_PER_NAMESPACE) {
      waitingLanes.add(laneId);
      return;
    }
    waitingLanes.delete(laneId);
    const [item] = lane.queue.splice(index, 1) as [LaneItem];
    const key = keyOf(lane.ns, item.id);
    sending.add(key);
    lane.busy = true;
    inFlight++;
    inFlightOf.set(nsId, (inFlightOf.get(nsId) ?? 0) + 1);
    // A store that fails leaves the delivery to whoever takes it over once its `takeoverAt` has passed.
    void send(lane.ns, item.id)
      .catch(() => undefined)
      .finally(() => {
        sending.delete(key);
        items.delete(key);
        lane.busy = false;
        inFlight--;
        const left = inFlightOf.get(nsId)! - 1;
        if (left === 0) inFlightOf.delete(nsId);
        else inFlightOf.set(nsId, left);
        settle(key);
        // Sent: the held one it was waiting for goes now, after it.
        if (item.releases) release(item.releases);
        pump(laneId);
        // A slot is free: the lanes that waited for one, in turn (a namespace at its own limit stays waiting).
        for (const waiting of [...waitingLanes]) {
          if (inFlight >= MAX_IN_FLIGHT) break;
          pump(waiting);
        }
      });
  };

  /**
   * One attempt of delivery `id` (and, for a scenario's duplicate, the second send after a success), if this process
   * still owns it and nobody is sending it: claimed in the log first, so no other sandbox sends it meanwhile.
   */
  const send = async (ns: Namespace, id: string): Promise<void> => {
    const { log } = ns.webhooks;
    const claimedAt = wallTime();
    const d = await changeDelivery(log, id, (current) =>
      current.status === "pending" && current.owner === owner && !current.sending
        ? { ...current, sending: true, held: false, takeoverAt: claimedAt + leaseMs }
        : undefined,
    );
    if (d === undefined) return;
    const subscription = subscriptionById(ns, d.subscription);
    const tries: Attempt[] = [];
    let headers = d.headers;
    const cut = { short: false };
    const once = async (subscription: Subscription, duplicate: boolean) => {
      const at = ns.clock.now();
      const spec = specs.get(d.vendor)!;
      const sent: Record<string, string> = {
        "content-type": "application/json",
        "user-agent": "idv-sandbox-webhooks",
        "x-sandbox-namespace": ns.id,
      };
      // Names in lower case, as they go on the wire: a subscription's header cannot smuggle a second signature.
      const signed = spec.sign({
        id: d.id,
        body: d.body,
        timestamp: Math.floor(at / 1000),
        secret: subscription.secret,
        options: subscription.options,
      });
      for (const [name, value] of [...Object.entries(subscription.headers), ...Object.entries(signed)])
        sent[name.toLowerCase()] = value;
      headers = sent;
      const started = performance.now();
      const controller = new AbortController();
      controllers.add(controller);
      const { status, error } = await post(d.url, sent, d.body, settings.timeoutSeconds, controller.signal);
      controllers.delete(controller);
      // Cut short by the sandbox closing: not the receiver's doing, so not an attempt.
      if (closed && status === null) {
        cut.short = true;
        return false;
      }
      const durationMs = Math.round((performance.now() - started) * 1000) / 1000;
      tries.push({ at, status, error, durationMs, duplicate });
      ns.journal.record({
        at,
        namespace: ns.id,
        direction: "out",
        method: "POST",
        path: d.url,
        vendor: d.vendor,
        route: null,
        status: status ?? 0,
        scenario: d.scenario,
        durationMs,
        error: error === null ? null : { name: "network", message: error },
      });
      return status !== null && status >= 200 && status < 300;
    };

    let ok = false;
    if (subscription === undefined) {
      // Unsubscribed while it waited: it will never be sent, and says why.
      tries.push({
        at: ns.clock.now(),
        status: null,
        error: "subscription deleted",
        durationMs: 0,
        duplicate: false,
      });
    } else {
      ok = await once(subscription, false);
      // A scenario's duplicate goes before the delivery counts as done, so a flush waits for it too.
      if (ok && d.duplicate && !d.attempts.some((a) => a.duplicate)) await once(subscription, true);
    }
    if (cut.short) {
      // Let go at once: whichever sandbox takes it over (this one, restarted) sends it.
      const now = wallTime();
      await changeDelivery(log, id, (current) =>
        current.owner === owner && current.sending
          ? { ...current, sending: false, takeoverAt: now }
          : undefined,
      );
      return;
    }
    const retriesDone = [...d.attempts, ...tries].filter((a) => !a.duplicate).length - 1;
    const delay =
      ok || subscription === undefined || d.resend ? undefined : settings.retryDelaysSeconds[retriesDone];
    const endedAt = wallTime();
    const written = await changeDelivery(log, id, (current) =>
      current.owner === owner && current.sending
        ? {
            ...current,
            headers,
            attempts: [...current.attempts, ...tries],
            status: ok ? "delivered" : delay === undefined ? "failed" : "pending",
            nextAttemptAt: delay === undefined ? null : ns.clock.now() + delay * 1000,
            takeoverAt: delay === undefined ? null : endedAt + delay * 1000 + graceMs,
            sending: false,
            resend: false,
          }
        : undefined,
    );
    if (written?.status !== "pending" || delay === undefined) return;
    const key = keyOf(ns, id);
    const timer = setTimeout(() => {
      timers.delete(key);
      enqueue(ns, { id, lane: laneOf(ns, written), held: false, renewedAt: wallTime() });
    }, delay * 1000);
    timer.unref();
    timers.set(key, timer);
  };

  /**
   * Has delivery `d` (pending, as read) had one more attempt, and resolves once it has, or is no longer pending, or
   * could not still be coming. Where it waits decides who sends it: queued or being sent here, here; waiting a retry,
   * held, or left by a sandbox past its `takeoverAt`, taken over and sent here; queued or being sent by another
   * sandbox that is still at it, there (so one record's events still go in their order). Never rejects.
   */
  const sendNow = async (ns: Namespace, d: Delivery): Promise<void> => {
    const key = keyOf(ns, d.id);
    const until = wallTime() + leaseMs + graceMs;
    try {
      while (!closed && wallTime() < until) {
        const local = items.get(key);
        if (local) {
          const ended = attemptEnded(key);
          release(local);
          await ended;
        }
        const current = (await ns.webhooks.log.get(d.id))?.value;
        if (
          current === undefined ||
          current.status !== "pending" ||
          current.attempts.length > d.attempts.length
        )
          return;
        if (items.has(key)) continue;
        const now = wallTime();
        const stillAtIt = (c: Delivery) =>
          c.owner !== owner &&
          (c.sending || (c.nextAttemptAt === null && !c.held)) &&
          c.takeoverAt !== null &&
          c.takeoverAt > now;
        if (stillAtIt(current)) {
          await new Promise((resolve) => setTimeout(resolve, POLL_MS));
          continue;
        }
        // This process's own retry timer would send it a second time.
        cancelRetry(key);
        const taken = await changeDelivery(ns.webhooks.log, d.id, (c) =>
          c.status === "pending" && (!c.sending || abandoned(c, now)) && !stillAtIt(c) && !items.has(key)
            ? { ...c, owner, sending: false, held: false, nextAttemptAt: null, takeoverAt: now + graceMs }
            : undefined,
        );
        if (taken === undefined || items.has(key)) continue;
        const ended = attemptEnded(key);
        enqueue(ns, { id: d.id, lane: laneOf(ns, taken), held: false, renewedAt: now });
        await ended;
      }
    } catch {
      // The store went away: the delivery is sent once it is back, by its owner or whoever takes it over.
    }
  };

  /** Stops what this process does for `ns`: its retries, what waits in its lanes, what is held. */
  const drop = (ns: Namespace) => {
    const prefix = `${ns.id}/`;
    for (const key of [...timers.keys()]) if (key.startsWith(prefix)) cancelRetry(key);
    for (const [laneId, lane] of lanes)
      if (lane.ns === ns) {
        for (const item of lane.queue) items.delete(keyOf(ns, item.id));
        lane.queue.length = 0;
        // A busy lane goes once its send ends.
        if (!lane.busy) {
          lanes.delete(laneId);
          waitingLanes.delete(laneId);
        }
      }
    for (const key of [...waiters.keys()]) if (key.startsWith(prefix) && !sending.has(key)) settle(key);
    forgetHeld(ns);
  };

  /** Lets go every delivery of `ns` held out of order here, and forgets which one waits for a next (a flush). */
  const releaseHeld = (ns: Namespace) => {
    forgetHeld(ns);
    for (const item of items.values()) if (item.held && item.lane.startsWith(`${ns.id}/`)) release(item);
  };

  return {
    /** The vendor's event names, by vendor. */
    specs,
    configured: options.configured,

    /**
     * Sends `payload` (serialised once: every attempt sends the same bytes) to every subscription of `ns` that takes
     * `event`. Never waits for a receiver: resolves once the deliveries are kept (an active scenario's webhook rule
     * is counted in the store first), so a `flush` after it sees them. Returns them as kept.
     */
    async emit(
      ns: Namespace,
      vendor: string,
      event: string,
      payload: unknown,
      orderKey = "",
    ): Promise<Delivery[]> {
      const targets = subscriptionsOf(ns).filter(
        (s) => s.vendor === vendor && (s.events === null || s.events.includes(event)),
      );
      if (targets.length === 0) return [];
      const body = JSON.stringify(payload);
      const mode = (await options.modeOf?.(ns, vendor, event)) ?? {};
      const kept: Delivery[] = [];
      for (const s of targets) {
        const item: LaneItem = {
          id: `dlv_${ids.alnum(20)}`,
          lane: `${ns.id}/${s.id}/${orderKey}`,
          held: false,
          renewedAt: wallTime(),
        };
        // Out of order: a delivery waits for the subscription's next one; that next one (held or not) goes first and
        // lets it go once sent, so pairs swap places (2, 1, 4, 3 when every delivery asks for it).
        const waitKey = `${ns.id}/${s.id}`;
        const waiting = waitingHeld.get(waitKey);
        if (waiting?.held) {
          item.releases = waiting;
          waitingHeld.delete(waitKey);
        } else if (mode.outOfOrder) {
          item.held = true;
          waitingHeld.set(waitKey, item);
        }
        const d: Delivery = {
          id: item.id,
          subscription: s.id,
          vendor,
          event,
          url: s.url,
          body,
          headers: {},
          hidden: Object.keys(s.headers).map((name) => name.toLowerCase()),
          status: "pending",
          attempts: [],
          createdAt: ns.clock.now(),
          nextAttemptAt: null,
          duplicate: mode.duplicate ?? false,
          orderKey,
          held: item.held,
          resend: false,
          scenario: mode.scenario ?? null,
          owner,
          sending: false,
          // Put off by this process's tick while it still holds it (queued, or held out of order).
          takeoverAt: item.renewedAt + graceMs,
        };
        const key = keyOf(ns, d.id);
        // Known here before it is queued, so a flush right after the emit waits for this process to send it.
        items.set(key, item);
        try {
          for (const dropped of await ns.webhooks.log.add(d)) forget(keyOf(ns, dropped));
        } catch (err) {
          items.delete(key);
          if (waitingHeld.get(waitKey) === item) waitingHeld.delete(waitKey);
          // The held one it would have let go waits for the next delivery again.
          if (item.releases) waitingHeld.set(waitKey, item.releases);
          throw err;
        }
        // On a later turn: the request that caused the event answers first.
        setImmediate(() => {
          if (items.get(key) === item) {
            items.delete(key);
            enqueue(ns, item);
          }
        });
        kept.push(d);
      }
      return kept;
    },

    /**
     * Sends now every delivery of `ns` still pending, wherever it waits (a retry waiting its delay, one held out of
     * order, one queued in another sandbox sharing the store) and resolves once each has had its attempt: a test never
     * sleeps for a backoff. Returns them after it.
     */
    async flush(ns: Namespace): Promise<Delivery[]> {
      const { log } = ns.webhooks;
      const pending = await log.pending();
      // Held here, whether or not still pending (another sandbox may have sent one): nothing may wait behind it.
      releaseHeld(ns);
      await Promise.all(pending.map((d) => sendNow(ns, d)));
      return Promise.all(pending.map(async (d) => (await log.get(d.id))?.value ?? d));
    },

    /**
     * One more attempt of delivery `id`, same body, whatever its status, from this process; resolves once it has
     * ended. `busy` while it is being sent or waits its turn (a resend then would send it twice), `gone` when the
     * namespace keeps no such delivery.
     */
    async redeliver(ns: Namespace, id: string): Promise<"sent" | "busy" | "gone"> {
      const key = keyOf(ns, id);
      const local = items.get(key);
      if (local && !local.held) return "busy";
      const now = wallTime();
      const seen = { busy: false };
      const taken = await changeDelivery(ns.webhooks.log, id, (d) => {
        const waitsItsTurn =
          local === undefined &&
          d.status === "pending" &&
          !d.sending &&
          !d.held &&
          d.nextAttemptAt === null &&
          (d.takeoverAt === null || d.takeoverAt > now);
        seen.busy = waitsItsTurn || (d.sending && !abandoned(d, now));
        // No retries after a resend: it is one attempt, as a vendor's dashboard "resend" is.
        return seen.busy
          ? undefined
          : {
              ...d,
              owner,
              status: "pending",
              resend: true,
              sending: false,
              held: false,
              nextAttemptAt: null,
              takeoverAt: now + graceMs,
            };
      });
      if (taken === undefined) return seen.busy ? "busy" : "gone";
      cancelRetry(key);
      // Sent from here (a held one let go), or, if a flush through another sandbox took it meanwhile, from there.
      await sendNow(ns, taken);
      return "sent";
    },

    /**
     * Puts off the takeover of every delivery this process still means to send (queued in a lane, or held out of
     * order), so no other sandbox sharing the store sends it first: once a tick, over all namespaces at once.
     */
    async renew(): Promise<void> {
      const now = wallTime();
      for (const [key, item] of items) {
        const ns = lanes.get(item.lane)?.ns;
        if (closed || !ns?.store.shared || sending.has(key) || now - item.renewedAt < graceMs / 3) continue;
        item.renewedAt = now;
        await changeDelivery(ns.webhooks.log, item.id, (d) =>
          d.owner === owner && d.status === "pending" && !d.sending
            ? { ...d, takeoverAt: now + graceMs }
            : undefined,
        );
      }
    },

    /**
     * Takes over the deliveries of `ns` whose owner should have acted by now and has not (a sandbox sharing the store
     * that stopped): each second, from the sandbox's tick. Nothing to do when no other sandbox shares the store.
     */
    async tick(ns: Namespace): Promise<void> {
      if (!ns.store.shared || closed) return;
      const now = wallTime();
      for (const id of await ns.webhooks.log.due(now, TAKEOVER_BATCH)) {
        const key = keyOf(ns, id);
        if (items.has(key)) continue;
        const taken = await changeDelivery(ns.webhooks.log, id, (d) =>
          d.status === "pending" && d.takeoverAt !== null && d.takeoverAt <= now && !items.has(key)
            ? { ...d, owner, sending: false, held: false, takeoverAt: now + graceMs }
            : undefined,
        );
        if (taken === undefined) continue;
        cancelRetry(key);
        enqueue(ns, { id, lane: laneOf(ns, taken), held: false, renewedAt: now });
      }
    },

    /** A namespace's deliveries, newest first, those `pass` takes, at most `limit`. */
    async list(
      ns: Namespace,
      limit: number,
      pass: (d: Delivery) => boolean = () => true,
    ): Promise<Delivery[]> {
      const out: Delivery[] = [];
      for (let offset = 0; out.length < limit; offset += PAGE) {
        const page = await ns.webhooks.log.newest(offset, PAGE);
        for (const d of page) if (out.length < limit && pass(d)) out.push(d);
        if (page.length < PAGE) break;
      }
      return out;
    },

    /** One delivery of `ns`, as kept. */
    async delivery(ns: Namespace, id: string): Promise<Delivery | undefined> {
      return (await ns.webhooks.log.get(id))?.value;
    },

    subscriptionsOf,

    /** Forgets a namespace's deliveries and API subscriptions, cancelling their retries. */
    async reset(ns: Namespace): Promise<void> {
      drop(ns);
      ns.webhooks.subscriptions.clear();
      await ns.webhooks.log.clear();
    },

    /**
     * This process lets go of `ns` (the namespace bound forgot it here): its retries and queued sends stop, and
     * whatever a shared log keeps of them is taken over by a sandbox that still serves the namespace.
     */
    drop,

    /** Stops every retry and aborts what is in flight (the sandbox is closing). */
    close(): void {
      closed = true;
      for (const timer of timers.values()) clearTimeout(timer);
      timers.clear();
      for (const controller of controllers) controller.abort(new Error("sandbox closing"));
      for (const key of [...waiters.keys()]) settle(key);
    },
  };
}

export type WebhookEngine = ReturnType<typeof createWebhookEngine>;

/**
 * One POST of `body` to `url`: the receiver's status, or why it gave none (timeout, refused, reset, `signal` aborted)
 * in a few words. Its own connection, closed once the status line has come: the answer's body is never read (a
 * receiver streaming a large one costs nothing), and nothing stays open to a receiver. Node's `fetch` would keep a
 * connection it opens again after an aborted request (undici #5845), so a receiver that never answers would hold
 * one idle socket past the attempt.
 */
function post(
  url: string,
  headers: Readonly<Record<string, string>>,
  body: string,
  timeoutSeconds: number,
  signal: AbortSignal,
): Promise<{ status: number | null; error: string | null }> {
  return new Promise((resolve) => {
    const target = new URL(url);
    const request = (target.protocol === "https:" ? httpsRequest : httpRequest)(target, {
      method: "POST",
      headers: { ...headers, "content-length": String(Buffer.byteLength(body)) },
      agent: false,
    });
    let ended = false;
    const end = (status: number | null, error: string | null) => {
      if (ended) return;
      ended = true;
      clearTimeout(timer);
      signal.removeEventListener("abort", aborted);
      request.destroy();
      resolve({ status, error });
    };
    const timer = setTimeout(() => {
      end(null, `no answer within ${String(timeoutSeconds)} s`);
    }, timeoutSeconds * 1000);
    const aborted = () => {
      end(null, signal.reason instanceof Error ? signal.reason.message : "aborted");
    };
    signal.addEventListener("abort", aborted, { once: true });
    request.once("response", (res) => {
      end(res.statusCode ?? null, null);
    });
    // Kept after the end: destroying a request that had no answer yet emits one more ("socket hang up").
    request.on("error", (err: NodeJS.ErrnoException) => {
      end(null, err.code ?? err.message);
    });
    request.end(body);
  });
}

/** A delivery as the admin API shows it: times as ISO 8601, static headers its subscription added redacted. */
export function deliveryView(d: Delivery) {
  const hidden = new Set(d.hidden);
  return {
    id: d.id,
    subscription: d.subscription,
    vendor: d.vendor,
    event: d.event,
    url: d.url,
    status: d.status,
    body: d.body,
    headers: Object.fromEntries(
      Object.entries(d.headers).map(([name, value]) => [
        name,
        hidden.has(name.toLowerCase()) ? "[redacted]" : value,
      ]),
    ),
    attempts: d.attempts.map((a) => ({ ...a, at: isoAt(a.at) })),
    createdAt: isoAt(d.createdAt),
    nextAttemptAt: d.nextAttemptAt === null ? null : isoAt(d.nextAttemptAt),
    scenario: d.scenario,
  };
}

export const deliveryViewSchema = z.strictObject({
  id: z.string(),
  subscription: z.string(),
  vendor: z.string(),
  event: z.string(),
  url: z.string(),
  status: z.enum(["pending", "delivered", "failed"]),
  body: z.string().describe("The exact bytes sent"),
  headers: z
    .record(z.string(), z.string())
    .describe("Of the latest attempt; a subscription's own headers redacted"),
  attempts: z.array(
    z.strictObject({
      at: z.iso.datetime(),
      status: z.number().int().nullable(),
      error: z.string().nullable(),
      durationMs: z.number(),
      duplicate: z.boolean(),
    }),
  ),
  createdAt: z.iso.datetime(),
  nextAttemptAt: z.iso.datetime().nullable().describe("When the next retry is due (it waits real time)"),
  scenario: z.string().nullable(),
});
