import { createClock, type Clock } from "./clock.js";
import type { Namespace } from "./context.js";
import { createStore } from "./store.js";

export const DEFAULT_NAMESPACE = "default";

export interface Namespaces {
  /** The namespace named `id`, created on first use. */
  get(id: string): Namespace;
  readonly default: Namespace;
  all(): Namespace[];
  /** Drops expired entries in every namespace. */
  sweep(): number;
}

export interface NamespaceOptions {
  maxEntries: number;
  /** The default namespace's clock (the one `sandbox.clock` exposes). */
  clock?: Clock;
}

export function createNamespaces(options: NamespaceOptions): Namespaces {
  const make = (id: string, clock: Clock = createClock()): Namespace => ({
    id,
    clock,
    store: createStore(clock, { maxEntries: options.maxEntries }),
  });
  const byId = new Map<string, Namespace>();
  const fallback = make(DEFAULT_NAMESPACE, options.clock);
  byId.set(DEFAULT_NAMESPACE, fallback);
  return {
    get(id) {
      let ns = byId.get(id);
      if (!ns) {
        ns = make(id);
        byId.set(id, ns);
      }
      return ns;
    },
    default: fallback,
    all: () => [...byId.values()],
    sweep: () => [...byId.values()].reduce((n, ns) => n + ns.store.sweep(), 0),
  };
}
