import type { Clock } from "./clock.js";
import type { Kind, Store, StoreEntry, WindowCount } from "./store.js";

export interface MemoryStoreOptions {
  /** Most entries kept; past it the oldest is evicted. */
  maxEntries: number;
  /** Most rate-limit counters kept; past it the oldest window is dropped. */
  maxCounters: number;
}

/** How many entries at the front of the store each write checks for expiry. */
const FRONT_CHECK = 4;

/** A stored entry, with what the store needs to find and retire it. */
interface Slot extends StoreEntry<unknown> {
  readonly bucket: Map<string, Slot>;
  /** Deleted, rewritten, taken, expired or evicted: no longer in its bucket. */
  gone: boolean;
}

/**
 * The default store: one process's memory, nothing to install. Every operation completes synchronously inside its
 * promise, so each one is atomic on the one JavaScript thread.
 *
 * One Map per kind (no key string built per call) and one insertion queue of the entries themselves, oldest first,
 * for eviction, front-expiry and listing. A removed entry is only marked `gone` and skipped when the queue reaches
 * it, so no operation scans: V8 keeps a deleted Map slot as a hole until it rehashes, and taking the "first" key of
 * a Map used as a queue scanned a growing run of holes on every write (a full store fell to a third of its
 * throughput).
 */
export function createMemoryStore(clock: Clock, options: MemoryStoreOptions): Store {
  const buckets = new Map<string, Map<string, Slot>>();
  /** Counters in insertion order (a Map keeps it): the oldest window is the first key. */
  const counters = new Map<string, WindowCount>();
  let queue: Slot[] = [];
  let head = 0;
  let size = 0;
  let evicted = 0;
  let revs = 0;
  const bucketOf = (k: Kind<unknown>) => {
    let bucket = buckets.get(k.name);
    if (bucket === undefined) buckets.set(k.name, (bucket = new Map<string, Slot>()));
    return bucket;
  };
  const remove = (slot: Slot) => {
    slot.bucket.delete(slot.id);
    slot.gone = true;
    size--;
  };
  /** The entry under `id`, unless it has expired (then it goes now). */
  const live = (k: Kind<unknown>, id: string): Slot | undefined => {
    const slot = buckets.get(k.name)?.get(id);
    if (slot === undefined) return undefined;
    if (slot.expiresAt <= clock.now()) {
      remove(slot);
      return undefined;
    }
    return slot;
  };
  /** The oldest entry still stored, skipping the queue's retired ones. */
  const oldest = (): Slot | undefined => {
    while (head < queue.length) {
      const slot = queue[head]!;
      if (!slot.gone) return slot;
      head++;
    }
    return undefined;
  };
  /**
   * Keeps the queue within about twice the store: entries taken or deleted behind a long-lived one never reach the
   * front, so they are filtered out once they outnumber the live ones (amortized: at most once per `size` writes).
   */
  const compact = () => {
    if (queue.length - head > 2 * size + 1024) {
      queue = queue.slice(head).filter((slot) => !slot.gone);
      head = 0;
    } else if (head > 1024 && head * 2 > queue.length) {
      queue = queue.slice(head);
      head = 0;
    }
  };
  const write = (k: Kind<unknown>, id: string, value: unknown, createdAt: number, expiresAt: number) => {
    const now = clock.now();
    const bucket = bucketOf(k);
    const previous = bucket.get(id);
    if (previous !== undefined) remove(previous); // a rewrite is the newest entry now
    const slot: Slot = {
      kind: k.name,
      id,
      value,
      createdAt,
      expiresAt,
      rev: ++revs,
      bucket,
      gone: false,
    };
    bucket.set(id, slot);
    queue.push(slot);
    size++;
    for (let checked = 0; checked < FRONT_CHECK; checked++) {
      const first = oldest();
      if (first === undefined || first.expiresAt > now) break;
      remove(first);
    }
    while (size > options.maxEntries) {
      remove(oldest()!);
      evicted++;
    }
    compact();
    return slot;
  };

  const store = {
    put<T>(k: Kind<T>, id: string, value: T, ttlSeconds: number) {
      const now = clock.now();
      return Promise.resolve(write(k, id, value, now, now + ttlSeconds * 1000) as StoreEntry<T>);
    },
    create<T>(k: Kind<T>, id: string, value: T, ttlSeconds: number) {
      if (live(k, id) !== undefined) return Promise.resolve(undefined);
      const now = clock.now();
      return Promise.resolve(write(k, id, value, now, now + ttlSeconds * 1000) as StoreEntry<T>);
    },
    get<T>(k: Kind<T>, id: string) {
      return Promise.resolve(live(k, id) as StoreEntry<T> | undefined);
    },
    take<T>(k: Kind<T>, id: string) {
      const slot = live(k, id);
      if (slot) remove(slot);
      return Promise.resolve(slot as StoreEntry<T> | undefined);
    },
    replace<T>(k: Kind<T>, id: string, rev: number, value: T, ttlSeconds?: number) {
      const slot = live(k, id);
      if (slot === undefined || slot.rev !== rev) return Promise.resolve(undefined);
      const expiresAt = ttlSeconds === undefined ? slot.expiresAt : clock.now() + ttlSeconds * 1000;
      return Promise.resolve(write(k, id, value, slot.createdAt, expiresAt) as StoreEntry<T>);
    },
    delete(k: Kind<unknown>, id: string) {
      const slot = live(k, id);
      if (slot) remove(slot);
      return Promise.resolve(slot !== undefined);
    },
    list(k?: Kind<unknown>) {
      const now = clock.now();
      const out: StoreEntry<unknown>[] = [];
      for (let i = head; i < queue.length; i++) {
        const slot = queue[i]!;
        if (!slot.gone && slot.expiresAt > now && (k === undefined || slot.kind === k.name)) out.push(slot);
      }
      return Promise.resolve(out);
    },
    hit(key: string, windowSeconds: number) {
      const now = clock.now();
      let window = counters.get(key);
      if (window === undefined || window.resetAt <= now) {
        counters.delete(key); // re-inserted last: the newest window
        window = { count: 0, resetAt: now + windowSeconds * 1000 };
        counters.set(key, window);
        while (counters.size > options.maxCounters) counters.delete(counters.keys().next().value!);
      }
      // A counter is the store's own number, never a value handed out, so it is counted in place.
      window.count++;
      return Promise.resolve({ count: window.count, resetAt: window.resetAt });
    },
    sweep() {
      const now = clock.now();
      let dropped = 0;
      for (let i = head; i < queue.length; i++) {
        const slot = queue[i]!;
        if (!slot.gone && slot.expiresAt <= now) {
          remove(slot);
          dropped++;
        }
      }
      // Keep only what is left, so the queue never outgrows the store for long.
      queue = queue.slice(head).filter((slot) => !slot.gone);
      head = 0;
      for (const [key, window] of counters) if (window.resetAt <= now) counters.delete(key);
      return Promise.resolve(dropped);
    },
    reset() {
      buckets.clear();
      counters.clear();
      for (let i = head; i < queue.length; i++) queue[i]!.gone = true;
      queue = [];
      head = 0;
      size = 0;
      return Promise.resolve();
    },
    stats() {
      return Promise.resolve({ size, evicted });
    },
  } satisfies Store;
  return store;
}
