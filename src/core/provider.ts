import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Context } from "hono";
import * as z from "zod";
import type { AppEnv, Namespace } from "./context.js";
import { safeParseOnce } from "./data-file.js";
import { ConfigError, type ErrorFormat } from "./errors.js";
import type { IdGenerator } from "./ids.js";
import type { KeyStore } from "./keys.js";
import { DEFAULT_LIMITS, type Limits } from "./ratelimit.js";
import type { RouteDeclaration } from "./route.js";
import type { Kind } from "./store.js";
import type { Subject } from "./verdicts.js";
import type { WebhookSpec } from "./webhooks.js";

/**
 * What a provider's routes are built from: its own config section and fixtures, never the whole config. Per-request
 * state comes from the context: `c.get("ns")` (clock, store) and `c.get("baseUrl")` (the URL to write into tokens).
 */
export interface ProviderDeps<F, C> {
  config: C;
  fixtures: F;
  keys: KeyStore;
  ids: IdGenerator;
  /** Where the fixtures are: files a vendor serves (images, documents) sit beside its JSON. */
  fixturesDir: string;
  /**
   * Sends one of the vendor's webhook events to the namespace's subscriptions; never waits for a receiver. Events
   * with one `orderKey` (the record's id) reach a subscription in the order they happened.
   */
  emit(ns: Namespace, event: string, payload: unknown, orderKey: string): Promise<void>;
  verdicts: VendorVerdicts;
}

/** The verdict engine as a vendor sees it: its own subjects, by name. */
export interface VendorVerdicts {
  /**
   * A record was created: gives the verdict a magic `outcome:<verdict>` among `inputs` names (returned), else
   * schedules the automatic one when the config asks for it.
   */
  created(
    ns: Namespace,
    subject: string,
    id: string,
    inputs: readonly unknown[],
  ): Promise<string | undefined>;
  /** Runs the subject's `due` for the record once the namespace's clock reaches `at` (e.g. its expiry). */
  schedule(ns: Namespace, at: number, subject: string, id: string): Promise<void>;
  /** Gives whatever is due for the record by now: call before reading it. */
  settle(ns: Namespace, subject: string, id: string): Promise<void>;
  /** The record got its verdict: call from the one function that gives verdicts, so no automatic one follows. */
  decided(ns: Namespace, subject: string, id: string): Promise<void>;
}

/** What a vendor folder declares; the core reads a vendor only through this. */
export interface ProviderDefinition<F, C> {
  /** Path prefix and name: `/<name>`. */
  readonly name: string;
  readonly title: string;
  /** Schema of `fixtures/<name>.json`. */
  readonly fixtureSchema: z.ZodType<F>;
  /** Schema of the vendor's section of the config file (`<name>: {...}`), with its defaults. None by default. */
  readonly configSchema?: z.ZodType<C>;
  /** Signing key sets this vendor needs from fixtures/keys; none by default. */
  readonly keySets?: readonly string[];
  /** How the vendor's routes write errors unless a route names another format. */
  readonly errors: ErrorFormat;
  /**
   * The format of a path under a prefix that matches no route (an unknown path, or a known one with another
   * method), where the routes there answer in another format than `errors`: `["/mobile", pageErrors]`. The longest
   * prefix wins.
   */
  readonly errorsUnder?: readonly (readonly [prefix: string, format: ErrorFormat])[];
  /** Everything the vendor stores, with how the admin API shows and redacts it. */
  readonly kinds: readonly Kind<unknown>[];
  /** Query or form parameters whose values are secrets, besides the common OAuth ones: redacted in the journal. */
  readonly secretFields?: readonly string[];
  /**
   * The credentials in its fixtures and config section (client secrets, API keys, licences): hidden in the journal
   * and the log wherever a query value or path segment equals one, whatever the parameter is called. None by default.
   */
  readonly secretValues?: (fixtures: F, config: C) => readonly string[];
  /** Body fields holding objects whose values may carry a magic `scenario:<name>` (a `metadata` object). */
  readonly scenarioFields?: readonly string[];
  /** Per-credential limits when rate limiting is on: the vendor's documented ones; the sandbox's default if omitted. */
  readonly rateLimits?: Limits;
  /** Who a request counts against for rate limits (an app token, an API key, a client id…). */
  readonly credentialOf: (c: Context<AppEnv>) => string | undefined | Promise<string | undefined>;
  /** Every route of the vendor, each declared once. */
  readonly routes: (deps: ProviderDeps<F, C>) => readonly RouteDeclaration[];
  /** What the vendor pushes to subscribers: events, their bodies, how they are signed. None by default. */
  readonly webhooks?: WebhookSpec;
  /** The verification-like records a tester can give a verdict. None by default. */
  readonly subjects?: (deps: ProviderDeps<F, C>) => readonly Subject[];
  readonly securitySchemes?: Record<string, unknown>;
  /** The fixture credentials, as `[what, value]` rows for the start-up banner. */
  readonly credentials: (fixtures: F) => [string, string][];
}

/**
 * One vendor: a folder under src/providers whose index.ts exports this object. Providers depend on core/, never on
 * each other. Its fixtures and config section arrive already validated by its own schemas.
 */
export type Provider = ProviderDefinition<unknown, unknown> & {
  readonly configSchema: z.ZodType;
  readonly keySets: readonly string[];
  readonly scenarioFields: readonly string[];
  readonly secretFields: readonly string[];
  readonly secretValues: (fixtures: unknown, config: unknown) => readonly string[];
  readonly errorsUnder: readonly (readonly [prefix: string, format: ErrorFormat])[];
  readonly rateLimits: Limits;
  readonly subjects: (deps: ProviderDeps<unknown, unknown>) => readonly Subject[];
};

const NO_CONFIG = z.strictObject({});

export function defineProvider<F, C = Record<string, never>>(definition: ProviderDefinition<F, C>): Provider {
  return {
    ...definition,
    configSchema: definition.configSchema ?? NO_CONFIG,
    keySets: definition.keySets ?? [],
    scenarioFields: definition.scenarioFields ?? [],
    secretFields: definition.secretFields ?? [],
    secretValues: (fixtures, config) => definition.secretValues?.(fixtures as F, config as C) ?? [],
    // Longest prefix first, so the first that matches is the most specific.
    errorsUnder: [...(definition.errorsUnder ?? [])].sort((a, b) => b[0].length - a[0].length),
    rateLimits: definition.rateLimits ?? DEFAULT_LIMITS,
    // loadFixtures and the config parse checked both with this provider's own schemas.
    routes: (deps) => definition.routes({ ...deps, fixtures: deps.fixtures as F, config: deps.config as C }),
    subjects: (deps) =>
      definition.subjects?.({ ...deps, fixtures: deps.fixtures as F, config: deps.config as C }) ?? [],
    credentials: (fixtures) => definition.credentials(fixtures as F),
  };
}

/**
 * The format of an error on `path` (within the provider's prefix) when no route matched it: a prefix covers itself and
 * what is below it, segment by segment (`/verify` covers `/verify/x`, not `/verifyx`).
 */
export function unmatchedFormat(provider: Provider, path: string): ErrorFormat {
  const under = ([prefix]: readonly [string, ErrorFormat]) =>
    path === prefix || (path.startsWith(prefix) && (prefix.endsWith("/") || path[prefix.length] === "/"));
  return provider.errorsUnder.find(under)?.[1] ?? provider.errors;
}

/** Reads and validates `fixtures/<name>.json` for each provider; a bad file names itself and the field. */
export async function loadFixtures(
  dir: string,
  providers: readonly Provider[],
): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const provider of providers) {
    const file = join(dir, `${provider.name}.json`);
    let raw: unknown;
    try {
      raw = JSON.parse(await readFile(file, "utf8"));
    } catch (cause) {
      throw new ConfigError(`cannot read fixture file ${file}: ${(cause as Error).message}`);
    }
    const parsed = safeParseOnce(provider.fixtureSchema, raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new ConfigError(`fixture file ${file}: ${issue.path.join(".") || "(root)"}: ${issue.message}`);
    }
    out[provider.name] = parsed.data;
  }
  return out;
}
