import cluster from "node:cluster";
import type { Server, ServerResponse } from "node:http";
import { createServer as createHttpsServer, type Server as HttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { createAdaptorServer } from "@hono/node-server";
import {
  jwtVerify,
  type JWTPayload,
  type JWTVerifyGetKey,
  type JWTVerifyOptions,
  type JWTVerifyResult,
  type KeyInput,
} from "jose";
import { createApp } from "./app.js";
import { localUrlOf, parseConfig, publicUrlOf, type CoreConfigInput, type SandboxConfig } from "./config.js";
import type { Clock } from "./core/clock.js";
import type { Namespace } from "./core/context.js";
import type { IdGenerator } from "./core/ids.js";
import type { Outcome } from "./core/scenarios/schema.js";
import { enqueueOneShot } from "./core/scenarios/state.js";
import { loadCertificate, requiredNames, type TlsCertificate } from "./core/tls.js";
import { createDeps, forgetNamespace, tickAll, type DepsOverrides, type SandboxDeps } from "./deps.js";

/** A running sandbox, for test suites. */
export interface Sandbox {
  /**
   * Base URL written into tokens and links, e.g. `http://127.0.0.1:4010`; vendors live under `/<vendor>`. It is
   * `publicUrl` when set, else the HTTPS listener's URL when there is one, else the plain one.
   */
  readonly url: string;
  /** The plain HTTP listener's port. */
  readonly port: number;
  /** The HTTPS listener's port (`https.port`; the one picked for 0), when it serves HTTPS. */
  readonly httpsPort?: number;
  /** The HTTPS listener's URL on this machine (`https://127.0.0.1:4443`), when it serves HTTPS. */
  readonly httpsUrl?: string;
  /**
   * The certificate to trust for HTTPS (`pem` in a client, `path` to install on a device, `fingerprint` to compare)
   * and, under `served`, the one the listener presents; no key.
   *
   * @example
   * https.get(`${sandbox.httpsUrl}/__admin/health`, { ca: sandbox.certificate.pem });
   */
  readonly certificate?: CertificateInfo;
  /** The sandbox's clock: every namespace's clock follows it. Advance it instead of sleeping. */
  readonly clock: Clock;
  /**
   * jose's `jwtVerify` at the sandbox's time rather than the machine's: after `clock.advance(601)`, a token that
   * lived 600 s has expired here, as it has for the sandbox (plain `jwtVerify` still takes it). `currentDate` in
   * `options` is ignored: this is what the helper sets.
   *
   * @example
   * const jwks = createRemoteJWKSet(new URL(`${issuer}/v1/keys`));
   * sandbox.clock.advance(601);
   * await sandbox.verifyJwt(token, jwks, { issuer }); // throws JWTExpired
   */
  verifyJwt<P = JWTPayload>(
    token: string,
    key: KeyInput | JWTVerifyGetKey,
    options?: JWTVerifyOptions,
  ): Promise<JWTVerifyResult<P>>;
  readonly deps: SandboxDeps;
  /** The default namespace (its store holds every token, code and session issued without a namespace). */
  readonly state: Namespace;
  /** Forgets all state in every namespace. */
  reset(): Promise<void>;
  /**
   * Makes the next matching request to `vendor` (a route name as the vendor declares it, `METHOD /path/{param}`, `*`
   * wildcards) answer with `outcome` instead, once. In a namespace, if given. Rejects with a TypeError naming the
   * problem when the rule cannot work (unknown vendor or route, an error the route's format cannot express) or 1000
   * one-shots already wait there. Asynchronous: the queue is the store's, shared with every sandbox on the same Redis.
   * Over HTTP: `POST /__admin/scenarios/enqueue`.
   *
   * @example
   * await sandbox.enqueue("sumsub", "POST /resources/snsId/api/connect/token", { error: "invalid_code" });
   */
  enqueue(
    vendor: string,
    route: string,
    outcome: Outcome,
    options?: { namespace?: string; times?: number },
  ): Promise<void>;
  /**
   * Stops accepting connections and closes. With `graceSeconds` (the command line's `shutdownGraceSeconds`), requests
   * in flight may finish first, up to that long; the result says how many were cut when it ran out.
   */
  close(options?: { graceSeconds?: number }): Promise<{ cut: number }>;
}

/** What a client needs to know of the HTTPS certificates. */
export interface CertificateInfo {
  /** The certificate a client trusts, PEM: the sandbox's own authority when it made the certificate, else the given one. */
  readonly pem: string;
  /** Its file: the one to install on a simulator or emulator. */
  readonly path: string;
  /** Its SHA-256 fingerprint, `AB:CD:…` as browsers and openssl show it. */
  readonly fingerprint: string;
  readonly validTo: Date;
  /** `created` on this start, `kept` from an earlier one (same file, same fingerprint), or `given` in the config. */
  readonly origin: TlsCertificate["origin"];
  /** The certificate the HTTPS listener presents: signed by the one above when the sandbox made it. */
  readonly served: {
    readonly pem: string;
    readonly path: string;
    readonly fingerprint: string;
    /** Its subjectAltName: DNS names and IP addresses. */
    readonly names: readonly string[];
    readonly validTo: Date;
    readonly origin: TlsCertificate["origin"];
  };
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
  // Made or read before anything listens: a certificate that cannot be had stops the start (a ConfigError).
  const tls =
    config.https.port === undefined
      ? undefined
      : await loadCertificate({
          cert: config.https.cert,
          key: config.https.key,
          dir: config.https.dir,
          names: requiredNames(config),
        });
  let base = publicUrlOf(config, config.port);
  const deps = await createDeps(config, { ...overrides, publicUrl: () => base });
  const app = createApp(deps);
  // One app, one or two listeners: plain HTTP always, HTTPS beside it when configured.
  const servers = [createListener(app.fetch, config)];
  if (tls) servers.push(createListener(app.fetch, config, tls));
  // One of several workers on one port (`--workers`): each answer says which process gave it.
  if (config.workers > 1 && cluster.isWorker)
    for (const server of servers)
      server.prependListener("request", (_req, res: ServerResponse) => {
        res.setHeader("X-Sandbox-Worker", String(process.pid));
      });
  const ports: number[] = [];
  try {
    for (const [i, server] of servers.entries())
      ports.push(await listen(server, i === 0 ? config.port : config.https.port!, config.host));
  } catch (err) {
    for (const server of servers) server.close();
    deps.webhooks.close();
    throw err;
  }
  const [port, httpsPort] = ports as [number, number | undefined];
  // Requests being answered now: what a shutdown would cut.
  const answering = new Set<ServerResponse>();
  let draining = false;
  for (const server of servers)
    server.on("request", (_req, res: ServerResponse) => {
      answering.add(res);
      // Draining, an answer closes its connection: left idle, a keep-alive one would hold the close up to its timeout.
      if (draining) res.shouldKeepAlive = false;
      res.once("close", () => answering.delete(res));
    });
  base = publicUrlOf(config, port, httpsPort);
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
    ...(tls && httpsPort !== undefined
      ? {
          httpsPort,
          httpsUrl: localUrlOf(config, "https", httpsPort),
          certificate: {
            ...tls.trust,
            served: {
              pem: tls.cert,
              path: tls.certPath,
              fingerprint: tls.fingerprint,
              names: tls.names,
              validTo: tls.validTo,
              origin: tls.origin,
            },
          },
        }
      : {}),
    clock: deps.clock,
    verifyJwt: <P>(token: string, key: KeyInput | JWTVerifyGetKey, options: JWTVerifyOptions = {}) =>
      jwtVerify<P>(token, key, { ...options, currentDate: new Date(deps.clock.now()) }),
    deps,
    state: deps.namespaces.default,
    reset: async () => {
      await Promise.all(deps.namespaces.all().map((ns) => forgetNamespace(deps, ns)));
    },
    async enqueue(vendor, route, outcome, options = {}) {
      const ns = deps.namespaces.get(options.namespace ?? deps.namespaces.default.id);
      await deps.namespaces.sync(ns);
      const queued = await enqueueOneShot(ns.scenarios, { vendor, route, outcome, times: options.times });
      if (!queued.ok) throw new TypeError(`enqueue: ${queued.message}`);
    },
    close(options = {}) {
      closing ??= (async () => {
        clearInterval(sweeper);
        clearInterval(ticker);
        deps.webhooks.close();
        let cut = 0;
        draining = true;
        for (const res of answering) if (!res.headersSent) res.shouldKeepAlive = false;
        const closed = Promise.all(servers.map(stopListening));
        const grace = setTimeout(
          () => {
            cut = answering.size;
            for (const server of servers) server.closeAllConnections();
          },
          (options.graceSeconds ?? 0) * 1000,
        );
        try {
          await closed;
        } finally {
          clearTimeout(grace);
          // After the last request: one in flight may still be using the store.
          await deps.store.close();
        }
        return { cut };
      })();
      return closing;
    },
  };
}

type Listener = Server | HttpsServer;

/** A listener for the app, plain or (with `tls`) HTTPS, with the timeouts of `config.server` applied. */
function createListener(
  fetch: ReturnType<typeof createApp>["fetch"],
  config: SandboxConfig,
  tls?: TlsCertificate,
): Listener {
  const timeouts = config.server;
  // How often Node looks for requests past their timeouts: often enough that a 10 s limit means about 10 s.
  const connectionsCheckingInterval = Math.min(1000, timeouts.headersTimeoutSeconds * 500);
  const server = (
    tls
      ? createAdaptorServer({
          fetch,
          hostname: config.host,
          createServer: createHttpsServer,
          serverOptions: {
            cert: tls.cert,
            key: tls.key,
            // A client that never finishes the TLS handshake is held no longer than one that never sends headers.
            handshakeTimeout: timeouts.headersTimeoutSeconds * 1000,
            connectionsCheckingInterval,
          },
        })
      : createAdaptorServer({ fetch, hostname: config.host, serverOptions: { connectionsCheckingInterval } })
  ) as Listener;
  server.headersTimeout = timeouts.headersTimeoutSeconds * 1000;
  server.requestTimeout = Math.max(timeouts.requestTimeoutSeconds, timeouts.headersTimeoutSeconds) * 1000;
  server.keepAliveTimeout = timeouts.keepAliveTimeoutSeconds * 1000;
  return server;
}

/** Stops accepting connections; idle keep-alive ones go now. Resolves once the requests in flight are done. */
function stopListening(server: Listener): Promise<void> {
  const closed = new Promise<void>((resolve, reject) => {
    server.close((err) => {
      if (err) reject(err);
      else resolve();
    });
  });
  server.closeIdleConnections();
  return closed;
}

/** Listens on `port` (0: any free one) and answers the port it got. */
async function listen(server: Listener, port: number, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}
