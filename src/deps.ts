import { join } from "node:path";
import { publicUrlOf, type SandboxConfig } from "./config.js";
import { createClock, type Clock } from "./core/clock.js";
import { ConfigError } from "./core/errors.js";
import { createIdGenerator, type IdGenerator } from "./core/ids.js";
import { loadKeyStore, type KeyStore } from "./core/keys.js";
import { redactorFor, type Redact } from "./core/journal.js";
import { createLogger, type Logger } from "./core/log.js";
import { createNamespaces, type Namespaces } from "./core/namespaces.js";
import { loadFixtures, type Provider } from "./core/provider.js";
import { bindRoutes, type Route } from "./core/route.js";
import type { RouteTable } from "./core/scenarios/check.js";
import { loadScenarios } from "./core/scenarios/load.js";
import type { Scenario } from "./core/scenarios/schema.js";
import type { Kind } from "./core/store.js";
import { providers as allProviders } from "./vendors.js";

/** A vendor as the sandbox runs it: the provider, its validated fixtures and its routes, bound. */
export interface Vendor {
  readonly provider: Provider;
  readonly fixtures: unknown;
  readonly routes: readonly Route[];
}

/** What createApp is built from; `createDeps` makes them from a config. */
export interface SandboxDeps {
  readonly config: SandboxConfig;
  /** The sandbox's clock: every namespace's clock follows it. */
  readonly clock: Clock;
  readonly keys: KeyStore;
  readonly ids: IdGenerator;
  readonly namespaces: Namespaces;
  readonly vendors: readonly Vendor[];
  /** Every kind the vendors store, by name, with how the admin API shows it. */
  readonly kinds: ReadonlyMap<string, Kind<unknown>>;
  /** Scenarios loaded from `scenariosDir`, by name, checked against the vendors' routes. */
  readonly scenarios: ReadonlyMap<string, Scenario>;
  /** Scenarios active in every namespace (config, `--scenario`, admin calls without a namespace). */
  readonly globalScenarios: string[];
  /** The public base URL, without a trailing slash. */
  readonly publicUrl: () => string;
  readonly logger: Logger;
  /** How the journal and the log hide secrets in a path: the common ones and each vendor's `secretFields`. */
  readonly redact: Redact;
}

export interface DepsOverrides {
  /** The sandbox's clock; the system clock otherwise. */
  clock?: Clock;
  ids?: IdGenerator;
  /** Where the public base URL comes from; `http://HOST:PORT` (or `publicUrl`) otherwise. */
  publicUrl?: () => string;
  logger?: Logger;
}

/** What scenario rules are checked against: each vendor's route names and formats. */
export function routeTables(vendors: readonly Vendor[]): RouteTable[] {
  return vendors.map((v) => ({ vendor: v.provider.name, routes: v.routes }));
}

/** Loads keys and fixtures, binds every vendor's routes and loads the scenarios, once, at start-up. */
export async function createDeps(config: SandboxConfig, overrides: DepsOverrides = {}): Promise<SandboxDeps> {
  const providers = allProviders;
  const keySets = [...new Set(providers.flatMap((p) => p.keySets))];
  const ids = overrides.ids ?? createIdGenerator();
  const [keys, fixtures] = await Promise.all([
    loadKeyStore(join(config.fixturesDir, "keys"), keySets),
    loadFixtures(config.fixturesDir, providers),
  ]);
  const vendors = providers.map((provider): Vendor => {
    const own = fixtures[provider.name];
    const declared = provider.routes({ config: config[provider.name], fixtures: own, keys, ids });
    return { provider, fixtures: own, routes: bindRoutes(provider.name, declared, provider.errors) };
  });
  const scenarios = await loadScenarios(config.scenariosDir, routeTables(vendors));
  const unknown = config.scenarios.filter((name) => !scenarios.has(name));
  if (unknown.length > 0) {
    throw new ConfigError(
      `scenarios: unknown scenario ${unknown.join(", ")} (known: ${[...scenarios.keys()].join(", ")})`,
    );
  }
  const clock = overrides.clock ?? createClock();
  const redact = redactorFor(providers.flatMap((p) => p.secretFields));
  const fixedBase = publicUrlOf(config, config.port);
  return {
    config,
    clock,
    keys,
    ids,
    namespaces: createNamespaces({
      maxEntries: config.store.maxEntries,
      maxCounters: config.store.maxCounters,
      maxNamespaces: config.namespaces.max,
      journalSize: config.journal.size,
      redact,
      clock,
    }),
    vendors,
    kinds: new Map(providers.flatMap((p) => p.kinds.map((k) => [k.name, k] as const))),
    scenarios,
    globalScenarios: [...config.scenarios],
    logger: overrides.logger ?? createLogger(config.quiet ? "error" : config.logLevel),
    publicUrl: overrides.publicUrl ?? (() => fixedBase),
    redact,
  };
}
