import type { Clock } from "./clock.js";
import type { Journal } from "./journal.js";
import type { ScenarioState } from "./scenarios/state.js";
import type { Store } from "./store.js";
import type { DueList } from "./verdicts.js";
import type { WebhookState } from "./webhooks.js";

/** What one request sees of the sandbox's state: its namespace's clock, store, scenarios and journal. */
export interface Namespace {
  readonly id: string;
  readonly clock: Clock;
  readonly store: Store;
  readonly scenarios: ScenarioState;
  readonly journal: Journal;
  /** Webhook subscriptions made over the API, and deliveries. */
  readonly webhooks: WebhookState;
  /** Verdicts and vendor events that fall due on this namespace's clock. */
  readonly due: DueList;
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
  };
}
