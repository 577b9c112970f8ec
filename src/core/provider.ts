import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Context, Hono } from "hono";
import type * as z from "zod";
import type { SandboxConfig } from "../config.js";
import { ConfigError } from "../config.js";
import type { AppEnv, ErrorRenderer } from "./context.js";
import { safeParseOnce } from "./data-file.js";
import type { VendorCatalogue } from "./errors.js";
import type { IdGenerator } from "./ids.js";
import type { KeyStore } from "./keys.js";
import type { Operation } from "./openapi.js";
import { DEFAULT_LIMITS, type Limits } from "./ratelimit.js";

/**
 * What a provider's routes are built from. Per-request state comes from the context: `c.get("ns")` (clock, store)
 * and `c.get("baseUrl")` (the public URL to write into tokens and links).
 */
export interface ProviderDeps<F> {
  config: SandboxConfig;
  fixtures: F;
  keys: KeyStore;
  ids: IdGenerator;
}

/** What a vendor folder declares: its fixtures' type flows into its routes. */
export interface ProviderDefinition<F> {
  /** Path prefix and name: `/sardine`, … */
  readonly name: string;
  readonly title: string;
  /** Schema of `fixtures/<name>.json`. */
  readonly fixtureSchema: z.ZodType<F>;
  /** Signing key sets this vendor needs from fixtures/keys; none by default. */
  readonly keySets?: readonly string[];
  /** Every documented error, by name. */
  readonly errors: VendorCatalogue;
  /** Writes any SandboxError in this vendor's default error format. */
  readonly renderError: ErrorRenderer;
  /** Per-credential limits when rate limiting is on: the vendor's documented ones; the sandbox's default if omitted. */
  readonly rateLimits?: Limits;
  /** Who a request counts against for rate limits (an app token, an API key, a licence…). */
  readonly credentialOf: (c: Context<AppEnv>) => string | undefined | Promise<string | undefined>;
  readonly routes: (deps: ProviderDeps<F>) => Hono<AppEnv>;
  /** The routes as the OpenAPI contract describes them, from the same schemas the handlers validate with. */
  readonly operations: (fixtures: F) => readonly Operation[];
  readonly securitySchemes?: Record<string, unknown>;
  /** The fixture credentials, as `[what, value]` rows for the start-up banner. */
  readonly credentials: (fixtures: F) => [string, string][];
}

/**
 * One vendor: a folder under src/providers whose index.ts exports this object and nothing app.ts needs besides.
 * Providers depend on core/, never on each other. Its fixtures arrive already validated by its own schema.
 */
export type Provider = ProviderDefinition<unknown> & {
  readonly keySets: readonly string[];
  readonly rateLimits: Limits;
};

export function defineProvider<F>(definition: ProviderDefinition<F>): Provider {
  return {
    ...definition,
    keySets: definition.keySets ?? [],
    rateLimits: definition.rateLimits ?? DEFAULT_LIMITS,
    // loadFixtures parsed the fixtures with this provider's fixtureSchema, so they are an F.
    routes: (deps) => definition.routes({ ...deps, fixtures: deps.fixtures as F }),
    operations: (fixtures) => definition.operations(fixtures as F),
    credentials: (fixtures) => definition.credentials(fixtures as F),
  };
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
