import { execFile, spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";

/** Debian's `redis-server` (installed by .ci/setup and `npm test`), or the one REDIS_SERVER_PATH names. */
export function redisServerPath(): string {
  const named = process.env.REDIS_SERVER_PATH;
  const candidates = named
    ? [named]
    : (process.env.PATH ?? "").split(delimiter).map((d) => join(d, "redis-server"));
  for (const path of candidates) {
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not this one
    }
  }
  throw new Error(
    "the Redis suites need redis-server: install it (Debian/Ubuntu: sudo apt-get install redis-server) or set REDIS_SERVER_PATH",
  );
}

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** Stops the server and waits for it to exit. */
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * A real redis-server on a free loopback port, persistence off, resolved once it accepts connections. `args` adds
 * options (`["--cluster-enabled", "yes"]`). Stop it with `stop()`; it also dies with the test process.
 */
export async function startRedis(args: readonly string[] = [], port?: number): Promise<RedisServer> {
  const binary = redisServerPath();
  const chosen = port ?? (await freePort());
  const child = spawn(
    binary,
    [
      "--port",
      String(chosen),
      "--bind",
      "127.0.0.1",
      "--save",
      "",
      "--appendonly",
      "no",
      "--dir",
      process.env.TMPDIR ?? "/tmp",
      ...args,
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let log = "";
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      log += chunk.toString();
      if (log.includes("Ready to accept connections")) resolve();
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", (code) =>
      reject(new Error(`redis-server exited ${String(code)} before it was ready:\n${log}`)),
    );
  });
  child.stdout.removeAllListeners("data");
  child.stderr.removeAllListeners("data");
  child.stdout.resume();
  child.stderr.resume();
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    port: chosen,
    url: `redis://127.0.0.1:${String(chosen)}`,
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}

export interface RedisCluster {
  /** The masters, `127.0.0.1:<port>` each: what a cluster client is given to start from. */
  readonly nodes: readonly { host: string; port: number }[];
  stop(): Promise<void>;
}

/**
 * A real 3-master Redis Cluster on free loopback ports: three `redis-server --cluster-enabled yes` processes joined
 * by `redis-cli --cluster create`, resolved once every slot is served (`cluster_state:ok` on each node).
 */
export async function startRedisCluster(): Promise<RedisCluster> {
  const dir = await mkdtemp(join(tmpdir(), "idv-redis-cluster-"));
  const servers: RedisServer[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      const port = await freeClusterPort();
      servers.push(
        await startRedis(
          ["--cluster-enabled", "yes", "--cluster-config-file", join(dir, `nodes-${String(port)}.conf`)],
          port,
        ),
      );
    }
    const cli = join(dirname(redisServerPath()), "redis-cli");
    await run(cli, [
      "--cluster",
      "create",
      ...servers.map((s) => `127.0.0.1:${String(s.port)}`),
      "--cluster-replicas",
      "0",
      "--cluster-yes",
    ]);
    // Every node must know the whole map before a client starts from any of them.
    for (const s of servers) {
      for (let tries = 0; ; tries++) {
        const info = await run(cli, ["-p", String(s.port), "cluster", "info"]);
        if (info.includes("cluster_state:ok")) break;
        if (tries > 100) throw new Error(`the cluster never came up:\n${info}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  } catch (err) {
    await Promise.all(servers.map((s) => s.stop()));
    throw err;
  }
  return {
    nodes: servers.map((s) => ({ host: "127.0.0.1", port: s.port })),
    async stop() {
      await Promise.all(servers.map((s) => s.stop()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A port free with its cluster bus port (port + 10000, so at most 55535), from 20000–39999 at random. */
async function freeClusterPort(): Promise<number> {
  for (;;) {
    const port = 20000 + Math.floor(Math.random() * 20000);
    if ((await isFree(port)) && (await isFree(port + 10000))) return port;
  }
}

function isFree(port: number): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

function run(command: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, (err, stdout, stderr) => {
      if (err) reject(new Error(`${command} ${args.join(" ")}: ${err.message}\n${stdout}${stderr}`));
      else resolve(stdout);
    });
  });
}
