import type { Hono } from "hono";
import { Redis } from "ioredis";
import { createLocalJWKSet, jwtVerify, type JWTVerifyResult } from "jose";
import { afterAll, inject } from "vitest";
import { adminApi } from "../../src/admin/routes.js";
import type { CoreConfigInput } from "../../src/config.js";
import { contractDocument, docGroups } from "../../src/contract.js";
import { createApp, createDeps, parseConfig, type SandboxDeps } from "../../src/index.js";
import { createClock, type Clock } from "../../src/core/clock.js";
import type { AppEnv } from "../../src/core/context.js";
import type { Logger } from "../../src/core/log.js";
import { contractChecker } from "./contract.js";

/** The instant every test clock starts at, frozen: tests move it explicitly. */
export const T0 = Date.parse("2026-01-01T00:00:00.000Z");
export const BASE = "http://sandbox.test";

export interface TestSandbox {
  app: Hono<AppEnv>;
  deps: SandboxDeps;
  clock: Clock;
  /** `app.request` with the test base URL, so absolute URLs from responses can be replayed. */
  request: (path: string, init?: RequestInit) => Promise<Response>;
}

/**
 * In the "redis" test project (vitest.config.ts), every test sandbox keeps its state on the run's redis-server, under
 * a prefix of its own, through one client per test file; in the "memory" project, in memory.
 */
const redisUrl = inject("redisUrl") as string | undefined;
let redis: Redis | undefined;
let sandboxes = 0;
if (redisUrl !== undefined) {
  afterAll(async () => {
    await redis?.quit();
  });
}

/** What `GET /__admin/health` answers when all is well in the project this file runs in. */
export const HEALTHY = redisUrl === undefined ? { status: "ok" } : { status: "ok", store: "redis" };

/** The store settings of the project this file runs in. */
function storeOf(config: Record<string, unknown>): Record<string, unknown> {
  if (redisUrl === undefined) return {};
  const given = (config.store ?? {}) as Record<string, unknown>;
  return { store: { ...given, url: redisUrl, prefix: `t${String(process.pid)}.${String(++sandboxes)}:` } };
}

/**
 * `logger`: where the sandbox logs (silent unless given; its own level applies). `memoryOnly`: the test is about the
 * in-memory store itself (its byte budget), so it keeps it in every project.
 */
export async function testSandbox(
  config: Omit<CoreConfigInput, "port"> & Record<string, unknown> = {},
  options: { logger?: Logger; memoryOnly?: boolean } = {},
): Promise<TestSandbox> {
  const { memoryOnly = false, ...overrides } = options;
  const clock = createClock({ start: T0, frozen: true });
  const shared = redisUrl !== undefined && !memoryOnly;
  if (shared && redis === undefined) redis = new Redis(redisUrl);
  const deps = await createDeps(
    parseConfig({ publicUrl: BASE, logLevel: "silent", ...config, ...(shared ? storeOf(config) : {}) }),
    { clock, ...overrides, ...(shared && redis ? { redis } : {}) },
  );
  const app = createApp(deps);
  const check = contractChecker(await contractDocument(docGroups(deps.vendors, adminApi(deps)), BASE));
  return {
    app,
    deps,
    clock,
    request: async (path, init) => {
      const relative = path.startsWith(BASE) ? path.slice(BASE.length) : path;
      const res = await app.request(relative, init);
      await check(init?.method ?? "GET", relative, res);
      return res;
    },
  };
}

export function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
}

export function json(body: unknown, headers: Record<string, string> = {}): RequestInit {
  return {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  };
}

export function form(fields: Record<string, string>, headers: Record<string, string> = {}): RequestInit {
  return {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams(fields).toString(),
  };
}

/** Verifies a JWT the way a client does: with the JWKS the sandbox publishes at `jwksPath`. */
export async function verifyWithPublishedJwks(
  sandbox: TestSandbox,
  jwksPath: string,
  token: string,
  options: { issuer?: string; audience?: string } = {},
): Promise<JWTVerifyResult> {
  const res = await sandbox.request(jwksPath);
  if (res.status !== 200) throw new Error(`JWKS at ${jwksPath} answered ${res.status}`);
  const jwks = createLocalJWKSet(await res.json());
  return jwtVerify(token, jwks, {
    ...options,
    currentDate: new Date(sandbox.clock.now()),
    algorithms: ["RS256"],
  });
}
