import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { beforeAll, describe, expect, it } from "vitest";
import { basic, HEALTHY, testSandbox, type TestSandbox } from "../helpers/sandbox.js";
import { CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, pkce, signedHeaders } from "../helpers/sumsub.js";

// ajv-formats is CommonJS; its default export arrives wrapped under ESM (as in test/helpers/contract.ts).
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;
const ajv = addFormats(new Ajv2020({ strict: false, allErrors: true }));

/** The body shapes errors are written in (one per `ErrorFormat`). */
type Format =
  | "message"
  | "dqe"
  | "sumsub"
  | "oauth"
  | "admin"
  | "regulaPage"
  | "sardinePage"
  | "dqePage"
  | "authorizePage";
/** The formats that answer an HTML page. */
const PAGES: ReadonlySet<Format> = new Set(["regulaPage", "sardinePage", "dqePage", "authorizePage"]);
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
  /**
   * `METHOD /path`, the path as documented (a `doc.paths` key); its first segment names the vendor. A `{param}` is
   * `x` in the unknown path built under it.
   */
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

const SARDINE_RATE_LIMITED: [string, Err] = [
  "sardine-rate-limited",
  e(429, "rate_limited", "Too Many Requests", { headers: { "retry-after": "5" } }),
];
const VERIFICATION = "/sardine/v1/identity-documents/verifications/unknown";
const URLS = "/sardine/v1/identity-documents/urls";
/** A Sardine web link's token (`link` in its URL's query), its verification pending. */
async function webLink(sb: TestSandbox): Promise<string> {
  const res = await post(sb, URLS, JSON_TYPE, '{"sessionKey":"s","customerId":"c"}', SARDINE);
  return new URL(((await res.json()) as { link: { url: string } }).link.url).searchParams.get("link")!;
}
const BAD_WEB_LINK = e(404, "link_not_found", "This link is invalid or has expired.");

const FILE = "/regula/api/sessions/unknown/files/portrait.png";

/** An IDMOBILE (or /GET/) request with every field: the token is not one the sandbox issued (its 401 error 30). */
const IDMOBILE = "licence=SANDBOX-LICENCE&number=0612345678&token=TKunknown&mode=2&name=Acme&scope=numVerify";
const RETRIEVAL = "token=TKunknown&Licence=SANDBOX-LICENCE&scope=client_idmobile";
const dqeSend = (
  sb: TestSandbox,
  method: "GET" | "POST",
  path: string,
  fields: string,
  headers: Headers = {},
) =>
  method === "GET" ? sb.request(`${path}?${fields}`, { headers }) : post(sb, path, FORM, fields, headers);
const DQE_TYPO: [string, Err] = ["dqe-typo-500", e(500, "unknown_parameter", "internal server error")];
/** The token of a pending check's confirmation link (IDMOBILE numVerify with a token the sandbox issued). */
async function consentLink(sb: TestSandbox): Promise<string> {
  const token = ((await (await post(sb, "/dqe/ACCESS_TOKEN/", FORM, DQE)).json()) as { access_token: string })
    .access_token;
  const res = await post(sb, "/dqe/IDMOBILE/", FORM, IDMOBILE.replace("TKunknown", token));
  return new URL(((await res.json()) as { url: string }).url).searchParams.get("token")!;
}
const BAD_CONSENT_LINK = e(404, "link_invalid", "This link is invalid or has expired.");

/** A signed Sumsub request (the path signed without /sumsub, its query included; a GET signs no body). */
const sumsubCall = (
  sb: TestSandbox,
  method: "GET" | "POST",
  path: string,
  body = "",
  headers: Headers = {},
) =>
  sb.request(`/sumsub${path}`, {
    method,
    headers: { ...signedHeaders(sb, method, path, method === "GET" ? "" : body), ...headers },
    ...(method === "GET" ? {} : { body }),
  });
const SUMSUB_RATE_LIMITED: [string, Err] = [
  "sumsub-rate-limited",
  e(429, "rate_limited", "Too many requests", { headers: { "retry-after": "5" } }),
];
const SIGNATURE_MISMATCH: [string, Err] = [
  "sumsub-signature-mismatch",
  e(401, "signature_mismatch", "Request signature mismatch", {
    extra: { errorCode: 4003, errorName: "app-token-signature mismatch" },
  }),
];
const APPLICANT = "/resources/applicants/0123456789abcdef01234567";
const APPLICANT_NOT_FOUND = e(404, "applicant_not_found", "Applicant not found");
const REUSE = "/resources/api/reusableIdentity/reuse";
const REUSE_QUERY = "shareToken=unknown&levelName=basic-kyc-level&userId=u1";

/** A signed Sumsub GET that names an applicant: its answer for an unknown one is the invalid row. */
const applicantRead = (what: "one" | "status"): RouteCase => ({
  format: "sumsub",
  route: `GET /sumsub/resources/applicants/{applicantId}/${what}`,
  call: (sb, headers) => sumsubCall(sb, "GET", `${APPLICANT}/${what}`, "", headers),
  invalid: [[(sb) => sumsubCall(sb, "GET", `${APPLICANT}/${what}`), APPLICANT_NOT_FOUND]],
  scenarios: [SUMSUB_RATE_LIMITED, SIGNATURE_MISMATCH],
});

/** IDMOBILE or /GET/, by GET (query) or POST (form): each of their errors the vendor's table lists. */
const dqeIdmobile = (method: "GET" | "POST", path: "/dqe/IDMOBILE/" | "/dqe/GET/"): RouteCase => {
  const [fields, licence] =
    path === "/dqe/IDMOBILE/"
      ? [IDMOBILE, "licence=SANDBOX-LICENCE"]
      : [RETRIEVAL, "Licence=SANDBOX-LICENCE"];
  const send = (sb: TestSandbox, given: string) => dqeSend(sb, method, path, given);
  return {
    format: "dqe",
    route: `${method} ${path}`,
    // Only a POST is sent a body (the 413 row's).
    call: (sb, headers, body = fields) => dqeSend(sb, method, path, body, headers),
    invalid: [
      [(sb) => send(sb, `${fields}&client_scret=typo`), e(500, "unknown_parameter", "internal server error")],
      [
        (sb) => send(sb, licence),
        e(400, "invalid_request", "invalid request", { extra: { error_id: "01" } }),
      ],
      [
        (sb) => send(sb, fields.replace(/scope=\w+/, "scope=nope")),
        e(400, "invalid_scope", "invalid scope", { extra: { error_id: "04" } }),
      ],
      [
        (sb) => send(sb, fields),
        e(401, "invalid_token", "invalid or expired token", { extra: { error_id: "30" } }),
      ],
    ],
    scenarios: [DQE_TYPO],
  };
};

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
  {
    format: "message",
    route: "GET /sardine/v1/identity-documents/verifications/{id}",
    call: (sb, headers) => sb.request(VERIFICATION, { headers: { ...SARDINE, ...headers } }),
    invalid: [
      [
        (sb) => sb.request(`${VERIFICATION}?type=bogus`, { headers: SARDINE }),
        e(400, "invalid_request", "type must be one of custom, secure.me, mobilesdk"),
      ],
      [
        (sb) => sb.request(VERIFICATION, { headers: SARDINE }),
        e(404, "verification_not_found", "verification not found"),
      ],
    ],
    scenarios: [SARDINE_RATE_LIMITED],
  },
  {
    format: "message",
    route: `POST ${URLS}`,
    call: (sb, headers, body = '{"sessionKey":"s","customerId":"c"}') =>
      post(sb, URLS, JSON_TYPE, body, { ...SARDINE, ...headers }),
    invalid: [
      [(sb) => post(sb, URLS, JSON_TYPE, "{}", SARDINE), e(400, "invalid_request", "sessionKey is required")],
      [
        (sb) => post(sb, URLS, JSON_TYPE, '{"sessionKey":"s","customerId":"c"}'),
        e(401, "unauthorized", "Unauthorized: missing or invalid Basic credentials"),
      ],
    ],
    scenarios: [SARDINE_RATE_LIMITED],
  },
  {
    format: "sardinePage",
    route: "GET /sardine/verify",
    call: (sb, headers) => sb.request("/sardine/verify?link=unknown", { headers }),
    // A missing link is the same 404 page as a wrong one.
    invalid: [[(sb) => sb.request("/sardine/verify"), BAD_WEB_LINK]],
    scenarios: [SARDINE_RATE_LIMITED],
  },
  {
    format: "sardinePage",
    route: "POST /sardine/verify",
    call: (sb, headers, body = "link=unknown&verdict=low") =>
      post(sb, "/sardine/verify", FORM, body, headers),
    invalid: [
      [(sb) => post(sb, "/sardine/verify", FORM, "verdict=low"), BAD_WEB_LINK],
      [
        async (sb) => post(sb, "/sardine/verify", FORM, `link=${await webLink(sb)}&verdict=bogus`),
        e(400, "invalid_request", "verdict must be one of low, medium, high"),
      ],
    ],
    scenarios: [SARDINE_RATE_LIMITED],
  },
  {
    format: "message",
    route: "GET /regula/api/sessions/{id}/files/{name}",
    call: (sb, headers) => sb.request(FILE, { headers: { ...REGULA, ...headers } }),
    // Any id and name are well-formed: the bad input this route can get is an unknown session or file.
    invalid: [
      [(sb) => sb.request(FILE, { headers: REGULA }), e(404, "session_not_found", "session not found")],
    ],
    scenarios: [
      ["regula-session-not-found", e(404, "session_not_found", "session not found")],
      ["regula-unauthorized", e(401, "unauthorized", "Unauthorized: missing or unknown API key")],
    ],
  },
  dqeIdmobile("GET", "/dqe/IDMOBILE/"),
  dqeIdmobile("POST", "/dqe/IDMOBILE/"),
  dqeIdmobile("GET", "/dqe/GET/"),
  dqeIdmobile("POST", "/dqe/GET/"),
  {
    format: "dqePage",
    route: "GET /dqe/consent",
    call: (sb, headers) => sb.request("/dqe/consent?token=unknown", { headers }),
    // A missing token is the same 404 page as a wrong one.
    invalid: [[(sb) => sb.request("/dqe/consent"), BAD_CONSENT_LINK]],
    // No DQE scenario names the page (dqe-typo-500 names the API routes, which end in a slash).
    scenarios: [],
  },
  {
    format: "dqePage",
    route: "POST /dqe/consent",
    call: (sb, headers, body = "token=unknown&answer=confirm") =>
      post(sb, "/dqe/consent", FORM, body, headers),
    invalid: [
      [(sb) => post(sb, "/dqe/consent", FORM, "answer=confirm"), BAD_CONSENT_LINK],
      [
        async (sb) => post(sb, "/dqe/consent", FORM, `token=${await consentLink(sb)}&answer=bogus`),
        e(400, "invalid_request", "answer must be one of confirm, refuse"),
      ],
    ],
    scenarios: [],
  },
  {
    format: "sumsub",
    route: "POST /sumsub/resources/applicants",
    call: (sb, headers, body = '{"externalUserId":"u1"}') =>
      sumsubCall(sb, "POST", "/resources/applicants?levelName=basic-kyc-level", body, headers),
    invalid: [
      [
        (sb) => sumsubCall(sb, "POST", "/resources/applicants?levelName=basic-kyc-level", "{}"),
        e(400, "invalid_request", "externalUserId is required"),
      ],
      [
        (sb) => sumsubCall(sb, "POST", "/resources/applicants", '{"externalUserId":"u1"}'),
        e(400, "invalid_request", "levelName is required"),
      ],
    ],
    scenarios: [SIGNATURE_MISMATCH, SUMSUB_RATE_LIMITED],
  },
  applicantRead("one"),
  applicantRead("status"),
  {
    format: "sumsub",
    route: "POST /sumsub/resources/applicants/{applicantId}/status/testCompleted",
    call: (sb, headers, body = '{"reviewAnswer":"GREEN"}') =>
      sumsubCall(sb, "POST", `${APPLICANT}/status/testCompleted`, body, headers),
    invalid: [
      [
        (sb) => sumsubCall(sb, "POST", `${APPLICANT}/status/testCompleted`, '{"reviewAnswer":"RED"}'),
        e(400, "invalid_request", "rejectLabels is required with RED"),
      ],
      [
        (sb) => sumsubCall(sb, "POST", `${APPLICANT}/status/testCompleted`, '{"reviewAnswer":"GREEN"}'),
        APPLICANT_NOT_FOUND,
      ],
    ],
    scenarios: [SIGNATURE_MISMATCH, SUMSUB_RATE_LIMITED],
  },
  {
    format: "sumsub",
    route: "POST /sumsub/resources/accessTokens/sdk",
    call: (sb, headers, body = '{"userId":"u1","levelName":"basic-kyc-level"}') =>
      sumsubCall(sb, "POST", "/resources/accessTokens/sdk", body, headers),
    invalid: [
      [
        (sb) => sumsubCall(sb, "POST", "/resources/accessTokens/sdk", "{}"),
        e(400, "invalid_request", "userId is required"),
      ],
    ],
    scenarios: [SIGNATURE_MISMATCH, SUMSUB_RATE_LIMITED],
  },
  {
    format: "sumsub",
    route: "POST /sumsub/resources/accessTokens",
    call: (sb, headers, body = "") =>
      sumsubCall(sb, "POST", "/resources/accessTokens?userId=u1&levelName=basic-kyc-level", body, headers),
    invalid: [
      [
        (sb) => sumsubCall(sb, "POST", "/resources/accessTokens?levelName=basic-kyc-level"),
        e(400, "invalid_request", "userId is required"),
      ],
    ],
    scenarios: [SIGNATURE_MISMATCH, SUMSUB_RATE_LIMITED],
  },
  {
    format: "sumsub",
    route: `POST /sumsub${REUSE}`,
    call: (sb, headers, body = "") => sumsubCall(sb, "POST", `${REUSE}?${REUSE_QUERY}`, body, headers),
    invalid: [
      [
        (sb) => sumsubCall(sb, "POST", `${REUSE}?levelName=basic-kyc-level&userId=u1`),
        e(400, "invalid_request", "shareToken is required"),
      ],
      [
        (sb) => sumsubCall(sb, "POST", `${REUSE}?${REUSE_QUERY}`),
        e(401, "token_invalid", "Token is invalid"),
      ],
    ],
    scenarios: [SIGNATURE_MISMATCH, SUMSUB_RATE_LIMITED],
  },
  {
    format: "sumsub",
    route: `GET /sumsub${REUSE}/preview`,
    call: (sb, headers) => sumsubCall(sb, "GET", `${REUSE}/preview?${REUSE_QUERY}`, "", headers),
    invalid: [
      [
        (sb) => sumsubCall(sb, "GET", `${REUSE}/preview?levelName=basic-kyc-level&userId=u1`),
        e(400, "invalid_request", "shareToken is required"),
      ],
      [
        (sb) => sumsubCall(sb, "GET", `${REUSE}/preview?${REUSE_QUERY}`),
        e(401, "token_invalid", "Token is invalid"),
      ],
    ],
    scenarios: [SUMSUB_RATE_LIMITED, SIGNATURE_MISMATCH],
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
    case "sardinePage":
    case "dqePage":
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

/** The prefixes whose routes answer in another format than their vendor's default. */
const FORMAT_UNDER: [prefix: string, Format][] = [
  ["/regula/mobile", "regulaPage"],
  ["/sardine/verify", "sardinePage"],
  ["/dqe/consent", "dqePage"],
  ["/sumsub/api/snsId/oauth/", "oauth"],
];
/** A path that matches no route answers in the format of the routes under its prefix, else its vendor's default. */
const unmatchedFormat = (path: string, vendor: Vendor): Format =>
  FORMAT_UNDER.find(([prefix]) => path.startsWith(prefix))?.[1] ?? DEFAULT_FORMAT[vendor];

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
  const unknown = `${path.replace(/\/$/, "").replace(/\{[^}]+\}/g, "x")}/no-such-route`;
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
        Object.assign(sb.deps.namespaces.default.store, {
          get: boom,
          put: boom,
          putAll: boom,
          take: boom,
          sweep: boom,
        });
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

    const page = PAGES.has(format);
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
      expect(await health.json()).toEqual(HEALTHY);
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
    ["PUT", "/sardine/verify", "text/html; charset=UTF-8", /^<!doctype html>/],
    ["GET", "/sardine/verify/", "text/html; charset=UTF-8", /^<!doctype html>/],
    [
      "GET",
      "/sardine/v1/identity-documents/verifications",
      "application/json",
      /^\{"message":"no route for GET/,
    ],
    ["PUT", "/dqe/consent", "text/html; charset=UTF-8", /^<!doctype html>/],
    ["GET", "/dqe/consent/", "text/html; charset=UTF-8", /^<!doctype html>/],
    ["PUT", "/dqe/IDMOBILE/", "application/json", /^\{"status":"error","error_type":"not found"\}$/],
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
    if (broken)
      Object.assign(sb.deps.namespaces.default.store, { get: boom, put: boom, putAll: boom, take: boom });
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
