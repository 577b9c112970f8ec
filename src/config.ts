import { readFile } from "node:fs/promises";
import { dirname, extname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as z from "zod";
import { parseDataFile, safeParseOnce } from "./core/data-file.js";
import { ConfigError } from "./core/errors.js";
import { LOG_LEVELS } from "./core/log.js";
import { subscriptionInputSchema } from "./core/webhooks.js";
import { providers } from "./vendors.js";

export { ConfigError };

/** The package's own folder: shipped fixtures and scenarios live beside src/ and dist/. */
export const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");

const portSchema = z.coerce.number().int().min(0).max(65535);

/** What the core reads: everything but the vendors' own sections. */
const coreConfigSchema = z.strictObject({
  host: z.string().min(1).default("127.0.0.1"),
  port: portSchema.default(4010),
  /** Base URL written into issued tokens and hand-off URLs; `http://HOST:PORT` when unset. */
  publicUrl: z.url({ protocol: /^https?$/ }).optional(),
  fixturesDir: z.string().min(1).default(resolve(packageRoot, "fixtures")),
  scenariosDir: z.string().min(1).default(resolve(packageRoot, "scenarios")),
  cors: z
    .strictObject({
      /** `"*"` (any origin, the default) or a list of exact origins such as `http://localhost:3000`. */
      origins: z.union([z.literal("*"), z.array(z.string().min(1))]).default("*"),
    })
    .prefault({}),
  store: z
    .strictObject({
      /** Most entries (tokens, codes, sessions) kept per namespace; the oldest go first past it. */
      maxEntries: z.number().int().min(1).default(100_000),
      /** Most rate-limit windows kept per namespace, apart from the entries (the oldest go first past it). */
      maxCounters: z.number().int().min(1).default(100_000),
      /** How often expired entries are swept, in seconds of real time. */
      sweepIntervalSeconds: z.number().positive().default(5),
    })
    .prefault({}),
  namespaces: z
    .strictObject({
      /** Most namespaces kept at once; past it the least recently used one is forgotten. */
      max: z.number().int().min(1).default(1000),
    })
    .prefault({}),
  journal: z
    .strictObject({
      /** Requests remembered per namespace (a ring: the oldest go first). */
      size: z.number().int().min(1).default(1000),
    })
    .prefault({}),
  /**
   * Webhook subscriptions in every namespace: `{vendor, url, secret, events?, headers?, ...vendor options}`. More can
   * be added per namespace with `POST /__admin/webhooks`.
   */
  webhooks: z.array(subscriptionInputSchema).default([]),
  webhookDelivery: z
    .strictObject({
      /** How long a receiver has to answer one attempt (Sumsub documents 5 s). */
      timeoutSeconds: z.number().positive().max(120).default(5),
      /** Real seconds before each retry; as many retries as delays (Sumsub documents 4 retries). */
      retryDelaysSeconds: z.array(z.number().min(0).max(86_400)).max(20).default([5, 30, 120, 600]),
      /** Deliveries kept per namespace, with their attempts (the oldest go first). */
      keep: z.number().int().min(1).max(100_000).default(1000),
    })
    .prefault({}),
  verdicts: z
    .strictObject({
      /**
       * Give every new verification a verdict by itself, `after` seconds on its namespace's clock: `verdict` per
       * vendor (`{sumsub: "rejected"}`), each vendor's first (passing) verdict otherwise.
       */
      auto: z
        .strictObject({
          after: z.number().min(0).max(31_536_000),
          verdict: z.record(z.string(), z.string()).default({}),
        })
        .optional(),
    })
    .prefault({}),
  /** Scenarios active for everyone from the start (names of files in scenariosDir). */
  scenarios: z.array(z.string().min(1)).default([]),
  rateLimits: z
    .strictObject({
      /** Enforce per-credential rate limits (also on while a scenario with `rateLimits: true` is active). */
      enabled: z.boolean().default(false),
      /** Per vendor, by method (`*` = any): replaces that vendor's documented or default limits. */
      limits: z
        .record(
          z.string(),
          z.record(
            z.string(),
            z.strictObject({ limit: z.number().int().min(1), windowSeconds: z.number().int().min(1) }),
          ),
        )
        .default({}),
    })
    .prefault({}),
  /** When set, every /__admin call but health needs `Authorization: Bearer <adminToken>`. */
  adminToken: z.string().min(1).optional(),
  server: z
    .strictObject({
      /** Longest a client may take to send a request's headers (a slow-loris defence); Node's default is 60 s. */
      headersTimeoutSeconds: z.number().positive().max(3600).default(10),
      /** Longest a client may take to send a whole request; Node's default is 300 s. */
      requestTimeoutSeconds: z.number().positive().max(3600).default(30),
      /** How long an idle keep-alive connection stays open. */
      keepAliveTimeoutSeconds: z.number().positive().max(3600).default(5),
    })
    .prefault({}),
  /** On SIGTERM or SIGINT, how long requests in flight may take to finish before they are cut. */
  shutdownGraceSeconds: z.number().min(0).max(300).default(5),
  /** Largest request body accepted, in bytes; larger → 413. */
  bodyLimit: z
    .number()
    .int()
    .min(1)
    .default(1024 * 1024),
  /** Print nothing but errors (same as logLevel "error"). */
  quiet: z.boolean().default(false),
  /** One JSON line per request at "info"; "warn" and "error" keep only those; "silent" prints nothing. */
  logLevel: z.enum(LOG_LEVELS).default("info"),
});

/**
 * Everything a config file, the environment or a flag can set: the core's fields, and one section per vendor
 * (`sumsub: {...}`) with the schema that vendor declares. Unknown fields are refused by name.
 */
export const configSchema = coreConfigSchema
  .extend(Object.fromEntries(providers.map((p) => [p.name, p.configSchema.prefault({})])))
  .superRefine((config, ctx) => {
    // A limit for a vendor that does not exist would silently never apply.
    const names = providers.map((p) => p.name);
    for (const vendor of Object.keys((config as CoreConfig).rateLimits.limits))
      if (!names.includes(vendor))
        ctx.addIssue({
          code: "custom",
          path: ["rateLimits", "limits", vendor],
          message: `not a vendor (one of ${names.join(", ")})`,
        });
  });

export type CoreConfig = z.output<typeof coreConfigSchema>;
/** The parsed config: the core's fields, and each vendor's section under its name. */
export type SandboxConfig = CoreConfig & { readonly [vendor: string]: unknown };
export type CoreConfigInput = z.input<typeof coreConfigSchema>;
export type SandboxConfigInput = CoreConfigInput & { readonly [vendor: string]: unknown };

function configProblems(error: z.ZodError, source: string): string {
  return error.issues
    .map((issue) => {
      const field = issue.code === "unrecognized_keys" ? issue.keys.join(", ") : issue.path.join(".");
      const what = issue.code === "unrecognized_keys" ? "unknown field" : issue.message;
      return `${source}: ${field || "(root)"}: ${what}`;
    })
    .join("\n");
}

export function parseConfig(input: unknown, source = "config"): SandboxConfig {
  const result = safeParseOnce(configSchema, input);
  if (!result.success) throw new ConfigError(configProblems(result.error, source));
  return result.data as SandboxConfig;
}

/**
 * Reads a JSON or YAML config file. Relative folders in it are taken from the file's own folder.
 */
export async function readConfigFile(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (cause) {
    throw new ConfigError(
      `cannot read config file ${path}: ${(cause as NodeJS.ErrnoException).code ?? "error"}`,
    );
  }
  let data: unknown;
  try {
    data = parseDataFile(path, text);
  } catch (cause) {
    throw new ConfigError(
      `config file ${path} is not valid ${extname(path) || "JSON"}: ${(cause as Error).message}`,
    );
  }
  if (data === null || typeof data !== "object" || Array.isArray(data)) {
    throw new ConfigError(`config file ${path}: the top level must be an object`);
  }
  const record = { ...(data as Record<string, unknown>) };
  for (const key of ["fixturesDir", "scenariosDir"]) {
    if (typeof record[key] === "string") record[key] = resolve(dirname(path), record[key]);
  }
  return record;
}

/** The settings the environment gives: PORT, HOST, PUBLIC_URL. */
export function configFromEnv(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (env.PORT) out.port = env.PORT;
  if (env.HOST) out.host = env.HOST;
  if (env.PUBLIC_URL) out.publicUrl = env.PUBLIC_URL;
  if (env.ADMIN_TOKEN) out.adminToken = env.ADMIN_TOKEN;
  if (env.LOG_LEVEL) out.logLevel = env.LOG_LEVEL;
  return out;
}

/** The public base URL without a trailing slash. */
export function publicUrlOf(config: SandboxConfig, port: number): string {
  if (config.publicUrl) return config.publicUrl.replace(/\/+$/, "");
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;
  const shown = host === "0.0.0.0" || host === "[::]" ? "127.0.0.1" : host;
  return `http://${shown}:${port}`;
}
