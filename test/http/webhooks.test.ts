import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startReceiver, type Receiver } from "../helpers/receiver.js";
import { json, testSandbox, type TestSandbox } from "../helpers/sandbox.js";

/** The admin API of webhooks and verdicts, over HTTP, with a Regula session as the verified record. */
let sandbox: TestSandbox;
let receiver: Receiver;

beforeAll(async () => {
  receiver = await startReceiver();
  sandbox = await testSandbox({
    webhooks: [{ vendor: "regula", url: receiver.url, secret: "from-config", events: ["session.failed"] }],
  });
});
afterAll(async () => {
  sandbox.deps.webhooks.close();
  await receiver.close();
});

const ns = (id: string) => ({ "x-sandbox-namespace": id });

async function session(namespace: string): Promise<string> {
  const res = await sandbox.request(
    "/regula/api/v1/deeplink?workflowId=wf-document",
    json({}, { authorization: "ApiKey sandbox-api-key", ...ns(namespace) }),
  );
  expect(res.status).toBe(200);
  const { url } = (await res.json()) as { url: string };
  return new URL(url).searchParams.get("sessionId")!;
}

const subscribe = (body: unknown, namespace = "subs") =>
  sandbox.request("/__admin/webhooks", json(body, ns(namespace)));

describe("POST /__admin/webhooks", () => {
  it("answers 201 with the subscription, secret and header values redacted", async () => {
    const res = await subscribe({
      vendor: "regula",
      url: receiver.url,
      secret: "s3cret",
      headers: { Authorization: "Bearer receiver" },
    });
    expect(res.status).toBe(201);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toEqual({
      id: expect.stringMatching(/^whs_[A-Za-z0-9]{16}$/),
      vendor: "regula",
      url: receiver.url,
      secret: "[redacted]",
      events: null,
      headers: { Authorization: "[redacted]" },
      options: {},
      source: "api",
      createdAt: "2026-01-01T00:00:00.000Z",
    });
    const list = (await (await sandbox.request("/__admin/webhooks", { headers: ns("subs") })).json()) as {
      webhooks: { id: string; source: string }[];
    };
    expect(list.webhooks.map((w) => [w.id, w.source])).toEqual([
      ["whc_1", "config"],
      [body.id, "api"],
    ]);
  });

  it.each([
    [{ url: "http://127.0.0.1:1/", secret: "s" }, "vendor is required"],
    [{ vendor: "regula", url: "ftp://example.test/", secret: "s" }, "url must be an http:// or https:// URL"],
    [{ vendor: "regula", url: "http://127.0.0.1:1/" }, "secret is required"],
    [
      { vendor: "dqe", url: "http://127.0.0.1:1/", secret: "s" },
      /^vendor: dqe sends no webhooks here \(one of .*regula.*\)$/,
    ],
    [
      { vendor: "regula", url: "http://127.0.0.1:1/", secret: "s", events: ["session.lost"] },
      /^events: session\.lost is not a regula event \(one of session\.completed, .*\)$/,
    ],
    [
      { vendor: "regula", url: "http://127.0.0.1:1/", secret: "s", colour: "red" },
      "colour: not a field of a regula subscription",
    ],
    [
      { vendor: "regula", url: "http://127.0.0.1:1/", secret: "s", headers: { "X-A": "a\r\nb" } },
      "headers.X-A: a header value is visible ASCII, spaces and tabs (no line break)",
    ],
    [
      { vendor: "regula", url: "http://127.0.0.1:1/", secret: "s", headers: { "Content-Length": "3" } },
      "headers.Content-Length: the sandbox sets this header itself",
    ],
    [
      {
        vendor: "regula",
        url: "http://127.0.0.1:1/",
        secret: "s",
        headers: { "X-Sandbox-Namespace": "other" },
      },
      "headers.X-Sandbox-Namespace: the sandbox sets this header itself",
    ],
    [
      { vendor: "regula", url: "http://127.0.0.1:1/", secret: "s", headers: { "X-Price": "3 €" } },
      "headers.X-Price: a header value is visible ASCII, spaces and tabs (no line break)",
    ],
    [
      { vendor: "regula", url: "http://alice:hunter2@127.0.0.1:1/", secret: "s" },
      "url must not carry credentials (user:password@): use headers, e.g. Authorization",
    ],
  ])("refuses %j with 400 naming the field", async (input, message) => {
    const res = await subscribe(input);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: string; message: string };
    expect(body.error).toBe("invalid_request");
    expect(body.message).toMatch(message);
  });
});

describe("subscriptions per namespace", () => {
  it("keeps at most 100 made over the API", async () => {
    for (let i = 0; i < 100; i++)
      expect((await subscribe({ vendor: "regula", url: receiver.url, secret: "s" }, "many")).status).toBe(
        201,
      );
    const over = await subscribe({ vendor: "regula", url: receiver.url, secret: "s" }, "many");
    expect(over.status).toBe(400);
    expect(((await over.json()) as { message: string }).message).toBe(
      "at most 100 subscriptions per namespace: delete one first",
    );
  });
});

describe("DELETE /__admin/webhooks/{id}", () => {
  it("unsubscribes once, then 404; a config file's subscription is 409", async () => {
    const { id } = (await (
      await subscribe({ vendor: "regula", url: receiver.url, secret: "s" }, "del")
    ).json()) as { id: string };
    const del = () => sandbox.request(`/__admin/webhooks/${id}`, { method: "DELETE", headers: ns("del") });
    expect(await (await del()).json()).toEqual({ deleted: id });
    const again = await del();
    expect(again.status).toBe(404);
    const config = await sandbox.request("/__admin/webhooks/whc_1", { method: "DELETE", headers: ns("del") });
    expect(config.status).toBe(409);
    expect(await config.json()).toEqual({
      error: "conflict",
      message: "whc_1 comes from the config file: change the file instead",
    });
  });
});

describe("verdicts and deliveries over the admin API", () => {
  it("gives a verdict, delivers to the namespace's and the config's subscriptions, and lists the deliveries", async () => {
    const sub = (await (
      await subscribe(
        { vendor: "regula", url: receiver.url, secret: "s", events: ["session.failed"] },
        "flow",
      )
    ).json()) as { id: string };
    const id = await session("flow");
    const verdict = await sandbox.request(
      "/__admin/verdicts",
      json({ vendor: "regula", id, verdict: "failed" }, ns("flow")),
    );
    expect(verdict.status).toBe(200);
    expect(await verdict.json()).toEqual({ vendor: "regula", subject: "session", id, verdict: "failed" });

    const flushed = await sandbox.request("/__admin/webhooks/flush", json({}, ns("flow")));
    expect(flushed.status).toBe(200);
    const list = (await (
      await sandbox.request("/__admin/webhooks/deliveries?status=delivered&event=session.failed", {
        headers: ns("flow"),
      })
    ).json()) as { deliveries: { id: string; subscription: string; body: string; attempts: unknown[] }[] };
    expect(list.deliveries.map((d) => d.subscription).sort()).toEqual([sub.id, "whc_1"].sort());
    for (const d of list.deliveries) {
      expect(JSON.parse(d.body)).toMatchObject({ sessionId: id, status: "failed" });
      expect(d.attempts).toHaveLength(1);
    }
    const mine = list.deliveries.find((d) => d.subscription === sub.id)!;
    const one = await sandbox.request(`/__admin/webhooks/deliveries/${mine.id}`, { headers: ns("flow") });
    expect(((await one.json()) as { id: string }).id).toBe(mine.id);
    const filtered = (await (
      await sandbox.request(`/__admin/webhooks/deliveries?subscription=${sub.id}`, { headers: ns("flow") })
    ).json()) as { deliveries: unknown[] };
    expect(filtered.deliveries).toHaveLength(1);
    // Another namespace sees none of it.
    const other = (await (
      await sandbox.request("/__admin/webhooks/deliveries", { headers: ns("elsewhere") })
    ).json()) as { deliveries: unknown[] };
    expect(other.deliveries).toEqual([]);
    // Journaled as outgoing.
    const out = (await (
      await sandbox.request("/__admin/requests?direction=out", { headers: ns("flow") })
    ).json()) as { requests: { direction: string; method: string; path: string; status: number }[] };
    expect(out.requests).toHaveLength(2);
    expect(out.requests[0]).toMatchObject({
      direction: "out",
      method: "POST",
      path: receiver.url,
      status: 200,
    });
  });

  it("redelivers one delivery: same id, same body, one more attempt", async () => {
    const id = await session("redeliver");
    await sandbox.request(
      "/__admin/verdicts",
      json({ vendor: "regula", id, verdict: "failed" }, ns("redeliver")),
    );
    await sandbox.request("/__admin/webhooks/flush", json({}, ns("redeliver")));
    const [d] = (
      (await (
        await sandbox.request("/__admin/webhooks/deliveries", { headers: ns("redeliver") })
      ).json()) as {
        deliveries: { id: string; body: string }[];
      }
    ).deliveries;
    const res = await sandbox.request(
      `/__admin/webhooks/deliveries/${d!.id}/redeliver`,
      json({}, ns("redeliver")),
    );
    expect(res.status).toBe(200);
    const again = (await res.json()) as { id: string; body: string; status: string; attempts: unknown[] };
    expect(again).toMatchObject({ id: d!.id, body: d!.body, status: "delivered" });
    expect(again.attempts).toHaveLength(2);
    const missing = await sandbox.request("/__admin/webhooks/deliveries/dlv_nope/redeliver", json({}));
    expect(missing.status).toBe(404);
  });

  it.each([
    [
      { vendor: "acme", id: "x", verdict: "completed" },
      400,
      /^vendor: acme has no verdicts to give \(one of .*regula.*\)$/,
    ],
    [
      { vendor: "regula", id: "x", verdict: "approved" },
      400,
      "verdict: approved is not a regula verdict (one of completed, failed, cancelled)",
    ],
    [{ vendor: "regula", id: "x", verdict: "completed", colour: 1 }, 400, /colour/],
    [
      { vendor: "regula", id: "nope", verdict: "completed" },
      404,
      "regula holds no nope in namespace default",
    ],
  ])("refuses the verdict %j", async (input, status, message) => {
    const res = await sandbox.request("/__admin/verdicts", json(input));
    expect(res.status).toBe(status);
    expect(((await res.json()) as { message: string }).message).toMatch(message);
  });

  it("refuses a second verdict on a finished record with 409", async () => {
    const id = await session("twice");
    const give = (verdict: string) =>
      sandbox.request("/__admin/verdicts", json({ vendor: "regula", id, verdict }, ns("twice")));
    expect((await give("completed")).status).toBe(200);
    const second = await give("failed");
    expect(second.status).toBe(409);
  });

  it.each(["webhooks-duplicate", "webhooks-out-of-order"])(
    "applies the shipped scenario %s while it is active in the namespace",
    async (name) => {
      const space = `scenario-${name}`;
      const own = await startReceiver();
      try {
        await subscribe({ vendor: "regula", url: own.url, secret: "s" }, space);
        const active = await sandbox.request("/__admin/scenarios/active", {
          ...json({ names: [name] }, ns(space)),
          method: "PUT",
        });
        expect(active.status).toBe(200);
        const first = await session(space);
        const second = await session(space);
        const give = (id: string, verdict: string) =>
          sandbox.request("/__admin/verdicts", json({ vendor: "regula", id, verdict }, ns(space)));
        await give(first, "completed");
        if (name === "webhooks-duplicate") {
          const got = await own.waitFor(2);
          expect(got[1]!.body).toBe(got[0]!.body);
        } else {
          await give(second, "failed");
          const got = await own.waitFor(2);
          const ids = got.map((r) => (JSON.parse(r.body) as { sessionId: string }).sessionId);
          expect(ids).toEqual([second, first]);
        }
        await sandbox.request("/__admin/webhooks/flush", json({}, ns(space)));
      } finally {
        await own.close();
      }
    },
  );

  it("sends a session's expiry even when one clock move takes it past its retention", async () => {
    const own = await startReceiver();
    try {
      await subscribe({ vendor: "regula", url: own.url, secret: "s", events: ["session.expired"] }, "far");
      const id = await session("far");
      // Past the session's hour and the day it is kept after.
      await sandbox.request("/__admin/clock", json({ advance: 100_000 }, ns("far")));
      const got = await own.next();
      expect(JSON.parse(got.body)).toMatchObject({ event: "session.expired", sessionId: id });
      await sandbox.request("/__admin/webhooks/flush", json({}, ns("far")));
    } finally {
      await own.close();
    }
  });

  it("forgets deliveries and API subscriptions on reset", async () => {
    await subscribe({ vendor: "regula", url: receiver.url, secret: "s" }, "gone");
    const id = await session("gone");
    await sandbox.request("/__admin/verdicts", json({ vendor: "regula", id, verdict: "failed" }, ns("gone")));
    await sandbox.request("/__admin/webhooks/flush", json({}, ns("gone")));
    await sandbox.request("/__admin/reset", json({}, ns("gone")));
    const subs = (await (await sandbox.request("/__admin/webhooks", { headers: ns("gone") })).json()) as {
      webhooks: { source: string }[];
    };
    expect(subs.webhooks.map((w) => w.source)).toEqual(["config"]);
    const deliveries = (await (
      await sandbox.request("/__admin/webhooks/deliveries", { headers: ns("gone") })
    ).json()) as { deliveries: unknown[] };
    expect(deliveries.deliveries).toEqual([]);
  });
});

describe("webhooks and verdicts in the config", () => {
  const start = async (input: Record<string, unknown>) => {
    const { createDeps, parseConfig } = await import("../../src/index.js");
    return createDeps(parseConfig({ logLevel: "silent", ...input }));
  };

  it.each([
    [
      { webhooks: [{ vendor: "dqe", url: "http://127.0.0.1:1/", secret: "s" }] },
      /^config: webhooks\.0\.vendor: dqe sends no webhooks here \(one of .*\)$/,
    ],
    [
      { webhooks: [{ vendor: "sumsub", url: "http://127.0.0.1:1/", secret: "s", digestAlg: "MD5" }] },
      /^config: webhooks\.0\.digestAlg: /,
    ],
    [
      { webhooks: [{ vendor: "sardine", url: "http://127.0.0.1:1/", secret: "plain" }] },
      /^config: webhooks\.0\.secret: /,
    ],
    [
      { verdicts: { auto: { after: 5, verdict: { regula: "approved" } } } },
      "config: verdicts.auto.verdict.regula: approved is not a regula verdict (one of completed, failed, cancelled)",
    ],
    [
      { verdicts: { auto: { after: 5, verdict: { acme: "x" } } } },
      /^config: verdicts\.auto\.verdict\.acme: not a vendor with verdicts \(one of .*\)$/,
    ],
  ])("refuses %j at start, naming the field", async (input, message) => {
    await expect(start(input)).rejects.toThrow(message);
  });

  it("refuses a subscription URL that is not http(s) when the config is parsed", async () => {
    const { parseConfig } = await import("../../src/index.js");
    expect(() =>
      parseConfig({ webhooks: [{ vendor: "regula", url: "file:///etc/passwd", secret: "s" }] }),
    ).toThrow("config: webhooks.0.url: url must be an http:// or https:// URL");
  });
});
