/** What the admin API shows of an entry besides its kind, id and times. */
export interface EntryFacts {
  /** Where it stands (`pending`, `completed`, `init`…), as the vendor would say it. */
  readonly status?: string;
  /** The non-secret facts it carries: who and what it is for. */
  readonly context?: Readonly<Record<string, unknown>>;
}

/** Which admin list a kind's entries appear in, whether their ids are secrets, and what else is shown of them. */
export interface KindDisplay<T = unknown> {
  /** `GET /__admin/tokens` or `GET /__admin/sessions`; a kind without one is internal and never listed. */
  readonly list?: "tokens" | "sessions";
  /** The id is a credential (a token, a code): shown redacted. */
  readonly secretId: boolean;
  /** Its status and context at `now` on the namespace's clock; never a secret. (A method: a kind of any value type is a kind.) */
  show?(value: Stored<T>, now: number): EntryFacts;
}

/**
 * A typed slot in the store: `kind<CodeRecord>("vendor.code", { list: "tokens", secretId: true })`. The type only
 * exists at compile time; the name keeps kinds apart at run time and in any backend. A vendor declares its kinds, so
 * the core shows and redacts them without knowing what they are.
 */
export interface Kind<T> extends KindDisplay<T> {
  readonly name: string;
  /** Phantom field carrying the value type; never set. */
  readonly __value?: T;
}

export function kind<T>(name: string, display: Partial<KindDisplay<T>> = {}): Kind<T> {
  return {
    name,
    secretId: display.secretId ?? true,
    ...(display.list ? { list: display.list } : {}),
    ...(display.show ? { show: display.show } : {}),
  };
}

/** What a stored value reads as: its fields are not to be changed in place. */
export type Stored<T> = T extends object ? Readonly<T> : T;

/** A stored value. Never changed in place: a change is a new value written with `replace`. */
export interface StoreEntry<T> {
  readonly kind: string;
  readonly id: string;
  readonly value: Stored<T>;
  readonly createdAt: number;
  readonly expiresAt: number;
  /** Bumped by every write under this id: what `replace` compares. */
  readonly rev: number;
}

/** A fixed-window counter after one more hit. */
export interface WindowCount {
  count: number;
  /** When the window ends, on the store's clock (ms). */
  resetAt: number;
}

/**
 * Tokens, codes and sessions with an expiry on a namespace's clock, and windowed counters. Asynchronous and atomic
 * where the vendors are strict, so a network store (Redis, Valkey) can sit behind the same interface: every operation
 * that reads and writes does so in one step, never as a read and a write the caller strings together.
 *
 * Expired entries are never returned. A store is bounded (its oldest entries go first past the bound); counters have
 * a bound of their own, so evicting tokens never resets a rate limit and counting never evicts a token.
 */
export interface Store {
  put<T>(kind: Kind<T>, id: string, value: T, ttlSeconds: number): Promise<StoreEntry<T>>;
  /**
   * Writes only if no live entry is under `id` (Redis `SET NX`): undefined when one is. Exactly one of concurrent
   * creators gets the entry, so "one record per key" holds without a read before the write.
   */
  create<T>(kind: Kind<T>, id: string, value: T, ttlSeconds: number): Promise<StoreEntry<T> | undefined>;
  get<T>(kind: Kind<T>, id: string): Promise<StoreEntry<T> | undefined>;
  /** Reads and deletes in one step: the way to consume a single-use code. Exactly one concurrent caller gets it. */
  take<T>(kind: Kind<T>, id: string): Promise<StoreEntry<T> | undefined>;
  /**
   * Compare-and-set: writes `value` under `id` only if the stored entry is still revision `rev`, keeping its
   * `createdAt`, and its expiry unless `ttlSeconds` is given. Undefined when it changed, went or expired in between (nothing is written).
   */
  replace<T>(
    kind: Kind<T>,
    id: string,
    rev: number,
    value: T,
    ttlSeconds?: number,
  ): Promise<StoreEntry<T> | undefined>;
  /** Whether a live entry was there to delete (an expired one was not). */
  delete(kind: Kind<unknown>, id: string): Promise<boolean>;
  /** Live entries, oldest first; all kinds unless one is named. */
  list(kind?: Kind<unknown>): Promise<StoreEntry<unknown>[]>;
  /** Counts one hit on `key` in a fixed window of `windowSeconds` that starts with the window's first hit. */
  hit(key: string, windowSeconds: number): Promise<WindowCount>;
  /** Drops every expired entry and counter now; returns how many entries went. */
  sweep(): Promise<number>;
  /** Forgets every entry and counter. */
  reset(): Promise<void>;
  /** Live entries (expired ones not yet swept may count) and how many the bound evicted so far. */
  stats(): Promise<{ size: number; evicted: number }>;
}

/**
 * Applies `change` to the entry under `id` with compare-and-set, retrying when another writer got there first.
 * `change` returns the new value, or undefined to leave the entry as it is; the result is the entry written, or
 * undefined when there was none or `change` declined.
 *
 * @example
 * await update(store, orders, id, (o) => (o.status === "open" ? { ...o, status: "closed" } : undefined));
 */
export async function update<T>(
  store: Store,
  k: Kind<T>,
  id: string,
  change: (value: Stored<T>) => T | undefined,
): Promise<StoreEntry<T> | undefined> {
  for (;;) {
    const entry = await store.get(k, id);
    if (entry === undefined) return undefined;
    const next = change(entry.value);
    if (next === undefined) return undefined;
    const written = await store.replace(k, id, entry.rev, next);
    if (written !== undefined) return written;
  }
}
