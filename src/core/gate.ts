import { createHash } from "node:crypto";
import type { Context } from "hono";
import type { AppEnv } from "./context.js";
import { coreError, CoreErrorCode } from "./errors.js";
import { fieldsOf, isForm, readQuery, readText } from "./http.js";
import { limitFor, overLimit, type Limits } from "./ratelimit.js";
import type { Route } from "./route.js";
import { chooseRule, magicScenarios, mayNameScenario, type RequestView } from "./scenarios/match.js";
import { applyOutcome } from "./scenarios/outcome.js";
import type { Scenario } from "./scenarios/schema.js";
import { scenarioNamed } from "./scenarios/state.js";

export interface GateOptions {
  /** Every scenario loaded from files, by name (a namespace may define more at run time). */
  scenarios: ReadonlyMap<string, Scenario>;
  /** Scenarios active in every namespace (read on each request: the admin API changes it). */
  globalScenarios: readonly string[];
  /** Rate limits on for everyone (else only while a scenario with `rateLimits: true` applies). */
  rateLimits: boolean;
  /** The vendor's limits, with the config's overrides. */
  limits: Limits;
  /** Who a request counts against. */
  credentialOf: (c: Context<AppEnv>) => string | undefined | Promise<string | undefined>;
  /** Body fields whose object values may hold magic values. */
  scenarioFields: readonly string[];
}

async function viewRequest(c: Context<AppEnv>, route: Route, needBody: boolean): Promise<RequestView> {
  let body: Record<string, unknown> = {};
  if (needBody && c.req.method !== "GET" && c.req.method !== "HEAD") {
    const text = await readText(c);
    if (isForm(c))
      body = Object.fromEntries([...fieldsOf(text)].map(([name, values]) => [name, values.at(-1)]));
    else {
      try {
        const parsed: unknown = JSON.parse(text);
        if (parsed !== null && typeof parsed === "object" && !Array.isArray(parsed))
          body = parsed as Record<string, unknown>;
      } catch {
        // Not JSON: no body fields to match.
      }
    }
  }
  // A repeated parameter: its last value, as the route's own inputs read it.
  const query = Object.fromEntries([...readQuery(c)].map(([name, values]) => [name, values.at(-1)!]));
  return { routeKey: route.key, query, params: c.req.param(), body, header: (name) => c.req.header(name) };
}

/**
 * What runs first on every vendor route: the scenarios this request selects (header, magic input, namespace,
 * global) and the rate limit. Answers a replacement response, throws a scenario's error (in the route's format), or
 * lets the route run. Does nothing costly unless a scenario or limit could apply.
 */
export function scenarioGate(options: GateOptions) {
  const { scenarios } = options;
  const enforceLimit = async (c: Context<AppEnv>, route: Route) => {
    const found = limitFor(options.limits, c.req.method);
    if (!found) return;
    const [selector, limit] = found;
    // Hashed: a counter's key names whose window it is, never the credential (a mistyped real key stays unstored).
    const credential = await options.credentialOf(c);
    const who =
      credential === undefined ? "anonymous" : createHash("sha256").update(credential).digest("base64url");
    const { store, clock } = c.get("ns");
    const retryAfter = await overLimit(store, clock.now(), `${route.group}:${selector}:${who}`, limit);
    if (retryAfter !== undefined) {
      c.header("Retry-After", String(retryAfter));
      throw coreError(
        CoreErrorCode.rateLimited,
        `rate limit of ${String(limit.limit)} per ${String(limit.windowSeconds)} s exceeded`,
      );
    }
  };

  const gate = async (c: Context<AppEnv>, route: Route): Promise<Response | undefined> => {
    const ns = c.get("ns");
    // The namespace's run-time scenarios, then the files'.
    const named = (name: string) => scenarioNamed(ns.scenarios, scenarios, name);
    const header = c.req.header("x-sandbox-scenario");
    const fromHeader = header
      ? header
          .split(",")
          .map((s) => s.trim())
          .filter(Boolean)
      : [];
    for (const name of fromHeader) {
      if (!named(name)) {
        throw coreError(CoreErrorCode.invalidRequest, `unknown scenario in X-Sandbox-Scenario: ${name}`);
      }
    }
    const mayHaveMagic =
      mayNameScenario(c.req.url) || (c.req.method !== "GET" && mayNameScenario(await readText(c)));
    const anything =
      mayHaveMagic ||
      fromHeader.length + ns.scenarios.active.length + options.globalScenarios.length > 0 ||
      ns.scenarios.queued > 0;

    if (!anything) {
      if (options.rateLimits) await enforceLimit(c, route);
      return undefined;
    }
    const names = [...fromHeader, ...ns.scenarios.active, ...options.globalScenarios];
    const needBody = mayHaveMagic || names.some((n) => named(n)?.readsBody);
    const view = await viewRequest(c, route, needBody);
    const magic = mayHaveMagic ? magicScenarios(view, options.scenarioFields) : [];
    // An unknown name is a mistake whichever way it came: the same 400 as in the header.
    const unknown = magic.find((n) => !named(n));
    if (unknown !== undefined)
      throw coreError(CoreErrorCode.invalidRequest, `unknown scenario in a scenario: value: ${unknown}`);
    const all = [...fromHeader, ...magic, ...ns.scenarios.active, ...options.globalScenarios];
    if (options.rateLimits || all.some((n) => named(n)?.rateLimits)) await enforceLimit(c, route);
    const chosen = await chooseRule(ns.scenarios, scenarios, all, view);
    return chosen ? applyOutcome(c, chosen, route.format.catalogue) : undefined;
  };

  // A GET that names no scenario, in a namespace where none is active or queued, with limits off: nothing to do, and
  // nothing to wait for (a body could carry a magic value only in another method).
  return (c: Context<AppEnv>, route: Route): Promise<Response | undefined> | undefined => {
    const ns = c.get("ns");
    if (
      c.req.method === "GET" &&
      !options.rateLimits &&
      ns.scenarios.active.length + ns.scenarios.queued + options.globalScenarios.length === 0 &&
      c.req.header("x-sandbox-scenario") === undefined &&
      !mayNameScenario(c.req.url)
    )
      return undefined;
    return gate(c, route);
  };
}
