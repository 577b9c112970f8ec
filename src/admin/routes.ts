import { Hono } from "hono";
import * as z from "zod";
import type { SandboxDeps } from "../app.js";
import { isoAt } from "../core/clock.js";
import type { AppEnv, Namespace } from "../core/context.js";
import { invalidRequest, parseWith, readJson } from "../core/http.js";
import { redactToken } from "../core/journal.js";
import { DEFAULT_NAMESPACE, resetNamespace } from "../core/namespaces.js";

export const clockChange = z.union(
  [
    z.strictObject({ advance: z.number() }),
    z.strictObject({ set: z.iso.datetime({ offset: true }) }),
    z.strictObject({ freeze: z.boolean() }),
  ],
  { error: 'expected {"advance": seconds}, {"set": ISO 8601} or {"freeze": true|false}' },
);
export const activeScenarios = z.strictObject({ names: z.array(z.string().min(1)) });
export const requestsQuery = z.strictObject({
  vendor: z.string().optional(),
  route: z.string().optional(),
  status: z.coerce.number().int().optional(),
  since: z.coerce.number().int().optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  namespace: z.string().optional(),
});

/** State entries as the admin API shows them: ids that are tokens are redacted. */
function stateView(ns: Namespace, kinds: (kind: string) => boolean) {
  return ns.store
    .list()
    .filter((e) => kinds(e.kind))
    .map((e) => ({
      kind: e.kind,
      id: /session/.test(e.kind) ? e.id : redactToken(e.id),
      createdAt: isoAt(e.createdAt),
      expiresAt: isoAt(e.expiresAt),
    }));
}

/** `/__admin`: health, state, the clock, scenarios and the journal, each scoped to the caller's namespace. */
export function adminRoutes(deps: SandboxDeps): Hono<AppEnv> {
  const admin = new Hono<AppEnv>();
  /** Without a namespace, the active list is everyone's; with one, that namespace's own. */
  const activeList = (ns: Namespace) =>
    ns.id === DEFAULT_NAMESPACE
      ? { names: deps.globalScenarios, scope: "global" }
      : { names: ns.scenarios.active, scope: ns.id };

  admin.get("/health", (c) => c.json({ status: "ok" }));

  admin.post("/reset", (c) => {
    resetNamespace(c.get("ns"));
    return c.json({ status: "reset", namespace: c.get("ns").id });
  });

  const clockView = (ns: Namespace) => ({
    now: isoAt(ns.clock.now()),
    frozen: ns.clock.frozen,
    namespace: ns.id,
  });
  admin.get("/clock", (c) => c.json(clockView(c.get("ns"))));
  admin.post("/clock", async (c) => {
    const change = parseWith(clockChange, await readJson(c));
    const { clock, store } = c.get("ns");
    if ("advance" in change) clock.advance(change.advance);
    else if ("set" in change) clock.set(new Date(change.set));
    else clock.freeze(change.freeze);
    store.sweep();
    return c.json(clockView(c.get("ns")));
  });

  admin.get("/scenarios", (c) =>
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
  );
  /** Replaces the caller's active list and restarts the rule counters. */
  const setActive = (ns: Namespace, names: string[]) => {
    const target = activeList(ns);
    target.names.splice(0, target.names.length, ...names);
    ns.scenarios.counters.clear();
    return { active: names, scope: target.scope };
  };
  admin.put("/scenarios/active", async (c) => {
    const { names } = parseWith(activeScenarios, await readJson(c));
    const unknown = names.filter((n) => !deps.scenarios.has(n));
    if (unknown.length > 0) throw invalidRequest(`unknown scenario: ${unknown.join(", ")}`);
    return c.json(setActive(c.get("ns"), names));
  });
  admin.delete("/scenarios/active", (c) => c.json(setActive(c.get("ns"), [])));

  admin.get("/requests", (c) => {
    const query = parseWith(requestsQuery, c.req.query());
    return c.json({ requests: c.get("ns").journal.query(query) });
  });
  admin.delete("/requests", (c) => {
    c.get("ns").journal.clear();
    return c.json({ requests: [] });
  });

  admin.get("/tokens", (c) =>
    c.json({
      tokens: stateView(
        c.get("ns"),
        (k) => !k.startsWith("ratelimit") && !k.includes("session") && !k.includes("family"),
      ),
    }),
  );
  admin.get("/sessions", (c) => c.json({ sessions: stateView(c.get("ns"), (k) => k.includes("session")) }));

  return admin;
}
