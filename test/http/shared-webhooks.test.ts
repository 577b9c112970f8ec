import { afterEach, describe, expect, it } from "vitest";
import type { Sandbox } from "../../src/index.js";
import { failTimes, holdOne, startReceiver, type AnswerFn, type Receiver } from "../helpers/receiver.js";
import { adminCall, sandboxesOnRedis } from "../helpers/shared.js";

/**
 * Webhook deliveries on one real redis-server shared by several sandboxes (replicas, or one restarted): any of them
 * lists, flushes and resends what another made, each attempt is sent once, and one that stops leaves nothing unsent.
 */
const sandboxes = sandboxesOnRedis();
const { pair } = sandboxes;
const receivers: Receiver[] = [];
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

interface DeliveryView {
  id: string;
  status: string;
  event: string;
  attempts: { status: number | null; error: string | null }[];
  nextAttemptAt: string | null;
}

async function receiver(answer?: AnswerFn): Promise<Receiver> {
  const r = await startReceiver(answer ? { answer } : {});
  receivers.push(r);
  return r;
}

const admin = adminCall;

const deliveries = async (sandbox: Sandbox) => {
  const res = await admin(sandbox, "GET", "/webhooks/deliveries");
  expect(res.status).toBe(200);
  return ((await res.json()) as { deliveries: DeliveryView[] }).deliveries;
};

/** Subscribes `url` to Regula's events through `sandbox`, makes a session there and gives it `verdict`. */
async function regulaEvent(sandbox: Sandbox, url: string, verdict = "completed"): Promise<string> {
  expect(
    (await admin(sandbox, "POST", "/webhooks", { vendor: "regula", url, secret: "s3cret" })).status,
  ).toBe(201);
  const res = await fetch(`${sandbox.url}/regula/api/v1/deeplink?workflowId=wf-document`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: "ApiKey sandbox-api-key" },
    body: "{}",
  });
  expect(res.status).toBe(200);
  const sessionId = new URL(((await res.json()) as { url: string }).url).searchParams.get("sessionId")!;
  expect(
    (await admin(sandbox, "POST", "/verdicts", { vendor: "regula", id: sessionId, verdict })).status,
  ).toBe(200);
  return sessionId;
}

/** Reads the listing through `sandbox` until `done` holds of its only delivery (an attempt another process writes). */
async function untilDelivery(sandbox: Sandbox, done: (d: DeliveryView) => boolean): Promise<DeliveryView> {
  for (let tries = 0; tries < 500; tries++) {
    const [d] = await deliveries(sandbox);
    if (d !== undefined && done(d)) return d;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error("the delivery never got there");
}

describe("webhook deliveries on one Redis", () => {
  it("lists at B, with its attempt, a delivery made and sent through A", async () => {
    const r = await receiver();
    const [a, b] = await pair();
    const sessionId = await regulaEvent(a, r.url);
    expect(JSON.parse((await r.next()).body)).toMatchObject({ sessionId, event: "session.completed" });
    // Written by A once its attempt ended; read through B.
    const seen = await untilDelivery(b, (d) => d.status === "delivered");
    expect(seen).toMatchObject({ event: "session.completed", attempts: [{ status: 200 }] });
    expect(await deliveries(b)).toHaveLength(1);
    // The same delivery, one id, at both.
    const one = await admin(b, "GET", `/webhooks/deliveries/${seen.id}`);
    expect(one.status).toBe(200);
    expect(await one.json()).toEqual(seen);
    expect(await deliveries(a)).toEqual([seen]);
  });

  it("sends through B's flush the retry A waits for, once, and A has nothing left to send", async () => {
    const r = await receiver(failTimes(1, 503));
    const [a, b] = await pair({ webhookDelivery: { retryDelaysSeconds: [60] } });
    await regulaEvent(a, r.url);
    await r.next();
    const waiting = await untilDelivery(b, (d) => d.attempts.length === 1);
    expect(waiting).toMatchObject({ status: "pending", attempts: [{ status: 503 }] });
    expect(waiting.nextAttemptAt).not.toBeNull();

    const res = await admin(b, "POST", "/webhooks/flush");
    expect(res.status).toBe(200);
    const { deliveries: tried } = (await res.json()) as { deliveries: DeliveryView[] };
    expect(tried).toEqual([
      expect.objectContaining({
        id: waiting.id,
        status: "delivered",
        nextAttemptAt: null,
        attempts: [expect.objectContaining({ status: 503 }), expect.objectContaining({ status: 200 })],
      }),
    ]);
    expect(r.received).toHaveLength(2);
    // A's own retry was taken from it: its flush finds nothing pending, and the receiver heard the event twice.
    expect(
      ((await (await admin(a, "POST", "/webhooks/flush")).json()) as { deliveries: unknown[] }).deliveries,
    ).toEqual([]);
    expect((await deliveries(a))[0]).toMatchObject({ status: "delivered" });
    expect(r.received).toHaveLength(2);
  });

  it("resends through B a delivery A made, and answers 409 to a resend through A while B's is under way", async () => {
    const { answer, release } = holdOne(1);
    const r = await receiver(answer);
    const [a, b] = await pair();
    await regulaEvent(a, r.url);
    await r.next();
    const { id } = await untilDelivery(a, (d) => d.status === "delivered");

    const resend = admin(b, "POST", `/webhooks/deliveries/${id}/redeliver`);
    const second = await r.next();
    const refused = await admin(a, "POST", `/webhooks/deliveries/${id}/redeliver`);
    expect(refused.status).toBe(409);
    release();
    const res = await resend;
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      id,
      status: "delivered",
      attempts: [{ status: 200 }, { status: 200 }],
    });
    expect(second.body).toBe(r.received[0]!.body);
    expect(r.received).toHaveLength(2);
    // Seen the same through A.
    expect((await deliveries(a))[0]).toMatchObject({ id, attempts: [{ status: 200 }, { status: 200 }] });
  });

  it("sends, after a restart, the retry the stopped sandbox had waiting", async () => {
    const r = await receiver(failTimes(1, 500));
    const prefix = sandboxes.prefix();
    const config = { webhookDelivery: { retryDelaysSeconds: [1], takeoverSeconds: 0.2 } };
    const first = await sandboxes.on(prefix, config);
    await regulaEvent(first, r.url);
    await r.next();
    const { id } = await untilDelivery(first, (d) => d.attempts.length === 1);
    // Stopped before its retry was due: its timer goes with it.
    await first.close();

    const restarted = await sandboxes.on(prefix, config);
    // Its tick finds the retry past due plus the takeover grace, and sends it.
    const retried = await r.next(10_000);
    expect(retried.body).toBe(r.received[0]!.body);
    const done = await untilDelivery(restarted, (d) => d.status !== "pending");
    expect(done).toMatchObject({ id, status: "delivered", attempts: [{ status: 500 }, { status: 200 }] });
    expect(r.received).toHaveLength(2);
  });

  it("keeps every subscription made at once through A and B", async () => {
    const [a, b] = await pair();
    const made = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        admin(i % 2 === 0 ? a : b, "POST", "/webhooks", {
          vendor: "regula",
          url: `http://127.0.0.1:9/hook-${String(i)}`,
          secret: "s",
        }),
      ),
    );
    expect(made.map((res) => res.status)).toEqual(Array.from({ length: 20 }, () => 201));
    for (const sandbox of [a, b]) {
      const { webhooks } = (await (await admin(sandbox, "GET", "/webhooks")).json()) as {
        webhooks: { url: string }[];
      };
      expect(webhooks.map((w) => w.url).sort()).toEqual(
        Array.from({ length: 20 }, (_, i) => `http://127.0.0.1:9/hook-${String(i)}`).sort(),
      );
    }
  });
});
