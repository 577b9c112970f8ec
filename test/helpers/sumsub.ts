import { createHash, randomBytes } from "node:crypto";
import { signRequest } from "../../src/providers/sumsub/index.js";
import { BASE, verifyWithPublishedJwks, type TestSandbox } from "./sandbox.js";

export const APP_TOKEN = "sbx:sandbox-app-token";
export const APP_SECRET = "sandbox-app-secret";
export const CLIENT_ID = "sandbox-client";
export const CLIENT_SECRET = "sandbox-secret";
export const REDIRECT_URI = "http://localhost:3000/callback";

export function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
}

/** Headers of a Sumsub-signed request, computed the way the vendor's docs describe. */
export function signedHeaders(
  sandbox: TestSandbox,
  method: string,
  path: string,
  body: string,
  options: { appToken?: string; secret?: string; ts?: number } = {},
): Record<string, string> {
  const ts = String(options.ts ?? sandbox.clock.nowSeconds());
  return {
    "content-type": "application/json",
    "x-app-token": options.appToken ?? APP_TOKEN,
    "x-app-access-ts": ts,
    "x-app-access-sig": signRequest(options.secret ?? APP_SECRET, ts, method, path, body),
  };
}

/** POSTs `body` to a signed route, signing the path as a client would (without the /sumsub prefix by default). */
export function signedPost(
  sandbox: TestSandbox,
  path: string,
  body: unknown,
  options: { appToken?: string; secret?: string; ts?: number; signedPath?: string } = {},
): Promise<Response> {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  return sandbox.request(`/sumsub${path}`, {
    method: "POST",
    headers: signedHeaders(sandbox, "POST", options.signedPath ?? path, text, options),
    body: text,
  });
}

/**
 * Any signed request (a GET included: its body is ""), signing the path as given (without the /sumsub prefix), with
 * `headers` added after the signature ones (an `X-Sandbox-Namespace`).
 */
export function signedRequest(
  sandbox: TestSandbox,
  method: string,
  path: string,
  body?: unknown,
  options: { appToken?: string; secret?: string; ts?: number; headers?: Record<string, string> } = {},
): Promise<Response> {
  const text = body === undefined ? "" : typeof body === "string" ? body : JSON.stringify(body);
  return sandbox.request(`/sumsub${path}`, {
    method,
    headers: { ...signedHeaders(sandbox, method, path, text, options), ...options.headers },
    ...(method === "GET" || method === "HEAD" ? {} : { body: text }),
  });
}

export interface AuthorizeParams {
  scope?: string;
  challenge?: string;
  nonce?: string;
  loginHint?: string;
}

/** The fixture client's authorize query (state `st`, PKCE S256): what every flow in the tests starts with. */
export function authorizeQuery(params: AuthorizeParams = {}): URLSearchParams {
  return new URLSearchParams({
    client_id: CLIENT_ID,
    response_type: "code",
    redirect_uri: REDIRECT_URI,
    scope: params.scope ?? "openid profile email name share offline_access",
    state: "st",
    code_challenge: params.challenge ?? pkce().challenge,
    code_challenge_method: "S256",
    ...(params.nonce ? { nonce: params.nonce } : {}),
    ...(params.loginHint ? { login_hint: params.loginHint } : {}),
  });
}

/** Runs authorize for the fixture client and returns the code. */
export async function authorize(sandbox: TestSandbox, params: AuthorizeParams = {}): Promise<string> {
  const query = authorizeQuery(params);
  const res = await sandbox.request(`/sumsub/api/snsId/oauth/authorize?${query}`);
  if (res.status !== 302) throw new Error(`authorize answered ${res.status}: ${await res.text()}`);
  const code = new URL(res.headers.get("location")!).searchParams.get("code");
  if (!code) throw new Error(`authorize gave no code: ${res.headers.get("location")}`);
  return code;
}

/** Verifies a Sumsub ID token as a client does: through the published JWKS, for the sandbox's issuer and the fixture client. */
export function verifyIdToken(sandbox: TestSandbox, idToken: string) {
  return verifyWithPublishedJwks(sandbox, "/sumsub/.well-known/jwks.json", idToken, {
    issuer: `${BASE}/sumsub`,
    audience: CLIENT_ID,
  });
}
