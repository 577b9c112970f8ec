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

/**
 * Eviction and front-expiry walk their own queue of `[key, seq]` in insertion order, never `Map#keys()`: V8 keeps a
 * deleted Map slot as a hole until it rehashes, so taking the "first" key of a Map that is used as a queue scans a
 * growing run of holes on every write (profiling showed a full store dropping to a third of its throughput).
 */
export function createStore(clock: Clock, options: StoreOptions): Store {
  const entries = new Map<string, StoreEntry<unknown> & { seq: number }>();
  let queue: [key: string, seq: number][] = [];
  let head = 0;
  let seq = 0;
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
  /** The oldest queued key that still names its entry, dropping stale ones (rewritten or deleted since). */
  const oldest = (): string | undefined => {
    while (head < queue.length) {
      const [key, at] = queue[head]!;
      if (entries.get(key)?.seq === at) return key;
      head++;
    }
    return undefined;
  };
  const compact = () => {
    if (head > 1024 && head * 2 > queue.length) {
      queue = queue.slice(head);
      head = 0;
    }
  };
  const trimFront = () => {
    const now = clock.now();
    for (let checked = 0; checked < FRONT_CHECK; checked++) {
      const key = oldest();
      if (key === undefined || entries.get(key)!.expiresAt > now) break;
      entries.delete(key);
      head++;
    }
  };

  return {
    put(k, id, value, ttlSeconds) {
      const now = clock.now();
      const key = keyOf(k, id);
      const entry = {
        kind: k.name,
        id,
        value,
        createdAt: now,
        expiresAt: now + ttlSeconds * 1000,
        seq: ++seq,
      };
      entries.delete(key); // a rewrite is the newest entry now
      entries.set(key, entry);
      queue.push([key, entry.seq]);
      trimFront();
      while (entries.size > options.maxEntries) {
        entries.delete(oldest()!);
        head++;
        evicted++;
      }
      compact();
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
      // Rebuild the queue from what is left, so it never outgrows the store for long.
      queue = [...entries].map(([key, e]): [string, number] => [key, e.seq]);
      head = 0;
      return dropped;
    },
    reset() {
      entries.clear();
      queue = [];
      head = 0;
    },
    get size() {
      return entries.size;
    },
    get evicted() {
      return evicted;
    },
  };
}
