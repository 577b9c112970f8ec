import * as z from "zod";
import { isoAt } from "./clock.js";
import type { Namespace } from "./context.js";
import type { Delivery, Subscription } from "./deliveries.js";
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

/**
 * Sends vendors' events to the subscriptions of the namespace they happened in, as the vendors do: an HTTP POST
 * with a JSON body, signed per attempt, a timeout, a 2xx is success, anything else is retried after the configured
 * delays, then `failed`. At-least-once: a scenario can ask for a duplicate or for out-of-order delivery.
 *
 * One record's events (same `orderKey`) reach a subscription one at a time, in the order they happened, as a receiver
 * expects (Sumsub's applicantPending before its applicantReviewed); different records' go in parallel, up to
 * `MAX_IN_FLIGHT`. A retry waits its delay and then queues again, so a failing delivery never holds back the next.
 * Emitting never blocks the caller: the first attempt starts on a later turn.
 */
export function createWebhookEngine(options: WebhookEngineOptions) {
  const { specs, settings, ids } = options;
  /** Per `<namespace>/<subscription>/<orderKey>`: deliveries waiting their turn, and whether one is being sent. */
  const lanes = new Map<string, { queue: Delivery[]; busy: boolean; ns: Namespace }>();
  /** Per `<namespace>/<subscription>`: the out-of-order delivery waiting for the next one to go first. */
  const waitingHeld = new Map<string, Delivery>();
  const timers = new Map<Delivery, NodeJS.Timeout>();
  /** Resolvers waiting for a delivery's next attempt to end (flush, redeliver). */
  const waiters = new Map<Delivery, (() => void)[]>();
  let inFlight = 0;
  const inFlightOf = new Map<string, number>();
  /** Lanes that had something to send when no slot was free, in the order they asked. */
  const waitingLanes = new Set<string>();
  /** Deliveries sitting in a lane's queue, and those being sent: a resend of either would send it twice. */
  const queued = new Set<Delivery>();
  const sending = new Set<Delivery>();
  const controllers = new Set<AbortController>();
  let closed = false;

  const subscriptionsOf = (ns: Namespace): Subscription[] => [
    ...options.configured,
    ...ns.webhooks.subscriptions.values(),
  ];
  const subscriptionById = (ns: Namespace, id: string) =>
    ns.webhooks.subscriptions.get(id) ?? options.configured.find((s) => s.id === id);

  /** Stops a delivery's waiting retry, if it has one; whether it had. */
  const cancelRetry = (d: Delivery): boolean => {
    const timer = timers.get(d);
    if (timer) clearTimeout(timer);
    return timers.delete(d);
  };
  /** Forgets the namespace's deliveries waiting out of order for a next one. */
  const forgetHeld = (ns: Namespace) => {
    for (const key of waitingHeld.keys()) if (key.startsWith(`${ns.id}/`)) waitingHeld.delete(key);
  };

  const settle = (d: Delivery) => {
    const list = waiters.get(d);
    waiters.delete(d);
    for (const resolve of list ?? []) resolve();
  };
  const attemptEnded = (d: Delivery) =>
    new Promise<void>((resolve) => {
      waiters.set(d, [...(waiters.get(d) ?? []), resolve]);
    });

  /**
   * Keeps the newest `capacity` deliveries. Finished ones go first, so a burst never drops a delivery not yet sent
   * while a finished one is kept; only past `capacity` pending ones does the oldest pending go (its retry cancelled).
   */
  const keep = (ns: Namespace, d: Delivery) => {
    const { deliveries, capacity } = ns.webhooks;
    deliveries.set(d.id, d);
    while (deliveries.size > capacity) {
      let oldest: Delivery | undefined;
      for (const candidate of deliveries.values())
        if (candidate.status !== "pending") {
          oldest = candidate;
          break;
        }
      oldest ??= deliveries.values().next().value!;
      deliveries.delete(oldest.id);
      cancelRetry(oldest);
      settle(oldest);
    }
  };

  const laneKey = (ns: Namespace, d: Delivery) => `${ns.id}/${d.subscription}/${d.orderKey}`;

  /** Lets a held delivery go: it queues behind nothing but its own record's earlier events. */
  const release = (ns: Namespace, d: Delivery) => {
    if (!d.held) return;
    d.held = false;
    pump(laneKey(ns, d));
  };

  const enqueue = (ns: Namespace, d: Delivery) => {
    const key = laneKey(ns, d);
    let lane = lanes.get(key);
    if (!lane) {
      lane = { queue: [], busy: false, ns };
      lanes.set(key, lane);
    }
    lane.queue.push(d);
    queued.add(d);
    // Deliveries the namespace no longer keeps would only be skipped: past the bound, drop them at once.
    if (lane.queue.length > ns.webhooks.capacity)
      lane.queue = lane.queue.filter((q) => ns.webhooks.deliveries.has(q.id));
    pump(key);
  };

  /** Starts the lane's next delivery, unless it is busy or the sandbox is at its limit of attempts in flight. */
  const pump = (key: string) => {
    const lane = lanes.get(key);
    if (!lane || lane.busy || closed) return;
    const first = lane.queue[0];
    if (first === undefined) {
      lanes.delete(key);
      return;
    }
    // An out-of-order delivery waits until the subscription's next one has been sent; in its own lane, that next
    // one passes it (the swap), and nothing else does.
    const index = first.held ? lane.queue.findIndex((q) => q.releases === first) : 0;
    if (index < 0) return;
    const nsId = lane.ns.id;
    if (inFlight >= MAX_IN_FLIGHT || (inFlightOf.get(nsId) ?? 0) >= MAX_IN_FLIGHT_PER_NAMESPACE) {
      waitingLanes.add(key);
      return;
    }
    waitingLanes.delete(key);
    const [d] = lane.queue.splice(index, 1) as [Delivery];
    queued.delete(d);
    sending.add(d);
    lane.busy = true;
    inFlight++;
    inFlightOf.set(nsId, (inFlightOf.get(nsId) ?? 0) + 1);
    void send(lane.ns, d).finally(() => {
      sending.delete(d);
      lane.busy = false;
      inFlight--;
      const left = inFlightOf.get(nsId)! - 1;
      if (left === 0) inFlightOf.delete(nsId);
      else inFlightOf.set(nsId, left);
      // Sent: the held one it was waiting for goes now, after it.
      if (d.releases) release(lane.ns, d.releases);
      d.releases = undefined;
      pump(key);
      // A slot is free: the lanes that waited for one, in turn (a namespace at its own limit stays waiting).
      for (const waiting of [...waitingLanes]) {
        if (inFlight >= MAX_IN_FLIGHT) break;
        pump(waiting);
      }
    });
  };

  /** One attempt (and, for a scenario's duplicate, the second send after a success). */
  const send = async (ns: Namespace, d: Delivery): Promise<void> => {
    const subscription = subscriptionById(ns, d.subscription);
    if (!ns.webhooks.deliveries.has(d.id)) {
      settle(d);
      return;
    }
    if (!subscription) {
      // Unsubscribed while it waited: it will never be sent, and says why.
      d.status = "failed";
      d.nextAttemptAt = null;
      d.attempts.push({
        at: ns.clock.now(),
        status: null,
        error: "subscription deleted",
        durationMs: 0,
        duplicate: false,
      });
      settle(d);
      return;
    }
    const once = async (duplicate: boolean) => {
      const at = ns.clock.now();
      const spec = specs.get(d.vendor)!;
      const headers: Record<string, string> = {
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
        headers[name.toLowerCase()] = value;
      d.headers = headers;
      const started = performance.now();
      const controller = new AbortController();
      controllers.add(controller);
      const timeout = setTimeout(() => {
        controller.abort(new Error(`no answer within ${String(settings.timeoutSeconds)} s`));
      }, settings.timeoutSeconds * 1000);
      let status: number | null = null;
      let error: string | null = null;
      try {
        const res = await fetch(d.url, {
          method: "POST",
          headers: d.headers,
          body: d.body,
          redirect: "manual",
          signal: controller.signal,
        });
        status = res.status;
        // The answer's body is never read: dropped, so a receiver streaming a large one costs nothing.
        await res.body?.cancel().catch(() => undefined);
      } catch (err) {
        error = describeFailure(err, controller.signal);
      } finally {
        clearTimeout(timeout);
        controllers.delete(controller);
      }
      const durationMs = Math.round((performance.now() - started) * 1000) / 1000;
      d.attempts.push({ at, status, error, durationMs, duplicate });
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

    const ok = await once(false);
    if (ok) {
      // A scenario's duplicate goes before the delivery counts as done, so a flush waits for it too.
      if (d.duplicate && !d.attempts.some((a) => a.duplicate)) await once(true);
      d.status = "delivered";
      d.nextAttemptAt = null;
    } else {
      const retriesDone = d.attempts.filter((a) => !a.duplicate).length - 1;
      const delay = settings.retryDelaysSeconds[retriesDone];
      if (delay === undefined || d.resend) {
        d.status = "failed";
        d.nextAttemptAt = null;
      } else {
        d.status = "pending";
        d.nextAttemptAt = ns.clock.now() + delay * 1000;
        const timer = setTimeout(() => {
          timers.delete(d);
          if (ns.webhooks.deliveries.has(d.id)) enqueue(ns, d);
        }, delay * 1000);
        timer.unref();
        timers.set(d, timer);
      }
    }
    settle(d);
  };

  return {
    /** The vendor's event names, by vendor. */
    specs,
    configured: options.configured,

    /**
     * Sends `payload` (serialised once: every attempt sends the same bytes) to every subscription of `ns` that takes
     * `event`. Never waits for a receiver: resolves once the deliveries are kept (an active scenario's webhook rule
     * is counted in the store first), so a `flush` after it sees them.
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
      return targets.map((s) => {
        const d: Delivery = {
          id: `dlv_${ids.alnum(20)}`,
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
          held: false,
          resend: false,
          scenario: mode.scenario ?? null,
        };
        // Out of order: a delivery waits for the subscription's next one; that next one (held or not) goes first and
        // lets it go once sent, so pairs swap places (2, 1, 4, 3 when every delivery asks for it).
        const waitKey = `${ns.id}/${s.id}`;
        const waiting = waitingHeld.get(waitKey);
        if (waiting?.held) {
          d.releases = waiting;
          waitingHeld.delete(waitKey);
        } else if (mode.outOfOrder) {
          d.held = true;
          waitingHeld.set(waitKey, d);
        }
        keep(ns, d);
        // On a later turn: the request that caused the event answers first.
        setImmediate(() => {
          enqueue(ns, d);
        });
        return d;
      });
    },

    /**
     * Sends now every delivery of `ns` still pending (a retry waiting its delay, one held out of order) and resolves
     * once each has had its attempt: a test never sleeps for a backoff.
     */
    async flush(ns: Namespace): Promise<Delivery[]> {
      const pending = [...ns.webhooks.deliveries.values()].filter((d) => d.status === "pending");
      const ended = pending.map(attemptEnded);
      for (const d of pending) {
        d.held = false;
        // A retry waiting its delay goes now.
        if (cancelRetry(d)) enqueue(ns, d);
      }
      forgetHeld(ns);
      for (const key of lanes.keys()) pump(key);
      await Promise.all(ended);
      return pending;
    },

    /** One more attempt of a delivery, same id and body, whatever its status; resolves once it has ended. */
    async redeliver(ns: Namespace, d: Delivery): Promise<"sent" | "busy"> {
      // Being sent, or waiting its turn: a resend now would send it twice.
      if (sending.has(d) || (queued.has(d) && !d.held)) return "busy";
      cancelRetry(d);
      const ended = attemptEnded(d);
      // No retries after a resend: it is one attempt, as a vendor's dashboard "resend" is.
      d.status = "pending";
      d.resend = true;
      d.nextAttemptAt = null;
      if (d.held) release(ns, d);
      else enqueue(ns, d);
      await ended;
      d.resend = false;
      return "sent";
    },

    subscriptionsOf,
    subscriptionById,

    /** Forgets a namespace's deliveries and API subscriptions, cancelling their retries. */
    reset(ns: Namespace): void {
      for (const d of ns.webhooks.deliveries.values()) {
        cancelRetry(d);
        settle(d);
      }
      ns.webhooks.deliveries.clear();
      ns.webhooks.subscriptions.clear();
      for (const lane of lanes.values())
        if (lane.ns === ns) {
          for (const d of lane.queue) queued.delete(d);
          lane.queue.length = 0;
        }
      forgetHeld(ns);
    },

    /** Stops every retry and aborts what is in flight (the sandbox is closing). */
    close(): void {
      closed = true;
      for (const timer of timers.values()) clearTimeout(timer);
      timers.clear();
      for (const controller of controllers) controller.abort(new Error("sandbox closing"));
      for (const d of [...waiters.keys()]) settle(d);
    },
  };
}

export type WebhookEngine = ReturnType<typeof createWebhookEngine>;

/** Why an attempt got no HTTP answer, in a few words. */
function describeFailure(err: unknown, signal: AbortSignal): string {
  if (signal.aborted) return signal.reason instanceof Error ? signal.reason.message : "aborted";
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
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

const headerName = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Headers a subscription may not set: the message's framing and hops, and what the sandbox itself sends. */
const RESERVED_HEADERS = new Set([
  "content-length",
  "transfer-encoding",
  "connection",
  "keep-alive",
  "upgrade",
  "expect",
  "host",
  "te",
  "trailer",
  "content-type",
  "user-agent",
  "x-sandbox-namespace",
]);
/** Most subscriptions one namespace keeps over the API. */
export const MAX_SUBSCRIPTIONS = 100;

/** A subscription as the config file and `POST /__admin/webhooks` take it; a vendor's own options sit beside. */
export const subscriptionInputSchema = z.looseObject({
  vendor: z.string().min(1).describe("A vendor that sends webhooks"),
  url: z
    .url({ protocol: /^https?$/, error: "url must be an http:// or https:// URL" })
    .max(2048)
    .refine((url) => {
      const parsed = new URL(url);
      return parsed.username === "" && parsed.password === "";
    }, "url must not carry credentials (user:password@): use headers, e.g. Authorization"),
  secret: z.string().min(1).describe("What the vendor's signature is keyed with"),
  events: z
    .array(z.string().min(1))
    .min(1)
    .optional()
    .describe("The events to send; every event of the vendor when absent"),
  headers: z
    .record(
      z.string().regex(headerName, "a header name is letters, digits and !#$%&'*+.^_`|~-"),
      z
        .string()
        .max(4096)
        .regex(/^[\t\x20-\x7e]*$/, "a header value is visible ASCII, spaces and tabs (no line break)"),
    )
    .superRefine((headers, ctx) => {
      if (Object.keys(headers).length > 20) ctx.addIssue({ code: "custom", message: "at most 20 headers" });
      for (const name of Object.keys(headers))
        if (RESERVED_HEADERS.has(name.toLowerCase()))
          ctx.addIssue({ code: "custom", path: [name], message: "the sandbox sets this header itself" });
    })
    .optional()
    .describe("Static headers sent with every delivery, e.g. an Authorization the receiver checks"),
});
export type SubscriptionInput = z.output<typeof subscriptionInputSchema>;

/** Each spec's options schema, strict, built once (not on every subscription). */
const strictOptions = new WeakMap<WebhookSpec, z.ZodObject>();
function strictOptionsOf(spec: WebhookSpec): z.ZodObject {
  let schema = strictOptions.get(spec);
  if (!schema) strictOptions.set(spec, (schema = (spec.options ?? z.object({})).strict()));
  return schema;
}

/**
 * Checks a subscription against the vendors' webhook specs: a vendor that sends webhooks, events it sends, and its
 * own options. Returns the subscription's fields, or the field at fault and why.
 */
export function checkSubscription(
  input: SubscriptionInput,
  specs: ReadonlyMap<string, WebhookSpec>,
):
  | { ok: true; value: Omit<Subscription, "id" | "source" | "createdAt"> }
  | { ok: false; field: string; message: string } {
  const { vendor, url, secret, events, headers, ...rest } = input;
  const spec = specs.get(vendor);
  if (!spec)
    return {
      ok: false,
      field: "vendor",
      message: `vendor: ${vendor} sends no webhooks here (one of ${[...specs.keys()].join(", ")})`,
    };
  const known = Object.keys(spec.events);
  const unknown = events?.find((e) => !known.includes(e));
  if (unknown !== undefined)
    return {
      ok: false,
      field: "events",
      message: `events: ${unknown} is not a ${vendor} event (one of ${known.join(", ")})`,
    };
  const secretOk = spec.secret?.safeParse(secret);
  if (secretOk && !secretOk.success)
    return { ok: false, field: "secret", message: `secret: ${secretOk.error.issues[0]!.message}` };
  const optionsSchema = strictOptionsOf(spec);
  const parsed = optionsSchema.safeParse(rest);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field =
      issue.code === "unrecognized_keys" ? issue.keys.join(", ") : issue.path.join(".") || "(root)";
    const what =
      issue.code === "unrecognized_keys" ? `not a field of a ${vendor} subscription` : issue.message;
    return { ok: false, field, message: `${field}: ${what}` };
  }
  return {
    ok: true,
    value: { vendor, url, secret, events: events ?? null, headers: headers ?? {}, options: parsed.data },
  };
}
