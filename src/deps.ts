import { join } from "node:path";
import { publicUrlOf, type SandboxConfig } from "./config.js";
import { createClock, type Clock } from "./core/clock.js";
import { ConfigError } from "./core/errors.js";
import { createIdGenerator, type IdGenerator } from "./core/ids.js";
import { loadKeyStore, type KeyStore } from "./core/keys.js";
import { connectRedis, type RedisClient } from "./core/redis.js";
import { redisNamespaces } from "./core/redis-store.js";
import { createByteBudget, type ByteBudget } from "./core/budget.js";
import { redactorFor, type Redact } from "./core/journal.js";
import { createLogger, type Logger } from "./core/log.js";
import type { Namespace } from "./core/context.js";
import { createNamespaces, resetNamespace, type Namespaces } from "./core/namespaces.js";
import { changeSubscriptions } from "./core/settings.js";
import { loadFixtures, type Provider, type ProviderDeps } from "./core/provider.js";
import { bindRoutes, type Route } from "./core/route.js";
import type { RouteTable } from "./core/scenarios/check.js";
import { loadScenarios } from "./core/scenarios/load.js";
import { chooseWebhookRule } from "./core/scenarios/match.js";
import type { Scenario } from "./core/scenarios/schema.js";
import type { Kind } from "./core/store.js";
import { createVerdicts, type Subject, type Verdicts } from "./core/verdicts.js";
import { checkSubscription } from "./core/subscriptions.js";
import { createWebhookEngine, type WebhookEngine, type WebhookSpec } from "./core/webhooks.js";
import type { Subscription } from "./core/deliveries.js";
import { providers as allProviders } from "./vendors.js";

/** A vendor as the sandbox runs it: the provider, its validated fixtures and its routes, bound. */
export interface Vendor {
  readonly provider: Provider;
  readonly fixtures: unknown;
  readonly routes: readonly Route[];
  /** What it holds that takes a verdict. */
  readonly subjects: readonly Subject[];
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
  /**
   * How the journal and the log hide secrets: the common parameters and each vendor's `secretFields`, any value equal
   * to a vendor's `secretValues`, and tokens the namespace's store holds under a secret kind.
   */
  readonly redact: Redact;
  /** Sends the vendors' webhooks and keeps their deliveries. */
  readonly webhooks: WebhookEngine;
  readonly verdicts: Verdicts;
  /** The bytes everything kept may take, across namespaces (`store.maxBytes`). */
  readonly budget: ByteBudget;
  /** Where the entries live: this process's memory, or Redis shared with other sandboxes (`store.url`). */
  readonly store: StoreBackend;
}

/** The store's backend as the health route and `close` see it. */
export interface StoreBackend {
  readonly kind: "memory" | "redis";
  /** Undefined when it answers; else why not. */
  problem(): Promise<string | undefined>;
  /** Lets go of its connection (nothing for memory). */
  close(): Promise<void>;
}

const MEMORY_BACKEND: StoreBackend = {
  kind: "memory",
  problem: () => Promise.resolve(undefined),
  close: () => Promise.resolve(),
};

/** Redis as a backend: `problem` pings it within the command timeout. */
function redisBackend(client: RedisClient, owned: boolean): StoreBackend {
  return {
    kind: "redis",
    async problem() {
      try {
        await client.ping();
        return undefined;
      } catch (err) {
        return err instanceof Error ? err.message : String(err);
      }
    },
    async close() {
      if (owned)
        await client.quit().catch(() => {
          client.disconnect();
        });
    },
  };
}

/** Forgets a namespace's state (see `resetNamespace`), its deliveries and API subscriptions too. */
export async function forgetNamespace(deps: SandboxDeps, ns: Namespace): Promise<void> {
  await deps.webhooks.reset(ns);
  await changeSubscriptions(ns, (subscriptions) => {
    subscriptions.clear();
  });
  await resetNamespace(ns);
}

/** Gives what has fallen due in every namespace (automatic verdicts, expiries): each second, and on demand. */
export async function tickAll(deps: SandboxDeps): Promise<void> {
  // Deliveries this sandbox still means to send stay its own (shared store).
  await deps.webhooks.renew();
  for (const ns of deps.namespaces.all()) {
    // Another sandbox sharing the store may have moved the namespace's clock since this one last served it.
    await deps.namespaces.refresh(ns);
    await deps.verdicts.tick(ns);
    // Deliveries a sandbox that stopped left behind (shared store).
    await deps.webhooks.tick(ns);
  }
}

export interface DepsOverrides {
  /** The sandbox's clock; the system clock otherwise. */
  clock?: Clock;
  ids?: IdGenerator;
  /** Where the public base URL comes from; `http://HOST:PORT` (or `publicUrl`) otherwise. */
  publicUrl?: () => string;
  logger?: Logger;
  /**
   * The Redis client for `store.url`, already connected, when the caller shares one between sandboxes (a test
   * suite); the caller closes it. Otherwise the sandbox connects its own.
   */
  redis?: RedisClient;
}

/** What scenario rules are checked against: each vendor's route names and formats. */
export function routeTables(vendors: readonly Vendor[]): RouteTable[] {
  return vendors.map((v) => ({
    vendor: v.provider.name,
    routes: v.routes,
    events: Object.keys(v.provider.webhooks?.events ?? {}),
  }));
}

/** The config's subscriptions, checked against the vendors' specs: a bad one stops the start, naming its field. */
function configuredSubscriptions(
  config: SandboxConfig,
  specs: ReadonlyMap<string, WebhookSpec>,
  now: number,
): Subscription[] {
  return config.webhooks.map((input, i) => {
    const checked = checkSubscription(input, specs);
    if (!checked.ok) throw new ConfigError(`config: webhooks.${String(i)}.${checked.message}`);
    return { ...checked.value, id: `whc_${String(i + 1)}`, source: "config", createdAt: now };
  });
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
  const specs = new Map(providers.flatMap((p) => (p.webhooks ? [[p.name, p.webhooks] as const] : [])));
  const clock = overrides.clock ?? createClock();
  const budget = createByteBudget(config.store.maxBytes);
  const logger = overrides.logger ?? createLogger(config.quiet ? "error" : config.logLevel);
  // Scenarios are loaded once the routes they name are bound; the engine reads them when an event happens.
  let scenarios = new Map<string, Scenario>();
  const globalScenarios = [...config.scenarios];
  const webhooks = createWebhookEngine({
    specs,
    configured: configuredSubscriptions(config, specs, clock.now()),
    settings: config.webhookDelivery,
    ids,
    modeOf: async (ns, vendor, event) => {
      const names = [...ns.scenarios.active, ...globalScenarios];
      if (names.length === 0) return undefined;
      const chosen = await chooseWebhookRule(ns.scenarios, scenarios, names, vendor, event);
      return chosen && { ...chosen.rule, scenario: chosen.scenario };
    },
  });
  const subjects = new Map<string, readonly Subject[]>();
  const verdicts = createVerdicts({
    subjectsOf: (vendor) => subjects.get(vendor) ?? [],
    vendors: () => providers.map((p) => p.name),
    auto: config.verdicts.auto,
    maxDue: config.store.maxEntries,
  });
  const vendors = providers.map((provider): Vendor => {
    const own = fixtures[provider.name];
    const name = provider.name;
    const providerDeps: ProviderDeps<unknown, unknown> = {
      config: config[name],
      fixtures: own,
      keys,
      ids,
      fixturesDir: config.fixturesDir,
      emit: async (ns, event, payload, orderKey) => {
        await webhooks.emit(ns, name, event, payload, orderKey);
      },
      verdicts: {
        created: (ns, subject, id, inputs) => verdicts.created(ns, name, subject, id, inputs),
        schedule: (ns, at, subject, id) => verdicts.schedule(ns, at, name, subject, id),
        settle: (ns, subject, id) => verdicts.settle(ns, name, subject, id),
        decided: (ns, subject, id) => verdicts.decided(ns, name, subject, id),
      },
    };
    const ownSubjects = provider.subjects(providerDeps);
    subjects.set(name, ownSubjects);
    const declared = provider.routes(providerDeps);
    return {
      provider,
      fixtures: own,
      routes: bindRoutes(name, declared, provider.errors),
      subjects: ownSubjects,
    };
  });
  checkAutoVerdicts(config, vendors);
  const redact = redactorFor(
    providers.flatMap((p) => p.secretFields),
    {
      // Every credential the sandbox knows: the vendors' own, the admin token and the configured webhook secrets.
      values: [
        ...providers.flatMap((p) => p.secretValues(fixtures[p.name], config[p.name])),
        config.adminToken,
        ...config.webhooks.map((w) => w.secret),
      ],
      kinds: providers.flatMap((p) => p.kinds),
      // The words of the routes' own paths are never tokens: not looked up on every request.
      words: [
        "ns",
        "__admin",
        ...vendors.flatMap((v) => [
          v.provider.name,
          ...v.routes
            .flatMap((r) => [r.definition.path, ...(r.definition.alsoAt ?? [])])
            .flatMap((p) => p.split("/")),
        ]),
      ],
    },
  );
  const tables = routeTables(vendors);
  scenarios = await loadScenarios(config.scenariosDir, tables);
  const unknown = config.scenarios.filter((name) => !scenarios.has(name));
  if (unknown.length > 0) {
    throw new ConfigError(
      `scenarios: unknown scenario ${unknown.join(", ")} (known: ${[...scenarios.keys()].join(", ")})`,
    );
  }
  const fixedBase = publicUrlOf(config, config.port);
  const { url } = config.store;
  // Connected before anything listens: a Redis that cannot be reached stops the start (a ConfigError, exit 2).
  const redis =
    url === undefined
      ? undefined
      : (overrides.redis ??
        (await connectRedis(url, { timeoutMs: config.store.timeoutMs, cluster: config.store.cluster })));
  return {
    config,
    clock,
    keys,
    ids,
    namespaces: createNamespaces({
      maxEntries: config.store.maxEntries,
      maxCounters: config.store.maxCounters,
      budget,
      maxNamespaces: config.namespaces.max,
      journalSize: config.journal.size,
      tables,
      global: globalScenarios,
      deliveriesKept: config.webhookDelivery.keep,
      onEvict: (ns) => {
        webhooks.drop(ns);
      },
      redact,
      clock,
      ...(redis
        ? {
            shared: redisNamespaces(redis, {
              prefix: config.store.prefix,
              maxEntries: config.store.maxEntries,
              maxCounters: config.store.maxCounters,
              maxNamespaces: config.namespaces.max,
              journalSize: config.journal.size,
              redact,
            }),
          }
        : {}),
    }),
    vendors,
    kinds: new Map(providers.flatMap((p) => p.kinds.map((k) => [k.name, k] as const))),
    scenarios,
    globalScenarios,
    logger,
    publicUrl: overrides.publicUrl ?? (() => fixedBase),
    redact,
    webhooks,
    verdicts,
    budget,
    store: redis ? redisBackend(redis, overrides.redis === undefined) : MEMORY_BACKEND,
  };
}

/** `verdicts.auto.verdict` names, per vendor, a verdict that vendor takes. */
function checkAutoVerdicts(config: SandboxConfig, vendors: readonly Vendor[]): void {
  for (const [vendor, verdict] of Object.entries(config.verdicts.auto?.verdict ?? {})) {
    const found = vendors.find((v) => v.provider.name === vendor);
    const takers = vendors.filter((v) => v.subjects.length > 0).map((v) => v.provider.name);
    if (!found || found.subjects.length === 0)
      throw new ConfigError(
        `config: verdicts.auto.verdict.${vendor}: not a vendor with verdicts (one of ${takers.join(", ")})`,
      );
    const known = [...new Set(found.subjects.flatMap((s) => s.verdicts))];
    if (!known.includes(verdict))
      throw new ConfigError(
        `config: verdicts.auto.verdict.${vendor}: ${verdict} is not a ${vendor} verdict (one of ${known.join(", ")})`,
      );
  }
}
