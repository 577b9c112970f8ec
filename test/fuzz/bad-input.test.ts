import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import * as z from "zod";
import { apiErrors as dqe } from "../../src/providers/dqe/errors.js";
import { apiErrors as regula } from "../../src/providers/regula/errors.js";
import { apiErrors as sardine } from "../../src/providers/sardine/errors.js";
import { apiErrors as sumsub, oauthErrors } from "../../src/providers/sumsub/errors.js";

const [dqeError, regulaError, sardineError, sumsubError, oauthErrorBodySchema] = [
  dqe.schema,
  regula.schema,
  sardine.schema,
  sumsub.schema,
  oauthErrors.schema,
];
import { basic, form, testSandbox, type TestSandbox } from "../helpers/sandbox.js";
import { authorize, pkce, signedHeaders, signedPost } from "../helpers/sumsub.js";

/** A page's error (Sardine's web link page, DQE's confirmation page): the page shell with the error's message. */
const pageError = z.string().startsWith("<!doctype html>").includes('<p class="error">');

/** At least this many random requests per endpoint. */
const RUNS = 1000;

interface Target {
  name: string;
  method: "GET" | "POST";
  path: string;
  /** The vendor's error body, which every refusal must have (a page's: its HTML, as a string). */
  errorBody: z.ZodType;
  /**
   * Headers a valid client would send, so fuzzing reaches past authentication; `path` is the one requested, its query
   * included (what a Sumsub signature covers).
   */
  headers: (sandbox: TestSandbox, body: string, path: string) => Record<string, string>;
  /**
   * The fields of a request the route accepts, sent with the headers, in the query or the form body, ahead of the
   * fuzzed ones (a fuzzed field of the same name comes after: the last value wins). Made once per target, in
   * `beforeAll`: they hold what only the sandbox issues (a DQE access token, a web link, a share token).
   */
  valid?: { in: "query" | "body"; fields: (sandbox: TestSandbox) => Promise<Record<string, string>> };
  /** A vendor that answers 500 for some input (DQE's parameter typo). */
  allows500?: boolean;
}

const FORM = { "content-type": "application/x-www-form-urlencoded" };
const SARDINE = { authorization: basic("sandbox-client", "sandbox-secret") };
const LICENCE = "SANDBOX-LICENCE";

/** Throws unless `res` is a 200, so a broken setup says so instead of fuzzing nothing. */
async function ok<T>(what: string, res: Response): Promise<T> {
  if (res.status !== 200) throw new Error(`${what} answered ${String(res.status)}: ${await res.text()}`);
  return (await res.json()) as T;
}

/** A Sardine web link's token (the `link` of its URL), its verification pending. */
async function webLink(sandbox: TestSandbox): Promise<string> {
  const res = await sandbox.app.request("/sardine/v1/identity-documents/urls", {
    method: "POST",
    headers: { ...SARDINE, "content-type": "application/json" },
    body: JSON.stringify({ sessionKey: "fuzz", customerId: "fuzz" }),
  });
  const { link } = await ok<{ link: { url: string } }>("Sardine urls", res);
  return new URL(link.url).searchParams.get("link")!;
}

/** A DQE access token of the fixture licence. */
async function dqeToken(sandbox: TestSandbox): Promise<string> {
  const res = await sandbox.app.request(
    "/dqe/ACCESS_TOKEN/",
    form({ licence: LICENCE, client_secret: "sandbox-secret", grant_type: "client_idmobile" }),
  );
  return (await ok<{ access_token: string }>("DQE ACCESS_TOKEN", res)).access_token;
}

/** An IDMOBILE request with every field, a numVerify check with simswap (multiscope), for a number not magic. */
const idmobile = (token: string) => ({
  licence: LICENCE,
  number: "0612345678",
  token,
  mode: "2",
  name: "Acme",
  scope: "simswap,numVerify",
  period: "24",
});

/** A DQE access token asked a pending check with, and the token of the check's confirmation link. */
async function dqeCheck(sandbox: TestSandbox): Promise<{ token: string; link: string }> {
  const token = await dqeToken(sandbox);
  const res = await sandbox.app.request("/dqe/IDMOBILE/", form(idmobile(token)));
  const { url } = await ok<{ url: string }>("DQE IDMOBILE", res);
  return { token, link: new URL(url).searchParams.get("token")! };
}

/** An ID Connect share token of the fixture user, for the fixture client. */
async function shareToken(sandbox: TestSandbox): Promise<string> {
  const { verifier, challenge } = pkce();
  const code = await authorize(sandbox, { challenge, scope: "share" });
  const tokens = await signedPost(sandbox, "/resources/snsId/api/connect/token", {
    grant_type: "authorization_code",
    code,
    codeVerifier: verifier,
  });
  const { access_token } = await ok<{ access_token: string }>("Sumsub connect token", tokens);
  const share = await signedPost(sandbox, "/resources/accessTokens/sumsubIdShareToken", {
    sumsubIdConnectToken: access_token,
    forClientId: "sandbox-client",
  });
  return (await ok<{ token: string }>("Sumsub share token", share)).token;
}

/** Sumsub signature headers over the path as requested, its query included; a GET signs no body. */
const signedAsSent =
  (method: "GET" | "POST") =>
  (s: TestSandbox, body: string, path: string): Record<string, string> => {
    const url = new URL(path, "http://x.test");
    return signedHeaders(s, method, `${url.pathname}${url.search}`, method === "GET" ? "" : body);
  };

const targets: Target[] = [
  {
    name: "Sardine token",
    method: "POST",
    path: "/sardine/v1/identity-documents/tokens",
    errorBody: sardineError,
    headers: () => ({ authorization: basic("sandbox-client", "sandbox-secret") }),
  },
  {
    name: "Sumsub connect token",
    method: "POST",
    path: "/sumsub/resources/snsId/api/connect/token",
    errorBody: sumsubError,
    headers: (s, body) => signedHeaders(s, "POST", "/resources/snsId/api/connect/token", body),
  },
  {
    name: "Sumsub share token",
    method: "POST",
    path: "/sumsub/resources/accessTokens/sumsubIdShareToken",
    errorBody: sumsubError,
    headers: (s, body) => signedHeaders(s, "POST", "/resources/accessTokens/sumsubIdShareToken", body),
  },
  {
    name: "Sumsub create applicant",
    method: "POST",
    path: "/sumsub/resources/applicants?levelName=basic-kyc-level",
    errorBody: sumsubError,
    headers: (s, body) => signedHeaders(s, "POST", "/resources/applicants?levelName=basic-kyc-level", body),
  },
  {
    name: "Sumsub testCompleted",
    method: "POST",
    path: "/sumsub/resources/applicants/0123456789abcdef01234567/status/testCompleted",
    errorBody: sumsubError,
    headers: (s, body) =>
      signedHeaders(s, "POST", "/resources/applicants/0123456789abcdef01234567/status/testCompleted", body),
  },
  {
    name: "Sumsub WebSDK token",
    method: "POST",
    path: "/sumsub/resources/accessTokens/sdk",
    errorBody: sumsubError,
    headers: (s, body) => signedHeaders(s, "POST", "/resources/accessTokens/sdk", body),
  },
  {
    name: "Sumsub OIDC token",
    method: "POST",
    path: "/sumsub/api/snsId/oauth/token",
    errorBody: oauthErrorBodySchema,
    headers: () => ({ authorization: basic("sandbox-client", "sandbox-secret") }),
  },
  {
    name: "Sumsub userInfo",
    method: "GET",
    path: "/sumsub/api/snsId/oauth/userInfo",
    errorBody: oauthErrorBodySchema,
    headers: () => ({}),
  },
  {
    name: "DQE token (GET)",
    method: "GET",
    path: "/dqe/ACCESS_TOKEN/",
    errorBody: dqeError,
    headers: () => ({}),
    allows500: true,
  },
  {
    name: "DQE token (POST)",
    method: "POST",
    path: "/dqe/ACCESS_TOKEN/",
    errorBody: dqeError,
    headers: () => ({}),
    allows500: true,
  },
  {
    name: "DQE refresh",
    method: "POST",
    path: "/dqe/oauth/ACCESS_TOKEN/",
    errorBody: dqeError,
    headers: () => ({}),
    allows500: true,
  },
  {
    name: "Regula deeplink",
    method: "POST",
    path: "/regula/api/v1/deeplink",
    errorBody: regulaError,
    headers: () => ({ authorization: "ApiKey sandbox-api-key" }),
  },
  {
    name: "Regula ephemeral",
    method: "POST",
    path: "/regula/api/device/ephemeral",
    errorBody: regulaError,
    headers: () => ({ authorization: "sandbox-api-key" }),
  },
  {
    name: "Regula session",
    method: "GET",
    path: "/regula/api/sessions/x",
    errorBody: regulaError,
    headers: () => ({ authorization: "ApiKey sandbox-api-key" }),
  },
  {
    name: "Regula session file",
    method: "GET",
    path: "/regula/api/sessions/x/files/x",
    errorBody: regulaError,
    headers: () => ({ authorization: "ApiKey sandbox-api-key" }),
  },
  {
    name: "Sardine verification",
    method: "GET",
    path: "/sardine/v1/identity-documents/verifications/x",
    errorBody: sardineError,
    headers: () => SARDINE,
  },
  {
    name: "Sardine web link",
    method: "POST",
    path: "/sardine/v1/identity-documents/urls",
    errorBody: sardineError,
    headers: () => SARDINE,
  },
  {
    name: "Sardine web link page (GET)",
    method: "GET",
    path: "/sardine/verify",
    errorBody: pageError,
    headers: () => ({}),
    valid: { in: "query", fields: async (s) => ({ link: await webLink(s) }) },
  },
  {
    name: "Sardine web link page (POST)",
    method: "POST",
    path: "/sardine/verify",
    errorBody: pageError,
    headers: () => FORM,
    valid: { in: "body", fields: async (s) => ({ link: await webLink(s) }) },
  },
  {
    name: "DQE IDMOBILE (GET)",
    method: "GET",
    path: "/dqe/IDMOBILE/",
    errorBody: dqeError,
    headers: () => ({}),
    valid: { in: "query", fields: async (s) => idmobile(await dqeToken(s)) },
    allows500: true,
  },
  {
    name: "DQE IDMOBILE (POST)",
    method: "POST",
    path: "/dqe/IDMOBILE/",
    errorBody: dqeError,
    headers: () => FORM,
    // DQE reads a POST's fields from the query too, the form's after: the fuzzed form body overrides them.
    valid: { in: "query", fields: async (s) => idmobile(await dqeToken(s)) },
    allows500: true,
  },
  {
    name: "DQE GET (GET)",
    method: "GET",
    path: "/dqe/GET/",
    errorBody: dqeError,
    headers: () => ({}),
    valid: {
      in: "query",
      fields: async (s) => ({ token: (await dqeCheck(s)).token, Licence: LICENCE, scope: "client_idmobile" }),
    },
    allows500: true,
  },
  {
    name: "DQE GET (POST)",
    method: "POST",
    path: "/dqe/GET/",
    errorBody: dqeError,
    headers: () => FORM,
    // As IDMOBILE's POST: the valid fields in the query, the fuzzed form body over them.
    valid: {
      in: "query",
      fields: async (s) => ({ token: (await dqeCheck(s)).token, Licence: LICENCE, scope: "client_idmobile" }),
    },
    allows500: true,
  },
  {
    name: "DQE confirmation page (GET)",
    method: "GET",
    path: "/dqe/consent",
    errorBody: pageError,
    headers: () => ({}),
    valid: { in: "query", fields: async (s) => ({ token: (await dqeCheck(s)).link }) },
  },
  {
    name: "DQE confirmation page (POST)",
    method: "POST",
    path: "/dqe/consent",
    errorBody: pageError,
    headers: () => FORM,
    valid: { in: "body", fields: async (s) => ({ token: (await dqeCheck(s)).link }) },
  },
  {
    name: "Sumsub applicant",
    method: "GET",
    path: "/sumsub/resources/applicants/0123456789abcdef01234567/one",
    errorBody: sumsubError,
    headers: signedAsSent("GET"),
  },
  {
    name: "Sumsub applicant status",
    method: "GET",
    path: "/sumsub/resources/applicants/0123456789abcdef01234567/status",
    errorBody: sumsubError,
    headers: signedAsSent("GET"),
  },
  {
    name: "Sumsub WebSDK token (query)",
    method: "POST",
    path: "/sumsub/resources/accessTokens",
    errorBody: sumsubError,
    headers: signedAsSent("POST"),
    valid: { in: "query", fields: () => Promise.resolve({ userId: "fuzz", levelName: "basic-kyc-level" }) },
  },
  {
    name: "Sumsub reuse",
    method: "POST",
    path: "/sumsub/resources/api/reusableIdentity/reuse",
    errorBody: sumsubError,
    headers: signedAsSent("POST"),
    valid: {
      in: "query",
      fields: async (s) => ({
        shareToken: await shareToken(s),
        levelName: "basic-kyc-level",
        userId: "fuzz",
      }),
    },
  },
  {
    name: "Sumsub reuse preview",
    method: "GET",
    path: "/sumsub/resources/api/reusableIdentity/reuse/preview",
    errorBody: sumsubError,
    headers: signedAsSent("GET"),
    valid: {
      in: "query",
      fields: async (s) => ({
        shareToken: await shareToken(s),
        levelName: "basic-kyc-level",
        userId: "fuzz",
      }),
    },
  },
];

const deep = (depth: number): string => "[".repeat(depth) + "]".repeat(depth);
const jsonish = fc.oneof(
  fc.json({ maxDepth: 4 }),
  fc.string({ unit: "binary", maxLength: 200 }),
  fc.constantFrom('{"sessionKey":', "{", "null", "[]", '"x"', "1e999", deep(5000), `{"a":${deep(2000)}}`),
  fc
    .record(
      {
        sessionKey: fc.oneof(
          fc.string({ unit: "grapheme", maxLength: 120 }),
          fc.integer(),
          fc.constant(null),
        ),
        provider: fc.oneof(fc.constantFrom("au10tix", "incode"), fc.string()),
        platform: fc.string(),
        grant_type: fc.oneof(fc.constantFrom("authorization_code", "refresh_token"), fc.string()),
        code: fc.string(),
        codeVerifier: fc.string(),
        refresh_token: fc.string(),
        scope: fc.string(),
        ttl: fc.oneof(fc.integer(), fc.double(), fc.string()),
        metadata: fc.oneof(fc.dictionary(fc.string(), fc.jsonValue()), fc.string(), fc.constant(null)),
        locale: fc.oneof(fc.string(), fc.constant(null), fc.integer()),
        externalUserId: fc.oneof(
          fc.string({ unit: "grapheme", maxLength: 40 }),
          fc.integer(),
          fc.constant(null),
        ),
        fixedInfo: fc.oneof(fc.dictionary(fc.string(), fc.jsonValue()), fc.string(), fc.constant(null)),
        reviewAnswer: fc.oneof(fc.constantFrom("GREEN", "RED"), fc.string()),
        rejectLabels: fc.oneof(fc.array(fc.string()), fc.string(), fc.constant(null)),
        reviewRejectType: fc.oneof(fc.constantFrom("FINAL", "RETRY"), fc.string()),
        userId: fc.oneof(fc.string(), fc.integer()),
        levelName: fc.oneof(fc.string(), fc.constant(null)),
        ttlInSecs: fc.oneof(fc.integer(), fc.double(), fc.string()),
        customerId: fc.oneof(fc.string({ unit: "grapheme", maxLength: 40 }), fc.integer(), fc.constant(null)),
        redirectURL: fc.oneof(
          fc.webUrl(),
          fc.string(),
          fc.constantFrom("javascript:alert(1)", "ftp://client.test/", "https://"),
        ),
        inputData: fc.oneof(fc.dictionary(fc.string(), fc.jsonValue()), fc.string(), fc.constant(null)),
        idBack: fc.oneof(fc.boolean(), fc.string()),
        selfie: fc.oneof(fc.boolean(), fc.string()),
        poa: fc.oneof(fc.boolean(), fc.string()),
      },
      { requiredKeys: [] },
    )
    .map((o) => JSON.stringify(o)),
);
const formish = fc
  .array(
    fc.tuple(
      fc.constantFrom(
        "licence",
        "client_secret",
        "grant_type",
        "access_token",
        "refresh_token",
        "scope",
        "code",
        "client_scret",
        "",
        "a b",
        "number",
        "token",
        "mode",
        "name",
        "period",
        "user_infos",
        "redirect_uri",
        "Licence",
        "link",
        "verdict",
        "answer",
      ),
      fc.oneof(
        fc.string({ unit: "grapheme", maxLength: 40 }),
        // Values some route takes, so a form gets past its first field now and then.
        fc.constantFrom(
          "2",
          "0612345678",
          "+33612345678",
          "numVerify,billing",
          "client_idmobile",
          "low",
          "confirm",
        ),
      ),
    ),
    { maxLength: 6 },
  )
  .map((pairs) => new URLSearchParams(pairs).toString());
const body = fc.oneof(
  jsonish,
  formish,
  fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from([0xff, 0xfe, ...b]).toString("latin1")),
);
const contentType = fc.constantFrom(
  undefined,
  "application/json",
  "application/json; charset=utf-16",
  "application/x-www-form-urlencoded",
  "text/plain",
  "multipart/form-data; boundary=x",
  "application/xml",
  "*/*",
  "application/json\u0000",
);
const query = fc
  .array(
    fc.tuple(
      fc.constantFrom(
        "licence",
        "client_secret",
        "grant_type",
        "workflowId",
        "x",
        "scenario",
        "%",
        "a%ZZ",
        "type",
        "link",
        "token",
        "Licence",
        "scope",
        "userId",
        "levelName",
        "shareToken",
        "ttlInSecs",
      ),
      fc.oneof(
        fc.string({ maxLength: 20 }),
        fc.constantFrom("mobilesdk", "client_idmobile", "simswap", "600", "0"),
      ),
    ),
    { maxLength: 5 },
  )
  .map((pairs) => pairs.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join("&"));
const oddHeader = fc.oneof(
  fc.constant(undefined),
  fc.string({ maxLength: 40 }).filter((s) => /^[\t\x20-\x7e]*$/.test(s)),
  fc.constantFrom("Basic ", "Basic %%%", "ApiKey", "Bearer ", "Token x\tInjected: yes", "x".repeat(4000)),
);

describe.each(targets)("bad input: $name", (target) => {
  let sandbox: TestSandbox;
  /** The target's valid fields, form-encoded. */
  let valid = "";
  beforeAll(async () => {
    sandbox = await testSandbox();
    if (target.valid) valid = new URLSearchParams(await target.valid.fields(sandbox)).toString();
  });

  it(`never crashes, never 500s, always answers in the vendor's error format, and changes no state (${String(RUNS)} runs)`, async () => {
    await fc.assert(
      fc.asyncProperty(
        body,
        contentType,
        query,
        oddHeader,
        fc.boolean(),
        async (text, type, q, header, keepAuth) => {
          const before = (await sandbox.deps.namespaces.default.store.stats()).size;
          const given = keepAuth ? valid : "";
          const search = [target.valid?.in === "query" ? given : "", q].filter(Boolean).join("&");
          const path = search
            ? `${target.path}${target.path.includes("?") ? "&" : "?"}${search}`
            : target.path;
          const sent = target.valid?.in === "body" && given ? `${given}&${text}` : text;
          const headers: Record<string, string> = keepAuth ? target.headers(sandbox, sent, path) : {};
          if (type !== undefined) headers["content-type"] = type;
          if (header !== undefined) headers[keepAuth ? "x-odd" : "authorization"] = header;
          let request: RequestInit;
          try {
            request = { method: target.method, headers, ...(target.method === "POST" ? { body: sent } : {}) };
            new Request("http://x.test", request);
          } catch {
            return; // a request no HTTP client can send
          }
          const res = await sandbox.app.request(path, request);
          if (res.status >= 500) expect(target.allows500 && res.status === 500).toBe(true);
          if (res.status >= 400) {
            // A page's error is HTML: read as text, it can only pass a page's schema (and JSON only a JSON one).
            const html = res.headers.get("content-type")?.startsWith("text/html") ?? false;
            const parsed = target.errorBody.safeParse(html ? await res.text() : await res.json());
            expect(parsed.success, `${String(res.status)} body in the vendor's format`).toBe(true);
            expect((await sandbox.deps.namespaces.default.store.stats()).size).toBe(before);
          }
        },
      ),
      { numRuns: RUNS },
    );
    expect((await sandbox.app.request("/__admin/health")).status).toBe(200);
  }, 120_000);
});
