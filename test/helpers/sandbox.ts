import type { Hono } from "hono";
import { createLocalJWKSet, jwtVerify, type JWTVerifyResult } from "jose";
import { adminApi } from "../../src/admin/routes.js";
import type { CoreConfigInput } from "../../src/config.js";
import { contractDocument, docGroups } from "../../src/contract.js";
import { createApp, createDeps, parseConfig, type SandboxDeps } from "../../src/index.js";
import { createClock, type Clock } from "../../src/core/clock.js";
import type { AppEnv } from "../../src/core/context.js";
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

export async function testSandbox(
  config: Omit<CoreConfigInput, "port"> & Record<string, unknown> = {},
): Promise<TestSandbox> {
  const clock = createClock({ start: T0, frozen: true });
  const deps = await createDeps(parseConfig({ publicUrl: BASE, logLevel: "silent", ...config }), { clock });
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
