import { readdir, readFile } from "node:fs/promises";
import { basename, extname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { Context } from "hono";
import * as z from "zod";
import { ConfigError } from "../config.js";
import type { AppEnv } from "./context.js";
import { parseDataFile, safeParseOnce } from "./data-file.js";
import { errorFrom, type ErrorCatalogue } from "./errors.js";
import { fieldsOf, isForm, nodeIncoming, readText } from "./http.js";

/** What happens instead of (or before) the real answer. */
export const outcomeSchema = z.strictObject({
  /** An error from the vendor's catalogue, by name: the body is exactly the vendor's format. */
  error: z.string().min(1).optional(),
  /** The error's message, where the vendor's body carries one (Sardine `message`, Sumsub `description`). */
  message: z.string().min(1).optional(),
  /** Or a raw answer. */
  status: z.number().int().min(200).max(599).optional(),
  headers: z.record(z.string(), z.string()).optional(),
  body: z.unknown().optional(),
  /** Real (wall-clock) milliseconds to wait first. Alone, the real answer follows the delay. */
  delayMs: z.number().int().min(0).max(600_000).optional(),
  /** `reset` the connection, `timeout` = never answer, `malformed` = truncated JSON, `empty` body. */
  fault: z.enum(["reset", "timeout", "malformed", "empty"]).optional(),
});
export type Outcome = z.output<typeof outcomeSchema>;

const matcherSchema = z.record(z.string(), z.string());

export const ruleSchema = outcomeSchema.extend({
  /** A vendor name, or `*` for every vendor. */
  vendor: z.string().min(1),
  /** `METHOD /path` relative to the vendor prefix; `*` in either part matches anything. Default: every route. */
  route: z.string().min(1).default("*"),
  /** Exact values the request must carry: query parameters, body fields (JSON or form), headers. */
  match: z
    .strictObject({ query: matcherSchema, body: matcherSchema, header: matcherSchema })
    .partial()
    .optional(),
  /** Apply to this many requests, then fall through to the next rule or the real answer. */
  times: z.number().int().min(1).optional(),
  /** Apply to every Nth matching request only (2 = every other one). */
  every: z.number().int().min(2).optional(),
});
export type Rule = z.output<typeof ruleSchema>;

export const scenarioSchema = z.strictObject({
  description: z.string().min(1),
  rules: z.array(ruleSchema).default([]),
  /** Turns on the vendors' rate limits while the scenario is active. */
  rateLimits: z.boolean().default(false),
});

export interface Scenario extends z.output<typeof scenarioSchema> {
  name: string;
  /** The file it came from, or `enqueue` for a programmatic one-shot. */
  source: string;
  /** Whether a rule matches body fields, so a request must be read whole to be matched (known at load). */
  readsBody: boolean;
}

/** Per-namespace scenario state: what is active there, one-shots queued from code, and rule counters. */
export interface ScenarioState {
  active: string[];
  queue: (Rule & { times: number })[];
  counters: Map<string, number>;
}

export function createScenarioState(): ScenarioState {
  return { active: [], queue: [], counters: new Map() };
}

const FILE = /\.(json|ya?ml)$/i;

/** Loads every scenario file in `dir`; an invalid one stops the start with a message naming the file and field. */
export async function loadScenarios(
  dir: string,
  catalogues: Readonly<Record<string, ErrorCatalogue>>,
): Promise<Map<string, Scenario>> {
  let files: string[];
  try {
    files = (await readdir(dir)).filter((f) => FILE.test(f)).sort();
  } catch (cause) {
    throw new ConfigError(
      `cannot read scenarios folder ${dir}: ${(cause as NodeJS.ErrnoException).code ?? "error"}`,
    );
  }
  const scenarios = new Map<string, Scenario>();
  const texts = await Promise.all(files.map((file) => readFile(join(dir, file), "utf8")));
  for (const [i, file] of files.entries()) {
    const path = join(dir, file);
    const text = texts[i]!;
    let raw: unknown;
    try {
      raw = parseDataFile(file, text);
    } catch (cause) {
      throw new ConfigError(
        `scenario file ${path} is not valid ${extname(file).slice(1)}: ${(cause as Error).message}`,
      );
    }
    const parsed = safeParseOnce(scenarioSchema, raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const field =
        issue.code === "unrecognized_keys"
          ? `${issue.path.join(".")}.${issue.keys.join(",")}`
          : issue.path.join(".");
      throw new ConfigError(
        `scenario file ${path}: ${field || "(root)"}: ${issue.code === "unrecognized_keys" ? "unknown field" : issue.message}`,
      );
    }
    parsed.data.rules.forEach((rule, i) => {
      const problem = ruleProblem(rule, catalogues);
      if (problem) throw new ConfigError(`scenario file ${path}: rules.${i}: ${problem}`);
    });
    const name = basename(file, extname(file));
    const readsBody = parsed.data.rules.some((rule) => rule.match?.body !== undefined);
    scenarios.set(name, { ...parsed.data, name, source: file, readsBody });
  }
  return scenarios;
}

/** Why a rule cannot work (unknown vendor, unknown error name, nothing to do), or undefined. */
export function ruleProblem(
  rule: Rule,
  catalogues: Readonly<Record<string, ErrorCatalogue>>,
): string | undefined {
  const vendors = rule.vendor === "*" ? Object.keys(catalogues) : [rule.vendor];
  if (rule.vendor !== "*" && !(rule.vendor in catalogues)) {
    return `vendor: must be one of ${Object.keys(catalogues).join(", ")} or *`;
  }
  if (rule.error !== undefined) {
    const missing = vendors.find((v) => !(rule.error! in catalogues[v]!));
    if (missing)
      return `error: ${rule.error} is not in ${missing}'s error catalogue (${Object.keys(catalogues[missing]!).join(", ")})`;
  }
  if (
    rule.error === undefined &&
    rule.status === undefined &&
    rule.fault === undefined &&
    rule.delayMs === undefined
  ) {
    return "a rule needs error, status, fault or delayMs";
  }
  return undefined;
}

function globToRegExp(glob: string): RegExp {
  return new RegExp(
    `^${glob
      .split("*")
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
      .join(".*")}$`,
  );
}

const routeCache = new Map<string, { method: RegExp; path: RegExp }>();
function routeMatches(pattern: string, method: string, path: string): boolean {
  let compiled = routeCache.get(pattern);
  if (!compiled) {
    const [m, p] = pattern.includes(" ") ? pattern.split(/\s+/, 2) : ["*", pattern];
    compiled = { method: globToRegExp(m!.toUpperCase()), path: globToRegExp(p!) };
    routeCache.set(pattern, compiled);
  }
  return compiled.method.test(method) && compiled.path.test(path);
}

/** What a request carries, read once, for matchers and magic values. */
export interface RequestView {
  vendor: string;
  method: string;
  /** Path within the vendor prefix. */
  path: string;
  query: Record<string, string>;
  body: Record<string, unknown>;
  header: (name: string) => string | undefined;
}

export async function viewRequest(
  c: Context<AppEnv>,
  vendor: string,
  needBody: boolean,
): Promise<RequestView> {
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
  return {
    vendor,
    method: c.req.method,
    path: c.req.path.slice(vendor.length + 1) || "/",
    query: c.req.query(),
    body,
    header: (name) => c.req.header(name),
  };
}

function matches(rule: Rule, req: RequestView): boolean {
  if (rule.vendor !== "*" && rule.vendor !== req.vendor) return false;
  if (!routeMatches(rule.route, req.method, req.path)) return false;
  const { query = {}, body = {}, header = {} } = rule.match ?? {};
  return (
    Object.entries(query).every(([k, v]) => req.query[k] === v) &&
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

/**
 * Scenario names given by magic input, for clients that cannot set headers: any query value, top-level body field,
 * or `metadata` field of the form `scenario:<name>[,<name>]` (a Sardine `sessionKey`, a Regula `metadata.scenario`).
 */
export function magicScenarios(req: RequestView): string[] {
  const metadata = req.body.metadata;
  const values = [
    ...Object.values(req.query),
    ...Object.values(req.body),
    ...(metadata !== null && typeof metadata === "object"
      ? Object.values(metadata as Record<string, unknown>)
      : []),
  ];
  return values.flatMap((v) => (typeof v === "string" ? (MAGIC.exec(v)?.[1]?.split(",") ?? []) : []));
}

export interface Chosen {
  scenario: string;
  rule: Rule;
}

/**
 * The first rule that applies to this request: queued one-shots first, then the named scenarios in order.
 * Counts the rule as applied.
 */
export function chooseRule(
  state: ScenarioState,
  loaded: ReadonlyMap<string, Scenario>,
  names: readonly string[],
  req: RequestView,
): Chosen | undefined {
  const queued = state.queue.findIndex((rule) => matches(rule, req));
  if (queued >= 0) {
    const rule = state.queue[queued]!;
    if (--rule.times <= 0) state.queue.splice(queued, 1);
    return { scenario: "enqueued", rule };
  }
  for (const name of names) {
    const scenario = loaded.get(name);
    if (!scenario) continue;
    for (const [i, rule] of scenario.rules.entries()) {
      if (!matches(rule, req)) continue;
      const key = `${name}#${String(i)}`;
      const seen = (state.counters.get(`seen:${key}`) ?? 0) + 1;
      state.counters.set(`seen:${key}`, seen);
      if (rule.every !== undefined && seen % rule.every !== 0) continue;
      const applied = state.counters.get(`applied:${key}`) ?? 0;
      if (rule.times !== undefined && applied >= rule.times) continue;
      state.counters.set(`applied:${key}`, applied + 1);
      return { scenario: name, rule };
    }
  }
  return undefined;
}

/** Longest a `timeout` fault holds a request before it lets go (the client has normally given up long before). */
const TIMEOUT_HOLD_MS = 300_000;

/**
 * Carries out a rule. Returns the response that replaces the real one, or undefined when the real answer should
 * follow (a delay alone). Errors are thrown, so they leave through the one error door in the vendor's format.
 */
export async function applyOutcome(
  c: Context<AppEnv>,
  chosen: Chosen,
  catalogue: ErrorCatalogue,
): Promise<Response | undefined> {
  const { rule } = chosen;
  c.header("X-Sandbox-Scenario", chosen.scenario);
  c.set("scenario", chosen.scenario);
  if (rule.delayMs) await sleep(rule.delayMs);
  const incoming = nodeIncoming(c);
  switch (rule.fault) {
    case "reset":
      incoming?.socket.destroy();
      return c.body(null, 500);
    case "timeout":
      await new Promise<void>((resolve) => {
        incoming?.socket.once("close", () => {
          resolve();
        });
        c.req.raw.signal.addEventListener("abort", () => {
          resolve();
        });
        setTimeout(resolve, TIMEOUT_HOLD_MS).unref();
      });
      incoming?.socket.destroy();
      return c.body(null, 504);
    case "malformed":
      return c.body('{"status":"ok","data":{"tok', 200, { "content-type": "application/json" });
    case "empty":
      return c.body(null, 200, { "content-type": "application/json" });
    case undefined:
      break;
  }
  if (rule.error !== undefined) {
    for (const [name, value] of Object.entries(rule.headers ?? {})) c.header(name, value);
    throw errorFrom(catalogue, rule.error, rule.message, { scenario: chosen.scenario });
  }
  if (rule.status !== undefined) {
    const headers = { ...rule.headers };
    if (rule.body === undefined) return c.body(null, rule.status as never, headers);
    if (typeof rule.body === "string") return c.body(rule.body, rule.status as never, headers);
    return c.json(rule.body, rule.status as never, headers);
  }
  return undefined;
}
