import type { Clock } from "./clock.js";

/**
 * A typed slot in the store: `kind<CodeRecord>("sumsub.code")`. The type only exists at compile time;
 * the name keeps kinds apart at run time.
 */
export interface Kind<T> {
  readonly name: string;
  /** Phantom field carrying the value type; never set. */
  readonly __value?: T;
}

export function kind<T>(name: string): Kind<T> {
  return { name };
}

export interface StoreEntry<T> {
  readonly kind: string;
  readonly id: string;
  value: T;
  readonly createdAt: number;
  readonly expiresAt: number;
}

/**
 * In-memory state: tokens, codes and sessions with an expiry on the sandbox clock. Expired entries are
 * never returned and are dropped as they are met, by `sweep()`, and from the front of the store on every write.
 * The store holds at most `maxEntries`; past that the oldest entry is evicted, so a sandbox that runs for
 * weeks with a frozen clock still cannot grow without end.
 */
export interface Store {
  put<T>(kind: Kind<T>, id: string, value: T, ttlSeconds: number): StoreEntry<T>;
  get<T>(kind: Kind<T>, id: string): StoreEntry<T> | undefined;
  /** Reads and deletes in one step: the way to consume a single-use code. */
  take<T>(kind: Kind<T>, id: string): StoreEntry<T> | undefined;
  delete(kind: Kind<unknown>, id: string): boolean;
  /** Live entries, oldest first; all kinds unless one is named. */
  list(kind?: Kind<unknown>): StoreEntry<unknown>[];
  /** Drops every expired entry now; returns how many went. */
  sweep(): number;
  reset(): void;
  readonly size: number;
  readonly evicted: number;
}

export interface StoreOptions {
  maxEntries: number;
}

/** How many entries at the front of the store each write checks for expiry. */
const FRONT_CHECK = 4;

export function createStore(clock: Clock, options: StoreOptions): Store {
  const entries = new Map<string, StoreEntry<unknown>>();
  let evicted = 0;
  const keyOf = (k: Kind<unknown>, id: string) => `${k.name}\u0000${id}`;
  const live = (entry: StoreEntry<unknown> | undefined, key: string) => {
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= clock.now()) {
      entries.delete(key);
      return undefined;
    }
    return entry;
  };
  const trimFront = () => {
    let checked = 0;
    const now = clock.now();
    for (const [key, entry] of entries) {
      if (checked++ >= FRONT_CHECK || entry.expiresAt > now) break;
      entries.delete(key);
    }
  };

  return {
    put(k, id, value, ttlSeconds) {
      const now = clock.now();
      const entry: StoreEntry<typeof value> = {
        kind: k.name,
        id,
        value,
        createdAt: now,
        expiresAt: now + ttlSeconds * 1000,
      };
      const key = keyOf(k, id);
      entries.delete(key); // a rewrite moves the entry to the back: it is the newest now
      entries.set(key, entry);
      trimFront();
      while (entries.size > options.maxEntries) {
        const oldest = entries.keys().next().value as string;
        entries.delete(oldest);
        evicted++;
      }
      return entry;
    },
    get<T>(k: Kind<T>, id: string) {
      const key = keyOf(k, id);
      return live(entries.get(key), key) as StoreEntry<T> | undefined;
    },
    take<T>(k: Kind<T>, id: string) {
      const key = keyOf(k, id);
      const entry = live(entries.get(key), key) as StoreEntry<T> | undefined;
      if (entry) entries.delete(key);
      return entry;
    },
    delete: (k, id) => entries.delete(keyOf(k, id)),
    list(k) {
      const now = clock.now();
      return [...entries.values()].filter((e) => e.expiresAt > now && (k === undefined || e.kind === k.name));
    },
    sweep() {
      const now = clock.now();
      let dropped = 0;
      for (const [key, entry] of entries) {
        if (entry.expiresAt <= now) {
          entries.delete(key);
          dropped++;
        }
      }
      return dropped;
    },
    reset() {
      entries.clear();
    },
    get size() {
      return entries.size;
    },
    get evicted() {
      return evicted;
    },
  };
}
