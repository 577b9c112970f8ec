import type { ByteBudget, Charge } from "./budget.js";
import type { Clock } from "./clock.js";
import { measureJson } from "./limits.js";
import type { Kind, PutItem, QueuedItem, ScheduledItem, Store, StoreEntry, WindowCount } from "./store.js";

export interface MemoryStoreOptions {
  /** Most entries kept; past it the oldest is evicted. */
  maxEntries: number;
  /** Most rate-limit counters kept; past it the oldest window is dropped. */
  maxCounters: number;
  /** The byte budget shared by every namespace's store; entries are charged their estimated size. */
  budget?: ByteBudget;
}

/**
 * What an entry costs besides its id and value, in bytes: the slot object, its Map entry and its queue slot
 * (measured with `bench/soak.ts`: about 200 bytes an entry of a full store of small tokens).
 */
const ENTRY_OVERHEAD = 200;

/** How many entries at the front of the store each write checks for expiry. */
const FRONT_CHECK = 4;

/**
 * Where an entry is kept, with what the store needs to find and retire it. The entry handed out is a separate object,
 * so a retired slot waiting in the queue lets go of its value at once while a caller may still hold the entry.
 */
interface Slot {
  readonly id: string;
  readonly kind: string;
  readonly expiresAt: number;
  readonly bucket: Map<string, Slot>;
  /** Undefined once deleted, rewritten, taken, expired or evicted (no longer in its bucket). */
  entry: StoreEntry<unknown> | undefined;
  /** Its bytes in the shared budget, if there is one. */
  charge?: Charge;
}

/**
 * The default store: one process's memory, nothing to install. Every operation completes synchronously inside its
 * promise, so each one is atomic on the one JavaScript thread.
 *
 * One Map per kind (no key string built per call) and one insertion queue of the entries themselves, oldest first,
 * for eviction, front-expiry and listing. A removed entry's slot only lets go of it and is skipped when the queue reaches
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
    slot.entry = undefined;
    size--;
    if (slot.charge) options.budget!.release(slot.charge);
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
      if (slot.entry !== undefined) return slot;
      head++;
    }
    return undefined;
  };
  /**
   * Keeps the queue within about twice the store: entries taken or deleted behind a long-lived one never reach the
   * front, so they are filtered out once they outnumber the live ones (amortized: at most once per `size` writes),
   * and retired ones at the front are sliced off, so the queue holds no value it no longer stores for long.
   */
  const compact = () => {
    // A retired slot still holds its value: a small store (one of a thousand namespaces) must drop them too.
    if (queue.length - head > 2 * size + 16) {
      queue = queue.slice(head).filter((slot) => slot.entry !== undefined);
      head = 0;
    } else if (head > 16 && head * 2 > queue.length) {
      queue = queue.slice(head);
      head = 0;
    }
  };
  const write = (k: Kind<unknown>, id: string, value: unknown, createdAt: number, expiresAt: number) => {
    const now = clock.now();
    const bucket = bucketOf(k);
    const previous = bucket.get(id);
    if (previous !== undefined) remove(previous); // a rewrite is the newest entry now
    const entry: StoreEntry<unknown> = { kind: k.name, id, value, createdAt, expiresAt, rev: ++revs };
    const slot: Slot = { kind: k.name, id, expiresAt, bucket, entry };
    bucket.set(id, slot);
    queue.push(slot);
    size++;
    if (options.budget) {
      const bytes = ENTRY_OVERHEAD + measureJson(id).heap + measureJson(value).heap;
      slot.charge = options.budget.charge(bytes, () => {
        if (slot.entry === undefined) return;
        remove(slot);
        evicted++;
      });
    }
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
    return entry;
  };

  /** Settings are what this process already holds: kept only so that what is set reads back. */
  const settings = new Map<string, string>();
  /** Counts by name (scenario rules: a handful per scenario, so no bound of their own). */
  const counts = new Map<string, number>();
  /** The queue, oldest first, with each item's uses left (changed in place: the store's own number). */
  const waiting: { id: string; item: string; uses: number; charge?: Charge }[] = [];
  let queuedIds = 0;
  const unqueue = (at: number) => {
    const [gone] = waiting.splice(at, 1);
    if (gone?.charge) options.budget!.release(gone.charge);
  };
  /** Scheduled items by key, and a copy sorted by due time when last needed (undefined once stale). */
  const planned = new Map<string, ScheduledItem>();
  let byTime: ScheduledItem[] | undefined;
  const store = {
    shared: false,
    schedule(key: string, item: string, at: number, max: number) {
      planned.set(key, { key, item, at });
      byTime = undefined;
      if (planned.size > max)
        for (const gone of [...planned.values()].sort((a, b) => a.at - b.at).slice(0, planned.size - max))
          planned.delete(gone.key);
      return Promise.resolve();
    },
    scheduled(until: number, limit = Infinity) {
      byTime ??= [...planned.values()].sort((a, b) => a.at - b.at);
      const out: ScheduledItem[] = [];
      for (const s of byTime) {
        if (s.at > until || out.length >= limit) break;
        if (planned.get(s.key) === s) out.push(s);
      }
      return Promise.resolve(out);
    },
    unschedule(key: string) {
      // The sorted copy stays good: an item no longer planned is skipped by `scheduled`.
      return Promise.resolve(planned.delete(key));
    },
    getSetting(name: string) {
      return Promise.resolve(settings.get(name));
    },
    setSetting(name: string, value: string) {
      settings.set(name, value);
      return Promise.resolve();
    },
    setSettingIf(name: string, expected: string | undefined, value: string) {
      if (settings.get(name) !== expected) return Promise.resolve(false);
      settings.set(name, value);
      return Promise.resolve(true);
    },
    readShared() {
      return Promise.resolve({ settings: Object.fromEntries(settings), queued: waiting.length });
    },
    count(name: string, limit?: number) {
      const now = (counts.get(name) ?? 0) + 1;
      if (limit !== undefined && now > limit) return Promise.resolve(undefined);
      counts.set(name, now);
      return Promise.resolve(now);
    },
    forgetCounts(prefixes?: readonly string[]) {
      if (prefixes === undefined) counts.clear();
      else
        for (const name of counts.keys()) if (prefixes.some((p) => name.startsWith(p))) counts.delete(name);
      return Promise.resolve();
    },
    enqueue(item: string, uses: number, max: number) {
      if (waiting.length >= max) return Promise.resolve(undefined);
      const queued: (typeof waiting)[number] = { id: String(++queuedIds), item, uses };
      waiting.push(queued);
      // Charged like an entry, and dropped like one when the budget needs the room.
      if (options.budget)
        queued.charge = options.budget.charge(ENTRY_OVERHEAD + measureJson(item).heap, () => {
          const at = waiting.indexOf(queued);
          if (at >= 0) waiting.splice(at, 1);
        });
      return Promise.resolve(waiting.length);
    },
    queued() {
      return Promise.resolve(waiting.map(({ id, item, uses }): QueuedItem => ({ id, item, uses })));
    },
    useQueued(id: string) {
      const at = waiting.findIndex((q) => q.id === id);
      if (at < 0) return Promise.resolve(false);
      if (--waiting[at]!.uses <= 0) unqueue(at);
      return Promise.resolve(true);
    },
    put<T>(k: Kind<T>, id: string, value: T, ttlSeconds: number) {
      const now = clock.now();
      return Promise.resolve(write(k, id, value, now, now + ttlSeconds * 1000) as StoreEntry<T>);
    },
    putAll(items: readonly PutItem[], at = clock.now()) {
      return Promise.resolve(
        items.map((item) => write(item.kind, item.id, item.value, at, at + item.ttlSeconds * 1000)),
      );
    },
    now: () => clock.now(),
    create<T>(k: Kind<T>, id: string, value: T, ttlSeconds: number) {
      if (live(k, id) !== undefined) return Promise.resolve(undefined);
      const now = clock.now();
      return Promise.resolve(write(k, id, value, now, now + ttlSeconds * 1000) as StoreEntry<T>);
    },
    get<T>(k: Kind<T>, id: string) {
      return Promise.resolve(live(k, id)?.entry as StoreEntry<T> | undefined);
    },
    holdsAny(kinds: readonly Kind<unknown>[], ids: readonly string[]) {
      return Promise.resolve(ids.map((id) => kinds.some((k) => live(k, id) !== undefined)));
    },
    take<T>(k: Kind<T>, id: string) {
      const slot = live(k, id);
      const entry = slot?.entry;
      if (slot) remove(slot);
      return Promise.resolve(entry as StoreEntry<T> | undefined);
    },
    replace<T>(k: Kind<T>, id: string, rev: number, value: T, ttlSeconds?: number) {
      const entry = live(k, id)?.entry;
      if (entry === undefined || entry.rev !== rev) return Promise.resolve(undefined);
      const expiresAt = ttlSeconds === undefined ? entry.expiresAt : clock.now() + ttlSeconds * 1000;
      return Promise.resolve(write(k, id, value, entry.createdAt, expiresAt) as StoreEntry<T>);
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
        if (slot.entry !== undefined && slot.expiresAt > now && (k === undefined || slot.kind === k.name))
          out.push(slot.entry);
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
        if (slot.entry !== undefined && slot.expiresAt <= now) {
          remove(slot);
          dropped++;
        }
      }
      // Keep only what is left, so the queue never outgrows the store for long.
      queue = queue.slice(head).filter((slot) => slot.entry !== undefined);
      head = 0;
      for (const [key, window] of counters) if (window.resetAt <= now) counters.delete(key);
      return Promise.resolve(dropped);
    },
    reset() {
      buckets.clear();
      counters.clear();
      counts.clear();
      while (waiting.length > 0) unqueue(waiting.length - 1);
      planned.clear();
      byTime = undefined;
      for (let i = head; i < queue.length; i++) {
        const slot = queue[i]!;
        if (slot.charge) options.budget!.release(slot.charge);
        slot.entry = undefined;
      }
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
