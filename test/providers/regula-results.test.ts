import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { failTimes, startReceiver, type Receiver, type ReceiverOptions } from "../helpers/receiver.js";
import { BASE, form, json, T0, testSandbox, type TestSandbox } from "../helpers/sandbox.js";
import { verifyRegulaSignature } from "../helpers/webhook-signatures.js";
import { webhookBodySchema } from "../../src/providers/regula/schemas.js";

const KEY = { authorization: "ApiKey sandbox-api-key" };
const READONLY = { authorization: "ApiKey sandbox-readonly-key" };
const SECRET = "regula-webhook-secret";
const FIXTURES = fileURLToPath(new URL("../../fixtures/", import.meta.url));
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** What fixtures/regula.json ships, written out here so a change to it is a visible change to this test. */
const DOCUMENT = {
  type: "passport",
  number: "L898902C3",
  issuingCountry: "UTO",
  firstName: "Anna Maria",
  lastName: "Eriksson",
  dateOfBirth: "1974-08-12",
  dateOfExpiry: "2034-04-15",
};
const COMPLETED = {
  document: { ...DOCUMENT, status: "valid" },
  face: { liveness: "passed", similarity: 0.97 },
};
const FAILED = {
  document: { ...DOCUMENT, status: "invalid" },
  face: { liveness: "failed", similarity: 0.12 },
};
const filesOf = (sessionId: string) => [
  {
    name: "portrait.png",
    type: "image/png",
    size: readFileSync(join(FIXTURES, "regula/portrait.png")).length,
    url: `${BASE}/regula/api/sessions/${sessionId}/files/portrait.png`,
  },
  {
    name: "document-front.png",
    type: "image/png",
    size: readFileSync(join(FIXTURES, "regula/document-front.png")).length,
    url: `${BASE}/regula/api/sessions/${sessionId}/files/document-front.png`,
  },
];

const open: { receivers: Receiver[]; sandboxes: TestSandbox[]; dirs: string[] } = {
  receivers: [],
  sandboxes: [],
  dirs: [],
};
afterEach(async () => {
  for (const s of open.sandboxes.splice(0)) s.deps.webhooks.close();
  await Promise.all(open.receivers.splice(0).map((r) => r.close()));
  for (const dir of open.dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function sandboxWith(config: Parameters<typeof testSandbox>[0] = {}): Promise<TestSandbox> {
  const s = await testSandbox(config);
  open.sandboxes.push(s);
  return s;
}

async function receiver(options?: ReceiverOptions): Promise<Receiver> {
  const r = await startReceiver(options);
  open.receivers.push(r);
  return r;
}

/** A copy of the shipped fixtures with regula.json changed by `edit`. */
function fixturesWith(edit: (regula: Record<string, unknown>) => Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), "regula-fixtures-"));
  open.dirs.push(dir);
  cpSync(FIXTURES, dir, { recursive: true });
  const file = join(dir, "regula.json");
  writeFileSync(
    file,
    JSON.stringify(edit(JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>)),
  );
  return dir;
}

/** The Regula calls and admin calls these tests make, on one sandbox. */
function client(sandbox: TestSandbox) {
  return {
    async subscribe(url: string, extra: Record<string, unknown> = {}, namespace?: string) {
      const query = namespace === undefined ? "" : `?namespace=${namespace}`;
      const res = await sandbox.request(
        `/__admin/webhooks${query}`,
        json({ vendor: "regula", url, secret: SECRET, ...extra }),
      );
      expect(res.status).toBe(201);
      return ((await res.json()) as { id: string }).id;
    },
    async newSession(body: unknown = {}) {
      const res = await sandbox.request("/regula/api/v1/deeplink?workflowId=wf-document", json(body, KEY));
      expect(res.status).toBe(200);
      const url = new URL(((await res.json()) as { url: string }).url);
      return {
        url: url.href,
        sessionId: url.searchParams.get("sessionId")!,
        authorization: url.searchParams.get("authorization")!,
      };
    },
    finishOnPage: (authorization: string, sessionId: string, status: string) =>
      sandbox.request("/regula/mobile/finish", form({ authorization, sessionId, status })),
    async read(sessionId: string, headers: Record<string, string> = KEY) {
      const res = await sandbox.request(`/regula/api/sessions/${sessionId}`, { headers });
      expect(res.status).toBe(200);
      return (await res.json()) as Record<string, unknown>;
    },
    verdict: (id: string, verdict: string, extra: Record<string, unknown> = {}) =>
      sandbox.request("/__admin/verdicts", json({ vendor: "regula", id, verdict, ...extra })),
    async deliveries(query = "") {
      const res = await sandbox.request(`/__admin/webhooks/deliveries${query}`);
      expect(res.status).toBe(200);
      return ((await res.json()) as { deliveries: Delivery[] }).deliveries;
    },
    async delivery(id: string) {
      const res = await sandbox.request(`/__admin/webhooks/deliveries/${id}`);
      expect(res.status).toBe(200);
      return (await res.json()) as Delivery;
    },
    async flush(query = "") {
      const res = await sandbox.request(`/__admin/webhooks/flush${query}`, { method: "POST" });
      expect(res.status).toBe(200);
      return ((await res.json()) as { deliveries: Delivery[] }).deliveries;
    },
    async advance(seconds: number) {
      const res = await sandbox.request("/__admin/clock", json({ advance: seconds }));
      expect(res.status).toBe(200);
    },
  };
}

interface Delivery {
  id: string;
  event: string;
  status: string;
  body: string;
  headers: Record<string, string>;
  attempts: { status: number | null; error: string | null }[];
  nextAttemptAt: string | null;
}

/** The exact bytes the sandbox sends for a session's end (its body is built in this key order). */
function webhookBody(status: string, sessionId: string, time: number, workflowIds = ["wf-document"]): string {
  return JSON.stringify({
    event: `session.${status}`,
    sessionId,
    status,
    workflowIds,
    time: new Date(time).toISOString(),
  });
}

describe("Regula webhooks: a session's end", () => {
  it("finishing on the hand-off page sends session.completed, signed, with the subscription's static Authorization", async () => {
    const sandbox = await sandboxWith();
    const api = client(sandbox);
    const r = await receiver();
    await api.subscribe(r.url, { headers: { Authorization: "Bearer receiver-token" } });
    const { authorization, sessionId } = await api.newSession();
    sandbox.clock.advance(30);

    const finished = await api.finishOnPage(authorization, sessionId, "completed");
    expect(finished.status).toBe(303);
    const got = await r.next();
    expect(got.method).toBe("POST");
    expect(got.path).toBe("/hook");
    expect(got.body).toBe(webhookBody("completed", sessionId, T0 + 30_000));
    // What the OpenAPI document's webhook entry says the body is.
    expect(() => webhookBodySchema("completed").parse(JSON.parse(got.body))).not.toThrow();
    expect(got.headers["content-type"]).toBe("application/json");
    expect(got.headers.authorization).toBe("Bearer receiver-token");
    expect(got.headers["x-sandbox-signature"]).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(verifyRegulaSignature(got.body, got.headers, SECRET)).toBe(true);
    expect(verifyRegulaSignature(got.body, got.headers, "another-secret")).toBe(false);
    expect(verifyRegulaSignature(got.body.replace("completed", "failed"), got.headers, SECRET)).toBe(false);

    await api.flush();
    const [delivery] = await api.deliveries();
    expect(delivery).toMatchObject({
      event: "session.completed",
      status: "delivered",
      body: got.body,
      attempts: [{ status: 200, error: null }],
    });
    // The receiver's own credential is not shown back.
    expect(delivery!.headers.authorization).toBe("[redacted]");
    // The hand-off page shows the result.
    const page = await sandbox.request(
      `/regula/mobile?authorization=${encodeURIComponent(authorization)}&sessionId=${sessionId}`,
    );
    const html = await page.text();
    expect(html).toContain('<dd class="status" id="status">completed</dd>');
    expect(html).toContain("This session is finished.");
  });

  it("an admin verdict `failed` sends session.failed and gives the failed results; a second verdict is 409", async () => {
    const sandbox = await sandboxWith();
    const api = client(sandbox);
    const r = await receiver();
    await api.subscribe(r.url);
    const { authorization, sessionId } = await api.newSession({ metadata: { userId: "u-1" } });

    const res = await api.verdict(sessionId, "failed");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      vendor: "regula",
      subject: "session",
      id: sessionId,
      verdict: "failed",
    });
    const got = await r.next();
    expect(got.body).toBe(webhookBody("failed", sessionId, T0));
    expect(verifyRegulaSignature(got.body, got.headers, SECRET)).toBe(true);
    expect(await api.read(sessionId)).toEqual({
      id: sessionId,
      workflowIds: ["wf-document"],
      metadata: { userId: "u-1" },
      locale: null,
      status: "failed",
      createdAt: "2026-01-01T00:00:00.000Z",
      expiresAt: "2026-01-01T01:00:00.000Z",
      properties: FAILED,
      files: filesOf(sessionId),
    });

    for (const again of [await api.verdict(sessionId, "completed"), await api.verdict(sessionId, "failed")]) {
      expect(again.status).toBe(409);
      expect(await again.json()).toEqual({
        error: "session_finished",
        message: "This session is already finished.",
      });
    }
    const onPage = await api.finishOnPage(authorization, sessionId, "cancelled");
    expect(onPage.status).toBe(409);
    expect(await onPage.text()).toContain("This session is already finished.");
    await api.flush();
    expect(r.received).toHaveLength(1);
    expect((await api.read(sessionId)).status).toBe("failed");
  });

  it("exactly one of many finishes at once wins, and one webhook goes", async () => {
    const sandbox = await sandboxWith();
    const api = client(sandbox);
    const r = await receiver();
    await api.subscribe(r.url);
    const { authorization, sessionId } = await api.newSession();
    const statuses = ["completed", "failed", "cancelled"] as const;
    const answers = await Promise.all([
      ...statuses.map((s) => api.verdict(sessionId, s)),
      ...statuses.map((s) => api.finishOnPage(authorization, sessionId, s)),
    ]);
    const won = answers.filter((res) => res.status === 200 || res.status === 303);
    expect(won).toHaveLength(1);
    expect(answers.filter((res) => res.status === 409)).toHaveLength(answers.length - 1);
    const got = await r.next();
    await api.flush();
    expect(r.received).toHaveLength(1);
    const { status } = (await api.read(sessionId)) as { status: string };
    expect(got.body).toBe(webhookBody(status, sessionId, T0));
  });

  it("are documented as OpenAPI webhooks, one per event, with the signature described", async () => {
    const sandbox = await sandboxWith();
    const doc = (await (await sandbox.request("/openapi.json")).json()) as {
      webhooks: Record<string, { post: { description: string } }>;
    };
    const regula = Object.keys(doc.webhooks).filter((name) => name.startsWith("regula."));
    expect(regula).toEqual([
      "regula.session.completed",
      "regula.session.failed",
      "regula.session.cancelled",
      "regula.session.expired",
    ]);
    expect(doc.webhooks["regula.session.completed"]!.post.description).toContain("X-Sandbox-Signature");
  });

  it("refuses a verdict for an unknown session, an unknown verdict, and details a session verdict does not take", async () => {
    const sandbox = await sandboxWith();
    const api = client(sandbox);
    const { sessionId } = await api.newSession();
    const missing = await api.verdict("no-such-session", "completed");
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({
      error: "not_found",
      message: "regula holds no no-such-session in namespace default",
    });
    const unknown = await api.verdict(sessionId, "approved");
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { message: string }).message).toBe(
      "verdict: approved is not a regula verdict (one of completed, failed, cancelled)",
    );
    const details = await api.verdict(sessionId, "completed", { reason: "x" });
    expect(details.status).toBe(400);
    expect((await api.read(sessionId)).status).toBe("created");
  });

  it("a magic metadata value outcome:<verdict> finishes the session when it is created, in both flows", async () => {
    const sandbox = await sandboxWith();
    const api = client(sandbox);
    const r = await receiver();
    await api.subscribe(r.url);
    const { sessionId } = await api.newSession({ metadata: { outcome: "outcome:completed" } });
    expect((await r.next()).body).toBe(webhookBody("completed", sessionId, T0));
    expect(await api.read(sessionId)).toMatchObject({
      status: "completed",
      properties: COMPLETED,
      files: filesOf(sessionId),
    });

    // The older flow answers the session itself: already cancelled, so without results.
    const device = await sandbox.request(
      "/regula/api/device/ephemeral",
      json({ ttl: 600 }, { authorization: "sandbox-api-key" }),
    );
    const { authorization } = (await device.json()) as { authorization: string };
    const started = await sandbox.request(
      "/regula/api/sessions?workflowId=wf-selfie",
      json({ metadata: { note: "outcome:cancelled" } }, { authorization }),
    );
    expect(started.status).toBe(200);
    const session = (await started.json()) as { id: string };
    expect(session).toMatchObject({ status: "cancelled", properties: {}, files: [] });
    expect((await r.next()).body).toBe(webhookBody("cancelled", session.id, T0, ["wf-selfie"]));

    // Not a verdict the session takes: nothing happens.
    const other = await api.newSession({ metadata: { outcome: "outcome:approved" } });
    expect((await api.read(other.sessionId)).status).toBe("created");
    await api.flush();
    expect(r.received).toHaveLength(2);
  });

  it("the automatic verdict (verdicts.auto.after) completes a session once the clock passes it", async () => {
    const sandbox = await sandboxWith({ verdicts: { auto: { after: 10 } } });
    const api = client(sandbox);
    const r = await receiver();
    await api.subscribe(r.url);
    const { sessionId } = await api.newSession();
    await api.advance(9);
    expect(await api.deliveries()).toEqual([]);
    expect((await api.read(sessionId)).status).toBe("created");
    await api.advance(1);
    expect((await r.next()).body).toBe(webhookBody("completed", sessionId, T0 + 10_000));
    expect(await api.read(sessionId)).toMatchObject({ status: "completed", properties: COMPLETED });

    // A tester's verdict first: the automatic one yields, and nothing more is sent.
    const early = await api.newSession();
    expect((await api.verdict(early.sessionId, "cancelled")).status).toBe(200);
    expect((await r.next()).body).toBe(webhookBody("cancelled", early.sessionId, T0 + 10_000));
    await api.advance(10);
    await api.flush();
    expect(r.received).toHaveLength(2);
    expect((await api.read(early.sessionId)).status).toBe("cancelled");
  });

  it("sends session.expired exactly once when the clock passes expiresAt, and none for a finished session", async () => {
    const sandbox = await sandboxWith();
    const api = client(sandbox);
    const r = await receiver();
    await api.subscribe(r.url);
    const idle = await api.newSession({ ttl: 60 });
    const done = await api.newSession({ ttl: 60 });
    expect((await api.verdict(done.sessionId, "completed")).status).toBe(200);
    expect((await r.next()).body).toBe(webhookBody("completed", done.sessionId, T0));

    await api.advance(59);
    expect((await api.deliveries("?event=session.expired")).length).toBe(0);
    await api.advance(1);
    expect((await r.next()).body).toBe(webhookBody("expired", idle.sessionId, T0 + 60_000));
    // Read, flushed and moved on: still one.
    expect(await api.read(idle.sessionId)).toMatchObject({ status: "expired", properties: {}, files: [] });
    await api.advance(3600);
    await api.flush();
    expect(r.received.map((q) => (JSON.parse(q.body) as { event: string }).event)).toEqual([
      "session.completed",
      "session.expired",
    ]);
    const late = await api.verdict(idle.sessionId, "completed");
    expect(late.status).toBe(409);
    expect(((await late.json()) as { error: string }).error).toBe("session_finished");
  });

  it("reading a session gives its expiry when the clock moved without a tick", async () => {
    const sandbox = await sandboxWith();
    const api = client(sandbox);
    const r = await receiver();
    await api.subscribe(r.url);
    const { sessionId } = await api.newSession({ ttl: 120 });
    // Straight on the clock: no admin call ran what fell due; the read does.
    sandbox.clock.advance(500);
    expect(await api.deliveries()).toEqual([]);
    expect((await api.read(sessionId)).status).toBe("expired");
    expect((await r.next()).body).toBe(webhookBody("expired", sessionId, T0 + 120_000));
    expect((await api.read(sessionId)).status).toBe("expired");
    await api.flush();
    expect(r.received).toHaveLength(1);
  });

  it("a subscription to session.failed only gets that event; an unknown event name is refused with the valid ones", async () => {
    const sandbox = await sandboxWith();
    const api = client(sandbox);
    const onlyFailed = await receiver();
    const every = await receiver();
    await api.subscribe(onlyFailed.url, { events: ["session.failed"] });
    await api.subscribe(every.url);
    const a = await api.newSession();
    const b = await api.newSession();
    expect((await api.verdict(a.sessionId, "completed")).status).toBe(200);
    expect((await api.verdict(b.sessionId, "failed")).status).toBe(200);
    await every.waitFor(2);
    await onlyFailed.waitFor(1);
    await api.flush();
    expect(onlyFailed.received.map((q) => q.body)).toEqual([webhookBody("failed", b.sessionId, T0)]);
    expect(every.received.map((q) => q.body)).toEqual([
      webhookBody("completed", a.sessionId, T0),
      webhookBody("failed", b.sessionId, T0),
    ]);

    const bad = await sandbox.request(
      "/__admin/webhooks",
      json({ vendor: "regula", url: every.url, secret: SECRET, events: ["session.done"] }),
    );
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toBe(
      "events: session.done is not a regula event (one of session.completed, session.failed, session.cancelled, session.expired)",
    );
  });

  it("a subscription in another namespace never sees this one's sessions", async () => {
    const sandbox = await sandboxWith();
    const api = client(sandbox);
    const elsewhere = await receiver();
    const here = await receiver();
    await api.subscribe(elsewhere.url, {}, "other");
    await api.subscribe(here.url);
    const { sessionId } = await api.newSession();
    expect((await api.verdict(sessionId, "completed")).status).toBe(200);
    await here.next();
    await api.flush("?namespace=other");
    await api.flush();
    expect(elsewhere.received).toEqual([]);
    expect(await api.deliveries("?namespace=other")).toEqual([]);
  });
});

describe("Regula webhook delivery", () => {
  it("retries a receiver that fails twice: two flushes, three attempts, delivered", async () => {
    const sandbox = await sandboxWith();
    const api = client(sandbox);
    const r = await receiver({ answer: failTimes(2) });
    await api.subscribe(r.url);
    const { sessionId } = await api.newSession();
    expect((await api.verdict(sessionId, "completed")).status).toBe(200);
    const [{ id } = { id: "" }] = await api.deliveries();
    // The first attempt fails and a retry is scheduled (it would wait 5 real seconds).
    await expect
      .poll(() => api.delivery(id))
      .toMatchObject({ status: "pending", attempts: [{ status: 500 }], nextAttemptAt: expect.any(String) });

    await api.flush();
    expect(await api.delivery(id)).toMatchObject({
      status: "pending",
      attempts: [{ status: 500 }, { status: 500 }],
    });
    const [flushed] = await api.flush();
    expect(flushed).toMatchObject({
      id,
      status: "delivered",
      attempts: [{ status: 500 }, { status: 500 }, { status: 200, error: null }],
      nextAttemptAt: null,
    });
    expect(r.received).toHaveLength(3);
    const body = webhookBody("completed", sessionId, T0);
    for (const got of r.received) {
      expect(got.body).toBe(body);
      expect(verifyRegulaSignature(got.body, got.headers, SECRET)).toBe(true);
    }
  });

  it("gives up on a receiver that never answers after the timeout, and leaves no socket open", async () => {
    const sandbox = await sandboxWith({ webhookDelivery: { timeoutSeconds: 0.3, retryDelaysSeconds: [] } });
    const api = client(sandbox);
    const r = await receiver({ answer: () => "hang" });
    await api.subscribe(r.url);
    const { sessionId } = await api.newSession();
    expect((await api.verdict(sessionId, "cancelled")).status).toBe(200);
    await r.next();
    const [tried] = await api.flush();
    expect(tried).toMatchObject({ status: "failed", nextAttemptAt: null });
    expect(tried!.attempts).toHaveLength(1);
    expect(tried!.attempts[0]!.status).toBeNull();
    expect(tried!.attempts[0]!.error).toMatch(/no answer within 0\.3 s/);
    await r.waitForSockets(0);
    expect(r.openSockets()).toBe(0);
  });

  it("redelivers with the same id and the same body bytes, one more attempt", async () => {
    const sandbox = await sandboxWith();
    const api = client(sandbox);
    const r = await receiver();
    await api.subscribe(r.url);
    const { sessionId } = await api.newSession();
    expect((await api.verdict(sessionId, "completed")).status).toBe(200);
    const first = await r.next();
    await api.flush();
    const [delivered] = await api.deliveries();
    expect(delivered).toMatchObject({ status: "delivered", attempts: [{ status: 200 }] });

    const res = await sandbox.request(`/__admin/webhooks/deliveries/${delivered!.id}/redeliver`, {
      method: "POST",
    });
    expect(res.status).toBe(200);
    const again = (await res.json()) as Delivery;
    expect(again).toMatchObject({
      id: delivered!.id,
      status: "delivered",
      body: first.body,
      attempts: [{ status: 200 }, { status: 200 }],
    });
    const second = await r.next();
    expect(second.body).toBe(first.body);
    expect(verifyRegulaSignature(second.body, second.headers, SECRET)).toBe(true);
    expect(r.received).toHaveLength(2);
  });
});

describe("Regula session results: properties and files", () => {
  it("are empty until the session is finished, the fixtures' once completed, and empty when cancelled", async () => {
    const sandbox = await sandboxWith();
    const api = client(sandbox);
    const completed = await api.newSession();
    expect(await api.read(completed.sessionId)).toMatchObject({
      status: "created",
      properties: {},
      files: [],
    });
    expect((await api.finishOnPage(completed.authorization, completed.sessionId, "completed")).status).toBe(
      303,
    );
    expect(await api.read(completed.sessionId, READONLY)).toMatchObject({
      status: "completed",
      properties: COMPLETED,
      files: filesOf(completed.sessionId),
    });

    const cancelled = await api.newSession();
    expect((await api.finishOnPage(cancelled.authorization, cancelled.sessionId, "cancelled")).status).toBe(
      303,
    );
    expect(await api.read(cancelled.sessionId)).toMatchObject({
      status: "cancelled",
      properties: {},
      files: [],
    });
  });

  it("serves each file's real bytes with its type, to a key with session:read", async () => {
    const sandbox = await sandboxWith();
    const api = client(sandbox);
    const { sessionId } = await api.newSession();
    expect((await api.verdict(sessionId, "completed")).status).toBe(200);
    const { files } = (await api.read(sessionId)) as { files: { name: string; url: string; size: number }[] };
    expect(files.map((f) => f.name)).toEqual(["portrait.png", "document-front.png"]);
    for (const file of files) {
      const res = await sandbox.request(file.url, { headers: READONLY });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("image/png");
      const bytes = new Uint8Array(await res.arrayBuffer());
      expect(Buffer.from(bytes).equals(readFileSync(join(FIXTURES, "regula", file.name)))).toBe(true);
      expect([...bytes.subarray(0, 8)]).toEqual(PNG_SIGNATURE);
      expect(bytes.length).toBe(file.size);
    }
  });

  it("answers 404 in Regula's format for an unknown session or file, or a session without files; 401 without a key", async () => {
    const sandbox = await sandboxWith();
    const api = client(sandbox);
    const file = (sessionId: string, name: string, headers: Record<string, string> = KEY) =>
      sandbox.request(`/regula/api/sessions/${sessionId}/files/${name}`, { headers });
    const idle = await api.newSession();
    const cancelled = await api.newSession();
    expect((await api.verdict(cancelled.sessionId, "cancelled")).status).toBe(200);
    const done = await api.newSession();
    expect((await api.verdict(done.sessionId, "failed")).status).toBe(200);

    const cases: [Response, string][] = [
      [await file("no-such-session", "portrait.png"), "session not found"],
      [await file(done.sessionId, "passport.png"), "file not found"],
      [await file(idle.sessionId, "portrait.png"), "file not found"],
      [await file(cancelled.sessionId, "portrait.png"), "file not found"],
    ];
    for (const [res, message] of cases) {
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({ message });
    }
    const anonymous = await file(done.sessionId, "portrait.png", {});
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toEqual({ message: "Unauthorized: missing or unknown API key" });
    expect((await file(done.sessionId, "portrait.png")).status).toBe(200);
  });

  it("refuses a key without session:read with 403", async () => {
    const fixturesDir = fixturesWith((regula) => ({
      ...regula,
      apiKeys: [
        ...(regula.apiKeys as unknown[]),
        { key: "deeplink-only-key", permissions: ["deeplink:write"] },
      ],
    }));
    const sandbox = await sandboxWith({ fixturesDir });
    const api = client(sandbox);
    const { sessionId } = await api.newSession();
    expect((await api.verdict(sessionId, "completed")).status).toBe(200);
    const headers = { authorization: "ApiKey deeplink-only-key" };
    for (const path of [
      `/regula/api/sessions/${sessionId}`,
      `/regula/api/sessions/${sessionId}/files/portrait.png`,
    ]) {
      const res = await sandbox.request(path, { headers });
      expect(res.status).toBe(403);
      expect(await res.json()).toEqual({
        message: "Forbidden: the API key lacks the session:read permission",
      });
    }
  });

  it("loads an older fixture file without results or files: the default results, no files", async () => {
    const fixturesDir = fixturesWith(({ results: _results, files: _files, ...older }) => older);
    const sandbox = await sandboxWith({ fixturesDir });
    const api = client(sandbox);
    const { sessionId } = await api.newSession();
    expect((await api.verdict(sessionId, "completed")).status).toBe(200);
    expect(await api.read(sessionId)).toMatchObject({ properties: COMPLETED, files: [] });
    const res = await sandbox.request(`/regula/api/sessions/${sessionId}/files/portrait.png`, {
      headers: KEY,
    });
    expect(res.status).toBe(404);
  });

  it("stops the start when a fixture image is missing or is not its type", async () => {
    const missing = fixturesWith((regula) => ({
      ...regula,
      files: [{ name: "gone.png", type: "image/png", path: "regula/gone.png" }],
    }));
    await expect(testSandbox({ fixturesDir: missing })).rejects.toThrow(
      /regula\.json: files\.0\.path: cannot read .*gone\.png/,
    );
    const mistyped = fixturesWith((regula) => ({
      ...regula,
      files: [{ name: "portrait.jpg", type: "image/jpeg", path: "regula/portrait.png" }],
    }));
    await expect(testSandbox({ fixturesDir: mistyped })).rejects.toThrow(
      /regula\.json: files\.0\.type: .*portrait\.png is not image\/jpeg/,
    );
  });
});
