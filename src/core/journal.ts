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
export type JournalRecord = Omit<JournalEntry, "id" | "time"> & { at: number };

/** A bounded ring of recent requests; the oldest go first. */
export interface Journal {
  record(entry: JournalRecord): void;
  query(query: JournalQuery): JournalEntry[];
  clear(): void;
  readonly size: number;
}

/** A journal of `capacity` requests whose paths leave through `redact`. */
export function createJournal(capacity: number, redact: Redact = redactorFor()): Journal {
  // Records are kept as they were passed in, their ids alongside: no copy per request.
  const ring = new Array<JournalRecord | undefined>(capacity);
  const ids = new Float64Array(capacity);
  let next = 0;
  let count = 0;
  return {
    record(entry) {
      ring[next % capacity] = entry;
      ids[next % capacity] = next + 1;
      next++;
      count = Math.min(count + 1, capacity);
    },
    query({ vendor, route, status, direction, since, limit = 100 }) {
      const out: JournalEntry[] = [];
      for (let i = next - 1; i >= next - count && out.length < limit; i--) {
        const e = ring[i % capacity]!;
        const id = ids[i % capacity]!;
        if (since !== undefined && id <= since) break;
        if (vendor !== undefined && e.vendor !== vendor) continue;
        if (route !== undefined && e.route !== route) continue;
        if (status !== undefined && e.status !== status) continue;
        if (direction !== undefined && e.direction !== direction) continue;
        const { at, path, ...rest } = e;
        out.push({ id, time: new Date(at).toISOString(), path: redact(path), ...rest });
      }
      return out;
    },
    clear() {
      ring.fill(undefined);
      count = 0;
    },
    get size() {
      return count;
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

/** Writes a `path?query` with every secret parameter's value replaced. */
export type Redact = (pathAndQuery: string) => string;

/** A redactor for the common secret parameters and `secretNames`, matched without regard to case. */
export function redactorFor(secretNames: Iterable<string> = []): Redact {
  const secrets = new Set([...COMMON_SECRETS, ...secretNames].map((name) => name.toLowerCase()));
  return (pathAndQuery) => {
    const q = pathAndQuery.indexOf("?");
    if (q < 0) return pathAndQuery;
    const search = pathAndQuery.slice(q);
    if (search === "?") return pathAndQuery.slice(0, q);
    const params = new URLSearchParams(search);
    for (const key of new Set(params.keys()))
      if (secrets.has(key.toLowerCase())) params.set(key, "[redacted]");
    return `${pathAndQuery.slice(0, q)}?${params.toString()}`;
  };
}

/** A token as the admin API shows it: enough to recognise, not enough to use. */
export function redactToken(value: string): string {
  return value.length <= 12 ? "[redacted]" : `${value.slice(0, 8)}…[redacted]`;
}
