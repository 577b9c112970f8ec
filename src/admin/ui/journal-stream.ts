import type { Context } from "hono";
import type { AppEnv } from "../../core/context.js";
import { nodeIncoming } from "../../core/http.js";
import type { Journal, JournalEntry } from "../../core/journal.js";

/** How often an open stream looks at its journal for new entries (a look costs one comparison when none came). */
export const STREAM_POLL_MS = 250;
/** A comment after this much silence, so neither a proxy nor the reader takes the stream for dead. */
const KEEP_ALIVE_MS = 15_000;
/** What a stream opened without a cursor sends first: the newest entries, up to this many. */
export const STREAM_BACKLOG = 100;
/** The most entries read in one look: the journal's default size. */
const MOST_PER_LOOK = 1000;

/**
 * One Server-Sent Event: `id:`, `event:`, a `data:` line per line of the data, then a blank line.
 *
 * @example
 * sseEvent({ id: 7, event: "request", data: '{"id":7}' }); // "id: 7\nevent: request\ndata: {\"id\":7}\n\n"
 */
export function sseEvent(event: { id?: number; event?: string; data: string }): string {
  let out = event.id === undefined ? "" : `id: ${event.id}\n`;
  if (event.event !== undefined) out += `event: ${event.event}\n`;
  for (const line of event.data.split(/\r\n|\r|\n/)) out += `data: ${line}\n`;
  return `${out}\n`;
}

/** A comment line: every reader skips it. */
export function sseComment(text: string): string {
  return `: ${text.replace(/[\r\n]+/g, " ")}\n\n`;
}

/** A read of the admin API (a dashboard makes one per view it refreshes): left out of a stream unless asked for. */
export function isAdminRead(entry: JournalEntry): boolean {
  return (
    entry.direction === "in" &&
    entry.vendor === null &&
    (entry.method === "GET" || entry.method === "HEAD") &&
    /^\/__admin(?:[/?]|$)/.test(entry.path)
  );
}

export interface JournalStreamOptions {
  journal: Journal;
  /** Entries with a greater id are sent (`Last-Event-ID`); without it, the newest `STREAM_BACKLOG`. */
  since: number | undefined;
  /** Send the admin API's own reads too. */
  adminReads: boolean;
  /** False once the server stops accepting connections: the stream then ends, so a shutdown never waits for it. */
  serving: () => boolean;
  /** Runs once, when the stream ends for whatever reason (reader gone, server closing). */
  onEnd: () => void;
  pollMs?: number;
}

/**
 * The journal as `text/event-stream`: one `request` event per entry (its id as the event id, the entry as JSON),
 * oldest first. The stream holds only a cursor: a reader that falls behind is not buffered for (the next look waits
 * until it has read), it later gets what the journal still holds past its cursor.
 */
export function journalStream(options: JournalStreamOptions): ReadableStream<Uint8Array> {
  const { journal, adminReads, serving, onEnd, pollMs = STREAM_POLL_MS } = options;
  const encoder = new TextEncoder();
  const shown = (entries: JournalEntry[]) =>
    entries
      .filter((e) => adminReads || !isAdminRead(e))
      .map((e) => sseEvent({ id: e.id, event: "request", data: JSON.stringify(e) }))
      .join("");
  let timer: ReturnType<typeof setInterval> | undefined;
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    clearInterval(timer);
    onEnd();
  };

  return new ReadableStream<Uint8Array>({
    async start(controller) {
      let quiet = 0;
      const send = (text: string) => {
        controller.enqueue(encoder.encode(text));
        quiet = 0;
      };
      const newest = (await journal.query({ limit: 1 }))[0]?.id ?? 0;
      // A cursor past the newest entry means the journal started again (its namespace was forgotten): read it all.
      const since = options.since !== undefined && options.since <= newest ? options.since : undefined;
      const first =
        since === undefined
          ? (await journal.query({ limit: MOST_PER_LOOK }))
              .filter((e) => adminReads || !isAdminRead(e))
              .slice(0, STREAM_BACKLOG)
          : await journal.query({ since, limit: MOST_PER_LOOK });
      let cursor = newest;
      send(`${sseComment("idv-sandbox journal")}retry: 1000\n\n${shown(first.reverse())}`);

      // One look at a time: a shared journal's read takes a round trip, and a slow one must not pile up.
      let looking = false;
      const look = async () => {
        if (!serving()) {
          end();
          controller.close();
          return;
        }
        // The reader is behind: look again once it has read; the cursor keeps its place.
        if ((controller.desiredSize ?? 1) <= 0) return;
        const fresh = await journal.query({ since: cursor, limit: MOST_PER_LOOK });
        if (ended) return;
        if (fresh.length > 0) cursor = fresh[0]!.id;
        const text = shown(fresh.reverse());
        if (text !== "") send(text);
        else if (++quiet * pollMs >= KEEP_ALIVE_MS) send(sseComment("keep-alive"));
      };
      timer = setInterval(() => {
        if (looking || ended) return;
        looking = true;
        // A store that does not answer: the next look tries again.
        look()
          .catch(() => undefined)
          .finally(() => {
            looking = false;
          });
      }, pollMs);
      timer.unref();
    },
    cancel() {
      end();
    },
  });
}

/**
 * Whether the server that accepted this request still accepts connections. Node sets `socket.server` on every
 * socket a server accepts (plain and TLS); a request that came without one (`app.request` in tests) reads as served.
 */
export function servingOf(c: Context<AppEnv>): () => boolean {
  const socket = nodeIncoming(c)?.socket as { server?: { listening: boolean } } | undefined;
  const server = socket?.server;
  return server ? () => server.listening : () => true;
}
