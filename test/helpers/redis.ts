import { spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { createServer } from "node:net";
import { delimiter, join } from "node:path";

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
