import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { beforeAll, describe, expect, it } from "vitest";
import { basic, testSandbox, type TestSandbox } from "../helpers/sandbox.js";
import { CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, pkce, signedHeaders } from "../helpers/sumsub.js";

// ajv-formats is CommonJS; its default export arrives wrapped under ESM (as in test/helpers/contract.ts).
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;
const ajv = addFormats(new Ajv2020({ strict: false, allErrors: true }));

/** The body shapes the sandbox answers errors in (one per `ErrorFormat`). */
type Format = "message" | "dqe" | "sumsub" | "oauth" | "admin" | "regulaPage" | "authorizePage";
type Vendor = "sardine" | "sumsub" | "dqe" | "regula" | "__admin";
type Headers = Record<string, string>;

/** An error as the test expects it: `code` is the format's error name where its body shows one. */
interface Err {
  status: number;
  code: string;
  message: string;
  /** Sumsub's documented `errorCode` / `errorName`. */
  extra?: Record<string, unknown>;
  headers?: Headers;
}

interface RouteCase {
  format: Format;
  vendor: Vendor;
  method: "get" | "post";
  /** The documented path (`doc.paths` key); requests go to it unless `call` says otherwise. */
  path: string;
  /** A request the route accepts as far as its store (the store is what the 500 case breaks). */
  call: (sb: TestSandbox, headers?: Headers, body?: string) => Promise<Response>;
  invalid: { send: (sb: TestSandbox) => Promise<Response>; err: Err };
  scenarios: { name: string; err: Err; viaAdmin?: boolean }[];
}

const post = (sb: TestSandbox, path: string, type: string, body: string, headers: Headers = {}) =>
  sb.request(path, { method: "POST", headers: { "content-type": type, ...headers }, body });
const FORM = "application/x-www-form-urlencoded";
const JSON_TYPE = "application/json";

const SHARE = "/resources/accessTokens/sumsubIdShareToken";
const signed = (sb: TestSandbox, body: string, headers: Headers = {}) =>
  post(sb, `/sumsub${SHARE}`, JSON_TYPE, body, { ...signedHeaders(sb, "POST", SHARE, body), ...headers });
const CLIENT = { authorization: basic(CLIENT_ID, CLIENT_SECRET) };
const tokenForm = (fields: Headers) => new URLSearchParams(fields).toString();
const authorizeQuery = new URLSearchParams({
  client_id: CLIENT_ID,
  response_type: "code",
  redirect_uri: REDIRECT_URI,
  scope: "openid",
  code_challenge: pkce().challenge,
  code_challenge_method: "S256",
}).toString();
const DQE_FORM = "licence=SANDBOX-LICENCE&client_secret=sandbox-secret&grant_type=client_idmobile";
const REGULA_KEY = { authorization: "ApiKey sandbox-api-key" };
const FINISH = "authorization=Token%20t&sessionId=s&status=completed";

const userInfo = (method: "get" | "post"): RouteCase => ({
  format: "oauth",
  vendor: "sumsub",
  method,
  path: "/sumsub/api/snsId/oauth/userInfo",
  call: (sb, headers = {}, body) =>
    sb.request("/sumsub/api/snsId/oauth/userInfo", {
      method: method.toUpperCase(),
      headers: { authorization: "Bearer unknown-token", ...headers },
      body,
    }),
  // RFC 6750 §3.1: no token is 401 invalid_token, not 400.
  invalid: {
    send: (sb) => sb.request("/sumsub/api/snsId/oauth/userInfo", { method: method.toUpperCase() }),
    err: {
      status: 401,
      code: "invalid_token",
      message: "Invalid or expired token",
      headers: { "www-authenticate": 'Bearer error="invalid_token"' },
    },
  },
  scenarios: [
    {
      name: "sumsub-userinfo-invalid-token",
      err: {
        status: 401,
        code: "invalid_token",
        message: "The access token is invalid or expired",
        headers: { "www-authenticate": 'Bearer error="invalid_token"' },
      },
    },
  ],
});

const ROUTES: RouteCase[] = [
  {
    format: "message",
    vendor: "sardine",
    method: "post",
    path: "/sardine/v1/identity-documents/tokens",
    call: (sb, headers, body = '{"sessionKey":"s"}') =>
      post(sb, "/sardine/v1/identity-documents/tokens", JSON_TYPE, body, {
        authorization: basic("sandbox-client", "sandbox-secret"),
        ...headers,
      }),
    invalid: {
      send: (sb) =>
        post(sb, "/sardine/v1/identity-documents/tokens", JSON_TYPE, "{}", {
          authorization: basic("sandbox-client", "sandbox-secret"),
        }),
      err: { status: 400, code: "invalid_request", message: "sessionKey is required" },
    },
    scenarios: [
      {
        name: "sardine-unauthorized",
        err: {
          status: 401,
          code: "unauthorized",
          message: "Unauthorized: missing or invalid Basic credentials",
        },
      },
    ],
  },
  {
    format: "message",
    vendor: "regula",
    method: "post",
    path: "/regula/api/v1/deeplink",
    call: (sb, headers, body = "{}") =>
      post(sb, "/regula/api/v1/deeplink?workflowId=wf-document", JSON_TYPE, body, {
        ...REGULA_KEY,
        ...headers,
      }),
    invalid: {
      send: (sb) => post(sb, "/regula/api/v1/deeplink", JSON_TYPE, "{}", REGULA_KEY),
      err: { status: 400, code: "workflow_required", message: "workflowId is required" },
    },
    scenarios: [
      {
        name: "regula-forbidden",
        err: {
          status: 403,
          code: "forbidden",
          message: "Forbidden: the API key lacks the deeplink:write permission",
        },
      },
    ],
  },
  {
    format: "regulaPage",
    vendor: "regula",
    method: "post",
    path: "/regula/mobile/finish",
    call: (sb, headers, body = FINISH) => post(sb, "/regula/mobile/finish", FORM, body, headers),
    invalid: {
      send: (sb) => post(sb, "/regula/mobile/finish", FORM, FINISH.replace("completed", "bogus")),
      err: {
        status: 400,
        code: "invalid_request",
        message: "status must be one of completed, failed, cancelled",
      },
    },
    scenarios: [
      {
        name: "regula-handoff-expired",
        err: { status: 401, code: "handoff_unauthorized", message: "This link is invalid or has expired." },
      },
    ],
  },
  {
    format: "regulaPage",
    vendor: "regula",
    method: "get",
    path: "/regula/mobile",
    call: (sb, headers) => sb.request("/regula/mobile?authorization=Token%20t&sessionId=s", { headers }),
    // Every query field is an optional string: the bad input this page can get is a bad link, its documented 401.
    invalid: {
      send: (sb) => sb.request("/regula/mobile"),
      err: { status: 401, code: "handoff_unauthorized", message: "This link is invalid or has expired." },
    },
    scenarios: [
      {
        name: "regula-handoff-expired",
        err: { status: 401, code: "handoff_unauthorized", message: "This link is invalid or has expired." },
      },
    ],
  },
  {
    format: "dqe",
    vendor: "dqe",
    method: "post",
    path: "/dqe/ACCESS_TOKEN/",
    call: (sb, headers, body = DQE_FORM) => post(sb, "/dqe/ACCESS_TOKEN/", FORM, body, headers),
    // A misspelled parameter name is DQE's documented 500; a missing field, its 400 error 01 (extra row below).
    invalid: {
      send: (sb) => post(sb, "/dqe/ACCESS_TOKEN/", FORM, `${DQE_FORM}&license=typo`),
      err: { status: 500, code: "unknown_parameter", message: "internal server error" },
    },
    scenarios: [
      {
        name: "dqe-credits-exhausted",
        err: {
          status: 400,
          code: "credits_exhausted",
          message: "credits exhausted",
          extra: { error_id: "98" },
        },
      },
    ],
  },
  {
    format: "sumsub",
    vendor: "sumsub",
    method: "post",
    path: `/sumsub${SHARE}`,
    call: (sb, headers, body = '{"sumsubIdConnectToken":"t","forClientId":"c"}') => signed(sb, body, headers),
    invalid: {
      send: (sb) => signed(sb, "{}"),
      err: { status: 400, code: "invalid_request", message: "sumsubIdConnectToken is required" },
    },
    scenarios: [
      {
        name: "sumsub-signature-mismatch",
        err: {
          status: 401,
          code: "signature_mismatch",
          message: "Request signature mismatch",
          extra: { errorCode: 4003, errorName: "app-token-signature mismatch" },
        },
      },
    ],
  },
  {
    format: "oauth",
    vendor: "sumsub",
    method: "post",
    path: "/sumsub/api/snsId/oauth/token",
    call: (sb, headers, body = tokenForm({ grant_type: "authorization_code", code: "c" })) =>
      post(sb, "/sumsub/api/snsId/oauth/token", FORM, body, { ...CLIENT, ...headers }),
    invalid: {
      send: (sb) =>
        post(
          sb,
          "/sumsub/api/snsId/oauth/token",
          FORM,
          tokenForm({ grant_type: "authorization_code" }),
          CLIENT,
        ),
      err: { status: 400, code: "invalid_request", message: "code is required" },
    },
    scenarios: [
      {
        name: "sumsub-oauth-invalid-client",
        err: {
          status: 401,
          code: "invalid_client",
          message: "Client authentication failed",
          headers: { "www-authenticate": 'Basic realm="sumsub"', "cache-control": "no-store" },
        },
      },
      {
        name: "sumsub-oauth-unsupported-grant-type",
        viaAdmin: true,
        err: {
          status: 400,
          code: "unsupported_grant_type",
          message: "grant_type must be authorization_code or refresh_token",
        },
      },
      {
        name: "sumsub-rate-limited",
        err: {
          status: 429,
          code: "temporarily_unavailable",
          message: "Too many requests",
          headers: { "retry-after": "5" },
        },
      },
    ],
  },
  userInfo("get"),
  userInfo("post"),
  {
    format: "authorizePage",
    vendor: "sumsub",
    method: "get",
    path: "/sumsub/api/snsId/oauth/authorize",
    call: (sb, headers) => sb.request(`/sumsub/api/snsId/oauth/authorize?${authorizeQuery}`, { headers }),
    invalid: {
      send: (sb) => sb.request("/sumsub/api/snsId/oauth/authorize?client_id=nobody"),
      err: { status: 400, code: "invalid_client", message: "Unknown client_id" },
    },
    scenarios: [
      {
        name: "sumsub-authorize-invalid-client",
        err: { status: 400, code: "invalid_client", message: "Unknown client_id" },
      },
    ],
  },
  {
    format: "admin",
    vendor: "__admin",
    method: "post",
    path: "/__admin/clock",
    call: (sb, headers, body = '{"advance":1}') => post(sb, "/__admin/clock", JSON_TYPE, body, headers),
    invalid: {
      send: (sb) => post(sb, "/__admin/clock", JSON_TYPE, '{"advance":"soon"}'),
      err: {
        status: 400,
        code: "invalid_request",
        message:
          'body: expected {"advance": seconds}, {"set": ISO 8601}, {"freeze": true|false} or {"real": true} (follow real time again)',
      },
    },
    // The admin API is not behind the scenario and rate-limit gate (only vendor routes are): no such rows.
    scenarios: [],
  },
];

/** How each format names and words the core's own errors (413, 429, 500) and an unknown path (404). */
function coreErr(format: Format, status: 404 | 413 | 429 | 500, message: string): Err {
  const code = { 404: "not_found", 413: "payload_too_large", 429: "rate_limited", 500: "internal" }[status];
  if (format === "dqe") {
    const words = {
      404: "not found",
      413: "request too large",
      429: "too many requests",
      500: "internal server error",
    };
    return { status, code, message: words[status] };
  }
  if (format === "oauth") {
    const names = {
      404: "invalid_request",
      413: "invalid_request",
      429: "temporarily_unavailable",
      500: "server_error",
    };
    return { status, code: names[status], message };
  }
  return { status, code, message };
}

/** The exact body of `err` in `format` (JSON), or the text a page must hold. */
function expectedBody(format: Format, err: Err): unknown {
  switch (format) {
    case "message":
      return { message: err.message };
    case "admin":
      return { error: err.code, message: err.message };
    case "dqe":
      return { status: "error", ...err.extra, error_type: err.message };
    case "sumsub":
      return {
        code: err.status,
        correlationId: expect.stringMatching(/^[0-9a-f]{32}$/),
        description: err.message,
        ...err.extra,
      };
    case "oauth":
      return { error: err.code, error_description: err.message };
    case "regulaPage":
      return [`<p class="error">${err.message}</p>`];
    case "authorizePage":
      return [`<p id="error">${err.code}</p>`, `<p id="error-description">${err.message}</p>`];
  }
}

const DEFAULT_FORMAT: Record<Vendor, Format> = {
  sardine: "message",
  regula: "message",
  dqe: "dqe",
  sumsub: "sumsub",
  __admin: "admin",
};

interface Row {
  name: string;
  format: Format;
  config?: Parameters<typeof testSandbox>[0];
  act: (sb: TestSandbox) => Promise<Response>;
  /** The documented response to validate against: the route's own, or the vendor's error schema. */
  schema: { path: string; method: string } | { vendor: Vendor };
  err: Err;
  scenario?: string;
  /** The route's store was broken: the sandbox must still be healthy afterwards. */
  broken?: boolean;
}

const ONE = { limit: 1, windowSeconds: 60 };
/**
 * One request per minute. Sumsub documents its own POST and GET limits, which a `*` in the config does not replace
 * (`limitFor` prefers the method's own entry), so Sumsub's are overridden by method.
 */
const limitsOf = (vendor: Vendor) => (vendor === "sumsub" ? { GET: ONE, POST: ONE } : { "*": ONE });

const boom = () => Promise.reject(new Error("boom"));

const rows: Row[] = ROUTES.flatMap((r): Row[] => {
  const label = `${r.format} ${r.method.toUpperCase()} ${r.path}`;
  const own = { path: r.path, method: r.method };
  const out: Row[] = [];
  // A GET has no body, so a body limit cannot apply; routes that also take POST have a POST row.
  if (r.method !== "get")
    out.push({
      name: `${label}: 413 body over the limit`,
      format: r.format,
      config: { bodyLimit: 64 },
      act: (sb) => r.call(sb, {}, "x".repeat(65)),
      schema: own,
      err: coreErr(r.format, 413, "request body is larger than 64 bytes"),
    });
  if (r.vendor !== "__admin")
    out.push({
      name: `${label}: 429 rate limit`,
      format: r.format,
      config: { rateLimits: { enabled: true, limits: { [r.vendor]: limitsOf(r.vendor) } } },
      act: async (sb) => {
        await r.call(sb);
        return r.call(sb);
      },
      schema: own,
      err: {
        ...coreErr(r.format, 429, "rate limit of 1 per 60 s exceeded"),
        headers: { "retry-after": "60" },
      },
    });
  for (const s of r.scenarios)
    out.push({
      name: `${label}: scenario ${s.name}${s.viaAdmin ? " (PUT /__admin/scenarios/active)" : ""}`,
      format: r.format,
      act: async (sb) => {
        if (!s.viaAdmin) return r.call(sb, { "x-sandbox-scenario": s.name });
        const put = await sb.request("/__admin/scenarios/active", {
          method: "PUT",
          headers: { "content-type": JSON_TYPE },
          body: JSON.stringify({ names: [s.name] }),
        });
        expect(put.status).toBe(200);
        return r.call(sb);
      },
      schema: own,
      err: s.err,
      scenario: s.name,
    });
  const unknown = `${r.path.replace(/\/$/, "")}/no-such-route`;
  out.push(
    {
      name: `${label}: 404 unknown path ${unknown}`,
      format: DEFAULT_FORMAT[r.vendor],
      act: (sb) => sb.request(unknown),
      schema: { vendor: r.vendor },
      err: coreErr(DEFAULT_FORMAT[r.vendor], 404, `no route for GET ${unknown}`),
    },
    {
      name: `${label}: ${r.invalid.err.status} invalid input`,
      format: r.format,
      act: r.invalid.send,
      schema: own,
      err: r.invalid.err,
    },
    {
      name: `${label}: 500 unexpected exception`,
      format: r.format,
      act: (sb) => {
        const { store } = sb.deps.namespaces.default;
        Object.assign(store, { get: boom, put: boom, take: boom, sweep: boom });
        return r.call(sb);
      },
      schema: own,
      err: coreErr(r.format, 500, "internal sandbox error"),
      broken: true,
    },
  );
  return out;
});

const dqeRoute = ROUTES.find((r) => r.format === "dqe")!;
rows.push({
  name: "dqe POST /dqe/ACCESS_TOKEN/: 400 invalid input (a missing field, error 01)",
  format: "dqe",
  act: (sb) => dqeRoute.call(sb, {}, "licence=SANDBOX-LICENCE"),
  schema: { path: dqeRoute.path, method: "post" },
  err: { status: 400, code: "invalid_request", message: "invalid request", extra: { error_id: "01" } },
});

let doc: {
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, unknown> }> }>>;
  components: { schemas: Record<string, object> };
};
beforeAll(async () => {
  doc = await (await (await testSandbox()).app.request("/openapi.json")).json();
});

describe("every error leaves in its route's format, whatever raised it", () => {
  it.each(rows)("$name", async (row) => {
    const sb = await testSandbox(row.config);
    const res = await row.act(sb);
    const { err, format } = row;
    expect(res.status).toBe(err.status);
    for (const [name, value] of Object.entries(err.headers ?? {})) expect(res.headers.get(name)).toBe(value);
    if (row.scenario) {
      expect(res.headers.get("x-sandbox-scenario")).toBe(row.scenario);
      expect(res.headers.get("x-sandbox-outcome")).toBe("error");
    }

    const page = format === "regulaPage" || format === "authorizePage";
    const type = page ? "text/html" : JSON_TYPE;
    expect(res.headers.get("content-type")).toBe(page ? "text/html; charset=UTF-8" : JSON_TYPE);
    const text = await res.text();
    const body: unknown = page ? text : JSON.parse(text);
    const expected = expectedBody(format, err);
    if (page) {
      expect(text).toMatch(/^<!doctype html>/);
      for (const part of expected as string[]) expect(text).toContain(part);
    } else {
      expect(body).toStrictEqual(expected);
    }
    if (format === "oauth") expect(body).not.toHaveProperty("correlationId");

    const schema =
      "vendor" in row.schema
        ? doc.components.schemas[`${row.schema.vendor}.error`]
        : doc.paths[row.schema.path]?.[row.schema.method]?.responses[String(err.status)]?.content?.[type];
    expect(schema, "the OpenAPI documents this answer").toBeDefined();
    const validate = ajv.compile("vendor" in row.schema ? schema! : (schema as { schema: object }).schema);
    expect(validate(body), ajv.errorsText(validate.errors)).toBe(true);

    if (row.broken) {
      const health = await sb.request("/__admin/health");
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: "ok" });
    }
  });
});
