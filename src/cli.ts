#!/usr/bin/env node
import { availableParallelism } from "node:os";
import { parseArgs } from "node:util";
import { adminApi } from "./admin/routes.js";
import { ConfigError, configFromEnv, parseConfig, publicUrlOf, readConfigFile } from "./config.js";
import { contractDocument, docGroups, VERSION } from "./contract.js";
import { KeyFileError } from "./core/keys.js";
import { createDeps } from "./deps.js";
import { startSandbox } from "./sandbox.js";
import { providers } from "./vendors.js";

const USAGE = `Usage: idv-sandbox [options]            start the sandbox
       idv-sandbox openapi [--vendor <name>]  print the OpenAPI document (all vendors and admin, or one vendor)

A local, test-only sandbox of the Sardine, Sumsub ID Connect, DQE IDMobile and Regula IDV token APIs.

Options:
  --port <n>          port to listen on (env PORT; default 4010; 0 = any free port)
  --host <addr>       address to bind (env HOST; default 127.0.0.1)
  --public-url <url>  base URL written into tokens and hand-off URLs (env PUBLIC_URL; default http://HOST:PORT)
  --config <file>     JSON or YAML config file (see README, "Configuration")
  --scenario <name>   activate a scenario for everyone from the start (repeatable)
  --admin-token <t>   require "Authorization: Bearer <t>" on /__admin (env ADMIN_TOKEN)
  --quiet             print nothing but errors
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
  let parsed;
  try {
    parsed = parseArgs({
      options: {
        port: { type: "string" },
        host: { type: "string" },
        "public-url": { type: "string" },
        config: { type: "string" },
        scenario: { type: "string", multiple: true },
        "admin-token": { type: "string" },
        quiet: { type: "boolean" },
        help: { type: "boolean", short: "h" },
        version: { type: "boolean", short: "v" },
        vendor: { type: "string" },
      },
      strict: true,
      allowPositionals: true,
    });
  } catch (err) {
    fail(`${(err as Error).message}\n\n${USAGE}`);
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

  const fromFile = flags.config ? await readConfigFile(flags.config) : {};
  const fromFlags: Record<string, unknown> = {};
  if (flags.port !== undefined) fromFlags.port = flags.port;
  if (flags.host !== undefined) fromFlags.host = flags.host;
  if (flags["public-url"] !== undefined) fromFlags.publicUrl = flags["public-url"];
  if (flags.quiet) fromFlags.quiet = true;
  if (flags.scenario) fromFlags.scenarios = flags.scenario;
  if (flags["admin-token"] !== undefined) fromFlags.adminToken = flags["admin-token"];
  const config = parseConfig(
    { ...fromFile, ...configFromEnv(process.env), ...fromFlags },
    flags.config ? `config (${flags.config}, env, flags)` : "config (env, flags)",
  );

  const [command, ...rest] = parsed.positionals;
  if (command === "openapi" && rest.length === 0) {
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
  if (command !== undefined || flags.vendor !== undefined)
    fail(`unknown command or option: ${[command, ...rest].join(" ") || "--vendor"}\n\n${USAGE}`);

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

  if (!config.quiet) {
    const { deps } = sandbox;
    const active = deps.globalScenarios.length > 0 ? `; active: ${deps.globalScenarios.join(", ")}` : "";
    const lines = [
      `idv-sandbox listening on ${sandbox.url} (test-only: never for production)`,
      ...providers.map((p) => `  ${p.name.padEnd(8)} ${sandbox.url}/${p.name}`),
      `  admin    ${sandbox.url}/__admin`,
      `  docs     ${sandbox.url}/docs/  (OpenAPI: ${sandbox.url}/openapi.json)`,
      `  scenarios: ${String(deps.scenarios.size)} loaded from ${config.scenariosDir}${active}`,
      "  credentials (fake, test-only):",
      ...deps.vendors.flatMap(({ provider, fixtures }) =>
        provider
          .credentials(fixtures)
          .map(([what, value]) => `    ${provider.name.padEnd(8)} ${what.padEnd(38)} ${value}`),
      ),
    ];
    process.stdout.write(lines.join("\n") + "\n");
  }
  if (!isLoopback(config.host) && config.adminToken === undefined) {
    process.stderr.write(
      `idv-sandbox: warning: listening on ${config.host}, beyond this machine, with no admin token: anyone who ` +
        "reaches it can reset state, move the clock and read the journal. Set --admin-token or ADMIN_TOKEN.\n",
    );
  }
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof KeyFileError) fail(err.message);
  const code = (err as NodeJS.ErrnoException).code;
  if (code === "EADDRINUSE" || code === "EACCES" || code === "EADDRNOTAVAIL") {
    fail(`cannot listen: ${(err as Error).message}`);
  }
  process.stderr.write(`idv-sandbox: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
