import { Redis } from "ioredis";
import { ConfigError } from "./errors.js";

export interface RedisConnectOptions {
  /** Longest a command may take before it fails (the request then answers 503). */
  timeoutMs: number;
}

/**
 * A connected Redis client for the shared store, or a `ConfigError` saying why there is none (the start fails with
 * it: exit 2). While running, a lost connection is retried for ever, a second apart at most, and commands fail at
 * once instead of queueing (`enableOfflineQueue: false`), so a request answers 503 while Redis is away and service
 * comes back by itself when it returns.
 */
export async function connectRedis(url: string, options: RedisConnectOptions): Promise<Redis> {
  const client = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: options.timeoutMs,
    connectTimeout: Math.max(options.timeoutMs, 1000),
    retryStrategy: (attempt) => Math.min(attempt * 100, 1000),
  });
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

/** The URL without its password, for messages. */
export function redacted(url: string): string {
  const parsed = new URL(url);
  if (parsed.password !== "") parsed.password = "***";
  return parsed.toString();
}
