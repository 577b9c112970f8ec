import * as z from "zod";
import { bounded } from "../limits.js";

/** What happens instead of (or before) the real answer. */
export const outcomeSchema = z.strictObject({
  /** An error from the route's error format, by name: the body is exactly the vendor's. */
  error: z.string().min(1).optional(),
  /** The error's message, where the format's body carries one. */
  message: z.string().min(1).optional(),
  /** Or a raw answer. */
  status: z.number().int().min(200).max(599).optional(),
  headers: z
    .record(
      z
        .string()
        .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, "a header name is letters, digits and !#$%&'*+.^_`|~-"),
      z.string().regex(/^[^\r\n\0]*$/, "a header value holds no line break"),
    )
    .optional(),
  /** Within the free-form limits (64 KiB as JSON, 32 deep): an answer a scenario gives is read on every match. */
  body: bounded(z.unknown()).optional(),
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
  /**
   * A route name of the vendor, `METHOD /path` as the vendor's routes are declared (`GET /things/{id}`); `*` in
   * either part matches anything. Default: every route. It must match at least one declared route.
   */
  route: z.string().min(1).default("*"),
  /** Exact values the request must carry: query parameters, path parameters, body fields (JSON or form), headers. */
  match: z
    .strictObject({ query: matcherSchema, params: matcherSchema, body: matcherSchema, header: matcherSchema })
    .partial()
    .optional(),
  /** Apply to this many requests, then fall through to the next rule or the real answer. */
  times: z.number().int().min(1).optional(),
  /** Apply to every Nth matching request only (2 = every other one). */
  every: z.number().int().min(2).optional(),
});
export type Rule = z.output<typeof ruleSchema>;

/** What happens to the webhooks a vendor sends while the scenario is active. */
export const webhookRuleSchema = z.strictObject({
  /** A vendor that sends webhooks, or `*`. */
  vendor: z.string().min(1),
  /** One of the vendor's events, or `*` (the default). */
  event: z.string().min(1).default("*"),
  /** Send each matching delivery twice (the same id and body): a receiver must be idempotent. */
  duplicate: z.boolean().optional(),
  /** Hold each matching delivery until the next one to the subscription, which goes first: pairs swap places. */
  outOfOrder: z.boolean().optional(),
  times: z.number().int().min(1).optional(),
  every: z.number().int().min(2).optional(),
});
export type WebhookRule = z.output<typeof webhookRuleSchema>;

export const scenarioSchema = z.strictObject({
  description: z.string().min(1),
  rules: z.array(ruleSchema).default([]),
  webhooks: z.array(webhookRuleSchema).default([]),
  /** Turns on the vendors' rate limits while the scenario is active. */
  rateLimits: z.boolean().default(false),
});

/** A rule checked against the declared routes: the keys (`<vendor> <route name>`) of every route it applies to. */
export interface CompiledRule extends Rule {
  readonly routes: ReadonlySet<string>;
}

export interface Scenario extends Omit<z.output<typeof scenarioSchema>, "rules"> {
  name: string;
  rules: CompiledRule[];
  /** The file it came from. */
  source: string;
  /** Whether a rule matches body fields, so a request must be read whole to be matched (known at load). */
  readsBody: boolean;
}
