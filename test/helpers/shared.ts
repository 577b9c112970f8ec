import { Cluster, Redis } from "ioredis";
import { afterAll, afterEach, beforeAll } from "vitest";
import { createSandbox, type Sandbox, type SandboxOptions } from "../../src/index.js";
import { startRedis, startRedisCluster, type RedisCluster, type RedisServer } from "./redis.js";

/**
 * Sandboxes sharing one real redis-server, which the calling test file starts before its tests and stops after them;
 * the sandboxes a test starts close after it. Each test takes a key prefix of its own (`prefix()`), so its sandboxes
 * see one another's state and no other test's.
 */
export function sandboxesOnRedis() {
  let redis: RedisServer | undefined;
  let prefixes = 0;
  const running: Sandbox[] = [];
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((s) => s.close()));
  });
  /** A sandbox on the shared Redis under `prefix`, with `config` on top of a quiet one on a free port. */
  const on = async (prefix: string, config: SandboxOptions = {}): Promise<Sandbox> => {
    const sandbox = await createSandbox({
      port: 0,
      logLevel: "silent",
      ...config,
      store: { url: redis!.url, prefix },
    });
    running.push(sandbox);
    return sandbox;
  };
  const prefix = () => `p${String(++prefixes)}:`;
  return {
    prefix,
    on,
    /** Two sandboxes under a new prefix, with the same `config`. */
    pair: async (config: SandboxOptions = {}): Promise<[Sandbox, Sandbox]> => {
      const shared = prefix();
      return [await on(shared, config), await on(shared, config)];
    },
  };
}

/** A call to the admin API of `sandbox`, with `body` as JSON. */
export const adminCall = (sandbox: Sandbox, method: string, path: string, body?: unknown) =>
  fetch(`${sandbox.url}/__admin${path}`, {
    method,
    ...(body === undefined
      ? {}
      : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
  });

/**
 * A client of a real redis-server and one of a real 3-master Redis Cluster, both started for the calling test file
 * on free ports and stopped after it: what a suite of one backend's behaviour runs against, beside memory.
 */
export function redisAndCluster() {
  let server: RedisServer | undefined;
  let cluster: RedisCluster | undefined;
  let client: Redis | undefined;
  let clusterClient: Cluster | undefined;
  beforeAll(async () => {
    [server, cluster] = await Promise.all([startRedis(), startRedisCluster()]);
    client = new Redis(server.url, { lazyConnect: true });
    clusterClient = new Cluster([...cluster.nodes], { lazyConnect: true });
    await Promise.all([client.connect(), clusterClient.connect()]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([client?.quit(), clusterClient?.quit()]);
    await Promise.all([server?.stop(), cluster?.stop()]);
  });
  return { client: () => client!, clusterClient: () => clusterClient! };
}
