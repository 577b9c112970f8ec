import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import type { z } from "zod";
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
import { basic, testSandbox, type TestSandbox } from "../helpers/sandbox.js";
import { signedHeaders } from "../helpers/sumsub.js";

/** At least this many random requests per endpoint. */
const RUNS = 1000;

interface Target {
  name: string;
  method: "GET" | "POST";
  path: string;
  /** The vendor's error body, which every refusal must have. */
  errorBody: z.ZodType;
  /** Headers a valid client would send, so fuzzing reaches past authentication. */
  headers: (sandbox: TestSandbox, body: string) => Record<string, string>;
  /** A vendor that answers 500 for some input (DQE's parameter typo). */
  allows500?: boolean;
}

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
      ),
      fc.string({ unit: "grapheme", maxLength: 40 }),
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
      fc.constantFrom("licence", "client_secret", "grant_type", "workflowId", "x", "scenario", "%", "a%ZZ"),
      fc.string({ maxLength: 20 }),
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
  beforeAll(async () => {
    sandbox = await testSandbox();
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
          const headers: Record<string, string> = keepAuth ? target.headers(sandbox, text) : {};
          if (type !== undefined) headers["content-type"] = type;
          if (header !== undefined) headers[keepAuth ? "x-odd" : "authorization"] = header;
          let request: RequestInit;
          try {
            request = { method: target.method, headers, ...(target.method === "POST" ? { body: text } : {}) };
            new Request("http://x.test", request);
          } catch {
            return; // a request no HTTP client can send
          }
          const res = await sandbox.app.request(`${target.path}${q ? `?${q}` : ""}`, request);
          if (res.status >= 500) expect(target.allows500 && res.status === 500).toBe(true);
          if (res.status >= 400) {
            const parsed = target.errorBody.safeParse(await res.json());
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
