import type { ByteBudget } from "./budget.js";
import { childClock, type Clock } from "./clock.js";
import type { Namespace } from "./context.js";
import { coreError, CoreErrorCode } from "./errors.js";
import { createJournal, type Journal, type Redact } from "./journal.js";
import { createMemoryStore } from "./memory-store.js";
import type { RouteTable } from "./scenarios/check.js";
import { clearScenarioState, createScenarioState } from "./scenarios/state.js";
import { changeScenarios, syncNamespace } from "./settings.js";
import type { Store } from "./store.js";
import { createMemoryDeliveryLog, type DeliveryLog } from "./deliveries.js";

export const DEFAULT_NAMESPACE = "default";
/** What a namespace id may be: it appears in URLs (`/ns/<id>/…`), so never `.` or `..` alone: a letter or digit. */
export const NAMESPACE_ID = /^(?=[^A-Za-z0-9]*[A-Za-z0-9])[A-Za-z0-9._-]{1,64}$/;

export interface Namespaces {
  /** The namespace named `id`, created on first use; an invalid id is a 400. */
  get(id: string): Namespace;
  readonly default: Namespace;
  all(): Namespace[];
  /** Drops expired entries in every namespace. */
  sweep(): Promise<number>;
  /** The scenarios active in every namespace (changed in place: the admin API sets it). */
  readonly global: string[];
  /**
   * A request is about to use `ns`: brings it up to date with what other sandboxes sharing its store changed (clock,
   * scenarios, subscriptions, the global scenarios; see `refresh`) and marks it used for the shared bound. Nothing to
   * do with state of the process's own.
   */
  sync(ns: Namespace): Promise<void>;
  /** Brings `ns` up to date as `sync` does without marking it used: for background work (the tick). */
  refresh(ns: Namespace): Promise<void>;
}

/**
 * Forgets what a namespace holds: state, queued one-shots, scenario counters, the journal and what falls due (not its
 * clock). Webhook deliveries and subscriptions go through the engine, which also cancels their retries.
 */
export async function resetNamespace(ns: Namespace): Promise<void> {
  await ns.journal.clear();
  await ns.store.reset();
  ns.scenarios.queued = 0;
  ns.scenarios.compiled.clear();
  await changeScenarios(ns, clearScenarioState);
}

/** What a store shared with other sandboxes (Redis) gives each namespace in place of this process's memory. */
export interface SharedNamespaces {
  /** The namespace's store, on its clock. */
  store(clock: Clock, id: string): Store;
  journal(id: string): Journal;
  /** The namespace's webhook deliveries, the newest `capacity` of them. */
  deliveries(id: string, capacity: number): DeliveryLog;
  /**
   * Marks a namespace used in an index every sandbox shares, and returns those the shared bound forgot:
   * `maxNamespaces` holds across all of them.
   */
  touch(id: string): Promise<string[]>;
}

export interface NamespaceOptions {
  maxEntries: number;
  /** The byte budget every namespace's entries and journal share (the oldest anywhere go first past it). */
  budget?: ByteBudget;
  /** Most rate-limit windows kept per namespace. */
  maxCounters: number;
  /** Most namespaces kept; past it the least recently used one (never the default) is forgotten. */
  maxNamespaces: number;
  journalSize: number;
  /** Webhook deliveries kept per namespace (the oldest go first). */
  deliveriesKept: number;
  /** How journal paths hide their secrets. */
  redact?: Redact;
  /** The sandbox's clock: every namespace's clock follows it, with its own offset and freeze on top. */
  clock: Clock;
  /** Where namespaces keep their state when other sandboxes share it (Redis); this process's memory otherwise. */
  shared?: SharedNamespaces;
  /** The declared routes, which a namespace's run-time scenarios and one-shots are compiled against (none unless given). */
  tables?: readonly RouteTable[];
  /** The scenarios active in every namespace at start (the list is kept and changed in place). */
  global?: string[];
  /** Called with a namespace the bound forgets, so what works for it in the background (webhook retries) stops. */
  onEvict?: (ns: Namespace) => void;
}

/**
 * Namespaces let parallel test workers share one sandbox: each has its own clock, state, active scenarios,
 * rate-limit counters and journal.
 */
export function createNamespaces(options: NamespaceOptions): Namespaces {
  const { shared } = options;
  const make = (id: string): Namespace => {
    const clock = childClock(options.clock);
    const store =
      shared?.store(clock, id) ??
      createMemoryStore(clock, {
        maxEntries: options.maxEntries,
        maxCounters: options.maxCounters,
        ...(options.budget ? { budget: options.budget } : {}),
      });
    return {
      id,
      clock,
      store,
      scenarios: createScenarioState(store, options.tables ?? []),
      journal: shared?.journal(id) ?? createJournal(options.journalSize, options.redact, options.budget),
      webhooks: {
        subscriptions: new Map(),
        log:
          shared?.deliveries(id, options.deliveriesKept) ?? createMemoryDeliveryLog(options.deliveriesKept),
      },
    };
  };
  const fallback = make(DEFAULT_NAMESPACE);
  const byId = new Map<string, Namespace>([[DEFAULT_NAMESPACE, fallback]]);
  const global = options.global ?? [];
  return {
    get(id) {
      if (id === DEFAULT_NAMESPACE) return fallback;
      let ns = byId.get(id);
      if (ns) {
        byId.delete(id); // re-inserted below: the most recently used go last
      } else {
        if (!NAMESPACE_ID.test(id)) {
          throw coreError(
            CoreErrorCode.invalidRequest,
            "namespace must be 1 to 64 of A-Z a-z 0-9 . _ -, with at least one letter or digit",
          );
        }
        ns = make(id);
      }
      byId.set(id, ns);
      while (byId.size > options.maxNamespaces + 1) {
        const oldest = [...byId.keys()].find((key) => key !== DEFAULT_NAMESPACE)!;
        const evicted = byId.get(oldest)!;
        byId.delete(oldest);
        // Gives its bytes back to the budget. State of its own only: a shared store and journal (Redis) are the
        // other sandboxes' too, and this process merely stops holding the namespace.
        if (shared === undefined) {
          void evicted.store.reset();
          void evicted.journal.clear();
        }
        options.onEvict?.(evicted);
      }
      return ns;
    },
    default: fallback,
    global,
    refresh: (ns) => syncNamespace(ns, fallback, global),
    sync: async (ns) => {
      if (shared === undefined) return;
      await syncNamespace(ns, fallback, global);
      // Forgotten by the shared bound: this process lets go of them too (their keys are gone already).
      const gone = await shared.touch(ns.id).catch(() => []);
      for (const id of gone) {
        const held = byId.get(id);
        if (held === undefined || id === ns.id) continue;
        byId.delete(id);
        options.onEvict?.(held);
      }
    },
    all: () => [...byId.values()],
    sweep: async () => {
      let dropped = 0;
      for (const ns of byId.values()) dropped += await ns.store.sweep();
      return dropped;
    },
  };
}
