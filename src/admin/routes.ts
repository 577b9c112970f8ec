import * as z from "zod";
import { isoAt } from "../core/clock.js";
import type { Namespace } from "../core/context.js";
import { invalidRequest } from "../core/http.js";
import { plainFormat } from "../core/error-door.js";
import { redactToken } from "../core/journal.js";
import { DEFAULT_NAMESPACE } from "../core/namespaces.js";
import { bindRoutes, defineRoute, type Route, type RouteDeclaration } from "../core/route.js";
import { forgetNamespace, type SandboxDeps } from "../deps.js";
import { nsQuery } from "./schemas.js";
import { webhookRoutes } from "./webhooks.js";

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
const activeScenarios = z.strictObject({ names: z.array(z.string().min(1)) });
const activeView = z.strictObject({ active: z.array(z.string()), scope: z.string() });
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
});

/** The admin API's routes, bound under the group `__admin`, in the sandbox's own error format. */
export function adminApi(deps: SandboxDeps): Route[] {
  return bindRoutes("__admin", [...adminRoutes(deps), ...webhookRoutes(deps)], plainFormat);
}

/** `/__admin`: health, state, the clock, scenarios, routes and the journal, each scoped to the caller's namespace. */
export function adminRoutes(deps: SandboxDeps): RouteDeclaration[] {
  /** Without a namespace, the active list is everyone's; with one, that namespace's own. */
  const activeList = (ns: Namespace) =>
    ns.id === DEFAULT_NAMESPACE
      ? { names: deps.globalScenarios, scope: "global" }
      : { names: ns.scenarios.active, scope: ns.id };
  /** Replaces the caller's active list and restarts the rule counters. */
  const setActive = (ns: Namespace, names: string[]) => {
    const target = activeList(ns);
    target.names.splice(0, target.names.length, ...names);
    ns.scenarios.counters.clear();
    return { active: names, scope: target.scope };
  };
  const viewClock = (ns: Namespace) => ({
    now: isoAt(ns.clock.now()),
    frozen: ns.clock.frozen,
    namespace: ns.id,
  });
  /** The entries of the kinds the vendors list under `list`, ids redacted where they are credentials. */
  const stateView = async (ns: Namespace, list: "tokens" | "sessions") => {
    const now = ns.clock.now();
    return (await ns.store.list()).flatMap((e) => {
      const k = deps.kinds.get(e.kind);
      if (k?.list !== list) return [];
      return [
        {
          kind: e.kind,
          id: k.secretId ? redactToken(e.id) : e.id,
          createdAt: isoAt(e.createdAt),
          expiresAt: isoAt(e.expiresAt),
          ...k.show?.(e.value, now),
        },
      ];
    });
  };
  const routeNames = new Map(
    deps.vendors.map((v) => [v.provider.name, new Set(v.routes.map((r) => r.name))] as const),
  );

  return [
    defineRoute({
      method: "get",
      path: "/health",
      summary: "Health",
      responses: { 200: { description: "ok", schema: z.strictObject({ status: z.literal("ok") }) } },
      handler: (c) => c.json({ status: "ok" }),
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
      path: "/scenarios",
      summary: "Loaded scenarios and which are active",
      request: { query: nsQuery },
      responses: {
        200: {
          description: "Scenarios",
          schema: z.strictObject({
            scenarios: z.array(
              z.strictObject({
                name: z.string(),
                description: z.string(),
                source: z.string(),
                rules: z.number(),
                rateLimits: z.boolean(),
              }),
            ),
            active: z.strictObject({ global: z.array(z.string()), namespace: z.array(z.string()) }),
            queued: z.number(),
          }),
        },
      },
      handler: (c) =>
        c.json({
          scenarios: [...deps.scenarios.values()].map((s) => ({
            name: s.name,
            description: s.description,
            source: s.source,
            rules: s.rules.length,
            rateLimits: s.rateLimits,
          })),
          active: { global: deps.globalScenarios, namespace: c.get("ns").scenarios.active },
          queued: c.get("ns").scenarios.queue.length,
        }),
    }),
    defineRoute({
      method: "put",
      path: "/scenarios/active",
      summary: "Activate scenarios for everyone (or for the namespace)",
      request: { query: nsQuery, json: { schema: activeScenarios, required: true } },
      responses: { 200: { description: "Active now", schema: activeView } },
      handler: (c, { json: { names } }) => {
        const unknown = names.filter((n) => !deps.scenarios.has(n));
        if (unknown.length > 0) throw invalidRequest(`unknown scenario: ${unknown.join(", ")}`);
        return c.json(setActive(c.get("ns"), names));
      },
    }),
    defineRoute({
      method: "delete",
      path: "/scenarios/active",
      summary: "Clear the active scenarios",
      request: { query: nsQuery },
      responses: { 200: { description: "Cleared", schema: activeView } },
      handler: (c) => c.json(setActive(c.get("ns"), [])),
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
      handler: (c, { query }) => {
        if (query.route !== undefined) {
          const among =
            query.vendor === undefined ? [...routeNames.values()] : [routeNames.get(query.vendor)];
          if (!among.some((names) => names?.has(query.route!)))
            throw invalidRequest(
              `route: ${query.route} is not a route name${query.vendor ? ` of ${query.vendor}` : ""} (GET /__admin/routes lists them)`,
              [{ field: "route", message: "unknown route name" }],
            );
        }
        return c.json({ requests: c.get("ns").journal.query(query) });
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
      handler: (c) => {
        c.get("ns").journal.clear();
        return c.json({ requests: [] });
      },
    }),
    defineRoute({
      method: "get",
      path: "/tokens",
      summary: "Tokens and codes held now (redacted)",
      request: { query: nsQuery },
      responses: { 200: { description: "Entries", schema: z.strictObject({ tokens: z.array(entryView) }) } },
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
