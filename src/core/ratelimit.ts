import type { Store } from "./store.js";

export interface Limit {
  limit: number;
  windowSeconds: number;
}

/** Limits by HTTP method (`*` for any), e.g. `{POST: 50 per 5 s, GET: 300 per 5 s}`. */
export type Limits = Readonly<Record<string, Limit>>;

/**
 * Counts one request against `key` in a fixed window on the store's clock. Returns the seconds until the window ends
 * when over the limit (for `Retry-After`), or undefined when the request may pass.
 */
export async function overLimit(
  store: Store,
  now: number,
  key: string,
  limit: Limit,
): Promise<number | undefined> {
  const { count, resetAt } = await store.hit(key, limit.windowSeconds);
  return count > limit.limit ? Math.max(1, Math.ceil((resetAt - now) / 1000)) : undefined;
}

/** The limit for a method (its own, else `*`) and the selector it came from, which names its counter. */
export function limitFor(limits: Limits, method: string): [selector: string, limit: Limit] | undefined {
  if (Object.hasOwn(limits, method)) return [method, limits[method]!];
  return Object.hasOwn(limits, "*") ? ["*", limits["*"]!] : undefined;
}

/** The sandbox's limits for a vendor that documents none (a choice, overridable in config). */
export const DEFAULT_LIMITS: Limits = { "*": { limit: 50, windowSeconds: 5 } };
