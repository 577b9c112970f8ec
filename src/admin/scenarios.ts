import * as z from "zod";
import type { Namespace } from "../core/context.js";
import { coreError, CoreErrorCode, SandboxError } from "../core/errors.js";
import { invalidRequest, readText } from "../core/http.js";
import { DEFAULT_NAMESPACE } from "../core/namespaces.js";
import { defineRoute, type RouteDeclaration } from "../core/route.js";
import { compileScenario, scenarioIssue, type ScenarioProblem } from "../core/scenarios/check.js";
import { outcomeSchema, scenarioSchema, type Scenario } from "../core/scenarios/schema.js";
import {
  enqueueOneShot,
  MAX_DEFINED,
  restartCounters,
  scenarioNamed,
  type ScenarioState,
} from "../core/scenarios/state.js";
import { changeGlobal, changeScenarios } from "../core/settings.js";
import { routeTables, type SandboxDeps } from "../deps.js";
import { nsQuery } from "./schemas.js";

/** Largest scenario document `PUT /__admin/scenarios/{name}` takes, as sent. */
export const MAX_SCENARIO_BYTES = 64 * 1024;
/** Paths beside `/scenarios/{name}` that are not scenario names. */
const RESERVED = new Set(["active", "enqueue"]);

/** What a run-time scenario may be called: what `X-Sandbox-Scenario` and a `scenario:<name>` value can carry. */
const scenarioName = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,64}$/, "a scenario name is 1 to 64 of A-Z a-z 0-9 . _ -")
  .refine((name) => !RESERVED.has(name), "active and enqueue are not scenario names");

const scenarioView = z.strictObject({
  name: z.string(),
  description: z.string(),
  source: z.string().describe("The file it came from, or api"),
  origin: z.enum(["file", "api"]).describe("api: defined at run time in this namespace"),
  rules: z.number(),
  rateLimits: z.boolean(),
});
const activeScenarios = z.strictObject({
  names: z.array(z.string().min(1).max(64)).max(100).describe("At most 100 names"),
});
const activeView = z.strictObject({ active: z.array(z.string()), scope: z.string() });
const enqueueInput = outcomeSchema.extend({
  vendor: z.string().min(1).describe("A vendor name"),
  route: z
    .string()
    .min(1)
    .describe("A route name of the vendor, METHOD /path/{param} (GET /__admin/routes), * wildcards"),
  times: z.number().int().min(1).optional().describe("How many matching requests it answers (1)"),
});

/** A problem with a scenario document or one-shot: a 400 whose message names the field. */
const refused = (p: ScenarioProblem) => invalidRequest(p.message, [{ field: p.field, message: p.message }]);
const conflict = (message: string) => new SandboxError("conflict", 409, message);

/**
 * `/__admin/scenarios…`: what is loaded and active, scenarios defined and removed at run time in a namespace, and
 * one-shots queued over HTTP, exactly as the library's `sandbox.enqueue` queues them.
 */
export function scenarioRoutes(deps: SandboxDeps): RouteDeclaration[] {
  const tables = routeTables(deps.vendors);
  const view = (s: Scenario, origin: "file" | "api") => ({
    name: s.name,
    description: s.description,
    source: s.source,
    origin,
    rules: s.rules.length,
    rateLimits: s.rateLimits,
  });
  /**
   * Replaces the active list: a namespace's own, or without one everyone's. A run-time scenario exists in its
   * namespace only, so the default namespace's are active there, not in the other namespaces. Every name is checked
   * against the scenarios as they are now in every sandbox sharing the store. Rule counters restart.
   */
  const setActive = async (ns: Namespace, names: string[]) => {
    const known = (state: ScenarioState) => {
      const unknown = names.filter((n) => !scenarioNamed(state, deps.scenarios, n));
      if (unknown.length > 0) throw invalidRequest(`unknown scenario: ${unknown.join(", ")}`);
    };
    if (ns.id !== DEFAULT_NAMESPACE) {
      await changeScenarios(ns, (state) => {
        known(state);
        state.active = names;
      });
      await ns.scenarios.store.forgetCounts();
      return { active: names, scope: ns.id };
    }
    // Two settings, each compared and set on its own: of two replacements at once through two sandboxes, each may
    // win one of the two lists, where the default namespace has run-time scenarios (else its own list stays empty).
    const defined = await changeScenarios(ns, (state) => {
      known(state);
      state.active = names.filter((n) => state.defined.has(n));
      return state.defined;
    });
    await changeGlobal(ns, deps.globalScenarios, (list) => {
      list.splice(0, list.length, ...names.filter((n) => !defined.has(n)));
    });
    await ns.scenarios.store.forgetCounts();
    return { active: names, scope: "global" };
  };

  return [
    defineRoute({
      method: "get",
      path: "/scenarios",
      summary: "Scenarios from files and defined in the namespace, and which are active",
      request: { query: nsQuery },
      responses: {
        200: {
          description: "Scenarios",
          schema: z.strictObject({
            scenarios: z.array(scenarioView),
            active: z.strictObject({ global: z.array(z.string()), namespace: z.array(z.string()) }),
            queued: z.number(),
          }),
        },
      },
      handler: async (c) => {
        const { scenarios } = c.get("ns");
        return c.json({
          scenarios: [
            ...[...deps.scenarios.values()].map((s) => view(s, "file")),
            ...[...scenarios.defined.values()].map((s) => view(s, "api")),
          ],
          active: { global: deps.globalScenarios, namespace: scenarios.active },
          queued: (await scenarios.store.queued()).length,
        });
      },
    }),
    // Declared before `/scenarios/{name}`: these two paths are not scenario names.
    defineRoute({
      method: "put",
      path: "/scenarios/active",
      summary: "Activate scenarios for everyone (or for the namespace)",
      request: { query: nsQuery, json: { schema: activeScenarios, required: true } },
      responses: { 200: { description: "Active now", schema: activeView } },
      errors: { 400: "An unknown scenario (named)" },
      handler: async (c, { json: { names } }) => c.json(await setActive(c.get("ns"), names)),
    }),
    defineRoute({
      method: "delete",
      path: "/scenarios/active",
      summary: "Clear the active scenarios",
      request: { query: nsQuery },
      responses: { 200: { description: "Cleared", schema: activeView } },
      handler: async (c) => c.json(await setActive(c.get("ns"), [])),
    }),
    defineRoute({
      method: "post",
      path: "/scenarios/enqueue",
      summary: "Queue a one-shot: the next matching request (or `times` of them) answers the outcome instead",
      description:
        "The body is a rule without match: vendor, route, and an outcome (error and message, or status, headers " +
        "and body, or fault, and delayMs). Queued one-shots come before every scenario; reset forgets them.",
      request: { query: nsQuery, json: { schema: enqueueInput, required: true } },
      // Named as `sandbox.enqueue` names them: `status: …`.
      invalid: (_issues, raw) => refused(scenarioIssue(raw[0]!)),
      responses: {
        200: {
          description: "Queued",
          schema: z.strictObject({
            vendor: z.string(),
            route: z.string(),
            times: z.number(),
            queued: z.number().describe("One-shots waiting in the namespace now"),
          }),
        },
      },
      errors: {
        400: "An invalid outcome, an unknown vendor or route, an error the route cannot answer, or a full queue (named)",
      },
      handler: async (c, { json: { vendor, route, times = 1, ...outcome } }) => {
        const queued = await enqueueOneShot(c.get("ns").scenarios, { vendor, route, outcome, times });
        if (!queued.ok) throw refused(queued);
        return c.json({ vendor, route, times, queued: queued.queued });
      },
    }),
    defineRoute({
      method: "put",
      path: "/scenarios/{name}",
      summary: "Define or replace a scenario in the namespace (the same document as a scenario file)",
      description:
        "Checked as a file is: every rule must name a declared route and an error its format has. Seen by the " +
        "namespace's requests only; forgotten by its reset. The name of a file's scenario cannot be taken.",
      request: {
        query: nsQuery,
        params: z.object({ name: scenarioName }),
        json: { schema: scenarioSchema, required: true },
      },
      // Named as a scenario file's problems are: `rules.0.route: …`.
      invalid: (_issues, raw) => refused(scenarioIssue(raw[0]!)),
      responses: {
        200: { description: "Replaced", schema: scenarioView },
        201: { description: "Defined", schema: scenarioView },
      },
      errors: {
        400: "An invalid document (the field named), a bad name, or the namespace's limit reached",
        409: "A scenario file has this name",
        413: "A document over 64 KiB",
      },
      handler: async (c, { params: { name }, json: document }) => {
        const ns = c.get("ns");
        const file = deps.scenarios.get(name);
        if (file)
          throw conflict(
            `${name} is the scenario of the file ${file.source}: change the file, or pick another name`,
          );
        if (Buffer.byteLength(await readText(c)) > MAX_SCENARIO_BYTES)
          throw coreError(
            CoreErrorCode.payloadTooLarge,
            `a scenario is at most ${String(MAX_SCENARIO_BYTES / 1024)} KiB`,
          );
        const checked = compileScenario(document, name, "api", tables);
        const { scenario, replacing } = await changeScenarios(ns, (state) => {
          const replacing = state.defined.has(name);
          if (!replacing && state.defined.size >= MAX_DEFINED)
            throw invalidRequest(
              `at most ${String(MAX_DEFINED)} scenarios per namespace: delete one first, or reset the namespace`,
            );
          if (!checked.ok) throw refused(checked);
          state.defined.set(name, checked.scenario);
          state.documents.set(name, document);
          return { scenario: checked.scenario, replacing };
        });
        // A replaced scenario starts over: its `times` and `every` count from nothing.
        await restartCounters(ns.scenarios, name);
        return c.json(view(scenario, "api"), replacing ? 200 : 201);
      },
    }),
    defineRoute({
      method: "delete",
      path: "/scenarios/{name}",
      summary: "Remove a scenario defined at run time (and deactivate it)",
      request: { query: nsQuery, params: z.object({ name: z.string() }) },
      responses: { 200: { description: "Removed", schema: z.strictObject({ deleted: z.string() }) } },
      errors: { 404: "No such scenario in the namespace", 409: "A scenario file's: change the file instead" },
      handler: async (c, { params: { name } }) => {
        const ns = c.get("ns");
        const file = deps.scenarios.get(name);
        if (file)
          throw conflict(`${name} is the scenario of the file ${file.source}: change the file instead`);
        await changeScenarios(ns, (state) => {
          if (!state.defined.delete(name))
            throw coreError(CoreErrorCode.notFound, `no scenario ${name} in namespace ${ns.id}`);
          state.documents.delete(name);
          state.active = state.active.filter((n) => n !== name);
        });
        await restartCounters(ns.scenarios, name);
        return c.json({ deleted: name });
      },
    }),
  ];
}
