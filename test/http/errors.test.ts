import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { beforeAll, describe, expect, it } from "vitest";
import { basic, testSandbox, type TestSandbox } from "../helpers/sandbox.js";
import { CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, pkce, signedHeaders } from "../helpers/sumsub.js";

// ajv-formats is CommonJS; its default export arrives wrapped under ESM (as in test/helpers/contract.ts).
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;
const ajv = addFormats(new Ajv2020({ strict: false, allErrors: true }));

/** The body shapes errors are written in (one per `ErrorFormat`). */
type Format = "message" | "dqe" | "sumsub" | "oauth" | "admin" | "regulaPage" | "authorizePage";
type Vendor = "sardine" | "sumsub" | "dqe" | "regula" | "__admin";
type Headers = Record<string, string>;

/** An expected error: `code` is the name the format's body shows (where it shows one). */
interface Err {
  status: number;
  code: string;
  message: string;
  /** Fields beyond the format's fixed ones: DQE's `error_id`, Sumsub's `errorCode` / `errorName`. */
  extra?: Record<string, unknown>;
  headers?: Headers;
}
const e = (status: number, code: string, message: string, more?: Partial<Err>): Err =>
  Object.assign({ status, code, message }, more);

type Send = (sb: TestSandbox) => Promise<Response>;
interface RouteCase {
  format: Format;
  /** `METHOD /path`, the path as documented (a `doc.paths` key); its first segment names the vendor. */
  route: string;
  /** A request the route accepts as far as its store (what the 500 case breaks); `body` replaces its body. */
  call: (sb: TestSandbox, headers?: Headers, body?: string) => Promise<Response>;
  invalid: [Send, Err][];
  scenarios: [name: string, Err, via?: "admin"][];
  /** Where an unexpected exception answers otherwise than a 500 in the format (said why), and is tested apart. */
  noInternalRow?: string;
}

const FORM = "application/x-www-form-urlencoded";
const JSON_TYPE = "application/json";
const jsonPut = { method: "PUT", headers: { "content-type": JSON_TYPE } };
const post = (sb: TestSandbox, path: string, type: string, body: string, headers: Headers = {}) =>
  sb.request(path, { method: "POST", headers: { "content-type": type, ...headers }, body });

const SARDINE = { authorization: basic("sandbox-client", "sandbox-secret") };
const REGULA = { authorization: "ApiKey sandbox-api-key" };
const FINISH = "authorization=Token%20t&sessionId=s&status=completed";
/** A finish form for a real open session (its link's token and id), with `status`. */
async function openSessionForm(sb: TestSandbox, status: string): Promise<string> {
  const res = await post(sb, "/regula/api/v1/deeplink?workflowId=wf-document", JSON_TYPE, "{}", REGULA);
  const link = new URL((await res.json()).url as string);
  return `${link.search.slice(1)}&status=${status}`;
}
const DQE = "licence=SANDBOX-LICENCE&client_secret=sandbox-secret&grant_type=client_idmobile";
const SHARE = "/resources/accessTokens/sumsubIdShareToken";
const signed = (sb: TestSandbox, body: string, headers: Headers = {}) =>
  post(sb, `/sumsub${SHARE}`, JSON_TYPE, body, { ...signedHeaders(sb, "POST", SHARE, body), ...headers });
const TOKEN = "/sumsub/api/snsId/oauth/token";
const CLIENT = { authorization: basic(CLIENT_ID, CLIENT_SECRET) };
const AUTHORIZE_QUERY = `client_id=${CLIENT_ID}&response_type=code&scope=openid&state=s1&redirect_uri=${encodeURIComponent(REDIRECT_URI)}&code_challenge=${pkce().challenge}&code_challenge_method=S256`;
/**
 * An authorize request whose redirect URI is not the client's: every error stays a page, since nothing may be sent to
 * an unregistered URI (errors that go back to a good redirect URI are tested below).
 */
const AUTHORIZE = `/sumsub/api/snsId/oauth/authorize?${AUTHORIZE_QUERY.replace("callback", "elsewhere")}`;
const BAD_LINK = e(401, "handoff_unauthorized", "This link is invalid or has expired.");
const BEARER_INVALID = { headers: { "www-authenticate": 'Bearer error="invalid_token"' } };

const userInfo = (method: "get" | "post"): RouteCase => {
  const path = "/sumsub/api/snsId/oauth/userInfo";
  const init = (headers: Headers = {}, body?: string) => ({ method: method.toUpperCase(), headers, body });
  return {
    format: "oauth",
    route: `${method.toUpperCase()} ${path}`,
    call: (sb, headers, body) =>
      sb.request(path, init({ authorization: "Bearer unknown", ...headers }, body)),
    // RFC 6750 §3.1: no token is 401 invalid_token, not 400.
    invalid: [
      [(sb) => sb.request(path, init()), e(401, "invalid_token", "Invalid or expired token", BEARER_INVALID)],
    ],
    scenarios: [
      [
        "sumsub-userinfo-invalid-token",
        e(401, "invalid_token", "The access token is invalid or expired", BEARER_INVALID),
      ],
    ],
  };
};

const ROUTES: RouteCase[] = [
  {
    format: "message",
    route: "POST /sardine/v1/identity-documents/tokens",
    call: (sb, headers, body = '{"sessionKey":"s"}') =>
      post(sb, "/sardine/v1/identity-documents/tokens", JSON_TYPE, body, { ...SARDINE, ...headers }),
    invalid: [
      [
        (sb) => post(sb, "/sardine/v1/identity-documents/tokens", JSON_TYPE, "{}", SARDINE),
        e(400, "invalid_request", "sessionKey is required"),
      ],
    ],
    scenarios: [
      ["sardine-unauthorized", e(401, "unauthorized", "Unauthorized: missing or invalid Basic credentials")],
    ],
  },
  {
    format: "message",
    route: "POST /regula/api/v1/deeplink",
    call: (sb, headers, body = "{}") =>
      post(sb, "/regula/api/v1/deeplink?workflowId=wf-document", JSON_TYPE, body, { ...REGULA, ...headers }),
    invalid: [
      [
        (sb) => post(sb, "/regula/api/v1/deeplink", JSON_TYPE, "{}", REGULA),
        e(400, "workflow_required", "workflowId is required"),
      ],
    ],
    scenarios: [
      ["regula-forbidden", e(403, "forbidden", "Forbidden: the API key lacks the deeplink:write permission")],
    ],
  },
  {
    format: "regulaPage",
    route: "POST /regula/mobile/finish",
    call: (sb, headers, body = FINISH) => post(sb, "/regula/mobile/finish", FORM, body, headers),
    invalid: [
      [
        async (sb) => post(sb, "/regula/mobile/finish", FORM, await openSessionForm(sb, "bogus")),
        e(400, "invalid_request", "status must be one of completed, failed, cancelled"),
      ],
    ],
    scenarios: [["regula-handoff-expired", BAD_LINK]],
  },
  {
    format: "regulaPage",
    route: "GET /regula/mobile",
    call: (sb, headers) => sb.request("/regula/mobile?authorization=Token%20t&sessionId=s", { headers }),
    // Every query field is an optional string: the bad input this page can get is a bad link, its documented 401.
    invalid: [[(sb) => sb.request("/regula/mobile"), BAD_LINK]],
    scenarios: [["regula-handoff-expired", BAD_LINK]],
  },
  {
    format: "dqe",
    route: "POST /dqe/ACCESS_TOKEN/",
    call: (sb, headers, body = DQE) => post(sb, "/dqe/ACCESS_TOKEN/", FORM, body, headers),
    invalid: [
      // A misspelled parameter name is DQE's documented 500; a missing field its 400 error 01.
      [
        (sb) => post(sb, "/dqe/ACCESS_TOKEN/", FORM, `${DQE}&license=typo`),
        e(500, "unknown_parameter", "internal server error"),
      ],
      [
        (sb) => post(sb, "/dqe/ACCESS_TOKEN/", FORM, "licence=SANDBOX-LICENCE"),
        e(400, "invalid_request", "invalid request", { extra: { error_id: "01" } }),
      ],
    ],
    scenarios: [
      [
        "dqe-credits-exhausted",
        e(400, "credits_exhausted", "credits exhausted", { extra: { error_id: "98" } }),
      ],
    ],
  },
  {
    format: "sumsub",
    route: `POST /sumsub${SHARE}`,
    call: (sb, headers, body = '{"sumsubIdConnectToken":"t","forClientId":"c"}') => signed(sb, body, headers),
    invalid: [[(sb) => signed(sb, "{}"), e(400, "invalid_request", "sumsubIdConnectToken is required")]],
    scenarios: [
      [
        "sumsub-signature-mismatch",
        e(401, "signature_mismatch", "Request signature mismatch", {
          extra: { errorCode: 4003, errorName: "app-token-signature mismatch" },
        }),
      ],
    ],
  },
  {
    format: "oauth",
    route: `POST ${TOKEN}`,
    call: (sb, headers, body = "grant_type=authorization_code&code=c") =>
      post(sb, TOKEN, FORM, body, { ...CLIENT, ...headers }),
    invalid: [
      [
        (sb) => post(sb, TOKEN, FORM, "grant_type=authorization_code", CLIENT),
        e(400, "invalid_request", "code is required"),
      ],
      [
        (sb) => post(sb, TOKEN, FORM, "grant_type=password", CLIENT),
        e(400, "unsupported_grant_type", "grant_type must be authorization_code or refresh_token"),
      ],
    ],
    scenarios: [
      [
        "sumsub-oauth-invalid-client",
        e(401, "invalid_client", "Client authentication failed", {
          headers: { "www-authenticate": 'Basic realm="sumsub"', "cache-control": "no-store" },
        }),
      ],
      [
        "sumsub-oauth-unsupported-grant-type",
        e(400, "unsupported_grant_type", "grant_type must be authorization_code or refresh_token"),
        "admin",
      ],
      [
        "sumsub-rate-limited",
        e(429, "temporarily_unavailable", "Too many requests", { headers: { "retry-after": "5" } }),
      ],
    ],
  },
  userInfo("get"),
  userInfo("post"),
  {
    format: "authorizePage",
    route: "GET /sumsub/api/snsId/oauth/authorize",
    call: (sb, headers) => sb.request(AUTHORIZE, { headers }),
    invalid: [
      [
        (sb) => sb.request("/sumsub/api/snsId/oauth/authorize?client_id=nobody"),
        e(400, "invalid_client", "Unknown client_id"),
      ],
    ],
    scenarios: [["sumsub-authorize-invalid-client", e(400, "invalid_client", "Unknown client_id")]],
    noInternalRow:
      "it reaches the store only with a good redirect URI, and then goes back to it as server_error",
  },
  {
    format: "admin",
    route: "POST /__admin/clock",
    call: (sb, headers, body = '{"advance":1}') => post(sb, "/__admin/clock", JSON_TYPE, body, headers),
    invalid: [
      [
        (sb) => post(sb, "/__admin/clock", JSON_TYPE, '{"advance":"soon"}'),
        e(
          400,
          "invalid_request",
          'body: expected {"advance": seconds}, {"set": ISO 8601}, {"freeze": true|false} or {"real": true} (follow real time again)',
        ),
      ],
    ],
    // The admin API is not behind the scenario and rate-limit gate (only vendor routes are): no such rows.
    scenarios: [],
  },
];

/** Each core error (an unknown path, 413, 429, 500): its code, DQE's `error_type` and its RFC 6749 name. */
const CORE = {
  404: ["not_found", "not found", "invalid_request"],
  413: ["payload_too_large", "request too large", "invalid_request"],
  429: ["rate_limited", "too many requests", "temporarily_unavailable"],
  500: ["internal", "internal server error", "server_error"],
} as const;
function coreErr(format: Format, status: keyof typeof CORE, message: string): Err {
  const [code, dqe, rfc] = CORE[status];
  if (format === "dqe") return e(status, code, dqe);
  return e(status, format === "oauth" ? rfc : code, message);
}

/** The exact JSON body of `err` in `format`, or the fragments its page must hold. */
function expectedBody(format: Format, err: Err): unknown {
  switch (format) {
    case "message":
      return { message: err.message };
    case "admin":
      return { error: err.code, message: err.message };
    case "dqe":
      return { status: "error", ...err.extra, error_type: err.message };
    case "sumsub": {
      const correlationId = expect.stringMatching(/^[0-9a-f]{32}$/);
      return { code: err.status, correlationId, description: err.message, ...err.extra };
    }
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

/** A path that matches no route answers in the format of the routes under its prefix, else its vendor's default. */
const unmatchedFormat = (path: string, vendor: Vendor): Format =>
  path.startsWith("/regula/mobile")
    ? "regulaPage"
    : path.startsWith("/sumsub/api/snsId/oauth/")
      ? "oauth"
      : DEFAULT_FORMAT[vendor];

interface Row {
  name: string;
  format: Format;
  config?: Parameters<typeof testSandbox>[0];
  act: Send;
  /** The documented answer to validate against: the route's own response, or what an unmatched path answers. */
  schema: { path: string; method: string } | { unmatched: string };
  err: Err;
  scenario?: string;
  /** The store was broken: the sandbox must still answer afterwards. */
  broken?: boolean;
}

const ONE = { limit: 1, windowSeconds: 60 };
/** One request per minute: a vendor's entry replaces its own limits, whatever methods they name. */
const limitsOf = (): Record<string, typeof ONE> => ({ "*": ONE });
const boom = () => Promise.reject(new Error("boom"));

const rows: Row[] = ROUTES.flatMap((r): Row[] => {
  const [method, path] = r.route.split(" ") as ["GET" | "POST", string];
  const vendor = path.split("/")[1] as Vendor;
  const label = `${r.format} ${r.route}`;
  const own = { format: r.format, schema: { path, method: method.toLowerCase() } };
  const out: Row[] = [];
  // A GET carries no body, so there is nothing for the body limit to refuse: GET-only routes (authorize) have no
  // 413 row; the hand-off page's and userInfo's 413 are their POST routes' rows.
  if (method !== "GET")
    out.push({
      ...own,
      name: `${label}: 413 body over the limit`,
      config: { bodyLimit: 64 },
      act: (sb) => r.call(sb, {}, "x".repeat(65)),
      err: coreErr(r.format, 413, "request body is larger than 64 bytes"),
    });
  if (vendor !== "__admin")
    out.push({
      ...own,
      name: `${label}: 429 rate limit`,
      config: { rateLimits: { enabled: true, limits: { [vendor]: limitsOf() } } },
      act: async (sb) => {
        await r.call(sb);
        return r.call(sb);
      },
      err: {
        ...coreErr(r.format, 429, "rate limit of 1 per 60 s exceeded"),
        headers: { "retry-after": "60" },
      },
    });
  for (const [scenario, err, via] of r.scenarios)
    out.push({
      ...own,
      name: `${label}: scenario ${scenario}${via ? " (PUT /__admin/scenarios/active)" : ""}`,
      act: async (sb) => {
        if (!via) return r.call(sb, { "x-sandbox-scenario": scenario });
        const body = JSON.stringify({ names: [scenario] });
        expect((await sb.request("/__admin/scenarios/active", { ...jsonPut, body })).status).toBe(200);
        return r.call(sb);
      },
      err,
      scenario,
    });
  for (const [act, err] of r.invalid)
    out.push({ ...own, name: `${label}: ${err.status} invalid input (${err.code})`, act, err });
  const unknown = `${path.replace(/\/$/, "")}/no-such-route`;
  out.push({
    name: `${label}: 404 unknown path ${method} ${unknown} (the format of the routes under its prefix)`,
    format: unmatchedFormat(unknown, vendor),
    act: (sb) => sb.request(unknown, { method }),
    schema: { unmatched: unknown },
    err: coreErr(unmatchedFormat(unknown, vendor), 404, `no route for ${method} ${unknown}`),
  });
  if (r.noInternalRow === undefined)
    out.push({
      ...own,
      name: `${label}: 500 unexpected exception`,
      act: (sb) => {
        Object.assign(sb.deps.namespaces.default.store, { get: boom, put: boom, take: boom, sweep: boom });
        return r.call(sb);
      },
      err: coreErr(r.format, 500, "internal sandbox error"),
      broken: true,
    });
  return out;
});

type Responses = Record<string, { content?: Record<string, { schema: object }> }>;
let doc: {
  paths: Record<string, Record<string, { responses: Responses }>>;
  components: { schemas: Record<string, object> };
  "x-unmatched-errors": { prefix: string; schema: string; contentType: string }[];
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
    expect(res.headers.get("content-type")).toBe(page ? "text/html; charset=UTF-8" : JSON_TYPE);
    const text = await res.text();
    const body: unknown = page ? text : JSON.parse(text);
    const expected = expectedBody(format, err);
    if (page) {
      expect(text).toMatch(/^<!doctype html>/);
      for (const part of expected as string[]) expect(text).toContain(part);
    } else expect(body).toStrictEqual(expected);
    // RFC 6749 bodies only, never Sumsub's API fields.
    if (format === "oauth")
      expect(Object.keys(body as object).sort()).toEqual(["error", "error_description"]);

    const schema =
      "unmatched" in row.schema
        ? doc.components.schemas[
            doc["x-unmatched-errors"].find((u) =>
              (row.schema as { unmatched: string }).unmatched.startsWith(u.prefix),
            )!.schema
          ]
        : doc.paths[row.schema.path]?.[row.schema.method]?.responses[String(err.status)]?.content?.[
            page ? "text/html" : JSON_TYPE
          ]?.schema;
    expect(schema, "the OpenAPI documents this answer").toBeDefined();
    const validate = ajv.compile(schema!);
    expect(validate(body), ajv.errorsText(validate.errors)).toBe(true);

    if (row.broken) {
      const health = await sb.request("/__admin/health");
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: "ok" });
    }
  });
});

describe("a path that matches no route answers in the format of the routes around it", () => {
  it.each([
    [
      "GET",
      "/sumsub/api/snsId/oauth/token",
      "application/json",
      /^\{"error":"invalid_request","error_description":"no route for GET/,
    ],
    ["PUT", "/sumsub/api/snsId/oauth/userInfo", "application/json", /^\{"error":"invalid_request"/],
    ["GET", "/regula/mobile/", "text/html; charset=UTF-8", /^<!doctype html>/],
    ["GET", "/regula/mobile/finish", "text/html; charset=UTF-8", /^<!doctype html>/],
    ["GET", "/sumsub/api/nope", "application/json", /^\{"code":404,"correlationId":"[0-9a-f]{32}"/],
  ])("%s %s: 404, %s", async (method, path, type, body) => {
    const sb = await testSandbox();
    const res = await sb.request(path, { method });
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toBe(type);
    expect(await res.text()).toMatch(body);
  });
});

describe("authorize errors go back to a redirect URI once it is known good", () => {
  it.each([
    [
      "a scenario's access_denied",
      { "x-sandbox-scenario": "sumsub-authorize-access-denied" },
      {},
      0,
      "access_denied",
    ],
    [
      "a rate limit (RFC 6749: temporarily_unavailable, as a 429 cannot be redirected)",
      {},
      { rateLimits: { enabled: true, limits: { sumsub: { "*": { limit: 1, windowSeconds: 60 } } } } },
      1,
      "temporarily_unavailable",
    ],
    ["an unexpected exception (a store that fails)", {}, { broken: true }, 0, "server_error"],
  ])("%s", async (_, headers, config, earlier, error) => {
    const { broken, ...rest } = config as { broken?: boolean };
    const sb = await testSandbox(rest);
    if (broken) Object.assign(sb.deps.namespaces.default.store, { get: boom, put: boom, take: boom });
    const authorize = () => sb.request(`/sumsub/api/snsId/oauth/authorize?${AUTHORIZE_QUERY}`, { headers });
    for (let i = 0; i < earlier; i++) expect((await authorize()).status).toBe(302);
    const res = await authorize();
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get("location")!);
    expect(`${location.origin}${location.pathname}`).toBe(REDIRECT_URI);
    expect(location.searchParams.get("error")).toBe(error);
    expect(location.searchParams.get("error_description")).toEqual(expect.any(String));
    expect(location.searchParams.get("state")).toBe("s1");
    expect(location.searchParams.get("code")).toBeNull();
  });
});
