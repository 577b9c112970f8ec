import type * as z from "zod";
import type { ErrorFormat } from "../errors.js";
import type { CompiledRule, Rule, Scenario, scenarioSchema, WebhookRule } from "./schema.js";

/**
 * What a rule is checked against: each vendor's declared routes, by name, with the error format each answers in, and
 * the webhook events it sends.
 */
export interface RouteTable {
  readonly vendor: string;
  readonly routes: readonly { readonly name: string; readonly key: string; readonly format: ErrorFormat }[];
  readonly events: readonly string[];
}

/** Checks a webhook rule: a vendor that sends webhooks, one of its events, and something to do. */
export function checkWebhookRule(rule: WebhookRule, tables: readonly RouteTable[]): string | undefined {
  const senders = tables.filter((t) => t.events.length > 0);
  const vendors = rule.vendor === "*" ? senders : senders.filter((t) => t.vendor === rule.vendor);
  if (vendors.length === 0)
    return `vendor: ${rule.vendor} sends no webhooks here (one of ${senders.map((t) => t.vendor).join(", ")}, or *)`;
  if (rule.event !== "*" && !vendors.some((t) => t.events.includes(rule.event)))
    return `event: ${rule.event} is not an event of ${rule.vendor} (${vendors.flatMap((t) => t.events).join(", ")})`;
  if (!rule.duplicate && !rule.outOfOrder) return "a webhook rule needs duplicate or outOfOrder";
  return undefined;
}

/**
 * Whether `text` matches `glob`, where `*` stands for any run of characters. The classic two-pointer match (back to
 * the last `*` on a mismatch): at most |glob| × |text| steps, never the exponential backtracking a `.*.*.*!` regular
 * expression takes on a near miss (one rule with eight stars held the whole sandbox for 17 s).
 */
export function globMatches(glob: string, text: string): boolean {
  let g = 0;
  let t = 0;
  let star = -1;
  let resume = 0;
  while (t < text.length) {
    if (g < glob.length && glob[g] !== "*" && glob[g] === text[t]) {
      g++;
      t++;
    } else if (g < glob.length && glob[g] === "*") {
      star = g++;
      resume = t;
    } else if (star >= 0) {
      g = star + 1;
      t = ++resume;
    } else return false;
  }
  while (g < glob.length && glob[g] === "*") g++;
  return g === glob.length;
}

/** Whether a rule's `route` (`METHOD /path`, `*` wildcards, or a bare path for any method) names a route. */
export function routePatternMatches(pattern: string): (name: string) => boolean {
  const [method, path] = pattern.includes(" ") ? pattern.split(/\s+/, 2) : ["*", pattern];
  const m = method!.toUpperCase();
  return (name) => {
    const space = name.indexOf(" ");
    return globMatches(m, name.slice(0, space)) && globMatches(path!, name.slice(space + 1));
  };
}

/**
 * Checks a rule against the declared routes and returns it with the routes it applies to, or a message saying why
 * it cannot work: an unknown vendor, a route that names none of the vendor's routes (the message lists them), an
 * error that a route's format cannot express, or nothing to do.
 */
export function compileRule(rule: Rule, tables: readonly RouteTable[]): CompiledRule | string {
  const vendors = rule.vendor === "*" ? tables : tables.filter((t) => t.vendor === rule.vendor);
  if (vendors.length === 0)
    return `vendor: ${rule.vendor} is not a vendor here (one of ${tables.map((t) => t.vendor).join(", ")}, or *)`;
  if (
    rule.error === undefined &&
    rule.status === undefined &&
    rule.fault === undefined &&
    rule.delayMs === undefined
  )
    return "a rule needs error, status, fault or delayMs";
  if (rule.route.trim().split(/\s+/).length > 2)
    return `route: "${rule.route}" must be "METHOD /path" or "/path"`;
  if (rule.body !== undefined && (rule.status === 204 || rule.status === 304))
    return `body: a ${String(rule.status)} answer has no body`;
  const named = routePatternMatches(rule.route);
  const routes = vendors.flatMap((t) => t.routes.filter((r) => named(r.name)));
  if (routes.length === 0) {
    const known = vendors.flatMap((t) => t.routes.map((r) => (rule.vendor === "*" ? r.key : r.name)));
    return `route: "${rule.route}" names no route of ${rule.vendor === "*" ? "any vendor" : rule.vendor} (routes: ${known.join("; ")})`;
  }
  if (rule.error !== undefined) {
    const cannot = routes.find((r) => !(rule.error! in r.format.catalogue));
    if (cannot)
      return `error: ${rule.error} cannot be answered on ${cannot.key}, whose errors are ${cannot.format.name} (${Object.keys(cannot.format.catalogue).join(", ")})`;
  }
  return { ...rule, routes: new Set(routes.map((r) => r.key)) };
}

/** Why a scenario document or a one-shot cannot work: the field (`rules.1`, `.colour`) and a sentence naming it. */
export interface ScenarioProblem {
  readonly ok: false;
  readonly field: string;
  readonly message: string;
}

const problem = (field: string, message: string): ScenarioProblem => ({ ok: false, field, message });

/** A schema issue of a scenario document, named as its file's message names it: the dotted path and why. */
export function scenarioIssue(issue: z.core.$ZodIssue): ScenarioProblem {
  const field =
    issue.code === "unrecognized_keys"
      ? `${issue.path.join(".")}.${issue.keys.join(",")}`
      : issue.path.join(".") || "(root)";
  const why =
    issue.code === "unrecognized_keys"
      ? "unknown field"
      : issue.code === "invalid_key"
        ? (issue.issues[0]?.message ?? issue.message)
        : issue.message;
  return problem(field, `${field}: ${why}`);
}

/**
 * Checks a scenario document that passed its schema against the declared routes, as a file or `PUT
 * /__admin/scenarios/{name}` gives it: every rule must name a route, an error its format has, something to do; every
 * webhook rule an event its vendor sends. The scenario, compiled, or the first problem (`rules.N`, `webhooks.N`).
 */
export function compileScenario(
  document: z.output<typeof scenarioSchema>,
  name: string,
  source: string,
  tables: readonly RouteTable[],
): { ok: true; scenario: Scenario } | ScenarioProblem {
  const rules: CompiledRule[] = [];
  for (const [r, rule] of document.rules.entries()) {
    const compiled = compileRule(rule, tables);
    if (typeof compiled === "string") return problem(`rules.${String(r)}`, `rules.${String(r)}: ${compiled}`);
    rules.push(compiled);
  }
  for (const [r, rule] of document.webhooks.entries()) {
    const why = checkWebhookRule(rule, tables);
    if (why !== undefined) return problem(`webhooks.${String(r)}`, `webhooks.${String(r)}: ${why}`);
  }
  const readsBody = rules.some((rule) => rule.match?.body !== undefined);
  return { ok: true, scenario: { ...document, rules, name, source, readsBody } };
}
