/**
 * What a namespace keeps of webhooks, as plain data: its subscriptions and deliveries with every attempt. The engine
 * that sends them is `webhooks.ts`.
 */

/** Where events go. `events` null: every event of the vendor. */
export interface Subscription {
  readonly id: string;
  readonly vendor: string;
  readonly url: string;
  readonly secret: string;
  readonly events: readonly string[] | null;
  /** Static headers sent with every delivery (an `Authorization` a receiver checks). */
  readonly headers: Readonly<Record<string, string>>;
  /** The vendor's own options, checked by its `options` schema. */
  readonly options: Readonly<Record<string, unknown>>;
  /** `config` (every namespace, from the config file; cannot be deleted) or `api`. */
  readonly source: "config" | "api";
  readonly createdAt: number;
}

export interface Attempt {
  /** On the namespace's clock. */
  readonly at: number;
  /** The receiver's status; null when it gave no HTTP answer. */
  readonly status: number | null;
  /** Why there was no answer (timeout, refused, reset), else null. */
  readonly error: string | null;
  readonly durationMs: number;
  /** A scenario's duplicate: the same delivery sent again after it succeeded. */
  readonly duplicate: boolean;
}

export type DeliveryStatus = "pending" | "delivered" | "failed";

export interface Delivery {
  readonly id: string;
  readonly subscription: string;
  readonly vendor: string;
  readonly event: string;
  readonly url: string;
  /** The exact bytes sent, every attempt. */
  readonly body: string;
  /** The headers of the latest attempt (signatures are per attempt: they carry its time). */
  headers: Record<string, string>;
  /** Header names (lower case) whose values are shown redacted: the subscription's own, as they were when sent. */
  readonly hidden: readonly string[];
  status: DeliveryStatus;
  attempts: Attempt[];
  readonly createdAt: number;
  /** When the next automatic retry is due, on the namespace's clock (it waits real seconds), while one is. */
  nextAttemptAt: number | null;
  /** What a scenario asked of it. */
  readonly duplicate: boolean;
  /** What orders it: deliveries with one key (one record's events) go one at a time, in order. */
  readonly orderKey: string;
  /** Held back until the subscription's next delivery has been sent (a scenario's out-of-order). */
  held: boolean;
  /** The held delivery this one lets go once it has been sent: the pair swaps places. */
  releases?: Delivery;
  /** A resend: one attempt, no retries after it. */
  resend: boolean;
  readonly scenario: string | null;
}

/** A namespace's subscriptions made over the API and its deliveries (the newest `capacity`). */
export interface WebhookState {
  readonly subscriptions: Map<string, Subscription>;
  readonly deliveries: Map<string, Delivery>;
  readonly capacity: number;
}

export function createWebhookState(capacity: number): WebhookState {
  return { subscriptions: new Map(), deliveries: new Map(), capacity };
}
