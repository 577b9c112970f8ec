import type { Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createAdaptorServer } from "@hono/node-server";
import { createApp } from "./app.js";
import { parseConfig, publicUrlOf, type CoreConfigInput, type SandboxConfig } from "./config.js";
import type { Clock } from "./core/clock.js";
import type { Namespace } from "./core/context.js";
import type { IdGenerator } from "./core/ids.js";
import { compileRule } from "./core/scenarios/check.js";
import { outcomeSchema, type Outcome } from "./core/scenarios/schema.js";
import {
  createDeps,
  forgetNamespace,
  routeTables,
  tickAll,
  type DepsOverrides,
  type SandboxDeps,
} from "./deps.js";

/** A running sandbox, for test suites. */
export interface Sandbox {
  /** Base URL, e.g. `http://127.0.0.1:4010`; vendors live under `/<vendor>`. */
  readonly url: string;
  readonly port: number;
  /** The sandbox's clock: every namespace's clock follows it. Advance it instead of sleeping. */
  readonly clock: Clock;
  readonly deps: SandboxDeps;
  /** The default namespace (its store holds every token, code and session issued without a namespace). */
  readonly state: Namespace;
  /** Forgets all state in every namespace. */
  reset(): Promise<void>;
  /**
   * Makes the next matching request to `vendor` (a route name as the vendor declares it, `METHOD /path/{param}`, `*`
   * wildcards) answer with `outcome` instead, once. In a namespace, if given. Throws a TypeError naming the problem
   * when the rule cannot work (unknown vendor or route, an error the route's format cannot express).
   *
   * @example
   * sandbox.enqueue("sumsub", "POST /resources/snsId/api/connect/token", { error: "invalid_code" });
   */
  enqueue(
    vendor: string,
    route: string,
    outcome: Outcome,
    options?: { namespace?: string; times?: number },
  ): void;
  /**
   * Stops accepting connections and closes. With `graceSeconds` (the command line's `shutdownGraceSeconds`), requests
   * in flight may finish first, up to that long; the result says how many were cut when it ran out.
   */
  close(options?: { graceSeconds?: number }): Promise<{ cut: number }>;
}

export interface SandboxOptions extends Omit<CoreConfigInput, "port"> {
  /** A vendor's own config section, under its name (`sumsub: { lenient: true }`). */
  [vendor: string]: unknown;
  /** Port to listen on; 0 picks a free one. */
  port?: number;
  clock?: Clock;
  ids?: IdGenerator;
}

/**
 * Starts a sandbox on a real socket. `port: 0` picks a free port.
 *
 * @example
 * const sandbox = await createSandbox({ port: 0 });
 * await fetch(`${sandbox.url}/__admin/health`);
 * sandbox.clock.advance(601);
 * await sandbox.close();
 */
export async function createSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const { clock, ids, ...configInput } = options;
  // In a test suite, a line per request is noise: warnings and errors only, unless asked.
  const config = parseConfig({ logLevel: "warn", ...configInput }, "createSandbox options");
  return startSandbox(config, { clock, ids });
}

export async function startSandbox(config: SandboxConfig, overrides: DepsOverrides = {}): Promise<Sandbox> {
  let base = publicUrlOf(config, config.port);
  const deps = await createDeps(config, { ...overrides, publicUrl: () => base });
  const app = createApp(deps);
  const timeouts = config.server;
  const server = createAdaptorServer({
    fetch: app.fetch,
    hostname: config.host,
    // How often Node looks for requests past their timeouts: often enough that a 10 s limit means about 10 s.
    serverOptions: { connectionsCheckingInterval: Math.min(1000, timeouts.headersTimeoutSeconds * 500) },
  }) as Server;
  server.headersTimeout = timeouts.headersTimeoutSeconds * 1000;
  server.requestTimeout = Math.max(timeouts.requestTimeoutSeconds, timeouts.headersTimeoutSeconds) * 1000;
  server.keepAliveTimeout = timeouts.keepAliveTimeoutSeconds * 1000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port, config.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  // Requests being answered now: what a shutdown would cut.
  let inFlight = 0;
  server.on("request", (_req, res: ServerResponse) => {
    inFlight++;
    res.once("close", () => inFlight--);
  });
  base = publicUrlOf(config, port);
  const tables = routeTables(deps.vendors);
  // What fell due runs before a sweep drops the records it is about (a session's expiry webhook).
  const sweeper = setInterval(() => {
    void tickAll(deps)
      .then(() => deps.namespaces.sweep())
      .catch((err: unknown) => {
        deps.logger.error("sweep_failed", { cause: String(err) });
      });
  }, config.store.sweepIntervalSeconds * 1000);
  sweeper.unref();
  // Automatic verdicts and vendor expiries fall due on the namespaces' clocks: looked at each second.
  const ticker = setInterval(() => {
    tickAll(deps).catch((err: unknown) => {
      deps.logger.error("tick_failed", { cause: String(err) });
    });
  }, 1000);
  ticker.unref();

  let closing: Promise<{ cut: number }> | undefined;
  return {
    get url() {
      return deps.publicUrl();
    },
    port,
    clock: deps.clock,
    deps,
    state: deps.namespaces.default,
    reset: async () => {
      await Promise.all(deps.namespaces.all().map((ns) => forgetNamespace(deps, ns)));
    },
    enqueue(vendor, route, outcome, options = {}) {
      const times = options.times ?? 1;
      if (!Number.isInteger(times) || times < 1)
        throw new TypeError("enqueue: times must be an integer of at least 1");
      const parsed = outcomeSchema.safeParse(outcome);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        throw new TypeError(`enqueue: ${issue.path.join(".") || "outcome"}: ${issue.message}`);
      }
      const rule = compileRule({ ...parsed.data, vendor, route, times }, tables);
      if (typeof rule === "string") throw new TypeError(`enqueue: ${rule}`);
      deps.namespaces
        .get(options.namespace ?? deps.namespaces.default.id)
        .scenarios.queue.push({ ...rule, times });
    },
    close(options = {}) {
      closing ??= new Promise<{ cut: number }>((resolve, reject) => {
        clearInterval(sweeper);
        clearInterval(ticker);
        deps.webhooks.close();
        let cut = 0;
        server.close((err) => {
          clearTimeout(grace);
          if (err) reject(err);
          else resolve({ cut });
        });
        // Idle keep-alive connections go now; requests in flight may finish within the grace period.
        server.closeIdleConnections();
        const grace = setTimeout(
          () => {
            cut = inFlight;
            server.closeAllConnections();
          },
          (options.graceSeconds ?? 0) * 1000,
        );
      });
      return closing;
    },
  };
}
