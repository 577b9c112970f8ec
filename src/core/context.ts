import type { Clock } from "./clock.js";
import type { Journal, JournalError } from "./journal.js";
import type { ScenarioState } from "./scenarios/state.js";
import type { Store } from "./store.js";
import type { WebhookState } from "./deliveries.js";

/** What one request sees of the sandbox's state: its namespace's clock, store, scenarios and journal. */
export interface Namespace {
  readonly id: string;
  readonly clock: Clock;
  readonly store: Store;
  readonly scenarios: ScenarioState;
  readonly journal: Journal;
  /** Webhook subscriptions made over the API, and deliveries. */
  readonly webhooks: WebhookState;
}

/**
 * Something that falls due on a namespace's clock: a verdict to give, or the subject's own `due` (an expiry). Kept in
 * the namespace's store (`schedule`), so whichever sandbox sharing it reaches the time first gives it, once.
 */
export interface DueItem {
  readonly at: number;
  readonly vendor: string;
  readonly subject: string;
  readonly id: string;
  /** Undefined: the subject's `due`. */
  readonly verdict?: string;
}

export interface AppEnv {
  Variables: {
    ns: Namespace;
    /**
     * The public base URL as this request sees it: the sandbox's public URL, plus `/ns/<id>` in a namespace, so
     * every URL and issuer the sandbox writes keeps the caller's flow in its namespace.
     */
    baseUrl: string;
    /** The scenario that shaped this answer, for the journal. */
    scenario?: string;
    /** The error this request answered with (set by the error door), for the journal: unredacted. */
    error?: JournalError;
  };
}
