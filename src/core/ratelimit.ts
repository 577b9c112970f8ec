import type { Namespace } from "./context.js";
import { kind } from "./store.js";

export interface Limit {
  limit: number;
  windowSeconds: number;
}

/** Limits by HTTP method (`*` for any), e.g. Sumsub's documented `{POST: 50/5 s, GET: 300/5 s}`. */
export type Limits = Readonly<Record<string, Limit>>;

const windows = kind<{ count: number }>("ratelimit.window");

/**
 * Counts one request against `key` in a fixed window on the namespace's clock. Returns the seconds until the window
 * ends when over the limit (for `Retry-After`), or undefined when the request may pass.
 */
export function overLimit(ns: Namespace, key: string, limit: Limit): number | undefined {
  const entry = ns.store.get(windows, key);
  if (!entry) {
    ns.store.put(windows, key, { count: 1 }, limit.windowSeconds);
    return undefined;
  }
  if (entry.value.count >= limit.limit)
    return Math.max(1, Math.ceil((entry.expiresAt - ns.clock.now()) / 1000));
  entry.value.count++;
  return undefined;
}

/** The limit for a method (its own, else `*`) and the selector it came from, which names its counter. */
export function limitFor(limits: Limits, method: string): [selector: string, limit: Limit] | undefined {
  const own = limits[method];
  if (own) return [method, own];
  const any = limits["*"];
  return any && ["*", any];
}

/** The sandbox's limits for a vendor that documents none (a choice, overridable in config). */
export const DEFAULT_LIMITS: Limits = { "*": { limit: 50, windowSeconds: 5 } };
