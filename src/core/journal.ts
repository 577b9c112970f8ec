import type { ByteBudget, Charge } from "./budget.js";
import type { Kind, Store } from "./store.js";

/** Why a request failed, as the journal keeps it. */
export interface JournalError {
  /** The error's name in its catalogue (`invalid_client`); `network` for a webhook attempt that got no answer. */
  name: string;
  /** Its message, as the answer carried it, secrets redacted. */
  message: string;
}

/** One request as the journal gives it back: nothing secret (see `redactorFor`). */
export interface JournalEntry {
  id: number;
  /** ISO 8601 on the namespace's clock. */
  time: string;
  namespace: string;
  /** `in`: a request the sandbox answered; `out`: a webhook attempt it made (`path` is then the receiver's URL). */
  direction: "in" | "out";
  method: string;
  /** The path with secret query values replaced by `[redacted]`. */
  path: string;
  vendor: string | null;
  /** The declared route that answered, by its name within the vendor: `POST /api/snsId/oauth/token`. */
  route: string | null;
  /** The answer's status; 0 for a webhook attempt that got no HTTP answer. */
  status: number;
  scenario: string | null;
  durationMs: number;
  /** Why it failed: set on every answer of status 400 or more, and on a webhook attempt that got none; else null. */
  error: JournalError | null;
}

export interface JournalQuery {
  vendor?: string;
  /** A route name, exactly; raw paths are never matched (they hold secrets the journal only shows redacted). */
  route?: string;
  status?: number;
  direction?: "in" | "out";
  /** Entries with an id greater than this. */
  since?: number;
  limit?: number;
}

/** What a request records: the time as a number, formatted only when someone reads the journal. */
export type JournalRecord = Omit<JournalEntry, "id" | "time" | "error"> & {
  at: number;
  /** Already redacted (see `Redact.text`); none when omitted. */
  error?: JournalError | null;
};

/**
 * A bounded list of recent requests; the oldest go first. Recording never waits (a shared journal's write goes out
 * behind the answer); reading and clearing may (a shared journal is read from its store).
 */
export interface Journal {
  record(entry: JournalRecord): void;
  /** Newest first, at most `limit` (100 unless given). */
  query(query: JournalQuery): Promise<JournalEntry[]>;
  clear(): Promise<void>;
  /** How many entries it holds. */
  size(): Promise<number>;
}

/** Whether a record passes a query's filters (not `since` and `limit`: the reader stops on those). */
export function passes(e: JournalRecord, { vendor, route, status, direction }: JournalQuery): boolean {
  return (
    (vendor === undefined || e.vendor === vendor) &&
    (route === undefined || e.route === route) &&
    (status === undefined || e.status === status) &&
    (direction === undefined || e.direction === direction)
  );
}

/** A record as the journal gives it back: its id, its time written out, its path redacted. */
export function entryOf(id: number, record: JournalRecord, redact: Redact): JournalEntry {
  const { at, path, error = null, ...rest } = record;
  return { id, time: new Date(at).toISOString(), path: redact(path), ...rest, error };
}

/** What a record costs besides its strings: the object, its slot in the ring and its charge (an estimate). */
const RECORD_OVERHEAD = 240;

/**
 * A journal of `capacity` requests whose paths leave through `redact`. With a `budget`, each record is charged its
 * bytes there, and the budget may drop the oldest before the ring does (the shared byte bound, `store.maxBytes`).
 */
export function createJournal(
  capacity: number,
  redact: Redact = redactorFor(),
  budget?: ByteBudget,
): Journal {
  // Records are kept as they were passed in, their ids alongside: no copy per request.
  const ring = new Array<JournalRecord | undefined>(capacity);
  const charges = budget ? new Array<Charge | undefined>(capacity) : undefined;
  const ids = new Float64Array(capacity);
  let next = 0;
  let count = 0;
  const drop = (slot: number) => {
    ring[slot] = undefined;
    const charge = charges?.[slot];
    if (charge) {
      budget!.release(charge);
      charges[slot] = undefined;
    }
  };
  return {
    record(entry) {
      const slot = next % capacity;
      drop(slot);
      ring[slot] = entry;
      ids[slot] = next + 1;
      next++;
      count = Math.min(count + 1, capacity);
      if (charges) {
        const bytes =
          RECORD_OVERHEAD +
          entry.path.length +
          (entry.route?.length ?? 0) +
          (entry.error?.message.length ?? 0);
        charges[slot] = budget!.charge(bytes, () => {
          if (ring[slot] === entry) drop(slot);
        });
      }
    },
    query(query) {
      const { since, limit = 100 } = query;
      const out: JournalEntry[] = [];
      for (let i = next - 1; i >= next - count && out.length < limit; i--) {
        const e = ring[i % capacity];
        const id = ids[i % capacity]!;
        if (since !== undefined && id <= since) break;
        // Undefined: dropped by the byte budget.
        if (e !== undefined && passes(e, query)) out.push(entryOf(id, e, redact));
      }
      return Promise.resolve(out);
    },
    clear() {
      for (let slot = 0; slot < capacity; slot++) drop(slot);
      count = 0;
      return Promise.resolve();
    },
    size() {
      return Promise.resolve(count);
    },
  };
}

/** Parameters whose values are secrets in any OAuth-style API; a vendor declares its own besides (`secretFields`). */
const COMMON_SECRETS = [
  "client_secret",
  "secret",
  "password",
  "access_token",
  "refresh_token",
  "id_token",
  "code",
  "authorization",
  "token",
  "api_key",
  "apikey",
];

/** What stands in for a secret. */
const REDACTED = "[redacted]";
/** The same in a path, written as the query's are (`URLSearchParams` encodes the brackets). */
const REDACTED_SEGMENT = encodeURIComponent(REDACTED);
/** The longest error message the journal keeps (an unknown-keys message can echo a whole body). */
const MAX_TEXT = 2048;
/** Shorter values are never taken for secrets, whatever they equal: else `code=1` would hide every `1`. */
export const MIN_SECRET_LENGTH = 6;

/**
 * How the journal and the log hide secrets: the values of secret parameters, and any query value or path segment
 * equal to a known credential or to a token the sandbox issued, whatever the parameter is called.
 *
 * @example
 * const held = await redact.held(ns.store, "/dqe/x?foo=TKabc…");
 * redact("/dqe/x?foo=TKabc…", held); // "/dqe/x?foo=%5Bredacted%5D"
 */
export interface Redact {
  /** A `path?query` with every secret replaced; `held` are further values to hide (see `held`). */
  (pathAndQuery: string, held?: ReadonlySet<string>): string;
  /** Free text (an error's message) with every known credential and `held` value in it replaced. */
  text(text: string, held?: ReadonlySet<string>): string;
  /**
   * The query values and path segments of `pathAndQuery` that `store` holds as the id of a secret kind: tokens and
   * codes it issued and still keeps. One lookup per distinct value of secret length and secret kind, no scan.
   */
  held(store: Store, pathAndQuery: string): Promise<ReadonlySet<string>>;
}

export interface RedactorOptions {
  /** Known credentials (client secrets, API keys, licences): hidden wherever a value equals one. */
  values?: Iterable<string | undefined>;
  /** The kinds whose ids are credentials (`secretId`): values the store holds under one are hidden. */
  kinds?: readonly Kind<unknown>[];
  /** Path segments that are never tokens (the routes' own words): not looked up in a store. */
  words?: Iterable<string>;
}

const NONE: ReadonlySet<string> = new Set();

function decodeSegment(segment: string): string {
  if (!segment.includes("%")) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/**
 * The distinct path segments and query values of secret length that `skip` does not rule out: what might be a
 * token. Values of secret parameters are left out (hidden by name whatever they are).
 */
function candidates(
  pathAndQuery: string,
  names: ReadonlySet<string>,
  skip: (value: string) => boolean,
): string[] {
  const out = new Set<string>();
  const q = pathAndQuery.indexOf("?");
  const path = q < 0 ? pathAndQuery : pathAndQuery.slice(0, q);
  for (const segment of path.split("/")) {
    if (segment.length < MIN_SECRET_LENGTH) continue;
    const value = decodeSegment(segment);
    if (value.length >= MIN_SECRET_LENGTH && !skip(value)) out.add(value);
  }
  if (q >= 0 && q < pathAndQuery.length - 1)
    for (const [key, value] of new URLSearchParams(pathAndQuery.slice(q)))
      if (value.length >= MIN_SECRET_LENGTH && !names.has(key.toLowerCase()) && !skip(value)) out.add(value);
  return [...out];
}

/**
 * A redactor for the common secret parameters and `secretNames` (matched without regard to case), for the credentials
 * in `values`, and for the ids of the secret `kinds` a store holds.
 */
export function redactorFor(secretNames: Iterable<string> = [], options: RedactorOptions = {}): Redact {
  const names = new Set([...COMMON_SECRETS, ...secretNames].map((name) => name.toLowerCase()));
  const known = new Set<string>();
  for (const value of options.values ?? [])
    if (value !== undefined && value.length >= MIN_SECRET_LENGTH) known.add(value);
  const kinds = (options.kinds ?? []).filter((k) => k.secretId);
  const words = new Set(options.words);
  const notToken = (value: string) => known.has(value) || words.has(value);
  const isSecret = (value: string, held: ReadonlySet<string>) =>
    value.length >= MIN_SECRET_LENGTH && (known.has(value) || held.has(value));

  const redact = (pathAndQuery: string, held: ReadonlySet<string> = NONE): string => {
    const q = pathAndQuery.indexOf("?");
    let path = q < 0 ? pathAndQuery : pathAndQuery.slice(0, q);
    if (known.size > 0 || held.size > 0)
      path = path
        .split("/")
        .map((s) =>
          s.length >= MIN_SECRET_LENGTH && isSecret(decodeSegment(s), held) ? REDACTED_SEGMENT : s,
        )
        .join("/");
    if (q < 0) return path;
    const search = pathAndQuery.slice(q);
    if (search === "?") return path;
    // A repeated secret name leaves one redacted value, where it first stood; other values stay where they were.
    const out = new URLSearchParams();
    const written = new Set<string>();
    for (const [key, value] of new URLSearchParams(search)) {
      if (names.has(key.toLowerCase())) {
        if (!written.has(key)) out.append(key, REDACTED);
        written.add(key);
      } else out.append(key, isSecret(value, held) ? REDACTED : value);
    }
    return `${path}?${out.toString()}`;
  };

  // As given, and as a path writes it (a code's `=`, an app token's `:` stay percent-encoded in a message).
  const formsOf = (value: string) => [...new Set([value, encodeURIComponent(value), encodeURI(value)])];
  // The known credentials' forms are worked out once; only the values a request holds are new each time.
  const knownForms = [...known].map(formsOf);
  const text = (input: string, held: ReadonlySet<string> = NONE): string => {
    let out = input.length > MAX_TEXT ? `${input.slice(0, MAX_TEXT)}…[truncated]` : input;
    const heldForms = [...held].filter((value) => value.length >= MIN_SECRET_LENGTH).map(formsOf);
    for (const forms of [...knownForms, ...heldForms])
      for (const form of forms) if (out.includes(form)) out = out.split(form).join(REDACTED);
    return out;
  };

  const held = async (store: Store, pathAndQuery: string): Promise<ReadonlySet<string>> => {
    if (kinds.length === 0) return NONE;
    const values = candidates(pathAndQuery, names, notToken);
    if (values.length === 0) return NONE;
    try {
      // One step for every value and kind: a network store answers it in one command.
      const found = await store.holdsAny(kinds, values);
      const out = values.filter((_, i) => found[i]);
      return out.length === 0 ? NONE : new Set(out);
    } catch {
      // The store could not say (a network store that went away): hide every value that could be a token.
      return new Set(values);
    }
  };

  return Object.assign(redact, { text, held });
}
