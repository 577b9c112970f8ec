import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { startReceiver, type ReceivedRequest, type Receiver } from "../helpers/receiver.js";
import { BASE, basic, form, json, T0, testSandbox, type TestSandbox } from "../helpers/sandbox.js";
import { verifyStandardWebhook, verifyStandardWebhookWithLibrary } from "../helpers/webhook-signatures.js";

const TOKENS = "/sardine/v1/identity-documents/tokens";
const URLS = "/sardine/v1/identity-documents/urls";
const VERIFICATIONS = "/sardine/v1/identity-documents/verifications";
const AUTH = { authorization: basic("sandbox-client", "sandbox-secret") };
const OTHER = { authorization: basic("other-client", "other-secret") };
/** The Standard Webhooks spec's own example secret. */
const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const HTML = "text/html; charset=UTF-8";

const DOCUMENT = {
  type: "driver_license",
  number: "S1585910",
  dateOfBirth: "1981-02-17",
  dateOfIssue: "2020-02-16",
  dateOfExpiry: "2030-02-17",
  issuingCountry: "US",
  firstName: "JANE",
  middleName: "",
  lastName: "SANDBOX",
  gender: "female",
  address: "1 Main St, Oklahoma City, Oklahoma 70438",
};
const EMPTY_DOCUMENT = Object.fromEntries(Object.keys(DOCUMENT).map((k) => [k, ""]));
const EMPTY_LEVELS = {
  riskLevel: "",
  forgeryLevel: "",
  documentMatchLevel: "",
  imageQualityLevel: "",
  faceMatchLevel: "",
};
const LEVELS = {
  low: {
    riskLevel: "low",
    forgeryLevel: "low",
    documentMatchLevel: "high",
    imageQualityLevel: "high",
    faceMatchLevel: "high",
  },
  medium: {
    riskLevel: "medium",
    forgeryLevel: "medium",
    documentMatchLevel: "medium",
    imageQualityLevel: "medium",
    faceMatchLevel: "medium",
  },
  high: {
    riskLevel: "high",
    forgeryLevel: "high",
    documentMatchLevel: "low",
    imageQualityLevel: "medium",
    faceMatchLevel: "low",
  },
};
const pending = (verificationId: string) => ({
  verificationId,
  status: "pending",
  documentData: EMPTY_DOCUMENT,
  verification: EMPTY_LEVELS,
});
const complete = (verificationId: string, verdict: keyof typeof LEVELS) => ({
  verificationId,
  status: "complete",
  documentData: DOCUMENT,
  verification: LEVELS[verdict],
});

let sandbox: TestSandbox;
const receivers: Receiver[] = [];
beforeEach(async () => {
  sandbox = await testSandbox();
});
afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

/** `/ns/<id>` before a vendor path, or nothing for the default namespace. */
const under = (ns: string | undefined, path: string) => (ns ? `/ns/${ns}${path}` : path);
const nsQuery = (ns: string | undefined) => (ns ? `?namespace=${ns}` : "");

async function receiver(sb: TestSandbox = sandbox, ns?: string): Promise<Receiver> {
  const r = await startReceiver();
  receivers.push(r);
  const res = await sb.request(
    `/__admin/webhooks${nsQuery(ns)}`,
    json({ vendor: "sardine", url: r.url, secret: SECRET }),
  );
  expect(res.status).toBe(201);
  return r;
}

/** Gives what is due and sends every pending delivery; the deliveries tried. */
async function flush(sb: TestSandbox = sandbox, ns?: string) {
  const res = await sb.request(`/__admin/webhooks/flush${nsQuery(ns)}`, { method: "POST" });
  expect(res.status).toBe(200);
  return ((await res.json()) as { deliveries: { id: string; event: string; status: string }[] }).deliveries;
}

/**
 * Every delivery the namespace made, newest first, once everything pending was tried: what a test reads when the
 * delivery may already have gone before it flushed (the webhook is sent as soon as the verdict is given).
 */
async function sent(sb: TestSandbox = sandbox, ns?: string) {
  await flush(sb, ns);
  const res = await sb.request(`/__admin/webhooks/deliveries${nsQuery(ns)}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { deliveries: { id: string; event: string; status: string }[] }).deliveries;
}

async function advance(seconds: number, sb: TestSandbox = sandbox) {
  expect((await sb.request("/__admin/clock", json({ advance: seconds }))).status).toBe(200);
}

const giveVerdict = (id: string, verdict: string, sb: TestSandbox = sandbox, ns?: string) =>
  sb.request(`/__admin/verdicts${nsQuery(ns)}`, json({ vendor: "sardine", id, verdict }));

const read = (id: string, headers: Record<string, string> = AUTH, sb = sandbox, ns?: string) =>
  sb.request(under(ns, `${VERIFICATIONS}/${id}`), { headers });

/** An au10tix token's verification: the one the admin API lists newest. */
async function au10tixVerification(body: Record<string, unknown> = {}, sb = sandbox, ns?: string) {
  const res = await sb.request(under(ns, TOKENS), json({ sessionKey: "session-1", ...body }, AUTH));
  expect(res.status).toBe(200);
  const { sessions } = (await (await sb.request(`/__admin/sessions${nsQuery(ns)}`)).json()) as {
    sessions: { kind: string; id: string }[];
  };
  return sessions.filter((s) => s.kind === "sardine.verification").at(-1)!.id;
}

async function webLink(body: Record<string, unknown> = {}, sb = sandbox, ns?: string) {
  const res = await sb.request(
    under(ns, URLS),
    json(
      {
        sessionKey: "session-1",
        customerId: "customer-1",
        redirectURL: "https://client.test/done?x=1",
        ...body,
      },
      AUTH,
    ),
  );
  expect(res.status).toBe(200);
  const created = (await res.json()) as { id: string; link: { expiredAt: string; url: string } };
  return { ...created, token: new URL(created.link.url).searchParams.get("link")! };
}

/** Checks a delivery's Standard Webhooks signature both ways, independently of the sandbox's code. */
function expectSigned(req: ReceivedRequest, deliveryId: string, at: number) {
  expect(req.headers["webhook-id"]).toBe(deliveryId);
  expect(req.headers["webhook-timestamp"]).toBe(String(at / 1000));
  expect(req.headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
  const now = at / 1000;
  expect(verifyStandardWebhook(req.body, req.headers, SECRET, { now })).toBe(true);
  expect(verifyStandardWebhook(`${req.body} `, req.headers, SECRET, { now })).toBe(false);
  expect(verifyStandardWebhook(req.body, req.headers, "whsec_c2VjcmV0", { now })).toBe(false);
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(at);
  expect(verifyStandardWebhookWithLibrary(req.body, req.headers, SECRET)).toBe(true);
  expect(verifyStandardWebhookWithLibrary(req.body.replace("session", "sessiom"), req.headers, SECRET)).toBe(
    false,
  );
  vi.useRealTimers();
}

describe("Sardine verifications from SDK tokens", () => {
  it("an au10tix token creates a pending verification, listed by the admin API and read with GET", async () => {
    const id = await au10tixVerification({ customerId: "customer-1" });
    expect(id).toMatch(UUID);
    const res = await read(id);
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toStrictEqual(pending(id));
    expect(Object.keys(body)).toEqual(["verificationId", "status", "documentData", "verification"]);
    expect(Object.keys(body.documentData)).toEqual(Object.keys(DOCUMENT));
    expect(Object.keys(body.verification)).toEqual(Object.keys(LEVELS.low));
  });

  it("an incode token's verification_id is the verification", async () => {
    const res = await sandbox.request(TOKENS, json({ sessionKey: "s", provider: "incode" }, AUTH));
    const { verification_id } = await res.json();
    expect(await (await read(verification_id)).json()).toStrictEqual(pending(verification_id));
  });

  it("accepts the documented query parameters, and names a bad type", async () => {
    const id = await au10tixVerification();
    for (const type of ["custom", "secure.me", "mobilesdk"]) {
      const res = await read(`${id}?type=${type}&sessionKey=session-1&customerId=c`);
      expect(res.status).toBe(200);
    }
    const bad = await read(`${id}?type=web`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toStrictEqual({ message: "type must be one of custom, secure.me, mobilesdk" });
  });

  it("an admin verdict high completes it, fires a signed processed webhook, and GET shows high levels", async () => {
    const hook = await receiver();
    const id = await au10tixVerification({ customerId: "customer-1" });
    const given = await giveVerdict(id, "high");
    expect(given.status).toBe(200);
    expect(await given.json()).toStrictEqual({
      vendor: "sardine",
      subject: "verification",
      id,
      verdict: "high",
    });

    const [delivery, ...more] = await sent();
    expect(more).toEqual([]);
    expect(delivery).toMatchObject({ event: "document_verification.processed", status: "delivered" });
    const [req] = await hook.waitFor(1);
    expect(req!.method).toBe("POST");
    expect(req!.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(req!.body)).toStrictEqual({
      id: expect.stringMatching(UUID),
      type: "document_verification.processed",
      timestamp: "2026-01-01T00:00:00.000Z",
      data: {
        case: { sessionKey: "session-1", customerID: "customer-1" },
        documentVerificationResult: complete(id, "high"),
      },
    });
    expectSigned(req!, delivery!.id, T0);

    expect(await (await read(id)).json()).toStrictEqual(complete(id, "high"));
    // Final: a second verdict is refused, and nothing more is sent.
    const again = await giveVerdict(id, "low");
    expect(again.status).toBe(409);
    expect(await again.json()).toStrictEqual({
      error: "verification_final",
      message: "This verification already has a result.",
    });
    expect(await flush()).toEqual([]);
    expect(hook.received).toHaveLength(1);
  });

  it("a verification without customerId sends customerID as an empty string", async () => {
    const hook = await receiver();
    const id = await au10tixVerification();
    await giveVerdict(id, "low");
    await flush();
    const [req] = await hook.waitFor(1);
    expect(JSON.parse(req!.body).data.case).toStrictEqual({ sessionKey: "session-1", customerID: "" });
  });

  it.each([
    ["customerId", { customerId: "outcome:medium" }, "medium"],
    ["sessionKey", { sessionKey: "outcome:high" }, "high"],
  ] as const)("a magic outcome:<verdict> %s gives the verdict at once", async (_, body, verdict) => {
    const hook = await receiver();
    const id = await au10tixVerification(body);
    expect(await (await read(id)).json()).toStrictEqual(complete(id, verdict));
    const [delivery] = await sent();
    expect(delivery?.event).toBe("document_verification.processed");
    const [req] = await hook.waitFor(1);
    expect(JSON.parse(req!.body).data.documentVerificationResult).toStrictEqual(complete(id, verdict));
  });

  it("an unknown magic verdict is an ordinary value", async () => {
    const id = await au10tixVerification({ customerId: "outcome:approved" });
    expect(await (await read(id)).json()).toStrictEqual(pending(id));
  });

  it("the automatic verdict (the passing low) comes when the clock reaches it", async () => {
    const auto = await testSandbox({ verdicts: { auto: { after: 10 } } });
    const hook = await receiver(auto);
    const id = await au10tixVerification({}, auto);
    await advance(9, auto);
    expect(await (await read(id, AUTH, auto)).json()).toStrictEqual(pending(id));
    await advance(1, auto);
    expect(await (await read(id, AUTH, auto)).json()).toStrictEqual(complete(id, "low"));
    const [delivery] = await sent(auto);
    const [req] = await hook.waitFor(1);
    expectSigned(req!, delivery!.id, T0 + 10_000);
    expect(JSON.parse(req!.body).timestamp).toBe("2026-01-01T00:00:10.000Z");
  });

  it("an automatic verdict yields to one given first", async () => {
    const auto = await testSandbox({ verdicts: { auto: { after: 10 } } });
    const hook = await receiver(auto);
    const id = await au10tixVerification({}, auto);
    expect((await giveVerdict(id, "medium", auto)).status).toBe(200);
    await advance(60, auto);
    expect(await (await read(id, AUTH, auto)).json()).toStrictEqual(complete(id, "medium"));
    await flush(auto);
    expect(hook.received).toHaveLength(1);
  });

  it("refuses an unknown verdict and an unknown id over the admin API", async () => {
    const id = await au10tixVerification();
    const unknown = await giveVerdict(id, "approved");
    expect(unknown.status).toBe(400);
    expect((await unknown.json()).message).toBe(
      "verdict: approved is not a sardine verdict (one of low, medium, high)",
    );
    expect((await giveVerdict("nope", "low")).status).toBe(404);
  });
});

describe("Sardine GET /v1/identity-documents/verifications/{id} errors", () => {
  let fixturesDir: string;
  beforeAll(async () => {
    // The shipped fixtures with a second Basic client.
    fixturesDir = await mkdtemp(join(tmpdir(), "sardine-fixtures-"));
    await cp(join(import.meta.dirname, "../../fixtures"), fixturesDir, { recursive: true });
    const file = join(fixturesDir, "sardine.json");
    const fixtures = JSON.parse(await readFile(file, "utf8"));
    fixtures.clients.push({
      clientId: "other-client",
      clientSecret: "other-secret",
      au10tixClientId: "0oaOtherCl1ent000357",
      organizationName: "Other Organization",
      organizationId: 434,
    });
    await writeFile(file, JSON.stringify(fixtures));
  });
  afterAll(async () => {
    await rm(fixturesDir, { recursive: true, force: true });
  });

  it("404 in Sardine's format for an unknown id", async () => {
    const res = await read("00000000-0000-4000-8000-000000000000");
    expect(res.status).toBe(404);
    expect(await res.json()).toStrictEqual({ message: "verification not found" });
  });

  it("an older fixture file without results or link settings still loads, with the shipped defaults", async () => {
    const dir = await mkdtemp(join(tmpdir(), "sardine-old-fixtures-"));
    try {
      await cp(fixturesDir, dir, { recursive: true });
      const file = join(dir, "sardine.json");
      const { clients, au10tix } = JSON.parse(await readFile(file, "utf8"));
      await writeFile(file, JSON.stringify({ clients, au10tix }));
      const old = await testSandbox({ fixturesDir: dir });
      const link = await webLink({ customerId: "outcome:low" }, old);
      expect(link.link.expiredAt).toBe("2026-01-01T01:00:00.000Z");
      expect(await (await read(link.id, AUTH, old)).json()).toStrictEqual(complete(link.id, "low"));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("404 for another client's verification, 200 for its own", async () => {
    const two = await testSandbox({ fixturesDir });
    const id = await au10tixVerification({}, two);
    const res = await read(id, OTHER, two);
    expect(res.status).toBe(404);
    expect(await res.json()).toStrictEqual({ message: "verification not found" });
    expect((await read(id, AUTH, two)).status).toBe(200);
    const link = await webLink({}, two);
    expect((await read(link.id, OTHER, two)).status).toBe(404);
  });

  it.each([
    ["no Authorization header", {}],
    ["a wrong secret", { authorization: basic("sandbox-client", "wrong") }],
  ])("401 for %s, before anything else", async (_, headers) => {
    const id = await au10tixVerification();
    for (const path of [id, `${id}?type=web`, "unknown"]) {
      const res = await read(path, headers);
      expect(res.status).toBe(401);
      expect(await res.json()).toStrictEqual({
        message: "Unauthorized: missing or invalid Basic credentials",
      });
    }
  });
});

describe("Sardine web link", () => {
  it("answers {id, link: {expiredAt, url}} with a pending verification behind it", async () => {
    const res = await sandbox.request(
      URLS,
      json({ sessionKey: "s", customerId: "c", redirectURL: "https://client.test/done" }, AUTH),
    );
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toStrictEqual({
      id: expect.stringMatching(UUID),
      link: {
        expiredAt: "2026-01-01T01:00:00.000Z",
        url: expect.stringMatching(new RegExp(`^${BASE}/sardine/verify\\?link=[A-Za-z0-9_-]{43}$`)),
      },
    });
    expect(Object.keys(body)).toEqual(["id", "link"]);
    expect(Object.keys(body.link)).toEqual(["expiredAt", "url"]);
    expect(await (await read(body.id)).json()).toStrictEqual(pending(body.id));
  });

  it("opens a self-contained page, and its form gives the verdict and goes to redirectURL", async () => {
    const hook = await receiver();
    const link = await webLink();
    const page = await sandbox.request(link.link.url);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toBe(HTML);
    expect(page.headers.get("content-security-policy")).toBe(
      "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'",
    );
    const text = await page.text();
    expect(text).toMatch(/^<!doctype html>/);
    expect(text).not.toMatch(/<script|<link|<img|<iframe|\ssrc=|url\(|@import/i);
    expect(text).toContain(`<dd id="verification-id">${link.id}</dd>`);
    expect(text).toContain('<dd class="status" id="status">pending</dd>');
    expect(text).toContain('<form method="post" action="verify">');
    expect(text).toContain(`<input type="hidden" name="link" value="${link.token}" />`);
    for (const verdict of ["low", "medium", "high"])
      expect(text).toMatch(new RegExp(`<button name="verdict" value="${verdict}"[ >]`));

    const res = await sandbox.request("/sardine/verify", form({ link: link.token, verdict: "medium" }));
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("https://client.test/done?x=1");
    expect(await (await read(link.id)).json()).toStrictEqual(complete(link.id, "medium"));

    const [delivery] = await sent();
    const [req] = await hook.waitFor(1);
    expectSigned(req!, delivery!.id, T0);
    expect(JSON.parse(req!.body)).toStrictEqual({
      id: expect.stringMatching(UUID),
      type: "document_verification.processed",
      timestamp: "2026-01-01T00:00:00.000Z",
      data: {
        case: { sessionKey: "session-1", customerID: "customer-1" },
        documentVerificationResult: complete(link.id, "medium"),
      },
    });

    // The page now shows the result, without buttons; a second choice is refused.
    const after = await (await sandbox.request(link.link.url)).text();
    expect(after).toContain('<dd class="status" id="status">complete</dd>');
    expect(after).toContain('<dd id="risk-level">medium</dd>');
    expect(after).not.toContain("<button");
    const again = await sandbox.request("/sardine/verify", form({ link: link.token, verdict: "low" }));
    expect(again.status).toBe(409);
    expect(again.headers.get("content-type")).toBe(HTML);
    expect(await again.text()).toContain('<p class="error">This verification already has a result.</p>');
  });

  it("without redirectURL, the form goes back to the page", async () => {
    const link = await webLink({ redirectURL: undefined });
    const res = await sandbox.request("/sardine/verify", form({ link: link.token, verdict: "low" }));
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe(`verify?link=${link.token}`);
    expect(new URL(res.headers.get("location")!, link.link.url).href).toBe(link.link.url);
  });

  it("gives exactly one verdict when two choices race", async () => {
    const hook = await receiver();
    const link = await webLink();
    const answers = await Promise.all(
      ["low", "high", "medium"].map((verdict) =>
        sandbox.request("/sardine/verify", form({ link: link.token, verdict })),
      ),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([303, 409, 409]);
    await flush();
    expect(hook.received).toHaveLength(1);
  });

  it("a magic outcome in the link's input completes it before the page opens", async () => {
    const link = await webLink({ customerId: "outcome:high" });
    expect(await (await read(link.id)).json()).toStrictEqual(complete(link.id, "high"));
    const text = await (await sandbox.request(link.link.url)).text();
    expect(text).toContain('<dd class="status" id="status">complete</dd>');
    expect(text).not.toContain("<button");
  });

  it("an expired link shows a 410 page, and exactly one expired webhook goes", async () => {
    const hook = await receiver();
    const link = await webLink();
    await advance(3599);
    expect((await sandbox.request(link.link.url)).status).toBe(200);
    expect(await flush()).toEqual([]);

    await advance(1);
    const [delivery, ...more] = await sent();
    expect(more).toEqual([]);
    expect(delivery).toMatchObject({ event: "document_verification.expired", status: "delivered" });
    const [req] = await hook.waitFor(1);
    expectSigned(req!, delivery!.id, T0 + 3_600_000);
    const expired = { ...pending(link.id), status: "expired" };
    expect(JSON.parse(req!.body)).toStrictEqual({
      id: expect.stringMatching(UUID),
      type: "document_verification.expired",
      timestamp: "2026-01-01T01:00:00.000Z",
      data: {
        case: { sessionKey: "session-1", customerID: "customer-1" },
        documentVerificationResult: expired,
      },
    });

    const page = await sandbox.request(link.link.url);
    expect(page.status).toBe(410);
    expect(page.headers.get("content-type")).toBe(HTML);
    const text = await page.text();
    expect(text).toMatch(/^<!doctype html>/);
    expect(text).toContain('<p class="error">This link has expired.</p>');
    const post = await sandbox.request("/sardine/verify", form({ link: link.token, verdict: "low" }));
    expect(post.status).toBe(410);
    expect(await (await read(link.id)).json()).toStrictEqual(expired);
    const late = await giveVerdict(link.id, "low");
    expect(late.status).toBe(409);
    expect(await late.json()).toStrictEqual({
      error: "verification_final",
      message: "This verification has expired.",
    });

    await advance(3600);
    expect(await flush()).toEqual([]);
    expect(hook.received).toHaveLength(1);
  });

  it("a read after the expiry sees it expired before any tick, and the webhook still goes once", async () => {
    const hook = await receiver();
    const link = await webLink();
    sandbox.clock.advance(3600);
    expect((await (await read(link.id)).json()).status).toBe("expired");
    await flush();
    await flush();
    expect(hook.received).toHaveLength(1);
    expect(JSON.parse(hook.received[0]!.body).type).toBe("document_verification.expired");
  });

  it("a link used in time sends no expired webhook", async () => {
    const hook = await receiver();
    const link = await webLink();
    await sandbox.request("/sardine/verify", form({ link: link.token, verdict: "low" }));
    await advance(7200);
    await flush();
    expect(hook.received.map((r) => JSON.parse(r.body).type)).toEqual(["document_verification.processed"]);
  });

  it.each([
    ["an unknown link", "/sardine/verify?link=nope"],
    ["no link", "/sardine/verify"],
  ])("404 page for %s", async (_, path) => {
    const res = await sandbox.request(path);
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toBe(HTML);
    expect(await res.text()).toContain('<p class="error">This link is invalid or has expired.</p>');
    const post = await sandbox.request("/sardine/verify", form({ link: "nope", verdict: "low" }));
    expect(post.status).toBe(404);
  });

  it("a path under the page's that matches no route answers a page too", async () => {
    const res = await sandbox.request("/sardine/verify/more");
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toBe(HTML);
    expect(await res.text()).toContain('<p class="error">no route for GET /sardine/verify/more</p>');
  });

  it("400 page naming an unknown verdict", async () => {
    const link = await webLink();
    const res = await sandbox.request("/sardine/verify", form({ link: link.token, verdict: "approved" }));
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('<p class="error">verdict must be one of low, medium, high</p>');
    expect(await (await read(link.id)).json()).toStrictEqual(pending(link.id));
  });

  it.each([
    ["a missing customerId", { customerId: undefined }, "customerId is required"],
    ["a missing sessionKey", { sessionKey: undefined }, "sessionKey is required"],
    [
      "a redirectURL that is not http(s)",
      { redirectURL: "javascript:alert(1)" },
      "redirectURL must be an http:// or https:// URL",
    ],
  ])("400 naming the field for %s", async (_, body, message) => {
    const res = await sandbox.request(
      URLS,
      json({ sessionKey: "s", customerId: "c", redirectURL: "https://client.test/", ...body }, AUTH),
    );
    expect(res.status).toBe(400);
    expect(await res.json()).toStrictEqual({ message });
  });

  it("401 without Basic credentials", async () => {
    const res = await sandbox.request(URLS, json({ sessionKey: "s", customerId: "c" }));
    expect(res.status).toBe(401);
    expect(await res.json()).toStrictEqual({ message: "Unauthorized: missing or invalid Basic credentials" });
  });

  it("keeps the link's token out of the journal", async () => {
    const link = await webLink();
    await sandbox.request(link.link.url);
    const { requests } = (await (await sandbox.request("/__admin/requests")).json()) as {
      requests: { path: string }[];
    };
    const paths = requests.map((r) => r.path);
    expect(paths).toContain("/sardine/verify?link=%5Bredacted%5D");
    expect(paths.join("\n")).not.toContain(link.token);
  });
});

describe("Sardine webhook subscriptions", () => {
  it.each([
    ["no whsec_ prefix", "plain-secret"],
    ["a prefix without a key", "whsec_"],
    ["a key that is not base64", "whsec_%%%not-base64"],
  ])("400 naming secret for %s", async (_, secret) => {
    const res = await sandbox.request(
      "/__admin/webhooks",
      json({ vendor: "sardine", url: "http://127.0.0.1:9/hook", secret }),
    );
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body.error).toBe("invalid_request");
    expect(body.message).toMatch(
      /^secret: a Standard Webhooks secret is whsec_ followed by the base64 of the key/,
    );
  });

  it("refuses an event Sardine does not send, and takes one it does", async () => {
    const res = await sandbox.request(
      "/__admin/webhooks",
      json({ vendor: "sardine", url: "http://127.0.0.1:9/hook", secret: SECRET, events: ["nope"] }),
    );
    expect(res.status).toBe(400);
    expect((await res.json()).message).toBe(
      "events: nope is not a sardine event (one of document_verification.processed, document_verification.expired)",
    );
    const ok = await sandbox.request(
      "/__admin/webhooks",
      json({
        vendor: "sardine",
        url: "http://127.0.0.1:9/hook",
        secret: SECRET,
        events: ["document_verification.expired"],
      }),
    );
    expect(ok.status).toBe(201);
  });

  it("documents both events in the OpenAPI", async () => {
    const doc = await (await sandbox.request("/openapi.json")).json();
    expect(Object.keys(doc.webhooks)).toEqual(
      expect.arrayContaining([
        "sardine.document_verification.processed",
        "sardine.document_verification.expired",
      ]),
    );
  });
});

describe("Sardine verifications in namespaces", () => {
  it("are isolated: records, links, verdicts and webhooks stay in their namespace", async () => {
    const inA = await receiver(sandbox, "a");
    const inDefault = await receiver(sandbox);
    const id = await au10tixVerification({}, sandbox, "a");
    expect((await read(id)).status).toBe(404);
    expect((await read(id, AUTH, sandbox, "b")).status).toBe(404);
    expect(await (await read(id, AUTH, sandbox, "a")).json()).toStrictEqual(pending(id));
    expect((await giveVerdict(id, "high")).status).toBe(404);
    expect((await giveVerdict(id, "high", sandbox, "a")).status).toBe(200);

    const link = await webLink({}, sandbox, "a");
    expect(link.link.url).toMatch(new RegExp(`^${BASE}/ns/a/sardine/verify\\?link=`));
    expect((await sandbox.request(link.link.url)).status).toBe(200);
    expect((await sandbox.request(link.link.url.replace("/ns/a", ""))).status).toBe(404);
    const posted = await sandbox.request("/ns/a/sardine/verify", form({ link: link.token, verdict: "low" }));
    expect(posted.status).toBe(303);

    await flush(sandbox, "a");
    await flush(sandbox);
    expect(
      inA.received.map((r) => JSON.parse(r.body).data.documentVerificationResult.verificationId),
    ).toEqual([id, link.id]);
    expect(inA.received.every((r) => r.headers["x-sandbox-namespace"] === "a")).toBe(true);
    expect(inDefault.received).toEqual([]);
  });
});
