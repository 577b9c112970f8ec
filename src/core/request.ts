import type { Context, MiddlewareHandler } from "hono";
import { getPath } from "hono/utils/url";
import { isoAt } from "./clock.js";
import type { AppEnv } from "./context.js";
import type { JournalError, Redact } from "./journal.js";
import type { Logger } from "./log.js";
import { DEFAULT_NAMESPACE, type Namespaces } from "./namespaces.js";
import { routeOf } from "./route.js";

/** The longest path (with its query) the journal keeps: 2 KiB, then a mark that the rest was cut. */
export const MAX_JOURNAL_PATH = 2048;

function boundPath(path: string): string {
  return path.length <= MAX_JOURNAL_PATH ? path : `${path.slice(0, MAX_JOURNAL_PATH)}…[truncated]`;
}

/** `/ns/<id>/…`: the namespace a path names, for clients that cannot set headers (SDKs, browsers). */
const NS_PREFIX = /^\/ns\/([^/]+)(?=\/|$)/;

function namespacePrefix(rawPath: string): string | undefined {
  return NS_PREFIX.exec(rawPath)?.[1];
}

/** The path routing sees: a leading `/ns/<id>` is not part of it (the request context reads it). */
export function routedPath(req: Request): string {
  const path = getPath(req);
  const id = path.startsWith("/ns/") ? namespacePrefix(path) : undefined;
  return id === undefined ? path : path.slice(4 + id.length) || "/";
}

/**
 * Who is asking, in which namespace (`/ns/<id>/…`, `X-Sandbox-Namespace`, or `?namespace=` on the admin API), and a
 * journal line once answered, naming the declared route that answered.
 */
export function requestContext(options: {
  namespaces: Namespaces;
  publicUrl: () => string;
  logger: Logger;
  /** The vendor a path is under, if any. */
  vendorOf: (path: string) => string | undefined;
  /** How a logged path and an error's message hide their secrets (the journal's own redactor). */
  redact: Redact;
}): MiddlewareHandler<AppEnv> {
  const { namespaces, logger } = options;
  return async (c, next) => {
    const started = performance.now();
    const path = c.req.path;
    const fromPath = c.req.url.includes("/ns/") ? namespacePrefix(getPath(c.req.raw)) : undefined;
    const id =
      fromPath ??
      c.req.header("x-sandbox-namespace") ??
      (path.startsWith("/__admin") ? c.req.query("namespace") : undefined) ??
      DEFAULT_NAMESPACE;
    const ns = namespaces.get(id);
    // A namespace shared with other sandboxes (Redis) may have been changed through one of them.
    await namespaces.sync(ns);
    c.set("ns", ns);
    const base = options.publicUrl();
    c.set("baseUrl", ns.id === DEFAULT_NAMESPACE ? base : `${base}/ns/${ns.id}`);
    const query = c.req.url.indexOf("?");
    // Bounded, so a long query costs little.
    const bounded = boundPath(query < 0 ? path : path + c.req.url.slice(query));
    // Tokens the path carries are looked up before the handler runs, so one it consumes is still recognised.
    const held = await options.redact.held(ns.store, bounded);
    await next();
    const failure = c.get("error") ?? (c.res.status >= 400 ? scenarioAnswer(c) : undefined);
    const entry = {
      at: ns.clock.now(),
      namespace: ns.id,
      direction: "in" as const,
      method: c.req.method,
      // Redacted when read (admin API, logs), not on every request; but now when it carries an issued token, which
      // may be gone from the store by the time it is read.
      path: held.size === 0 ? bounded : options.redact(bounded, held),
      vendor: options.vendorOf(path) ?? null,
      route: routeOf(c)?.name ?? null,
      status: c.res.status,
      scenario: c.get("scenario") ?? null,
      durationMs: Math.round((performance.now() - started) * 1000) / 1000,
      error: failure ? { name: failure.name, message: options.redact.text(failure.message, held) } : null,
    };
    ns.journal.record(entry);
    if (logger.enabled("info")) {
      const { at, path: raw, ...fields } = entry;
      logger.info("request", { time: isoAt(at), path: options.redact(raw, held), ...fields });
    }
  };
}

/** The reason of an error status a scenario wrote itself (a raw answer or a fault), which no error door saw. */
function scenarioAnswer(c: Context<AppEnv>): JournalError | undefined {
  const outcome = c.res.headers.get("X-Sandbox-Outcome");
  const scenario = c.get("scenario");
  if (scenario === undefined || (outcome !== "raw" && outcome !== "fault")) return undefined;
  return { name: outcome, message: `${outcome} answer of scenario ${scenario}` };
}
