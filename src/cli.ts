#!/usr/bin/env node
import cluster from "node:cluster";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { adminApi } from "./admin/routes.js";
import {
  ConfigError,
  configFromEnv,
  ENV_VARS,
  mergeConfig,
  localUrlOf,
  parseConfig,
  publicUrlOf,
  readConfigFile,
  setField,
  type SandboxConfig,
} from "./config.js";
import { contractDocument, docGroups, VERSION } from "./contract.js";
import { nearest } from "./core/config-issues.js";
import { KeyFileError } from "./core/keys.js";
import { createDeps } from "./deps.js";
import { startSandbox, type Sandbox } from "./sandbox.js";
import { providers } from "./vendors.js";
import { runWorkers, serveAsWorker, WorkerStartError, type Failure } from "./workers.js";

const USAGE = `Usage: idv-sandbox [options]            start the sandbox
       idv-sandbox openapi [--vendor <name>]  print the OpenAPI document (all vendors and admin, or one vendor)

A local, test-only sandbox of the Sardine, Sumsub ID Connect, DQE IDMobile and Regula IDV token APIs.

Options:
  --port <n>          port to listen on (env PORT; default 4010; 0 = any free port)
  --host <addr>       address to bind (env HOST; default 127.0.0.1)
  --public-url <url>  base URL written into tokens and hand-off URLs (env PUBLIC_URL; default http://HOST:PORT,
                      or https://HOST:HTTPS-PORT with --https-port)
  --https-port <n>    also serve HTTPS on this port (env HTTPS_PORT; 0 = any free port); with no certificate given,
                      one is made, signed by a test-only CA of the sandbox's own, and kept (see README, "HTTPS")
  --https-cert <file> PEM certificate to serve instead, e.g. mkcert's (env HTTPS_CERT; with --https-key)
  --https-key <file>  its PEM private key (env HTTPS_KEY)
  --store <url>       keep tokens, codes and sessions in Redis or Valkey, shared by every sandbox on it:
                      redis://host:6379/0, rediss:// for TLS (env STORE_URL; default: this process's memory)
  --workers <n>       serve the port with n processes, 1–64 (env WORKERS; default 1); more than 1 needs --store
  --config <file>     JSON or YAML config file (see README, "Configuration")
  --scenario <name>   activate a scenario for everyone from the start (repeatable)
  --admin-token <t>   require "Authorization: Bearer <t>" on /__admin (env ADMIN_TOKEN)
  --quiet             no request log: print only the listening line (with the URL) and errors
  -v, --version       print the version
  -h, --help          show this help
`;

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || host.startsWith("127.");
}

function fail(message: string): never {
  process.stderr.write(`idv-sandbox: ${message}\n`);
  process.exit(2);
}

const HELP_HINT = "Run idv-sandbox --help for the commands and options.";

const OPTIONS = {
  port: { type: "string" },
  host: { type: "string" },
  "public-url": { type: "string" },
  "https-port": { type: "string" },
  "https-cert": { type: "string" },
  "https-key": { type: "string" },
  store: { type: "string" },
  workers: { type: "string" },
  config: { type: "string" },
  scenario: { type: "string", multiple: true },
  "admin-token": { type: "string" },
  quiet: { type: "boolean" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "v" },
  vendor: { type: "string" },
} as const;

/** The config field each flag sets (`section.field` in a section): a bad value is reported under the flag's name. */
const FLAG_FIELDS = {
  port: "port",
  host: "host",
  "public-url": "publicUrl",
  "https-port": "https.port",
  "https-cert": "https.cert",
  "https-key": "https.key",
  store: "store.url",
  workers: "workers",
  scenario: "scenarios",
  "admin-token": "adminToken",
  quiet: "quiet",
} as const;

/** parseArgs's refusal in the CLI's words: the flag, the nearest known one, where to look. */
function argsProblem(err: Error & { code?: string }): string {
  const flag = /'(-[^' ]*)/.exec(err.message)?.[1] ?? "";
  const known = Object.keys(OPTIONS);
  if (err.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
    const near = flag.startsWith("--") ? nearest(flag.slice(2), known) : undefined;
    return `unknown option ${flag}${near === undefined ? "" : ` (did you mean --${near}?)`}\n${HELP_HINT}`;
  }
  if (err.code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE")
    return err.message.includes("does not take an argument")
      ? `${flag} takes no value\n${HELP_HINT}`
      : `${flag}: expected a value after it (${flag}=<value> for one that starts with -)\n${HELP_HINT}`;
  return `${err.message}\n${HELP_HINT}`;
}

/**
 * libuv's thread pool signs every RS256 JWT (WebCrypto runs there). Its default of 4 threads oversubscribes a
 * machine with fewer cores and preempts the thread that serves HTTP (measured on 2 cores: 2,800 → 3,400 signed
 * tokens/s with one thread per core). Set before the pool first starts; an explicit UV_THREADPOOL_SIZE wins.
 */
process.env.UV_THREADPOOL_SIZE ??= String(Math.min(4, availableParallelism()));

// `idv-sandbox openapi | head`: a reader that stops early is not an error.
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code === "EPIPE") process.exit(0);
  throw err;
});

async function main(): Promise<void> {
  // A worker of `--workers`: the primary checked the config and hands it over.
  if (cluster.isWorker) {
    serveAsWorker({ banner, failure: failureOf });
    return;
  }
  let parsed;
  try {
    parsed = parseArgs({ options: OPTIONS, strict: true, allowPositionals: true });
  } catch (err) {
    fail(argsProblem(err as Error));
  }
  const flags = parsed.values;
  if (flags.help) {
    process.stdout.write(USAGE);
    return;
  }
  if (flags.version) {
    process.stdout.write(`idv-sandbox ${VERSION}\n`);
    return;
  }

  const [command, ...rest] = parsed.positionals;
  if (command !== undefined && (command !== "openapi" || rest.length > 0)) {
    const near = nearest(command, ["openapi"]);
    fail(
      `unknown command ${[command, ...rest].join(" ")}${near === undefined ? "" : ` (did you mean ${near}?)`}\n${HELP_HINT}`,
    );
  }
  if (command === undefined && flags.vendor !== undefined)
    fail(`--vendor goes with the openapi command: idv-sandbox openapi --vendor ${flags.vendor}`);

  const fromFile = flags.config ? await readConfigFile(flags.config) : {};
  const fromEnv = configFromEnv(process.env);
  const fromFlags: Record<string, unknown> = {};
  // Each field's problem is named as it was given: `--port`, `PORT`, or the file and the field.
  const givenAs: Record<string, string> = {};
  for (const [field, name] of Object.entries(ENV_VARS)) if (process.env[name]) givenAs[field] = name;
  for (const [flag, field] of Object.entries(FLAG_FIELDS)) {
    const value = flags[flag as keyof typeof FLAG_FIELDS];
    if (value === undefined || value === false) continue;
    setField(fromFlags, field, value);
    givenAs[field] = `--${flag}`;
  }
  const config = parseConfig(
    mergeConfig(fromFile, fromEnv, fromFlags),
    flags.config ? `config file ${flags.config}` : "config",
    givenAs,
  );

  if (command === "openapi") {
    const names = providers.map((p) => p.name);
    if (flags.vendor !== undefined && !names.includes(flags.vendor))
      fail(`--vendor must be one of ${names.join(", ")}`);
    const deps = await createDeps(config);
    const doc = await contractDocument(
      docGroups(deps.vendors, adminApi(deps)),
      publicUrlOf(config, config.port),
      flags.vendor,
    );
    process.stdout.write(JSON.stringify(doc, null, 2) + "\n");
    return;
  }
  if (config.workers > 1) {
    // The command line's own file, bundled or not: what each worker runs.
    process.stdout.write(await runWorkers(config, fileURLToPath(import.meta.url)));
    warnBeyondLoopback(config);
    return;
  }
  const sandbox = await startSandbox(config);
  // Signal handlers go in before the banner: whoever reads the URL may stop us at once.
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    if (!config.quiet) process.stdout.write(`idv-sandbox: ${signal}, closing\n`);
    // Drain: no new connections, the requests in flight finish (up to the grace period); exit 0 only if none was cut.
    sandbox.close({ graceSeconds: config.shutdownGraceSeconds }).then(
      ({ cut }) => {
        if (cut > 0)
          process.stderr.write(`idv-sandbox: ${String(cut)} request(s) cut after the grace period\n`);
        process.exit(cut > 0 ? 1 : 0);
      },
      () => process.exit(1),
    );
  };
  process.on("SIGINT", () => {
    stop("SIGINT");
  });
  process.on("SIGTERM", () => {
    stop("SIGTERM");
  });
  process.stdout.write(banner(sandbox, config));
  warnBeyondLoopback(config);
}

/**
 * The listening line, then (unless quiet) what is served where, the certificate to trust and the fixture credentials.
 * The line is printed even when quiet: with --port 0 it is the only way to learn the port. With HTTPS it names both
 * listeners (the public URL first), so both ports can be learnt from it; with workers, how many serve them.
 */
function banner(sandbox: Sandbox, config: SandboxConfig): string {
  const listeners =
    sandbox.httpsUrl === undefined
      ? [sandbox.url]
      : [...new Set([sandbox.url, sandbox.httpsUrl, localUrlOf(config, "http", sandbox.port)])];
  const workers = config.workers > 1 ? ` (${String(config.workers)} workers)` : "";
  const listening = `idv-sandbox listening on ${listeners.join(" and ")}${workers} (test-only: never for production)`;
  if (config.quiet) return `${listening}\n`;
  const { deps } = sandbox;
  const active = deps.globalScenarios.length > 0 ? `; active: ${deps.globalScenarios.join(", ")}` : "";
  const lines = [
    listening,
    ...providers.map((p) => `  ${p.name.padEnd(8)} ${sandbox.url}/${p.name}`),
    `  admin    ${sandbox.url}/__admin`,
    `  docs     ${sandbox.url}/docs/  (OpenAPI: ${sandbox.url}/openapi.json)`,
    ...certificateLines(sandbox.certificate),
    `  scenarios: ${String(deps.scenarios.size)} loaded from ${config.scenariosDir}${active}`,
    "  credentials (fake, test-only):",
    ...deps.vendors.flatMap(({ provider, fixtures }) =>
      provider
        .credentials(fixtures)
        .map(([what, value]) => `    ${provider.name.padEnd(8)} ${what.padEnd(38)} ${value}`),
    ),
  ];
  return lines.join("\n") + "\n";
}

function warnBeyondLoopback(config: SandboxConfig): void {
  if (!isLoopback(config.host) && config.adminToken === undefined) {
    process.stderr.write(
      `idv-sandbox: warning: listening on ${config.host}, beyond this machine, with no admin token: anyone who ` +
        "reaches it can reset state, move the clock and read the journal. Set --admin-token or ADMIN_TOKEN.\n",
    );
  }
}

/** What to trust for HTTPS: the certificate's file and SHA-256 fingerprint (nothing without HTTPS). */
function certificateLines(certificate: Sandbox["certificate"]): string[] {
  if (certificate === undefined) return [];
  const { served } = certificate;
  const when = { created: "made now", kept: "kept from an earlier start", given: "as given" };
  const names = served.names.join(", ");
  if (certificate.origin === "given")
    return [`  https    certificate for ${names}: ${served.path}`, `  SHA-256  ${served.fingerprint}`];
  return [
    `  https    certificate for ${names} (${when[served.origin]}), signed by the sandbox's own test-only CA`,
    `  trust    ${certificate.path}  (the CA, ${when[certificate.origin]}; see README, "HTTPS")`,
    `  SHA-256  ${certificate.fingerprint}`,
  ];
}

/** A failed start as one line and its exit code: 2 for the config or the machine, 1 for a bug (with its stack). */
function failureOf(err: unknown): Failure {
  if (err instanceof ConfigError || err instanceof KeyFileError) return { line: err.message, exitCode: 2 };
  if (err instanceof WorkerStartError) return { line: err.message, exitCode: err.exitCode };
  const code = (err as NodeJS.ErrnoException).code;
  if (code === "EADDRINUSE" || code === "EACCES" || code === "EADDRNOTAVAIL")
    return { line: `cannot listen: ${(err as Error).message}`, exitCode: 2 };
  return { line: (err as Error).stack ?? String(err), exitCode: 1 };
}

main().catch((err: unknown) => {
  const { line, exitCode } = failureOf(err);
  process.stderr.write(`idv-sandbox: ${line}\n`);
  process.exit(exitCode);
});
