import { Cluster, Redis, ReplyError, type RedisOptions } from "ioredis";
import { ConfigError } from "./errors.js";
import { StoreUnavailableError } from "./store.js";

export interface RedisConnectOptions {
  /** Longest a command may take before it fails (the request then answers 503). */
  timeoutMs: number;
  /** The URL names one node of a Redis Cluster: the client discovers the others and follows the slots. */
  cluster?: boolean;
}

/** A client of one server or of a cluster: the store uses what both have. */
export type RedisClient = Redis | Cluster;

/**
 * A connected Redis client for the shared store, or a `ConfigError` saying why there is none (the start fails with
 * it: exit 2). While running, a lost connection is retried for ever, a second apart at most, and commands fail at
 * once instead of queueing (`enableOfflineQueue: false`), so a request answers 503 while Redis is away and service
 * comes back by itself when it returns.
 */
export async function connectRedis(url: string, options: RedisConnectOptions): Promise<RedisClient> {
  const retry = (attempt: number) => Math.min(attempt * 100, 1000);
  const settings: RedisOptions = {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: options.timeoutMs,
    connectTimeout: Math.max(options.timeoutMs, 1000),
    retryStrategy: retry,
  };
  let client: RedisClient;
  try {
    client = options.cluster ? clusterClient(url, settings, retry) : new Redis(url, settings);
  } catch (err) {
    // A URL ioredis cannot read (a malformed percent-encoding in the password).
    throw new ConfigError(
      `store.url: ${redacted(url)} cannot be read: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  // Without a listener, ioredis prints every failed reconnection; the health route and the 503s say it instead.
  let cause: unknown;
  client.on("error", (err: unknown) => (cause ??= err));
  try {
    await client.connect();
    await client.ping();
  } catch (err) {
    client.disconnect();
    // The socket's own error (ECONNREFUSED, ENOTFOUND) says more than "Connection is closed".
    const why = cause ?? err;
    throw new ConfigError(
      `store.url: cannot reach ${redacted(url)}: ${why instanceof Error ? why.message : String(why)}`,
    );
  }
  return client;
}

/** A cluster client starting from the node `url` names, with its credentials and TLS for every node. */
function clusterClient(url: string, settings: RedisOptions, retry: (attempt: number) => number): Cluster {
  const { hostname, port, username, password, protocol } = new URL(url);
  return new Cluster([{ host: hostname, port: Number(port || 6379) }], {
    lazyConnect: true,
    enableOfflineQueue: false,
    clusterRetryStrategy: retry,
    redisOptions: {
      ...settings,
      ...(username ? { username: decodeURIComponent(username) } : {}),
      ...(password ? { password: decodeURIComponent(password) } : {}),
      ...(protocol === "rediss:" ? { tls: {} } : {}),
    },
  });
}

/** The URL without its password, for messages. */
export function redacted(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== "") parsed.password = "***";
    return parsed.toString();
  } catch {
    return "the URL";
  }
}

/**
 * The store with every failure to reach Redis (closed connection, no connection, command timeout) turned into a
 * `StoreUnavailableError`, which the error door answers 503. An error Redis answered (a script's) is a bug: it stays.
 */
export function guarded<T extends object>(store: T): T {
  const unavailable = (err: unknown): never => {
    if (err instanceof ReplyError) throw err;
    throw new StoreUnavailableError("redis", { cause: err });
  };
  const out: Record<string, unknown> = {};
  for (const [name, member] of Object.entries(store) as [string, unknown][])
    out[name] =
      typeof member === "function"
        ? (...args: unknown[]) => {
            const result = (member as (...a: unknown[]) => unknown)(...args);
            return result instanceof Promise ? result.catch(unavailable) : result;
          }
        : member;
  return out as T;
}

/** Which script sets each client has as commands already. */
const scriptsOn = new WeakMap<RedisClient, Set<object>>();

/**
 * The client with `scripts` added as commands, once per client (ioredis sends EVALSHA, and EVAL again after a server
 * restart): each takes `numberOfKeys` keys, then its arguments.
 */
export function withScripts<S>(
  client: RedisClient,
  scripts: Readonly<Record<keyof S, string>>,
  numberOfKeys: number,
): RedisClient & S {
  let added = scriptsOn.get(client);
  if (added === undefined) scriptsOn.set(client, (added = new Set()));
  if (!added.has(scripts)) {
    for (const [name, lua] of Object.entries<string>(scripts))
      client.defineCommand(name, { numberOfKeys, lua });
    added.add(scripts);
  }
  return client as RedisClient & S;
}
