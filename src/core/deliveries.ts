/**
 * What a namespace keeps of webhooks, as plain data: its subscriptions, and its deliveries with every attempt in a
 * `DeliveryLog` (this process's memory, or Redis so that every sandbox sharing it lists, sends and resends the same
 * deliveries). The engine that sends them is `webhooks.ts`.
 */

import { changeRevised } from "./store.js";

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

/**
 * One event for one subscription, as kept: never changed in place, only replaced as a whole in its log (compare and
 * set), so two sandboxes sharing the log never both send one attempt.
 */
export interface Delivery {
  readonly id: string;
  readonly subscription: string;
  readonly vendor: string;
  readonly event: string;
  readonly url: string;
  /** The exact bytes sent, every attempt. */
  readonly body: string;
  /** The headers of the latest attempt (signatures are per attempt: they carry its time). */
  readonly headers: Readonly<Record<string, string>>;
  /** Header names (lower case) whose values are shown redacted: the subscription's own, as they were when sent. */
  readonly hidden: readonly string[];
  readonly status: DeliveryStatus;
  readonly attempts: readonly Attempt[];
  readonly createdAt: number;
  /** When the next automatic retry is due, on the namespace's clock (it waits real seconds), while one is. */
  readonly nextAttemptAt: number | null;
  /** What a scenario asked of it. */
  readonly duplicate: boolean;
  /** What orders it: deliveries with one key (one record's events) go one at a time, in order. */
  readonly orderKey: string;
  /** Held back until the subscription's next delivery has been sent (a scenario's out-of-order). */
  readonly held: boolean;
  /** A resend: one attempt, no retries after it. */
  readonly resend: boolean;
  readonly scenario: string | null;
  /** The sandbox process that sends it next: it alone starts its attempts, unless another takes it over. */
  readonly owner: string;
  /** An attempt is under way (in `owner`). */
  readonly sending: boolean;
  /**
   * Real time (`wallTime`) from which any sandbox sharing the log may take it over, because its owner should have
   * acted by then (stopped, or lost): null while nobody need act (finished, or held out of order).
   */
  readonly takeoverAt: number | null;
}

/** A delivery with the revision its log gave it: what `replace` compares. */
export interface Revised {
  readonly value: Delivery;
  readonly rev: number;
}

/**
 * A namespace's deliveries, the newest `capacity` of them. Writes are whole and compare-and-set: one step each, on
 * Redis a script, so a sandbox that decides from what it read never overwrites what another wrote in between.
 */
export interface DeliveryLog {
  /**
   * Keeps a new delivery. Past `capacity`, finished ones go first, so a burst never drops a delivery not yet sent
   * while a finished one is kept; only past `capacity` pending ones does the oldest pending go. Returns the ids dropped.
   */
  add(d: Delivery): Promise<string[]>;
  get(id: string): Promise<Revised | undefined>;
  /** Writes `d` under its id only if it is still revision `rev`: whether it did. */
  replace(rev: number, d: Delivery): Promise<boolean>;
  /** Up to `count` deliveries, newest first, skipping the `offset` newest (a page of the listing). */
  newest(offset: number, count: number): Promise<Delivery[]>;
  /** The pending deliveries, oldest first. */
  pending(): Promise<Delivery[]>;
  /** The ids whose `takeoverAt` is at or before `at`, earliest first, at most `limit`. */
  due(at: number, limit: number): Promise<string[]>;
  clear(): Promise<void>;
}

/**
 * Applies `change` to delivery `id` with compare-and-set, reading again when another writer got there first. `change`
 * returns the delivery to write, or undefined to leave it; the result is what was written, or undefined.
 */
export function changeDelivery(
  log: DeliveryLog,
  id: string,
  change: (d: Delivery) => Delivery | undefined,
): Promise<Delivery | undefined> {
  return changeRevised(
    () => log.get(id),
    async (rev, next: Delivery) => ((await log.replace(rev, next)) ? next : undefined),
    change,
  );
}

/** A namespace's subscriptions made over the API and its deliveries. */
export interface WebhookState {
  readonly subscriptions: Map<string, Subscription>;
  readonly log: DeliveryLog;
}

/** The deliveries in this process's memory: a map in creation order. */
export function createMemoryDeliveryLog(capacity: number): DeliveryLog {
  const kept = new Map<string, Revised>();
  return {
    add(d) {
      kept.set(d.id, { value: d, rev: 1 });
      const dropped: string[] = [];
      while (kept.size > capacity) {
        let oldest: string | undefined;
        for (const [id, { value }] of kept)
          if (value.status !== "pending") {
            oldest = id;
            break;
          }
        oldest ??= kept.keys().next().value!;
        kept.delete(oldest);
        dropped.push(oldest);
      }
      return Promise.resolve(dropped);
    },
    get: (id) => Promise.resolve(kept.get(id)),
    replace(rev, d) {
      const current = kept.get(d.id);
      if (current?.rev !== rev) return Promise.resolve(false);
      kept.set(d.id, { value: d, rev: rev + 1 });
      return Promise.resolve(true);
    },
    newest(offset, count) {
      const all = [...kept.values()];
      const end = Math.max(0, all.length - offset);
      return Promise.resolve(
        all
          .slice(Math.max(0, end - count), end)
          .reverse()
          .map((r) => r.value),
      );
    },
    pending: () =>
      Promise.resolve([...kept.values()].map((r) => r.value).filter((d) => d.status === "pending")),
    due(at, limit) {
      const out = [...kept.values()]
        .filter((r) => r.value.takeoverAt !== null && r.value.takeoverAt <= at)
        .sort((a, b) => a.value.takeoverAt! - b.value.takeoverAt!)
        .slice(0, limit)
        .map((r) => r.value.id);
      return Promise.resolve(out);
    },
    clear() {
      kept.clear();
      return Promise.resolve();
    },
  };
}
