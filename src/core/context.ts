import type { Context } from "hono";
import type { Clock } from "./clock.js";
import type { SandboxError } from "./errors.js";
import type { IdGenerator } from "./ids.js";
import type { Store } from "./store.js";

/**
 * Writes a SandboxError as a response in one vendor's format. Each provider's errors.ts owns one; `ids` is the
 * sandbox's id generator, for vendors whose error bodies carry a fresh id (Sumsub's `correlationId`).
 */
export type ErrorRenderer = (
  error: SandboxError,
  c: Context<AppEnv>,
  ids: IdGenerator,
) => Response | Promise<Response>;

/** What one request sees of the sandbox's state: its namespace's clock and store. */
export interface Namespace {
  readonly id: string;
  readonly clock: Clock;
  readonly store: Store;
}

export interface AppEnv {
  Variables: {
    ns: Namespace;
    /** Set by each provider's sub-app (or route group) so errors leave in that vendor's format. */
    renderError?: ErrorRenderer;
  };
}
