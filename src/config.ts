import { readFile } from "node:fs/promises";
import { dirname, extname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as z from "zod";
import { explainIssues } from "./core/config-issues.js";
import { DataFileSyntaxError, parseDataFile, safeParseOnce } from "./core/data-file.js";
import { ConfigError } from "./core/errors.js";
import { LOG_LEVELS } from "./core/log.js";
import { subscriptionInputSchema } from "./core/subscriptions.js";
import { providers } from "./vendors.js";

export { ConfigError };

/** The package's own folder: shipped fixtures and scenarios live beside src/ and dist/. */
export const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** An integer in `min`–`max`: a number, or digits as the environment and flags give it ("" or "0x10" are not). */
function integerIn(min: number, max: number) {
  const problem = { error: `expected an integer ${String(min)}–${String(max)}`, abort: true };
  const digits = new RegExp(`^\\d{1,${String(String(max).length)}}$`);
  return z
    .union([z.number(problem), z.string(problem).regex(digits, problem).transform(Number)], problem)
    .pipe(z.number().int(problem).min(min, problem).max(max, problem));
}

const portSchema = integerIn(0, 65535);

/** What the core reads: everything but the vendors' own sections. */
const coreConfigSchema = z.strictObject({
  host: z.string().min(1).default("127.0.0.1"),
  port: portSchema.default(4010),
  /** Base URL written into issued tokens and hand-off URLs; `http://HOST:PORT` when unset. */
  publicUrl: z.url({ protocol: /^https?$/, error: "expected an http:// or https:// URL" }).optional(),
  fixturesDir: z.string().min(1).default(resolve(packageRoot, "fixtures")),
  scenariosDir: z.string().min(1).default(resolve(packageRoot, "scenarios")),
  cors: z
    .strictObject({
      /** `"*"` (any origin, the default) or a list of exact origins such as `http://localhost:3000`. */
      origins: z
        .union([z.literal("*"), z.array(z.string().min(1))], {
          error: 'expected "*" or a list of origins such as ["http://localhost:3000"]',
        })
        .default("*"),
    })
    .prefault({}),
  store: z
    .strictObject({
      /** Most entries (tokens, codes, sessions) kept per namespace; the oldest go first past it. */
      maxEntries: z.number().int().min(1).default(100_000),
      /** Most rate-limit windows kept per namespace, apart from the entries (the oldest go first past it). */
      maxCounters: z.number().int().min(1).default(100_000),
      /**
       * Bytes (estimated) that everything kept may take, across all namespaces: entries and the journal. Past it the
       * oldest go first, whatever their namespace. 256 MiB by default.
       */
      maxBytes: z
        .number()
        .int()
        .min(1024 * 1024)
        .default(256 * 1024 * 1024),
      /** How often expired entries are swept, in seconds of real time. */
      sweepIntervalSeconds: z.number().positive().default(5),
      /**
       * `redis://host:port/db` (or `rediss://` for TLS, `redis://user:password@…`): the entries live in Redis or
       * Valkey, shared by every sandbox on it. Unset: in this process's memory.
       */
      url: z.url({ protocol: /^rediss?$/, error: "expected a redis:// or rediss:// URL" }).optional(),
      /** `url` names one node of a Redis Cluster (the keys of a namespace share one hash slot). */
      cluster: z.boolean().default(false),
      /** Prefix of every key, so several sandboxes can share one Redis. */
      prefix: z.string().min(1).max(64).default("idv:"),
      /** Longest a Redis command may take before the request answers 503, in milliseconds. */
      timeoutMs: z.number().int().min(10).max(60_000).default(2000),
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
      /**
       * With a shared store: how long past the moment its sandbox should have sent a delivery (a retry due, an attempt
       * that cannot still be running, its turn in the queue) another sandbox sharing the store sends it instead. It
       * covers a sandbox that stopped; a live one that is this late may see its delivery sent twice (at-least-once).
       */
      takeoverSeconds: z.number().positive().max(3600).default(30),
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
  https: z
    .strictObject({
      /** Serve the same app over TLS on this port too, beside plain HTTP; 0 picks a free one. Unset: no HTTPS. */
      port: portSchema.optional(),
      /** PEM certificate (chain, leaf first) to serve, with `key`. Unset: a self-signed one, kept in `dir`. */
      cert: z.string().min(1).optional(),
      /** PEM private key of `cert`. */
      key: z.string().min(1).optional(),
      /** Where the generated certificate is kept across restarts; `$XDG_DATA_HOME/idv-sandbox` when unset. */
      dir: z.string().min(1).optional(),
    })
    .superRefine((https, ctx) => {
      for (const [given, missing] of [
        ["cert", "key"],
        ["key", "cert"],
      ] as const)
        if (https[given] !== undefined && https[missing] === undefined)
          ctx.addIssue({
            code: "custom",
            path: [missing],
            message: `missing; https.${given} and https.${missing} are given together`,
          });
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
  /** No request log (same as logLevel "error"): only the listening line and errors are printed. */
  quiet: z.boolean().default(false),
  /** One JSON line per request at "info"; "warn" and "error" keep only those; "silent" prints nothing. */
  logLevel: z.enum(LOG_LEVELS).default("info"),
  /**
   * Processes the command line serves the port with (node:cluster), each a whole sandbox; more than one needs a
   * shared store (`store.url`). `createSandbox` always runs one.
   */
  workers: integerIn(1, 64).default(1),
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
    // Each worker would keep its own memory: a code issued by one would be unknown to the one the exchange lands on.
    const { workers, store } = config as CoreConfig;
    if (workers > 1 && store.url === undefined)
      ctx.addIssue({
        code: "custom",
        path: ["workers"],
        message:
          `${String(workers)} workers need a shared store: each worker would keep its own memory, so a code issued ` +
          "by one worker would be unknown to the next; add --store redis://host:6379/0 (or STORE_URL, store.url)",
      });
  });

export type CoreConfig = z.output<typeof coreConfigSchema>;
/** The parsed config: the core's fields, and each vendor's section under its name. */
export type SandboxConfig = CoreConfig & { readonly [vendor: string]: unknown };
export type CoreConfigInput = z.input<typeof coreConfigSchema>;
export type SandboxConfigInput = CoreConfigInput & { readonly [vendor: string]: unknown };

/**
 * The config from `input`, or a ConfigError with one line per problem: the field, what it expects and what it got.
 * `source` starts each line (`config file sandbox.yaml`); a top-level field in `names` is named as it was given
 * instead (`{ port: "--port" }` → `--port: expected an integer 0–65535, got "abc"`).
 *
 * @example
 * parseConfig({ port: 0, cors: { origins: ["http://localhost:3000"] } });
 */
export function parseConfig(
  input: unknown,
  source = "config",
  names: Readonly<Record<string, string>> = {},
): SandboxConfig {
  const result = safeParseOnce(configSchema, input);
  if (!result.success)
    throw new ConfigError(explainIssues(result.error, input, { source, schema: configSchema, names }));
  return result.data as SandboxConfig;
}

/** The formats a config file may be in, by extension (a name without one is read as JSON). */
const CONFIG_FORMATS = /^(\.json|\.ya?ml|)$/i;

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
  const ext = extname(path);
  if (!CONFIG_FORMATS.test(ext))
    throw new ConfigError(
      `config file ${path}: ${ext} is not a format the sandbox reads: JSON (.json) or YAML (.yaml, .yml), by extension`,
    );
  let data: unknown;
  try {
    data = parseDataFile(path, text);
  } catch (cause) {
    if (!(cause instanceof DataFileSyntaxError)) throw cause;
    throw new ConfigError(
      `config file ${path} is not valid ${cause.format}: line ${String(cause.line)}, column ${String(cause.column)}: ${cause.reason}`,
    );
  }
  if (!isRecord(data)) throw new ConfigError(`config file ${path}: the top level must be an object`);
  const record = { ...data };
  for (const key of ["fixturesDir", "scenariosDir"]) {
    if (typeof record[key] === "string") record[key] = resolve(dirname(path), record[key]);
  }
  const https = record.https;
  if (isRecord(https)) {
    const files = { ...https };
    for (const key of ["cert", "key", "dir"])
      if (typeof files[key] === "string") files[key] = resolve(dirname(path), files[key]);
    record.https = files;
  }
  return record;
}

/** The config fields the environment can set (a section's as `section.field`), each with its variable. */
export const ENV_VARS = {
  port: "PORT",
  host: "HOST",
  publicUrl: "PUBLIC_URL",
  adminToken: "ADMIN_TOKEN",
  logLevel: "LOG_LEVEL",
  "https.port": "HTTPS_PORT",
  "https.cert": "HTTPS_CERT",
  "https.key": "HTTPS_KEY",
  "store.url": "STORE_URL",
  workers: "WORKERS",
} as const;

/** The settings the environment gives (`ENV_VARS`); an empty variable is as good as unset. */
export function configFromEnv(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [field, name] of Object.entries(ENV_VARS)) if (env[name]) setField(out, field, env[name]);
  return out;
}

/** Sets `field` in `target`, a section's field written `section.field`. */
export function setField(target: Record<string, unknown>, field: string, value: unknown): void {
  const [section, ...rest] = field.split(".");
  if (rest.length === 0) {
    target[section!] = value;
    return;
  }
  const inner = target[section!];
  const nested = isRecord(inner) ? { ...inner } : {};
  setField(nested, rest.join("."), value);
  target[section!] = nested;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/**
 * The sources of settings merged, later ones winning field by field: a file's `https.dir` stays when a flag sets
 * `https.port`. Lists are replaced, not merged.
 */
export function mergeConfig(...layers: readonly Record<string, unknown>[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const layer of layers)
    for (const [field, value] of Object.entries(layer)) {
      const before = out[field];
      out[field] = isRecord(before) && isRecord(value) ? mergeConfig(before, value) : value;
    }
  return out;
}

/**
 * The public base URL without a trailing slash: `publicUrl`, else the listener's own URL: the HTTPS one when there is
 * one (a phone on the LAN, or a page that needs a secure context, reaches the sandbox only so), else the plain one.
 */
export function publicUrlOf(
  config: SandboxConfig,
  port: number,
  httpsPort: number | undefined = config.https.port,
): string {
  if (config.publicUrl) return config.publicUrl.replace(/\/+$/, "");
  return httpsPort === undefined ? localUrlOf(config, "http", port) : localUrlOf(config, "https", httpsPort);
}

/** A listener's URL on this machine: `http://HOST:PORT`, with the loopback address for a wildcard host. */
export function localUrlOf(config: SandboxConfig, scheme: "http" | "https", port: number): string {
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;
  const shown = host === "0.0.0.0" || host === "[::]" ? "127.0.0.1" : host;
  return `${scheme}://${shown}:${port}`;
}
