import { createClock, type Clock } from "./clock.js";
import type { Namespace } from "./context.js";
import { coreError, CoreErrorCode } from "./errors.js";
import { createJournal } from "./journal.js";
import { createScenarioState } from "./scenarios.js";
import { createStore } from "./store.js";

export const DEFAULT_NAMESPACE = "default";
/** What a namespace id may be: it appears in URLs (`/ns/<id>/…`). */
export const NAMESPACE_ID = /^[A-Za-z0-9._-]{1,64}$/;

export interface Namespaces {
  /** The namespace named `id`, created on first use; an invalid id is a 400. */
  get(id: string): Namespace;
  readonly default: Namespace;
  all(): Namespace[];
  /** Drops expired entries in every namespace. */
  sweep(): number;
}

/** Forgets what a namespace holds: state, queued one-shots, scenario counters and journal (not its clock). */
export function resetNamespace(ns: Namespace): void {
  ns.store.reset();
  ns.scenarios.queue.length = 0;
  ns.scenarios.counters.clear();
  ns.journal.clear();
}

export interface NamespaceOptions {
  maxEntries: number;
  /** Most namespaces kept; past it the least recently used one (never the default) is forgotten. */
  maxNamespaces: number;
  journalSize: number;
  /** The default namespace's clock (the one `sandbox.clock` exposes). */
  clock?: Clock;
}

/**
 * Namespaces let parallel test workers share one sandbox: each has its own clock, state, active scenarios,
 * rate-limit counters and journal.
 */
export function createNamespaces(options: NamespaceOptions): Namespaces {
  const make = (id: string, clock: Clock = createClock()): Namespace => ({
    id,
    clock,
    store: createStore(clock, { maxEntries: options.maxEntries }),
    scenarios: createScenarioState(),
    journal: createJournal(options.journalSize),
  });
  const fallback = make(DEFAULT_NAMESPACE, options.clock);
  const byId = new Map<string, Namespace>([[DEFAULT_NAMESPACE, fallback]]);
  return {
    get(id) {
      if (id === DEFAULT_NAMESPACE) return fallback;
      let ns = byId.get(id);
      if (ns) {
        byId.delete(id); // re-inserted below: the most recently used go last
      } else {
        if (!NAMESPACE_ID.test(id)) {
          throw coreError(CoreErrorCode.invalidRequest, "namespace must match [A-Za-z0-9._-]{1,64}");
        }
        ns = make(id);
      }
      byId.set(id, ns);
      while (byId.size > options.maxNamespaces + 1) {
        const oldest = [...byId.keys()].find((key) => key !== DEFAULT_NAMESPACE)!;
        byId.delete(oldest);
      }
      return ns;
    },
    default: fallback,
    all: () => [...byId.values()],
    sweep: () => [...byId.values()].reduce((n, ns) => n + ns.store.sweep(), 0),
  };
}
