import { createHmac } from "node:crypto";
import type { AddressInfo } from "node:net";
import { createAdaptorServer } from "@hono/node-server";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type * as z from "zod";
import { apiErrors } from "../../src/providers/sumsub/errors.js";
import { startReceiver, type ReceivedRequest, type Receiver } from "../helpers/receiver.js";
import { T0, testSandbox, type TestSandbox } from "../helpers/sandbox.js";
import {
  APP_TOKEN,
  APP_SECRET,
  authorize,
  CLIENT_ID,
  pkce,
  signedPost,
  signedRequest,
} from "../helpers/sumsub.js";
import { verifySumsubDigest } from "../helpers/webhook-signatures.js";

const LEVEL = "basic-kyc-level";
const CREATE = `/resources/applicants?levelName=${LEVEL}`;
const HOOK_SECRET = "sumsub-webhook-secret";
/** The fixture's second app: another client (`no-idconnect-client`), the same secret. */
const OTHER_APP = "sbx:disabled-app-token";
const AT_T0 = "2026-01-01 00:00:00";

const errorBodySchema = apiErrors.schema as z.ZodObject;

let sandbox: TestSandbox;
const receivers: Receiver[] = [];
const servers: { close(): void }[] = [];

beforeEach(async () => {
  sandbox = await testSandbox();
});
afterEach(async () => {
  sandbox.deps.webhooks.close();
  for (const s of servers.splice(0)) s.close();
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

async function receiver(): Promise<Receiver> {
  const r = await startReceiver();
  receivers.push(r);
  return r;
}

/** Subscribes a real receiver to Sumsub's webhooks (in `namespace`, when given). */
async function subscribe(
  options: { digestAlg?: string; events?: string[]; namespace?: string; secret?: string } = {},
): Promise<Receiver> {
  const r = await receiver();
  const { namespace, secret = HOOK_SECRET, ...rest } = options;
  const res = await sandbox.request("/__admin/webhooks", {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(namespace ? { "x-sandbox-namespace": namespace } : {}),
    },
    body: JSON.stringify({ vendor: "sumsub", url: r.url, secret, ...rest }),
  });
  expect(res.status).toBe(201);
  return r;
}

/** Sends everything pending in the namespace and waits until each was tried. */
async function flush(namespace?: string) {
  const res = await sandbox.request("/__admin/webhooks/flush", {
    method: "POST",
    headers: namespace ? { "x-sandbox-namespace": namespace } : {},
  });
  expect(res.status).toBe(200);
  return (await res.json()) as { deliveries: { event: string; status: string }[] };
}

/** The error body, checked against Sumsub's schema, without its random correlationId. */
async function sumsubError(res: Response): Promise<Record<string, unknown>> {
  const body = errorBodySchema.strict().parse(await res.json());
  return Object.fromEntries(Object.entries(body).filter(([key]) => key !== "correlationId"));
}

interface Applicant {
  id: string;
  inspectionId: string;
  externalUserId: string;
  levelName: string;
  review: Record<string, unknown>;
  [field: string]: unknown;
}

async function create(externalUserId: string, extra: Record<string, unknown> = {}, headers = {}) {
  return signedRequest(sandbox, "POST", CREATE, { externalUserId, ...extra }, { headers });
}

async function created(externalUserId: string, extra: Record<string, unknown> = {}): Promise<Applicant> {
  const res = await create(externalUserId, extra);
  expect(res.status).toBe(200);
  return (await res.json()) as Applicant;
}

const get = (path: string, options: { appToken?: string; headers?: Record<string, string> } = {}) =>
  signedRequest(sandbox, "GET", path, undefined, options);

/** The applicant Sumsub answers right after creation, at T0 on the test clock. */
function freshApplicant(externalUserId: string, extra: Record<string, unknown> = {}) {
  return {
    id: expect.stringMatching(/^[0-9a-f]{24}$/),
    createdAt: AT_T0,
    key: expect.stringMatching(/^[0-9A-Z]{14}$/),
    clientId: CLIENT_ID,
    inspectionId: expect.stringMatching(/^[0-9a-f]{24}$/),
    externalUserId,
    levelName: LEVEL,
    info: {},
    applicantPlatform: "API",
    review: {
      reviewId: expect.stringMatching(/^[0-9A-Za-z]{5}$/),
      attemptId: expect.stringMatching(/^[0-9A-Za-z]{5}$/),
      attemptCnt: 0,
      levelName: LEVEL,
      createDate: `${AT_T0}+0000`,
      reviewStatus: "init",
      priority: 0,
    },
    type: "individual",
    ...extra,
  };
}

/** A webhook body as Sumsub documents it, for `a`, sent at T0. */
function hookBody(type: string, a: Applicant, reviewStatus: string, extra: Record<string, unknown> = {}) {
  return {
    applicantId: a.id,
    inspectionId: a.inspectionId,
    applicantType: "individual",
    correlationId: expect.stringMatching(
      /^req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    ),
    levelName: a.levelName,
    sandboxMode: true,
    externalUserId: a.externalUserId,
    type,
    reviewStatus,
    createdAtMs: `${AT_T0}.000`,
    clientId: CLIENT_ID,
    ...extra,
  };
}

/** The next delivery, its signature verified as a consumer would (independently of the sandbox). */
async function nextHook(r: Receiver, secret = HOOK_SECRET): Promise<{ body: unknown; req: ReceivedRequest }> {
  const req = await r.next();
  expect(req.method).toBe("POST");
  expect(req.headers["content-type"]).toBe("application/json");
  expect(verifySumsubDigest(req.body, req.headers, secret)).toBe(true);
  return { body: JSON.parse(req.body), req };
}

/** An ID Connect share token for the fixture user (Jane Doe), issued for `forClientId`. */
async function shareToken(forClientId = CLIENT_ID): Promise<string> {
  const { verifier, challenge } = pkce();
  const code = await authorize(sandbox, { challenge, scope: "share" });
  const tokens = await signedPost(sandbox, "/resources/snsId/api/connect/token", {
    grant_type: "authorization_code",
    code,
    codeVerifier: verifier,
  });
  expect(tokens.status).toBe(200);
  const { access_token } = (await tokens.json()) as { access_token: string };
  const share = await signedPost(sandbox, "/resources/accessTokens/sumsubIdShareToken", {
    sumsubIdConnectToken: access_token,
    forClientId,
  });
  expect(share.status).toBe(200);
  return ((await share.json()) as { token: string }).token;
}

describe("Sumsub applicants: create", () => {
  it("answers the applicant in init and sends applicantCreated, signed with each digest algorithm", async () => {
    const algs = ["HMAC_SHA1_HEX", "HMAC_SHA256_HEX", "HMAC_SHA512_HEX"] as const;
    const hooks = await Promise.all(
      algs.map((digestAlg, i) => subscribe({ digestAlg, secret: `${HOOK_SECRET}-${String(i)}` })),
    );
    const res = await create("user-1", {
      email: "jane@example.test",
      phone: "+33600000000",
      lang: "fr",
      fixedInfo: { firstName: "Jane", lastName: "Doe", addresses: [{ country: "FRA" }] },
      metadata: [{ key: "plan", value: "gold" }],
      questionnaires: [{ id: "anything Sumsub takes" }],
    });
    expect(res.status).toBe(200);
    const applicant = (await res.json()) as Applicant;
    expect(applicant).toEqual(
      freshApplicant("user-1", {
        email: "jane@example.test",
        phone: "+33600000000",
        lang: "fr",
        fixedInfo: { firstName: "Jane", lastName: "Doe", addresses: [{ country: "FRA" }] },
        metadata: [{ key: "plan", value: "gold" }],
      }),
    );
    for (const [i, r] of hooks.entries()) {
      const secret = `${HOOK_SECRET}-${String(i)}`;
      const { body, req } = await nextHook(r, secret);
      expect(req.headers["x-payload-digest-alg"]).toBe(algs[i]);
      expect(req.headers["x-payload-digest"]).toMatch(/^[0-9a-f]+$/);
      expect(verifySumsubDigest(req.body, req.headers, "another-secret")).toBe(false);
      expect(body).toEqual(hookBody("applicantCreated", applicant, "init"));
    }
    await flush();
    const list = await sandbox.request("/__admin/webhooks/deliveries?event=applicantCreated");
    const { deliveries } = (await list.json()) as { deliveries: { status: string }[] };
    expect(deliveries.map((d) => d.status)).toEqual(["delivered", "delivered", "delivered"]);
  });

  it("takes a company applicant, and reads it back with /one", async () => {
    const hook = await subscribe();
    const applicant = await created("acme-ltd", { type: "company" });
    expect(applicant).toEqual(freshApplicant("acme-ltd", { type: "company" }));
    expect((await nextHook(hook)).body).toMatchObject({ applicantType: "company" });
    const res = await get(`/resources/applicants/${applicant.id}/one`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(applicant);
  });

  it("keeps free-form fields as given without letting them break a read", async () => {
    const fixedInfo = {
      constructor: 1,
      toString: "x",
      review: { reviewStatus: "completed" },
      deep: [[null, true]],
    };
    const raw = `{"externalUserId":"free-1","id":"not-mine","review":{"reviewStatus":"completed"},"fixedInfo":${JSON.stringify(
      fixedInfo,
    ).replace(/}$/, ',"__proto__":{"polluted":true}}')}}`;
    const res = await signedRequest(sandbox, "POST", CREATE, raw);
    expect(res.status).toBe(200);
    const a = (await res.json()) as Applicant;
    expect(a).toEqual(freshApplicant("free-1", { fixedInfo }));
    const one = await get(`/resources/applicants/${a.id}/one`);
    expect(one.status).toBe(200);
    expect(await one.json()).toEqual(a);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("refuses a second applicant with the same externalUserId for the client (409), not for another client", async () => {
    const first = await created("dup-1");
    const again = await create("dup-1");
    expect(again.status).toBe(409);
    expect(await sumsubError(again)).toEqual({
      code: 409,
      description: `Applicant with external user id 'dup-1' already exists: ${first.id}`,
    });
    const other = await signedRequest(
      sandbox,
      "POST",
      CREATE,
      { externalUserId: "dup-1" },
      { appToken: OTHER_APP },
    );
    expect(other.status).toBe(200);
    expect(await other.json()).toMatchObject({ externalUserId: "dup-1", clientId: "no-idconnect-client" });
  });

  it("creates exactly one of two concurrent applicants with one externalUserId", async () => {
    const answers = await Promise.all([create("race-1"), create("race-1"), create("race-1")]);
    expect(answers.map((r) => r.status).sort()).toEqual([200, 409, 409]);
    const sessions = await sandbox.request("/__admin/sessions");
    const { sessions: listed } = (await sessions.json()) as { sessions: { kind: string }[] };
    expect(listed.filter((s) => s.kind === "sumsub.applicant")).toHaveLength(1);
  });

  it("refuses an unsigned, mis-signed or stale request with 401 in Sumsub's format", async () => {
    const unsigned = await sandbox.request(`/sumsub${CREATE}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ externalUserId: "u" }),
    });
    expect(unsigned.status).toBe(401);
    expect(await sumsubError(unsigned)).toEqual({
      code: 401,
      description: "App token is missing or unknown",
    });
    const wrong = await signedRequest(sandbox, "POST", CREATE, { externalUserId: "u" }, { secret: "nope" });
    expect(wrong.status).toBe(401);
    expect(await sumsubError(wrong)).toEqual({
      code: 401,
      description: "Request signature mismatch",
      errorCode: 4003,
      errorName: "app-token-signature mismatch",
    });
    const stale = await signedRequest(
      sandbox,
      "POST",
      CREATE,
      { externalUserId: "u" },
      { ts: T0 / 1000 - 61 },
    );
    expect(stale.status).toBe(401);
    expect(await sumsubError(stale)).toEqual({
      code: 401,
      description: `Request timestamp is missing or more than 60 s from the sandbox clock, which reads ${String(T0 / 1000)} (GET /__admin/clock)`,
    });
    for (const path of [
      "/resources/applicants/0123456789abcdef01234567/one",
      "/resources/applicants/0123456789abcdef01234567/status",
      "/resources/api/reusableIdentity/reuse/preview?shareToken=t&levelName=l&userId=u",
    ]) {
      const res = await sandbox.request(`/sumsub${path}`);
      expect(res.status).toBe(401);
      expect(await sumsubError(res)).toEqual({ code: 401, description: "App token is missing or unknown" });
    }
  });

  it.each([
    ["no externalUserId", CREATE, { email: "x@example.test" }, "externalUserId is required"],
    ["an empty externalUserId", CREATE, { externalUserId: "" }, "externalUserId must not be empty"],
    ["no levelName", "/resources/applicants", { externalUserId: "u" }, "levelName is required"],
    [
      "an unknown type",
      CREATE,
      { externalUserId: "u", type: "robot" },
      "type must be one of individual, company",
    ],
    [
      "a fixedInfo that is not an object",
      CREATE,
      { externalUserId: "u", fixedInfo: "Jane" },
      "fixedInfo must be of type record",
    ],
    ["a body that is not JSON", CREATE, "{", "body is not valid JSON"],
    ["no body", CREATE, "", "externalUserId is required"],
  ])("answers 400 to %s", async (_what, path, body, description) => {
    const res = await signedRequest(sandbox, "POST", path, body);
    expect(res.status).toBe(400);
    expect(await sumsubError(res)).toEqual({ code: 400, description });
  });
});

describe("Sumsub applicants: reads", () => {
  it("finds an applicant by -;externalUserId=, written plainly or URL-encoded, signed as sent", async () => {
    const plain = await created("abc");
    const special = await created("jane doe@example.test");
    for (const [path, want] of [
      ["/resources/applicants/-;externalUserId=abc/one", plain],
      ["/resources/applicants/-%3BexternalUserId%3Dabc/one", plain],
      [`/resources/applicants/-;externalUserId=${encodeURIComponent("jane doe@example.test")}/one`, special],
      [`/resources/applicants/${encodeURIComponent("-;externalUserId=jane doe@example.test")}/one`, special],
    ] as const) {
      const res = await get(path);
      expect(res.status, path).toBe(200);
      expect(await res.json()).toEqual(want);
    }
    const status = await get("/resources/applicants/-;externalUserId=abc/status");
    expect(status.status).toBe(200);
    expect(await status.json()).toEqual(plain.review);
  });

  it("answers 404 Applicant not found for an unknown applicant on each read and on testCompleted", async () => {
    const mine = await created("mine");
    const notFound = { code: 404, description: "Applicant not found" };
    const unknown = "0123456789abcdef01234567";
    for (const path of [
      `/resources/applicants/${unknown}/one`,
      `/resources/applicants/${unknown}/status`,
      "/resources/applicants/-;externalUserId=nobody/one",
      "/resources/applicants/-;externalUserId=nobody/status",
    ]) {
      const res = await get(path);
      expect(res.status, path).toBe(404);
      expect(await sumsubError(res)).toEqual(notFound);
    }
    for (const ref of [unknown, "-;externalUserId=nobody"]) {
      const res = await signedPost(sandbox, `/resources/applicants/${ref}/status/testCompleted`, {
        reviewAnswer: "GREEN",
      });
      expect(res.status).toBe(404);
      expect(await sumsubError(res)).toEqual(notFound);
    }
    // Another client's applicant is not found, by id or by external user id.
    for (const path of [
      `/resources/applicants/${mine.id}/one`,
      "/resources/applicants/-;externalUserId=mine/one",
    ]) {
      const res = await get(path, { appToken: OTHER_APP });
      expect(res.status).toBe(404);
      expect(await sumsubError(res)).toEqual(notFound);
    }
    const theirs = await signedRequest(
      sandbox,
      "POST",
      `/resources/applicants/${mine.id}/status/testCompleted`,
      { reviewAnswer: "GREEN" },
      { appToken: OTHER_APP },
    );
    expect(theirs.status).toBe(404);
  });
});

describe("Sumsub applicants: testCompleted", () => {
  it("GREEN completes the review, sends applicantReviewed alone, and /one and /status show it", async () => {
    const hook = await subscribe();
    const a = await created("green-1");
    expect((await nextHook(hook)).body).toEqual(hookBody("applicantCreated", a, "init"));
    sandbox.clock.advance(90);
    const res = await signedPost(sandbox, `/resources/applicants/${a.id}/status/testCompleted`, {
      reviewAnswer: "GREEN",
      rejectLabels: [],
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: 1 });
    const { body } = await nextHook(hook);
    expect(body).toEqual(
      hookBody("applicantReviewed", a, "completed", {
        reviewResult: { reviewAnswer: "GREEN", rejectLabels: [] },
        createdAtMs: "2026-01-01 00:01:30.000",
      }),
    );
    const review = {
      ...a.review,
      reviewDate: "2026-01-01 00:01:30+0000",
      reviewStatus: "completed",
      reviewResult: { reviewAnswer: "GREEN", rejectLabels: [] },
    };
    const one = await get(`/resources/applicants/${a.id}/one`);
    expect(await one.json()).toEqual({ ...a, review });
    const status = await get(`/resources/applicants/${a.id}/status`);
    expect(status.status).toBe(200);
    expect(await status.json()).toEqual(review);
    await flush();
    expect(hook.received).toHaveLength(2);
  });

  it("RED carries labels, reject type and comments; RED without a type is FINAL; a completed review may change", async () => {
    const hook = await subscribe({ events: ["applicantReviewed"] });
    const a = await created("red-1");
    const red = {
      reviewAnswer: "RED",
      rejectLabels: ["UNSATISFACTORY_PHOTOS", "SCREENSHOTS"],
      reviewRejectType: "RETRY",
      clientComment: "Screenshots are not accepted.",
      moderationComment: "We do not accept screenshots. Please upload an original photo.",
    };
    const res = await signedPost(sandbox, `/resources/applicants/${a.id}/status/testCompleted`, red);
    expect(res.status).toBe(200);
    expect((await nextHook(hook)).body).toEqual(
      hookBody("applicantReviewed", a, "completed", { reviewResult: red }),
    );
    expect(await (await get(`/resources/applicants/${a.id}/status`)).json()).toMatchObject({
      reviewStatus: "completed",
      reviewResult: red,
    });

    const final = await signedPost(
      sandbox,
      `/resources/applicants/-;externalUserId=red-1/status/testCompleted`,
      {
        reviewAnswer: "RED",
        rejectLabels: ["FORGERY"],
      },
    );
    expect(final.status).toBe(200);
    const again = (await nextHook(hook)).body;
    expect(again).toMatchObject({
      reviewResult: { reviewAnswer: "RED", rejectLabels: ["FORGERY"], reviewRejectType: "FINAL" },
    });
    expect(await (await get(`/resources/applicants/${a.id}/status`)).json()).toMatchObject({
      reviewResult: { reviewAnswer: "RED", rejectLabels: ["FORGERY"], reviewRejectType: "FINAL" },
    });
  });

  it.each([
    [{ reviewAnswer: "RED" }, "rejectLabels is required with RED"],
    [{ reviewAnswer: "RED", rejectLabels: [] }, "rejectLabels is required with RED"],
    [{ reviewAnswer: "GREEN", rejectLabels: ["FORGERY"] }, "rejectLabels must be empty with GREEN"],
    [{ reviewAnswer: "GREEN", reviewRejectType: "FINAL" }, "reviewRejectType is for RED only"],
    [{ reviewAnswer: "YELLOW" }, "reviewAnswer must be one of GREEN, RED"],
    [{}, "reviewAnswer must be one of GREEN, RED"],
    [
      { reviewAnswer: "RED", rejectLabels: ["X"], reviewRejectType: "SOFT" },
      "reviewRejectType must be one of FINAL, RETRY",
    ],
  ])("answers 400 to %j", async (body, description) => {
    const a = await created("bad-body");
    const res = await signedPost(sandbox, `/resources/applicants/${a.id}/status/testCompleted`, body);
    expect(res.status).toBe(400);
    expect(await sumsubError(res)).toEqual({ code: 400, description });
  });
});

describe("Sumsub applicants: verdicts", () => {
  const verdict = (id: string, name: string, details: Record<string, unknown> = {}) =>
    sandbox.request("/__admin/verdicts", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ vendor: "sumsub", id, verdict: name, ...details }),
    });

  it("an admin verdict sends applicantPending then applicantReviewed, in that order", async () => {
    const hook = await subscribe();
    const a = await created("admin-1");
    await nextHook(hook);
    const res = await verdict(a.id, "rejected", {
      rejectLabels: ["FRAUDULENT_PATTERNS"],
      clientComment: "no",
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      vendor: "sumsub",
      subject: "applicant",
      id: a.id,
      verdict: "rejected",
    });
    const reviewResult = {
      reviewAnswer: "RED",
      rejectLabels: ["FRAUDULENT_PATTERNS"],
      reviewRejectType: "FINAL",
      clientComment: "no",
    };
    expect((await nextHook(hook)).body).toEqual(hookBody("applicantPending", a, "pending"));
    expect((await nextHook(hook)).body).toEqual(
      hookBody("applicantReviewed", a, "completed", { reviewResult }),
    );
    expect(await (await get(`/resources/applicants/${a.id}/one`)).json()).toMatchObject({
      review: { reviewStatus: "completed", reviewResult, reviewDate: `${AT_T0}+0000` },
    });
    // A verdict does not override a completed review (testCompleted does).
    const late = await verdict(a.id, "approved");
    expect(late.status).toBe(409);
    expect(await late.json()).toEqual({
      error: "applicant_reviewed",
      message: "Applicant review is already completed",
    });
  });

  it("gives each verdict its documented review: approved, retry, onHold", async () => {
    const hook = await subscribe({ events: ["applicantReviewed", "applicantOnHold"] });
    const approved = await created("v-approved");
    const retry = await created("v-retry");
    const held = await created("v-held");
    expect((await verdict(approved.id, "approved", { moderationComment: "ok" })).status).toBe(200);
    expect((await nextHook(hook)).body).toEqual(
      hookBody("applicantReviewed", approved, "completed", {
        reviewResult: { reviewAnswer: "GREEN", moderationComment: "ok" },
      }),
    );
    expect((await verdict(retry.id, "retry")).status).toBe(200);
    expect((await nextHook(hook)).body).toEqual(
      hookBody("applicantReviewed", retry, "completed", {
        reviewResult: {
          reviewAnswer: "RED",
          rejectLabels: ["UNSATISFACTORY_PHOTOS"],
          reviewRejectType: "RETRY",
        },
      }),
    );
    expect((await verdict(held.id, "onHold")).status).toBe(200);
    expect((await nextHook(hook)).body).toEqual(hookBody("applicantOnHold", held, "onHold"));
    const status = await get(`/resources/applicants/${held.id}/status`);
    expect(await status.json()).toEqual({ ...held.review, reviewStatus: "onHold" });
    // On hold is not final: a verdict may follow.
    expect((await verdict(held.id, "approved")).status).toBe(200);
  });

  it("refuses details a verdict does not take, and an unknown applicant", async () => {
    const a = await created("v-details");
    const labels = await verdict(a.id, "approved", { rejectLabels: ["FORGERY"] });
    expect(labels.status).toBe(400);
    expect(await labels.json()).toEqual({
      error: "invalid_request",
      message: "rejectLabels: an approved applicant has none",
    });
    const unknownField = await verdict(a.id, "rejected", { reason: "x" });
    expect(unknownField.status).toBe(400);
    const missing = await verdict("0123456789abcdef01234567", "approved");
    expect(missing.status).toBe(404);
  });

  it("a magic externalUserId outcome:rejected gives the verdict at creation", async () => {
    const hook = await subscribe();
    const res = await create("outcome:rejected");
    expect(res.status).toBe(200);
    const a = (await res.json()) as Applicant;
    // The answer is the applicant as created; the verdict follows, as Sumsub's review does.
    expect(a).toEqual(freshApplicant("outcome:rejected"));
    const reviewResult = { reviewAnswer: "RED", rejectLabels: ["FORGERY"], reviewRejectType: "FINAL" };
    expect((await nextHook(hook)).body).toEqual(hookBody("applicantCreated", a, "init"));
    expect((await nextHook(hook)).body).toEqual(hookBody("applicantPending", a, "pending"));
    expect((await nextHook(hook)).body).toEqual(
      hookBody("applicantReviewed", a, "completed", { reviewResult }),
    );
    expect(await (await get(`/resources/applicants/${a.id}/status`)).json()).toEqual({
      ...a.review,
      reviewStatus: "completed",
      reviewDate: `${AT_T0}+0000`,
      reviewResult,
    });
  });

  it("gives the automatic verdict once the clock passes it, with its webhooks", async () => {
    sandbox = await testSandbox({ verdicts: { auto: { after: 30 } } });
    const hook = await subscribe();
    const a = await created("auto-1");
    expect((await nextHook(hook)).body).toEqual(hookBody("applicantCreated", a, "init"));
    const advance = (seconds: number) =>
      sandbox.request("/__admin/clock", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ advance: seconds }),
      });
    expect((await advance(29)).status).toBe(200);
    expect(await (await get(`/resources/applicants/${a.id}/status`)).json()).toMatchObject({
      reviewStatus: "init",
    });
    expect((await advance(2)).status).toBe(200);
    // The clock stops at the verdict's own time on its way: 30 s after creation, not where the move ended.
    const at = "2026-01-01 00:00:30";
    expect((await nextHook(hook)).body).toEqual(
      hookBody("applicantPending", a, "pending", { createdAtMs: `${at}.000` }),
    );
    expect((await nextHook(hook)).body).toEqual(
      hookBody("applicantReviewed", a, "completed", {
        reviewResult: { reviewAnswer: "GREEN" },
        createdAtMs: `${at}.000`,
      }),
    );
    expect(await (await get(`/resources/applicants/${a.id}/status`)).json()).toEqual({
      ...a.review,
      reviewStatus: "completed",
      reviewDate: `${at}+0000`,
      reviewResult: { reviewAnswer: "GREEN" },
    });
  });

  it("a read settles an automatic verdict that fell due, and a tester's testCompleted is never overridden", async () => {
    sandbox = await testSandbox({ verdicts: { auto: { after: 30 } } });
    const hook = await subscribe({ events: ["applicantReviewed"] });
    const read = await created("auto-read");
    const tested = await created("auto-tested");
    const set = await signedPost(sandbox, `/resources/applicants/${tested.id}/status/testCompleted`, {
      reviewAnswer: "RED",
      rejectLabels: ["SPAM"],
    });
    expect(set.status).toBe(200);
    expect((await nextHook(hook)).body).toMatchObject({ applicantId: tested.id });
    // The clock moves without a tick: the read gives what fell due first.
    sandbox.clock.advance(31);
    expect(await (await get(`/resources/applicants/${read.id}/status`)).json()).toMatchObject({
      reviewStatus: "completed",
      reviewResult: { reviewAnswer: "GREEN" },
    });
    expect(await (await get(`/resources/applicants/${tested.id}/status`)).json()).toMatchObject({
      reviewResult: { reviewAnswer: "RED", rejectLabels: ["SPAM"], reviewRejectType: "FINAL" },
    });
    await flush();
    expect(hook.received.map((r) => (JSON.parse(r.body) as { applicantId: string }).applicantId)).toEqual([
      tested.id,
      read.id,
    ]);
  });
});

describe("Sumsub WebSDK access tokens", () => {
  it("issues a token from the JSON form and from the older query form, without an applicant", async () => {
    const json = await signedPost(sandbox, "/resources/accessTokens/sdk", {
      userId: "websdk-user",
      levelName: LEVEL,
      ttlInSecs: 1200,
    });
    expect(json.status).toBe(200);
    expect(await json.json()).toEqual({
      token: expect.stringMatching(/^_act-sbx-jwt-[\w-]+$/),
      userId: "websdk-user",
    });
    const older = await signedPost(
      sandbox,
      `/resources/accessTokens?userId=old-user&levelName=${LEVEL}&ttlInSecs=300`,
      "",
    );
    expect(older.status).toBe(200);
    expect(await older.json()).toEqual({
      token: expect.stringMatching(/^_act-sbx-jwt-[\w-]+$/),
      userId: "old-user",
    });
    const defaults = await signedPost(sandbox, "/resources/accessTokens?userId=old-user", "");
    expect(defaults.status).toBe(200);

    const tokens = async () =>
      (
        (await (await sandbox.request("/__admin/tokens")).json()) as {
          tokens: { kind: string; expiresAt: string; status: string }[];
        }
      ).tokens
        // Expired ones stay listed a while, as expired.
        .filter((t) => t.kind === "sumsub.sdkToken" && t.status === "active")
        .map((t) => t.expiresAt);
    expect(await tokens()).toEqual([
      "2026-01-01T00:20:00.000Z",
      "2026-01-01T00:05:00.000Z",
      "2026-01-01T00:10:00.000Z",
    ]);
    sandbox.clock.advance(601);
    expect(await tokens()).toEqual(["2026-01-01T00:20:00.000Z"]);
    const none = await get("/resources/applicants/-;externalUserId=websdk-user/one");
    expect(none.status).toBe(404);
  });

  it.each([
    ["/resources/accessTokens/sdk", { levelName: LEVEL }, "userId is required"],
    ["/resources/accessTokens/sdk", { userId: "u" }, "levelName is required"],
    [
      "/resources/accessTokens/sdk",
      { userId: "u", levelName: LEVEL, ttlInSecs: 0 },
      "ttlInSecs must be at least 1",
    ],
    [
      "/resources/accessTokens/sdk",
      { userId: "u", levelName: LEVEL, ttlInSecs: "600" },
      "ttlInSecs must be of type number",
    ],
    ["/resources/accessTokens?levelName=x", "", "userId is required"],
    ["/resources/accessTokens?userId=u&ttlInSecs=soon", "", "ttlInSecs must be of type number"],
  ])("answers 400 on %s %j", async (path, body, description) => {
    const res = await signedPost(sandbox, path, body);
    expect(res.status).toBe(400);
    expect(await sumsubError(res)).toEqual({ code: 400, description });
  });
});

describe("Sumsub ID Connect reuse", () => {
  const reuse = (token: string, userId = "reused-1") =>
    `/resources/api/reusableIdentity/reuse?shareToken=${encodeURIComponent(token)}&levelName=${LEVEL}&userId=${userId}`;
  const preview = (token: string, userId = "reused-1") =>
    reuse(token, userId).replace("/reuse?", "/reuse/preview?");

  it("previews without creating, then creates an applicant from the shared identity", async () => {
    const hook = await subscribe();
    const token = await shareToken();
    const shared = {
      info: { firstName: "Jane", lastName: "Doe" },
      email: "jane.doe@example.test",
    };
    const seen = await get(preview(token));
    expect(seen.status).toBe(200);
    expect(await seen.json()).toEqual(freshApplicant("reused-1", shared));
    expect((await get("/resources/applicants/-;externalUserId=reused-1/one")).status).toBe(404);

    const res = await signedPost(sandbox, reuse(token), "");
    expect(res.status).toBe(200);
    const a = (await res.json()) as Applicant;
    expect(a).toEqual(freshApplicant("reused-1", shared));
    expect((await nextHook(hook)).body).toEqual(hookBody("applicantCreated", a, "init"));
    expect(await (await get("/resources/applicants/-;externalUserId=reused-1/one")).json()).toEqual(a);
    // The preview sent nothing.
    await flush();
    expect(hook.received).toHaveLength(1);

    const twice = await signedPost(sandbox, reuse(token), "");
    expect(twice.status).toBe(409);
    expect(await sumsubError(twice)).toEqual({
      code: 409,
      description: `Applicant with external user id 'reused-1' already exists: ${a.id}`,
    });
    // The share token is a secret: the journal keeps it redacted.
    const journal = await sandbox.request("/__admin/requests?vendor=sumsub");
    const paths = ((await journal.json()) as { requests: { path: string }[] }).requests.map((r) => r.path);
    expect(paths.some((p) => p.includes("reusableIdentity"))).toBe(true);
    expect(paths.join("\n")).not.toContain(token);
  });

  it("answers 401 Token is invalid to a wrong, expired or other client's share token", async () => {
    const invalid = { code: 401, description: "Token is invalid" };
    const otherClients = await shareToken("another-client");
    const expiring = await shareToken();
    for (const token of ["snd-id-share-nope", otherClients]) {
      for (const res of [await get(preview(token)), await signedPost(sandbox, reuse(token), "")]) {
        expect(res.status).toBe(401);
        expect(await sumsubError(res)).toEqual(invalid);
      }
    }
    sandbox.clock.advance(1801);
    const expired = await signedPost(sandbox, reuse(expiring), "");
    expect(expired.status).toBe(401);
    expect(await sumsubError(expired)).toEqual(invalid);
    const missing = await signedPost(
      sandbox,
      `/resources/api/reusableIdentity/reuse?levelName=${LEVEL}&userId=u`,
      "",
    );
    expect(missing.status).toBe(400);
    expect(await sumsubError(missing)).toEqual({ code: 400, description: "shareToken is required" });
  });
});

describe("Sumsub applicants across namespaces and clients", () => {
  it("a subscription in one namespace never receives another's events", async () => {
    const hookA = await subscribe({ namespace: "team-a" });
    const hookB = await subscribe({ namespace: "team-b" });
    const inB = await create("ns-user", {}, { "x-sandbox-namespace": "team-b" });
    expect(inB.status).toBe(200);
    const b = (await inB.json()) as Applicant;
    // The same external user id is free in another namespace.
    expect((await create("ns-user", {}, { "x-sandbox-namespace": "team-a" })).status).toBe(200);
    expect((await nextHook(hookB)).body).toEqual(hookBody("applicantCreated", b, "init"));
    await flush("team-a");
    await flush("team-b");
    expect(hookB.received).toHaveLength(1);
    expect(hookA.received).toHaveLength(1);
    expect(JSON.parse(hookA.received[0]!.body)).not.toMatchObject({ applicantId: b.id });
    const fromA = await get(`/resources/applicants/${b.id}/one`, {
      headers: { "x-sandbox-namespace": "team-a" },
    });
    expect(fromA.status).toBe(404);
    // The default namespace saw nothing either.
    const defaultDeliveries = await sandbox.request("/__admin/webhooks/deliveries");
    expect(((await defaultDeliveries.json()) as { deliveries: unknown[] }).deliveries).toEqual([]);
  });
});

describe("a Sumsub client written from the vendor's docs, pointed at <sandbox>/sumsub", () => {
  /**
   * Sumsub's documented App Token signing, written here independently of the sandbox: X-App-Access-Sig is the hex
   * HMAC-SHA256 of ts + METHOD + path-with-query + body, keyed with the secret; ts is Unix seconds from the system.
   */
  function sumsubClient(baseUrl: string, appToken: string, secretKey: string) {
    return async (method: "GET" | "POST", path: string, body?: unknown) => {
      const ts = String(Math.floor(Date.now() / 1000));
      const text = body === undefined ? "" : JSON.stringify(body);
      const signature = createHmac("sha256", secretKey)
        .update(ts + method + path + text)
        .digest("hex");
      const res = await fetch(baseUrl + path, {
        method,
        headers: {
          Accept: "application/json",
          "Content-Type": "application/json",
          "X-App-Token": appToken,
          "X-App-Access-Ts": ts,
          "X-App-Access-Sig": signature,
        },
        ...(text === "" ? {} : { body: text }),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
  }

  it("creates, reads, completes and hears the webhook over a real socket", async () => {
    sandbox.clock.real(); // the client signs with the system clock, as real ones do
    const hook = await subscribe({ digestAlg: "HMAC_SHA256_HEX", events: ["applicantReviewed"] });
    const server = createAdaptorServer({ fetch: sandbox.app.fetch });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    servers.push(server);
    const { port } = server.address() as AddressInfo;
    const call = sumsubClient(`http://127.0.0.1:${String(port)}/sumsub`, APP_TOKEN, APP_SECRET);

    const made = await call("POST", `/resources/applicants?levelName=${encodeURIComponent("kyc level+1")}`, {
      externalUserId: "client@example.test",
    });
    expect(made.status).toBe(200);
    expect(made.body).toMatchObject({ externalUserId: "client@example.test", levelName: "kyc level+1" });
    const id = made.body.id as string;
    const token = await call("POST", "/resources/accessTokens/sdk", {
      userId: "client@example.test",
      levelName: "kyc",
    });
    expect(token.status).toBe(200);
    const done = await call("POST", `/resources/applicants/${id}/status/testCompleted`, {
      reviewAnswer: "GREEN",
    });
    expect(done).toEqual({ status: 200, body: { ok: 1 } });
    const one = await call(
      "GET",
      `/resources/applicants/-;externalUserId=${encodeURIComponent("client@example.test")}/one`,
    );
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({
      id,
      review: { reviewStatus: "completed", reviewResult: { reviewAnswer: "GREEN" } },
    });
    const { body, req } = await nextHook(hook);
    expect(req.headers["x-payload-digest-alg"]).toBe("HMAC_SHA256_HEX");
    expect(body).toMatchObject({
      type: "applicantReviewed",
      applicantId: id,
      reviewResult: { reviewAnswer: "GREEN" },
    });
    const status = await call("GET", `/resources/applicants/${id}/status`);
    expect(status).toMatchObject({ status: 200, body: { reviewStatus: "completed" } });
    const bad = await sumsubClient(
      `http://127.0.0.1:${String(port)}/sumsub`,
      APP_TOKEN,
      "wrong",
    )("GET", `/resources/applicants/${id}/one`);
    expect(bad.status).toBe(401);
    expect(bad.body).toMatchObject({ code: 401, errorCode: 4003 });
  });
});
