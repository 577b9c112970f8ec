import type { Context, MiddlewareHandler } from "hono";
import type { Clock } from "./clock.js";
import type { SandboxError } from "./errors.js";
import type { IdGenerator } from "./ids.js";
import type { Journal } from "./journal.js";
import type { ScenarioState } from "./scenarios.js";
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

/** What one request sees of the sandbox's state: its namespace's clock, store, scenarios and journal. */
export interface Namespace {
  readonly id: string;
  readonly clock: Clock;
  readonly store: Store;
  readonly scenarios: ScenarioState;
  readonly journal: Journal;
}

export interface AppEnv {
  Variables: {
    ns: Namespace;
    /**
     * The public base URL as this request sees it: the sandbox's public URL, plus `/ns/<id>` in a namespace, so
     * every URL and issuer the sandbox writes keeps the caller's flow in its namespace.
     */
    baseUrl: string;
    /** Set by each provider's sub-app (or route group) so errors leave in that vendor's format. */
    renderError?: ErrorRenderer;
    /** The scenario that shaped this answer, for the journal. */
    scenario?: string;
  };
}

/** Middleware that makes every error under its path leave in `renderer`'s format (a page, the OAuth error JSON). */
export function errorsAs(renderer: ErrorRenderer): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    c.set("renderError", renderer);
    await next();
  };
}

/** `{"message": ...}` with the error's status: the body Sardine's and Regula's clients read. */
export const renderMessage: ErrorRenderer = (error, c) => c.json({ message: error.message }, error.status);
