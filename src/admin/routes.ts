import * as z from "zod";
import { isoAt } from "../core/clock.js";
import type { Namespace } from "../core/context.js";
import { invalidRequest } from "../core/http.js";
import { plainFormat } from "../core/error-door.js";
import { bindRoutes, defineRoute, type Route, type RouteDeclaration } from "../core/route.js";
import { listEntries, TOKEN_STATUSES } from "../core/store.js";
import { saveClock } from "../core/settings.js";
import { forgetNamespace, type SandboxDeps } from "../deps.js";
import { scenarioRoutes } from "./scenarios.js";
import { nsQuery } from "./schemas.js";
import { webhookRoutes } from "./webhooks.js";
import { dashboardRoutes } from "./ui/index.js";

/** The last instant ISO 8601 writes with a four-digit year. */
const LAST_INSTANT = Date.parse("9999-12-31T23:59:59.999Z");

export const clockChange = z.union(
  [
    z.strictObject({ advance: z.number() }),
    z.strictObject({
      set: z.iso
        .datetime({ offset: true })
        .refine((text) => Date.parse(text) >= 0, "set: the clock must stay between 1970 and the end of 9999"),
    }),
    z.strictObject({ freeze: z.boolean() }),
    z.strictObject({ real: z.literal(true) }),
  ],
  {
    error:
      'expected {"advance": seconds}, {"set": ISO 8601}, {"freeze": true|false} or {"real": true} (follow real time again)',
  },
);
const clockView = z.strictObject({ now: z.iso.datetime(), frozen: z.boolean(), namespace: z.string() });
const requestsQuery = z.strictObject({
  vendor: z.string().optional(),
  route: z
    .string()
    .optional()
    .describe("A route name as GET /__admin/routes lists it, e.g. GET /api/sessions/{id}"),
  status: z.coerce.number().int().optional(),
  direction: z.enum(["in", "out"]).optional().describe("in: requests answered; out: webhook attempts made"),
  since: z.coerce.number().int().optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  namespace: z.string().optional(),
});
const entryView = z.strictObject({
  kind: z.string(),
  id: z.string(),
  createdAt: z.iso.datetime(),
  expiresAt: z.iso
    .datetime()
    .describe("When the state forgets it (a session is kept a while past its own expiry)"),
  status: z.string().optional().describe("Where it stands, as the vendor says it"),
  context: z.record(z.string(), z.unknown()).optional().describe("The non-secret facts it carries"),
});
const tokenView = entryView.extend({
  id: z.string().describe("Redacted: enough to recognise, not enough to use"),
  expiresAt: z.iso.datetime().describe("The token's own expiry"),
  status: z.enum(TOKEN_STATUSES).describe("Ended ones (used, revoked, expired) stay listed for an hour"),
  context: z
    .record(z.string(), z.unknown())
    .optional()
    .describe("The non-secret facts the vendor call carried: whom and what the token is for"),
});
const journalEntry = z.strictObject({
  id: z.number(),
  time: z.iso.datetime(),
  namespace: z.string(),
  direction: z.enum(["in", "out"]),
  method: z.string(),
  path: z.string(),
  vendor: z.string().nullable(),
  route: z.string().nullable(),
  status: z.number(),
  scenario: z.string().nullable(),
  durationMs: z.number(),
  error: z
    .strictObject({ name: z.string(), message: z.string() })
    .nullable()
    .describe(
      "Why it failed (status 400 or more; a webhook attempt with no answer: `network`): the error's name in the vendor's catalogue and its message, secrets redacted. Null otherwise",
    ),
});

/** The admin API's routes, bound under the group `__admin`, in the sandbox's own error format. */
export function adminApi(deps: SandboxDeps): Route[] {
  return bindRoutes(
    "__admin",
    [...adminRoutes(deps), ...scenarioRoutes(deps), ...webhookRoutes(deps), ...dashboardRoutes(deps)],
    plainFormat,
  );
}

/** `/__admin`: health, state, the clock, routes and the journal, each scoped to the caller's namespace. */
export function adminRoutes(deps: SandboxDeps): RouteDeclaration[] {
  const viewClock = (ns: Namespace) => ({
    now: isoAt(ns.clock.now()),
    frozen: ns.clock.frozen,
    namespace: ns.id,
  });
  /** The entries of the kinds the vendors list under `list`, ids redacted where they are credentials. */
  const stateView = async (ns: Namespace, list: "tokens" | "sessions") =>
    (await listEntries(ns.store, deps.kinds, list, ns.clock.now())).map((e) => ({
      ...e,
      createdAt: isoAt(e.createdAt),
      expiresAt: isoAt(e.expiresAt),
    }));
  const routeNames = new Map(
    deps.vendors.map((v) => [v.provider.name, new Set(v.routes.map((r) => r.name))] as const),
  );

  return [
    defineRoute({
      method: "get",
      path: "/health",
      public: true,
      summary: "Health: 503 while the shared store (Redis) does not answer",
      responses: {
        200: {
          description: "ok (`store` is named when it is Redis)",
          schema: z.strictObject({ status: z.literal("ok"), store: z.literal("redis").optional() }),
        },
        503: {
          description: "The shared store does not answer: vendor routes answer 503 until it does",
          schema: z.strictObject({
            status: z.literal("degraded"),
            store: z.literal("redis"),
            error: z.string(),
          }),
        },
      },
      handler: async (c) => {
        if (deps.store.kind === "memory") return c.json({ status: "ok" as const }, 200);
        const problem = await deps.store.problem();
        return problem === undefined
          ? c.json({ status: "ok" as const, store: "redis" as const }, 200)
          : c.json({ status: "degraded" as const, store: "redis" as const, error: problem }, 503);
      },
    }),
    defineRoute({
      method: "post",
      path: "/reset",
      summary:
        "Forget the namespace's state, queued one-shots, scenario counters, journal and webhook deliveries",
      request: { query: nsQuery },
      responses: {
        200: {
          description: "Reset",
          schema: z.strictObject({ status: z.literal("reset"), namespace: z.string() }),
        },
      },
      handler: async (c) => {
        await forgetNamespace(deps, c.get("ns"));
        return c.json({ status: "reset", namespace: c.get("ns").id });
      },
    }),
    defineRoute({
      method: "get",
      path: "/clock",
      summary: "The namespace's clock",
      request: { query: nsQuery },
      responses: { 200: { description: "Now", schema: clockView } },
      handler: (c) => c.json(viewClock(c.get("ns"))),
    }),
    defineRoute({
      method: "post",
      path: "/clock",
      summary: "Advance, set or freeze the namespace's clock, or let it follow real time again",
      request: { query: nsQuery, json: { schema: clockChange, required: true } },
      responses: { 200: { description: "Now", schema: clockView } },
      errors: { 400: "An invalid change, or one that would take the clock outside 1970–9999 (named)" },
      handler: async (c, { json: change }) => {
        const { clock, store } = c.get("ns");
        // Every instant the sandbox writes must be a valid date: the clock stays within what ISO 8601 can write.
        const target = "advance" in change ? clock.now() + change.advance * 1000 : undefined;
        if (target !== undefined && !(target >= 0 && target <= LAST_INSTANT))
          throw invalidRequest("advance: the clock must stay between 1970 and the end of 9999", [
            { field: "advance", message: "out of range" },
          ]);
        const to = "advance" in change ? target! : "set" in change ? Date.parse(change.set) : undefined;
        // Forward, the clock stops at every due time on the way, so what falls due meets its record still there.
        if (to !== undefined && to >= clock.now())
          await deps.verdicts.advanceTo(c.get("ns"), to, (at) => {
            clock.set(at);
          });
        else if (to !== undefined) clock.set(to);
        else if ("freeze" in change) clock.freeze(change.freeze);
        else clock.real();
        // Every sandbox sharing the store reads it before its next request in this namespace.
        await saveClock(c.get("ns"));
        // What the move made due (automatic verdicts, expiries) happens now, not on the next tick, and before the
        // sweep: a session the move took past its retention still sends its expiry first.
        await deps.verdicts.tick(c.get("ns"));
        await store.sweep();
        return c.json(viewClock(c.get("ns")));
      },
    }),
    defineRoute({
      method: "get",
      path: "/routes",
      summary: "Every vendor route, by the name scenarios and the journal use",
      responses: {
        200: {
          description: "Routes",
          schema: z.strictObject({
            routes: z.array(z.strictObject({ vendor: z.string(), route: z.string(), summary: z.string() })),
          }),
        },
      },
      handler: (c) =>
        c.json({
          routes: deps.vendors.flatMap((v) =>
            v.routes.map((r) => ({ vendor: v.provider.name, route: r.name, summary: r.definition.summary })),
          ),
        }),
    }),
    defineRoute({
      method: "get",
      path: "/requests",
      summary: "The journal, newest first",
      request: { query: requestsQuery },
      responses: {
        200: {
          description: "Recorded requests (secrets redacted)",
          schema: z.strictObject({ requests: z.array(journalEntry) }),
        },
      },
      errors: { 400: "An invalid filter, or a route that no vendor declares (named)" },
      handler: async (c, { query }) => {
        if (query.route !== undefined) {
          const among =
            query.vendor === undefined ? [...routeNames.values()] : [routeNames.get(query.vendor)];
          if (!among.some((names) => names?.has(query.route!)))
            throw invalidRequest(
              `route: ${query.route} is not a route name${query.vendor ? ` of ${query.vendor}` : ""} (GET /__admin/routes lists them)`,
              [{ field: "route", message: "unknown route name" }],
            );
        }
        return c.json({ requests: await c.get("ns").journal.query(query) });
      },
    }),
    defineRoute({
      method: "delete",
      path: "/requests",
      summary: "Clear the journal",
      request: { query: nsQuery },
      responses: {
        200: { description: "Cleared", schema: z.strictObject({ requests: z.array(journalEntry).max(0) }) },
      },
      handler: async (c) => {
        await c.get("ns").journal.clear();
        return c.json({ requests: [] });
      },
    }),
    defineRoute({
      method: "get",
      path: "/tokens",
      summary: "Tokens and codes, with whom they are for and where they stand (ids redacted)",
      request: { query: nsQuery },
      responses: { 200: { description: "Entries", schema: z.strictObject({ tokens: z.array(tokenView) }) } },
      handler: async (c) => c.json({ tokens: await stateView(c.get("ns"), "tokens") }),
    }),
    defineRoute({
      method: "get",
      path: "/sessions",
      summary: "Sessions held now",
      request: { query: nsQuery },
      responses: {
        200: { description: "Entries", schema: z.strictObject({ sessions: z.array(entryView) }) },
      },
      handler: async (c) => c.json({ sessions: await stateView(c.get("ns"), "sessions") }),
    }),
  ];
}
