import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { createAdaptorServer } from "@hono/node-server";
import { catalogues, createApp, providers, type SandboxDeps } from "./app.js";
import {
  ConfigError,
  parseConfig,
  publicUrlOf,
  type SandboxConfig,
  type SandboxConfigInput,
} from "./config.js";
import type { Clock } from "./core/clock.js";
import type { Namespace } from "./core/context.js";
import { createIdGenerator, type IdGenerator } from "./core/ids.js";
import { loadKeyStore } from "./core/keys.js";
import { createNamespaces, resetNamespace } from "./core/namespaces.js";
import { createLogger, type Logger } from "./core/log.js";
import { loadFixtures } from "./core/provider.js";
import { loadScenarios, outcomeSchema, ruleProblem, type Outcome } from "./core/scenarios.js";

export interface DepsOverrides {
  /** The default namespace's clock; a fresh system clock otherwise. */
  clock?: Clock;
  ids?: IdGenerator;
  /** Where the public base URL comes from; `http://HOST:PORT` (or `publicUrl`) otherwise. */
  publicUrl?: () => string;
  logger?: Logger;
}

/** Loads keys and fixtures once, at start-up, and builds the state every request shares. */
export async function createDeps(config: SandboxConfig, overrides: DepsOverrides = {}): Promise<SandboxDeps> {
  const keySets = [...new Set(providers.flatMap((p) => p.keySets))];
  const [keys, fixtures, scenarios] = await Promise.all([
    loadKeyStore(join(config.fixturesDir, "keys"), keySets),
    loadFixtures(config.fixturesDir, providers),
    loadScenarios(config.scenariosDir, catalogues),
  ]);
  const unknown = config.scenarios.filter((name) => !scenarios.has(name));
  if (unknown.length > 0) {
    throw new ConfigError(
      `scenarios: unknown scenario ${unknown.join(", ")} (known: ${[...scenarios.keys()].join(", ")})`,
    );
  }
  const fixedBase = publicUrlOf(config, config.port);
  return {
    config,
    keys,
    fixtures,
    ids: overrides.ids ?? createIdGenerator(),
    namespaces: createNamespaces({
      maxEntries: config.store.maxEntries,
      maxNamespaces: config.namespaces.max,
      journalSize: config.journal.size,
      clock: overrides.clock,
    }),
    scenarios,
    globalScenarios: [...config.scenarios],
    logger: overrides.logger ?? createLogger(config.quiet ? "error" : config.logLevel),
    publicUrl: overrides.publicUrl ?? (() => fixedBase),
  };
}

/** A running sandbox, for test suites. */
export interface Sandbox {
  /** Base URL, e.g. `http://127.0.0.1:4010`; vendors live under `/<vendor>`. */
  readonly url: string;
  readonly port: number;
  /** The default namespace's clock: advance it instead of sleeping. */
  readonly clock: Clock;
  readonly deps: SandboxDeps;
  /** The default namespace (its store holds every token, code and session issued without a namespace). */
  readonly state: Namespace;
  /** Forgets all state in every namespace. */
  reset(): void;
  /**
   * Makes the next matching request to `vendor` (route `METHOD /path` within the vendor, `*` wildcards) answer with
   * `outcome` instead, once. In a namespace, if given.
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
  close(): Promise<void>;
}

export interface SandboxOptions extends Omit<SandboxConfigInput, "port"> {
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
  const server = createAdaptorServer({ fetch: app.fetch, hostname: config.host });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port, config.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  base = publicUrlOf(config, port);
  const sweeper = setInterval(() => deps.namespaces.sweep(), config.store.sweepIntervalSeconds * 1000);
  sweeper.unref();

  let closing: Promise<void> | undefined;
  return {
    get url() {
      return deps.publicUrl();
    },
    port,
    clock: deps.namespaces.default.clock,
    deps,
    state: deps.namespaces.default,
    reset: () => {
      for (const ns of deps.namespaces.all()) resetNamespace(ns);
    },
    enqueue(vendor, route, outcome, options = {}) {
      const rule = { ...outcomeSchema.parse(outcome), vendor, route, times: options.times ?? 1 };
      const problem = ruleProblem(rule, catalogues);
      if (problem) throw new TypeError(`enqueue: ${problem}`);
      deps.namespaces.get(options.namespace ?? deps.namespaces.default.id).scenarios.queue.push(rule);
    },
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        clearInterval(sweeper);
        server.close((err) => {
          if (err) reject(err);
          else resolve();
        });
        if ("closeAllConnections" in server) server.closeAllConnections();
      });
      return closing;
    },
  };
}
