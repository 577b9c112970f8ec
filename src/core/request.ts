import type { MiddlewareHandler } from "hono";
import { getPath } from "hono/utils/url";
import { isoAt } from "./clock.js";
import type { AppEnv } from "./context.js";
import type { Redact } from "./journal.js";
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
  /** How a logged path hides its secrets (the journal's own redactor). */
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
    c.set("ns", ns);
    const base = options.publicUrl();
    c.set("baseUrl", ns.id === DEFAULT_NAMESPACE ? base : `${base}/ns/${ns.id}`);
    await next();
    const query = c.req.url.indexOf("?");
    const entry = {
      at: ns.clock.now(),
      namespace: ns.id,
      direction: "in" as const,
      method: c.req.method,
      // Redacted when read (admin API, logs), not on every request; bounded, so a long query costs little.
      path: boundPath(query < 0 ? path : path + c.req.url.slice(query)),
      vendor: options.vendorOf(path) ?? null,
      route: routeOf(c)?.name ?? null,
      status: c.res.status,
      scenario: c.get("scenario") ?? null,
      durationMs: Math.round((performance.now() - started) * 1000) / 1000,
    };
    ns.journal.record(entry);
    if (logger.enabled("info")) {
      const { at, path: raw, ...fields } = entry;
      logger.info("request", { time: isoAt(at), path: options.redact(raw), ...fields });
    }
  };
}
