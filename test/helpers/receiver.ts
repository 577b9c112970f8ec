import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo, Socket } from "node:net";

/** One request as the receiver saw it, so a test can check exactly what the sandbox sent. */
export interface ReceivedRequest {
  method: string;
  path: string;
  /** Lower-case names; a repeated header is joined with ", ". */
  headers: Record<string, string>;
  /** The raw body bytes decoded as UTF-8, untouched (signatures are computed over these). */
  body: string;
  at: number;
}

/** What the receiver does with a request: answer it, never answer ("hang"), or drop the socket ("reset"). */
export type Answer = { status: number; body?: string } | "hang" | "reset";

/** Chooses the answer to request number `index` (0-based, in arrival order), to script a flaky consumer. */
export type AnswerFn = (req: ReceivedRequest, index: number) => Answer | Promise<Answer>;

/** Options of {@link startReceiver}. */
export interface ReceiverOptions {
  answer?: AnswerFn;
}

/** A live webhook endpoint for delivery tests: it records, answers as scripted and counts its sockets. */
export interface Receiver {
  url: string;
  received: ReceivedRequest[];
  next(timeoutMs?: number): Promise<ReceivedRequest>;
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedRequest[]>;
  openSockets(): number;
  waitForSockets(n: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** An answer function failing the first `n` requests with `status`, then answering 200: retries in a line. */
export function failTimes(n: number, status = 500): AnswerFn {
  return (_req, index) => (index < n ? { status } : { status: 200 });
}

/** An answer function answering 200, but request number `held` (from 0) only once `release()` is called. */
export function holdOne(held: number): { answer: AnswerFn; release: () => void } {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  return {
    answer: async (_req, index) => {
      if (index === held) await gate;
      return { status: 200 };
    },
    release,
  };
}

function headersOf(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
  }
  return headers;
}

/**
 * Starts a real HTTP server on 127.0.0.1 (a free port), so webhook tests go through actual sockets,
 * timeouts and resets rather than a mocked fetch. Every wait is event-driven and times out with a clear error.
 */
export async function startReceiver(options: ReceiverOptions = {}): Promise<Receiver> {
  const answer: AnswerFn = options.answer ?? (() => ({ status: 200 }));
  const received: ReceivedRequest[] = [];
  const sockets = new Set<Socket>();
  const waiters = new Set<() => boolean>();
  let consumed = 0;
  let closing: Promise<void> | undefined;

  const notify = (): void => {
    for (const settle of [...waiters]) if (settle()) waiters.delete(settle);
  };

  /** Resolves with the first non-undefined `probe()`, re-run on every arrival and socket close. */
  function until<T>(what: string, timeoutMs: number, probe: () => T | undefined): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.delete(settle);
        reject(
          new Error(
            `receiver: timed out after ${timeoutMs} ms waiting for ${what}; ` +
              `${received.length} request(s) arrived, ${consumed} consumed by next(), ${sockets.size} socket(s) open`,
          ),
        );
      }, timeoutMs);
      const settle = (): boolean => {
        const value = probe();
        if (value === undefined) return false;
        clearTimeout(timer);
        resolve(value);
        return true;
      };
      if (!settle()) waiters.add(settle);
    });
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const request: ReceivedRequest = {
        method: req.method ?? "",
        path: req.url ?? "",
        headers: headersOf(req),
        body: Buffer.concat(chunks).toString("utf8"),
        at: Date.now(),
      };
      const index = received.push(request) - 1;
      notify();
      void Promise.resolve()
        .then(() => answer(request, index))
        .catch((error: unknown) => ({ status: 500, body: `receiver answer() threw: ${String(error)}` }))
        .then((chosen) => {
          if (chosen === "hang") return;
          if (chosen === "reset") {
            req.socket.destroy();
            return;
          }
          res.writeHead(chosen.status, { "content-type": "text/plain" }).end(chosen.body ?? "");
        });
    });
  });
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => {
      sockets.delete(socket);
      notify();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    next: (timeoutMs = 5000) =>
      until("the next request (next())", timeoutMs, () => {
        const request = received[consumed];
        if (request !== undefined) consumed += 1;
        return request;
      }),
    waitFor: (count, timeoutMs = 5000) =>
      until(`${count} request(s)`, timeoutMs, () =>
        received.length >= count ? received.slice() : undefined,
      ),
    openSockets: () => sockets.size,
    waitForSockets: (n, timeoutMs = 5000) =>
      until(`${n} open socket(s)`, timeoutMs, () => (sockets.size === n ? true : undefined)).then(
        () => undefined,
      ),
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}
