import type { CompiledRule, Scenario, WebhookRule } from "./schema.js";
import { queuedRule, scenarioNamed, type QueuedRule, type ScenarioState } from "./state.js";

/** What a request carries, read once, for matchers and magic values. */
export interface RequestView {
  /** `<vendor> <route name>` of the route that answers. */
  routeKey: string;
  query: Record<string, string>;
  /** The route's path parameters (`{id}` of `GET /api/sessions/{id}`). */
  params: Record<string, string>;
  body: Record<string, unknown>;
  header: (name: string) => string | undefined;
}

function matches(rule: CompiledRule, req: RequestView): boolean {
  if (!rule.routes.has(req.routeKey)) return false;
  if (rule.match === undefined) return true;
  const { query = {}, params = {}, body = {}, header = {} } = rule.match;
  return (
    Object.entries(query).every(([k, v]) => req.query[k] === v) &&
    Object.entries(params).every(([k, v]) => req.params[k] === v) &&
    Object.entries(body).every(([k, v]) => {
      const given = req.body[k];
      return (
        (typeof given === "string" || typeof given === "number" || typeof given === "boolean") &&
        String(given) === v
      );
    }) &&
    Object.entries(header).every(([k, v]) => req.header(k) === v)
  );
}

const MAGIC = /^scenario:([A-Za-z0-9._,-]+)$/;

/** Whether text may carry a magic `scenario:<name>` value (plain or URL-encoded): only then is it parsed for one. */
export const mayNameScenario = (text: string): boolean =>
  text.includes("scenario:") || text.includes("scenario%3A");

/**
 * Scenario names given by magic input, for clients that cannot set headers: any query value, top-level body field,
 * or field of the objects the vendor names in `nested` (e.g. a `metadata` object), of the form
 * `scenario:<name>[,<name>]`.
 */
export function magicScenarios(req: RequestView, nested: readonly string[]): string[] {
  const values: unknown[] = [...Object.values(req.query), ...Object.values(req.body)];
  for (const field of nested) {
    const inner = req.body[field];
    if (inner !== null && typeof inner === "object") values.push(...(Object.values(inner) as unknown[]));
  }
  return values.flatMap((v) => (typeof v === "string" ? (MAGIC.exec(v)?.[1]?.split(",") ?? []) : []));
}

/**
 * Counts a matching request for a rule and whether its `every` and `times` let it apply (then counted as applied).
 * The counts are the store's, so `times: 1` answers once across every sandbox sharing it.
 */
async function applies(
  state: ScenarioState,
  key: string,
  rule: { every?: number; times?: number },
): Promise<boolean> {
  const seen = await state.store.count(`seen:${key}`);
  if (rule.every !== undefined && seen! % rule.every !== 0) return false;
  return (await state.store.count(`applied:${key}`, rule.times)) !== undefined;
}

export interface Chosen {
  scenario: string;
  rule: CompiledRule;
}

/** The first queued one-shot that matches, with one of its uses taken; another request may take the last first. */
async function takeQueued(state: ScenarioState, req: RequestView): Promise<QueuedRule | undefined> {
  const items = await state.store.queued();
  state.queued = items.length;
  const ids = new Set(items.map((q) => q.id));
  for (const id of state.compiled.keys()) if (!ids.has(id)) state.compiled.delete(id);
  for (const { id, item, uses } of items) {
    const rule = queuedRule(state, id, item, uses);
    if (!matches(rule, req) || !(await state.store.useQueued(id))) continue;
    if (uses <= 1) {
      state.compiled.delete(id);
      state.queued--;
    }
    return rule;
  }
  return undefined;
}

/**
 * The first rule that applies to this request: queued one-shots first, then the named scenarios in order (each the
 * namespace's run-time one, else the file's). Counts the rule as applied.
 */
export async function chooseRule(
  state: ScenarioState,
  loaded: ReadonlyMap<string, Scenario>,
  names: readonly string[],
  req: RequestView,
): Promise<Chosen | undefined> {
  if (state.queued > 0) {
    const rule = await takeQueued(state, req);
    if (rule) return { scenario: "enqueued", rule };
  }
  for (const name of names) {
    const scenario = scenarioNamed(state, loaded, name);
    if (!scenario) continue;
    for (const [i, rule] of scenario.rules.entries()) {
      if (matches(rule, req) && (await applies(state, `${name}#${String(i)}`, rule)))
        return { scenario: name, rule };
    }
  }
  return undefined;
}

/**
 * The first webhook rule of the active scenarios that applies to an event, counted as applied (`times`, `every`
 * counters live with the namespace's other rule counters).
 */
export async function chooseWebhookRule(
  state: ScenarioState,
  loaded: ReadonlyMap<string, Scenario>,
  names: readonly string[],
  vendor: string,
  event: string,
): Promise<{ scenario: string; rule: WebhookRule } | undefined> {
  for (const name of names) {
    const scenario = scenarioNamed(state, loaded, name);
    if (!scenario) continue;
    for (const [i, rule] of scenario.webhooks.entries()) {
      if ((rule.vendor !== "*" && rule.vendor !== vendor) || (rule.event !== "*" && rule.event !== event))
        continue;
      if (await applies(state, `${name}#webhook${String(i)}`, rule)) return { scenario: name, rule };
    }
  }
  return undefined;
}
