import { hash } from "node:crypto";

/** What the admin API shows of an entry besides its kind, id and times. */
export interface EntryFacts {
  /**
   * Where it stands, as the vendor would say it (`pending`, `completed`, `init`…); for a token, a `TokenStatus`
   * (`active` unless said otherwise).
   */
  readonly status?: string;
  /** The non-secret facts it carries: who and what it is for. */
  readonly context?: Readonly<Record<string, unknown>>;
}

/** Where a token or code stands: `expired` and (after a `take`) `used` come from its trace (see `putListed`). */
export const TOKEN_STATUSES = ["active", "used", "revoked", "expired"] as const;
export type TokenStatus = (typeof TOKEN_STATUSES)[number];

/** Which admin list a kind's entries appear in, whether their ids are secrets, and what else is shown of them. */
export interface KindDisplay<T = unknown> {
  /** `GET /__admin/tokens` or `GET /__admin/sessions`; a kind without one is internal and never listed. */
  readonly list?: "tokens" | "sessions";
  /** The id is a credential (a token, a code): shown redacted. */
  readonly secretId: boolean;
  /**
   * Its status and context at `now` on the namespace's clock; never a secret. It may read other entries of `store`
   * (a token's family, say). (A method: a kind of any value type is a kind.)
   */
  show?(value: Stored<T>, now: number, store: Store): EntryFacts | Promise<EntryFacts>;
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

/** One entry of `Store.putAll`. */
export interface PutItem<T = unknown> {
  readonly kind: Kind<T>;
  readonly id: string;
  readonly value: T;
  readonly ttlSeconds: number;
}

/** An entry of `Store.putAll`, its value checked against its kind. */
export function putItem<T>(kind: Kind<T>, id: string, value: T, ttlSeconds: number): PutItem<T> {
  return { kind, id, value, ttlSeconds };
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
   * Writes every item as `put` does, in one step, all created at `at` (the store's clock by default): one script on
   * Redis however many there are. What issuing a pair of tokens with their traces writes.
   */
  putAll(items: readonly PutItem[], at?: number): Promise<StoreEntry<unknown>[]>;
  /** The namespace's clock now, as the store reads it (entries expire by it). */
  now(): number;
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
  /**
   * For each of `ids`, whether a live entry of one of `kinds` is under it: one step however many ids and kinds (what
   * the journal's redactor asks of every request that carries a value that could be a token).
   */
  holdsAny(kinds: readonly Kind<unknown>[], ids: readonly string[]): Promise<boolean[]>;
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
  /**
   * Counts one more use of `name` unless it has reached `limit`: the count after, or undefined at the limit (nothing
   * is counted then). Atomic, so a limit holds across every sandbox sharing the store. Kept until `reset` or
   * `forgetCounts`: a scenario rule's `times` and `every`.
   */
  count(name: string, limit?: number): Promise<number | undefined>;
  /** Forgets the counts whose names start with one of `prefixes`, or every count. */
  forgetCounts(prefixes?: readonly string[]): Promise<void>;
  /**
   * Queues `item` (JSON text) for `uses` uses unless `max` items wait already: how many wait after, or undefined when
   * the queue is full. `reset` empties it.
   */
  enqueue(item: string, uses: number, max: number): Promise<number | undefined>;
  /** What waits in the queue, oldest first. */
  queued(): Promise<QueuedItem[]>;
  /**
   * Takes one use of queued item `id` in one step, dropping it after its last: false when it has none left (another
   * request took the last). Exactly one of concurrent callers gets each use.
   */
  useQueued(id: string): Promise<boolean>;
  /**
   * Schedules `item` (JSON text) under `key` for `at` on the namespace's clock, replacing what was scheduled under
   * it; past `max` scheduled, the earliest go. `reset` forgets them.
   */
  schedule(key: string, item: string, at: number, max: number): Promise<void>;
  /** What is scheduled at or before `until`, earliest first, at most `limit` of it. */
  scheduled(until: number, limit?: number): Promise<ScheduledItem[]>;
  /** Removes what is scheduled under `key`: whether it was there. Of concurrent callers, one removes it: it runs it. */
  unschedule(key: string): Promise<boolean>;
  /**
   * Other sandboxes see this store too (Redis): what a namespace keeps in the process besides its entries (its clock,
   * its active and run-time scenarios, its webhook subscriptions) is written as settings when it changes and read
   * with `readShared` before each request.
   */
  readonly shared: boolean;
  /** A namespace setting by name (JSON text), which `reset` keeps. */
  getSetting(name: string): Promise<string | undefined>;
  setSetting(name: string, value: string): Promise<void>;
  /**
   * Compare-and-set of a setting: writes `value` only if the stored text is still `expected` (undefined: no setting
   * by that name yet), in one step. Whether it wrote: false when another writer changed it first (nothing is written).
   */
  setSettingIf(name: string, expected: string | undefined, value: string): Promise<boolean>;
  /** Every setting, and how many items wait in the queue, in one read. */
  readShared(): Promise<SharedView>;
}

/** A queued item: its id, the JSON text queued, and its uses left. */
export interface QueuedItem {
  readonly id: string;
  readonly item: string;
  readonly uses: number;
}

/** Something scheduled: its key, the JSON text scheduled and when it falls due. */
export interface ScheduledItem {
  readonly key: string;
  readonly item: string;
  readonly at: number;
}

/** What a request reads of a shared namespace before it runs (see `Store.readShared`). */
export interface SharedView {
  readonly settings: Readonly<Record<string, string>>;
  readonly queued: number;
}

/**
 * A store that is not there: a network store (Redis) unreachable, or slower than its command timeout. The error door
 * answers it 503 in the vendor's format, and the request may be retried once the store is back.
 */
export class StoreUnavailableError extends Error {
  override readonly name = "StoreUnavailableError";
  constructor(
    /** Which store: `redis`. */
    readonly store: string,
    options: { cause: unknown },
  ) {
    super(
      `the sandbox's ${store} store is unavailable: ${options.cause instanceof Error ? options.cause.message : String(options.cause)}`,
      options,
    );
  }
}

/**
 * Applies `change` to the entry under `id` with compare-and-set, retrying when another writer got there first.
 * `change` returns the new value, or undefined to leave the entry as it is; the result is the entry written, or
 * undefined when there was none or `change` declined.
 *
 * @example
 * await update(store, orders, id, (o) => (o.status === "open" ? { ...o, status: "closed" } : undefined));
 */
export function update<T>(
  store: Store,
  k: Kind<T>,
  id: string,
  change: (value: Stored<T>) => T | undefined,
): Promise<StoreEntry<T> | undefined> {
  return changeRevised(
    () => store.get(k, id),
    (rev, next) => store.replace(k, id, rev, next),
    change,
  );
}

/**
 * The read, change, compare-and-set loop behind `update` (and a delivery log's `changeDelivery`): `read` gives the
 * value and its revision, `write` writes only at that revision (undefined when it changed). Reads again until a write
 * lands, `change` declines (undefined), or there is nothing to read.
 */
export async function changeRevised<V, N, W>(
  read: () => Promise<{ readonly value: V; readonly rev: number } | undefined>,
  write: (rev: number, next: N) => Promise<W | undefined>,
  change: (value: V) => N | undefined,
): Promise<W | undefined> {
  for (;;) {
    const current = await read();
    if (current === undefined) return undefined;
    const next = change(current.value);
    if (next === undefined) return undefined;
    const written = await write(current.rev, next);
    if (written !== undefined) return written;
  }
}

// ---- Tokens listed after they end -------------------------------------------------------------------------------

/** How long a token stays listed after its own expiry (a token used up or revoked earlier: after that expiry too). */
export const ENDED_LISTED_SECONDS = 3600;

/**
 * The non-secret trace of a listed token, written when it is issued: what the admin API shows of it once the store
 * no longer holds it. The token's own entry is untouched: whatever reads it reads it as before, so an expired or
 * taken token is refused as it always was, and nothing a trace holds can be presented in its place.
 */
export interface Trace {
  readonly kind: string;
  /** The id as listed: redacted where it is a credential. */
  readonly shown: string;
  readonly createdAt: number;
  /** The token's own expiry. */
  readonly expiresAt: number;
  /** Its facts when it was issued. */
  readonly context?: Readonly<Record<string, unknown>>;
}

/** How a token ended before its expiry, written after the step that ended it. */
export interface Ending {
  readonly ended: "used" | "revoked";
  /** Its facts when it ended. */
  readonly context?: Readonly<Record<string, unknown>>;
}

/** The core's own kinds, by a hash of the token's kind and id (never the id itself); never listed as they are. */
export const traces = kind<Trace>("core.trace", { secretId: false });
export const endings = kind<Ending>("core.ending", { secretId: false });

/** The id of the trace (and ending) of `id` of kind `k`: a hash, so neither holds anything a client could present. */
export function traceId(k: Kind<unknown>, id: string): string {
  // One-shot: no hash object per call (every listed token's write takes one).
  return hash("sha256", `${k.name}\n${id}`, "base64url");
}

const contextOf = async <T>(store: Store, k: Kind<T>, entry: StoreEntry<T>, now: number) =>
  (await k.show?.(entry.value, now, store))?.context;

/** Seconds from `now` until an hour past `expiresAt`. */
const keptFor = (expiresAt: number, now: number) =>
  Math.ceil(Math.max(0, expiresAt - now) / 1000) + ENDED_LISTED_SECONDS;

/**
 * Stores a token of a listed kind as `put` does, and its trace until `ENDED_LISTED_SECONDS` past its expiry, so
 * `GET /__admin/tokens` still shows it as `expired` (or `used`, `revoked`: see `endListed`) for a while. Bounded: a
 * trace is an entry like any other, under the store's bound, with an expiry.
 *
 * @example
 * await putListed(ns.store, accessTokens, token, { clientId, sub }, 3600);
 */
export async function putListed<T>(
  store: Store,
  k: Kind<T>,
  id: string,
  value: T,
  ttlSeconds: number,
): Promise<StoreEntry<T>> {
  const [entry] = await putAllListed(store, [putItem(k, id, value, ttlSeconds)]);
  return entry as StoreEntry<T>;
}

/**
 * Stores several tokens as `putListed` does one, in one step (`putAll`) and at one instant: a pair a grant issues
 * together (an access and a refresh token) costs one round trip to a shared store, not four.
 */
export async function putAllListed(store: Store, items: readonly PutItem[]): Promise<StoreEntry<unknown>[]> {
  const at = store.now();
  const all: PutItem[] = [...items];
  for (const item of items) {
    const expiresAt = at + item.ttlSeconds * 1000;
    // Most kinds show their facts at once: awaited only when a kind reads the store for them.
    const facts = item.kind.show?.(item.value, at, store);
    const context = (facts instanceof Promise ? await facts : facts)?.context;
    const trace: Trace = {
      kind: item.kind.name,
      shown: item.kind.secretId ? redactToken(item.id) : item.id,
      createdAt: at,
      expiresAt,
      ...(context ? { context } : {}),
    };
    all.push(putItem(traces, traceId(item.kind, item.id), trace, keptFor(expiresAt, at)));
  }
  const written = await store.putAll(all, at);
  return written.slice(0, items.length);
}

/**
 * Says how a token ended before its expiry: `entry` is what the `take`, `delete` or compare-and-set that ended it
 * returned. Written after that step, never instead of it: single use stays the store's one atomic step, and the first
 * ending said is the one kept. Listed until `ENDED_LISTED_SECONDS` past the token's expiry, as its trace is.
 */
export async function endListed<T>(
  store: Store,
  k: Kind<T>,
  entry: StoreEntry<T>,
  ended: "used" | "revoked",
  now: number,
): Promise<void> {
  // Only what the admin API shows: the token is spent already, so a store that fails now must not make the caller
  // answer "try again" (a retried Sumsub code would count as a reuse). The listing then shows it expired, not used.
  try {
    const context = await contextOf(store, k, entry, now);
    await store.create(
      endings,
      traceId(k, entry.id),
      { ended, ...(context ? { context } : {}) },
      keptFor(entry.expiresAt, now),
    );
  } catch {
    // the ending is for display only
  }
}

/**
 * Ends a token of a listed kind before its expiry: the store's atomic `take` (exactly one concurrent caller gets it),
 * then its ending, `used` (a single-use token consumed) unless said otherwise (`revoked`).
 */
export async function takeListed<T>(
  store: Store,
  k: Kind<T>,
  id: string,
  now: number,
  ended: Ending["ended"] = "used",
): Promise<StoreEntry<T> | undefined> {
  const taken = await store.take(k, id);
  if (taken) await endListed(store, k, taken, ended, now);
  return taken;
}

/** A row of `GET /__admin/tokens` (or `/sessions`), before its instants are written as text. */
export interface ListedEntry {
  kind: string;
  id: string;
  createdAt: number;
  expiresAt: number;
  status?: string;
  context?: Readonly<Record<string, unknown>>;
}

/**
 * The entries of the kinds listed under `list`, oldest first, ids redacted where they are credentials, each with its
 * status and context. For `tokens`, every status is a `TokenStatus`, and a token the store no longer holds is listed
 * from its trace while that lasts: `used` or `revoked` if its ending says so, else `expired` once past its expiry.
 */
export async function listEntries(
  store: Store,
  kinds: ReadonlyMap<string, Kind<unknown>>,
  list: "tokens" | "sessions",
  now: number,
): Promise<ListedEntry[]> {
  const live = new Map<string, ListedEntry>();
  const untraced: ListedEntry[] = [];
  const traced: StoreEntry<Trace>[] = [];
  const ended = new Map<string, Ending>();
  for (const e of await store.list()) {
    if (e.kind === traces.name) traced.push(e as StoreEntry<Trace>);
    if (e.kind === endings.name) ended.set(e.id, e.value as Ending);
    const k = kinds.get(e.kind);
    if (k?.list !== list) continue;
    const facts = await k.show?.(e.value, now, store);
    const row: ListedEntry = {
      kind: e.kind,
      id: k.secretId ? redactToken(e.id) : e.id,
      createdAt: e.createdAt,
      expiresAt: e.expiresAt,
      ...(list === "tokens" ? { status: "active" } : {}),
      ...facts,
    };
    if (list === "tokens") live.set(traceId(k, e.id), row);
    else untraced.push(row);
  }
  if (list === "sessions") return untraced;
  // In the order the tokens were issued (a rewrite does not move a trace), then those issued without one.
  const rows: ListedEntry[] = [];
  for (const { id, value: t } of traced) {
    const held = live.get(id);
    live.delete(id);
    if (held) {
      rows.push(held);
      continue;
    }
    // Gone before its expiry with no ending said (evicted by the store's bound): nothing is known of how it ended.
    const ending = ended.get(id);
    const status = ending?.ended ?? (now >= t.expiresAt ? "expired" : undefined);
    if (status === undefined) continue;
    const context = ending?.context ?? t.context;
    rows.push({
      kind: t.kind,
      id: t.shown,
      createdAt: t.createdAt,
      expiresAt: t.expiresAt,
      status,
      ...(context ? { context } : {}),
    });
  }
  // Oldest first (a clock set back may have issued a later one earlier); issue order among equals.
  return [...rows, ...live.values()].sort((a, b) => a.createdAt - b.createdAt);
}

/** A token as the admin API shows it: enough to recognise, not enough to use. */
export function redactToken(value: string): string {
  return value.length <= 12 ? "[redacted]" : `${value.slice(0, 8)}…[redacted]`;
}
