import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createSandbox, type Sandbox, type SandboxOptions } from "../../src/index.js";
import { startReceiver } from "../helpers/receiver.js";
import { startRedis, startRedisCluster, type RedisServer } from "../helpers/redis.js";
import { basic } from "../helpers/sandbox.js";
import { authorizeQuery, CLIENT_ID, CLIENT_SECRET, pkce, REDIRECT_URI } from "../helpers/sumsub.js";

/** Two (or more) sandboxes on one real redis-server: what one issues, the other knows, exactly once. */
let redis: RedisServer;
let prefixes = 0;
const running: Sandbox[] = [];

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis.stop();
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

/** A sandbox on the shared Redis; `prefix` keeps each test's keys apart (several sandboxes, one server). */
async function sandboxOn(prefix: string, url = redis.url, config: SandboxOptions = {}): Promise<Sandbox> {
  const sandbox = await createSandbox({ ...config, port: 0, logLevel: "silent", store: { url, prefix } });
  running.push(sandbox);
  return sandbox;
}

async function pair(): Promise<[Sandbox, Sandbox, string]> {
  const prefix = `t${String(++prefixes)}:`;
  return [await sandboxOn(prefix), await sandboxOn(prefix), prefix];
}

const REGULA = { authorization: "ApiKey sandbox-api-key" };
const SUMSUB = { authorization: basic(CLIENT_ID, CLIENT_SECRET) };

/** `/ns/<id>` before a vendor path, or nothing for the default namespace. */
const under = (ns: string | undefined) => (ns === undefined ? "" : `/ns/${ns}`);

async function sumsubCode(sandbox: Sandbox, challenge: string, ns?: string): Promise<string> {
  const query = authorizeQuery({ scope: "openid email", challenge });
  const res = await fetch(`${sandbox.url}${under(ns)}/sumsub/api/snsId/oauth/authorize?${query}`, {
    redirect: "manual",
  });
  expect(res.status).toBe(302);
  return new URL(res.headers.get("location")!).searchParams.get("code")!;
}

function exchange(sandbox: Sandbox, code: string, verifier: string, ns?: string): Promise<Response> {
  return fetch(`${sandbox.url}${under(ns)}/sumsub/api/snsId/oauth/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...SUMSUB },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      code,
      redirect_uri: REDIRECT_URI,
      code_verifier: verifier,
    }),
  });
}

async function deeplink(
  sandbox: Sandbox,
): Promise<{ sessionId: string; authorization: string; url: string }> {
  const res = await fetch(`${sandbox.url}/regula/api/v1/deeplink?workflowId=wf-document`, {
    method: "POST",
    headers: { "content-type": "application/json", ...REGULA },
    body: "{}",
  });
  expect(res.status).toBe(200);
  const { url } = (await res.json()) as { url: string };
  const params = new URL(url).searchParams;
  return { url, sessionId: params.get("sessionId")!, authorization: params.get("authorization")! };
}

const sardineToken = (sandbox: Sandbox) =>
  fetch(`${sandbox.url}/sardine/v1/identity-documents/tokens`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: basic("sandbox-client", "sandbox-secret") },
    body: '{"sessionKey":"s-1"}',
  });

const sessionStatus = async (sandbox: Sandbox, id: string, ns?: string) =>
  (
    (await (
      await fetch(`${sandbox.url}${under(ns)}/regula/api/sessions/${id}`, { headers: REGULA })
    ).json()) as {
      status: string;
    }
  ).status;

describe("two sandboxes on one Redis (store.url)", () => {
  it("exchanges at B a Sumsub code issued through A, once", async () => {
    const [a, b] = await pair();
    const { verifier, challenge } = pkce();
    const code = await sumsubCode(a, challenge);
    const first = await exchange(b, code, verifier);
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({ token_type: "Bearer", scope: "openid email" });
    const again = await exchange(a, code, verifier);
    expect(again.status).toBe(400);
    expect(await again.json()).toMatchObject({ error: "invalid_grant" });
  });

  it("lets exactly one of 50 concurrent exchanges of one code, split across A and B, succeed", async () => {
    const [a, b] = await pair();
    const { verifier, challenge } = pkce();
    const code = await sumsubCode(a, challenge);
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) => exchange(i % 2 === 0 ? a : b, code, verifier)),
    );
    const statuses = answers.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 400)).toHaveLength(49);
  });

  it("opens on B a Regula hand-off made on A, and A sees it finished there", async () => {
    const [a, b] = await pair();
    const { sessionId, authorization, url } = await deeplink(a);
    const page = await fetch(`${b.url}${new URL(url).pathname}${new URL(url).search}`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<dd class="status" id="status">created</dd>');
    const finish = await fetch(`${b.url}/regula/mobile/finish`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ authorization, sessionId, status: "completed" }),
      redirect: "manual",
    });
    expect(finish.status).toBe(303);
    expect(await sessionStatus(a, sessionId)).toBe("completed");
  });

  it("keeps sessions and tokens across a restart on the same Redis", async () => {
    const prefix = `t${String(++prefixes)}:`;
    const first = await sandboxOn(prefix);
    const { sessionId } = await deeplink(first);
    const { verifier, challenge } = pkce();
    const code = await sumsubCode(first, challenge);
    await first.close();
    running.splice(running.indexOf(first), 1);
    const second = await sandboxOn(prefix);
    expect(await sessionStatus(second, sessionId)).toBe("created");
    expect((await exchange(second, code, verifier)).status).toBe(200);
  });

  it("moves a namespace's clock for both when it is moved through A, and a token issued at B expires by it", async () => {
    const [a, b] = await pair();
    const clockOf = async (sandbox: Sandbox, ns: string) =>
      (await (await fetch(`${sandbox.url}/__admin/clock?namespace=${ns}`)).json()) as {
        now: string;
        frozen: boolean;
      };
    const change = (body: unknown) =>
      fetch(`${a.url}/__admin/clock?namespace=w1`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    expect((await change({ freeze: true })).status).toBe(200);
    expect((await change({ set: "2030-01-01T00:00:00.000Z" })).status).toBe(200);
    expect(await clockOf(b, "w1")).toEqual({
      now: "2030-01-01T00:00:00.000Z",
      frozen: true,
      namespace: "w1",
    });
    expect((await clockOf(b, "default")).now.startsWith("2030")).toBe(false); // one namespace's clock only
    // A code issued at B in w1 is stamped on w1's clock, and is refused once A moves w1 past its lifetime.
    const { verifier, challenge } = pkce();
    const code = await sumsubCode(b, challenge, "w1");
    expect((await change({ advance: 3600 })).status).toBe(200);
    const late = await exchange(b, code, verifier, "w1");
    expect(late.status).toBe(400);
    expect(await late.json()).toMatchObject({ error: "invalid_grant" });
  });

  it("keeps sandboxes with different prefixes apart on one Redis", async () => {
    const a = await sandboxOn(`t${String(++prefixes)}:`);
    const b = await sandboxOn(`t${String(++prefixes)}:`);
    const { sessionId } = await deeplink(a);
    const res = await fetch(`${b.url}/regula/api/sessions/${sessionId}`, { headers: REGULA });
    expect(res.status).toBe(404);
  });
});

/** An admin call with a JSON body, as the admin API takes it. */
const admin = (sandbox: Sandbox, method: string, path: string, body?: unknown) =>
  fetch(`${sandbox.url}/__admin${path}`, {
    method,
    ...(body === undefined
      ? {}
      : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
  });

/** A Regula deeplink request in a namespace: its status. */
const deeplinkStatus = async (sandbox: Sandbox, ns?: string) =>
  (
    await fetch(`${sandbox.url}${under(ns)}/regula/api/v1/deeplink?workflowId=wf-document`, {
      method: "POST",
      headers: { "content-type": "application/json", ...REGULA },
      body: "{}",
    })
  ).status;

describe("scenarios, limits, the journal, subscriptions and verdicts on one Redis", () => {
  it("answers at B by a scenario activated through A, and normally once B clears it", async () => {
    const [a, b] = await pair();
    expect((await admin(a, "PUT", "/scenarios/active", { names: ["sardine-unauthorized"] })).status).toBe(
      200,
    );
    expect((await sardineToken(b)).status).toBe(401);
    expect(await (await admin(b, "GET", "/scenarios")).json()).toMatchObject({
      active: { global: ["sardine-unauthorized"], namespace: [] },
    });
    expect((await admin(b, "DELETE", "/scenarios/active")).status).toBe(200);
    expect((await sardineToken(a)).status).toBe(200);
  });

  it("counts a run-time scenario defined through A once across both: times 2 answers twice in all", async () => {
    const [a, b] = await pair();
    const rule = { vendor: "regula", route: "POST /api/v1/deeplink", status: 503, body: {}, times: 2 };
    const put = await admin(a, "PUT", "/scenarios/twice?namespace=w2", {
      description: "two 503s",
      rules: [rule],
    });
    expect(put.status).toBe(201);
    // B knows the scenario A defined, and activates it.
    expect((await admin(b, "PUT", "/scenarios/active?namespace=w2", { names: ["twice"] })).status).toBe(200);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push(await deeplinkStatus(i % 2 === 0 ? a : b, "w2"));
    expect(statuses).toEqual([503, 503, 200, 200, 200, 200]);
    // Removed through B: A no longer knows it either.
    expect((await admin(b, "DELETE", "/scenarios/twice?namespace=w2")).status).toBe(200);
    expect((await admin(a, "PUT", "/scenarios/active?namespace=w2", { names: ["twice"] })).status).toBe(400);
  });

  it("answers a one-shot queued through A exactly `times` times across 20 concurrent requests on both", async () => {
    const [a, b] = await pair();
    const queued = await admin(a, "POST", "/scenarios/enqueue", {
      vendor: "regula",
      route: "*",
      status: 429,
      body: { message: "later" },
      times: 3,
    });
    expect(await queued.json()).toEqual({ vendor: "regula", route: "*", times: 3, queued: 1 });
    const statuses = await Promise.all(Array.from({ length: 20 }, (_, i) => deeplinkStatus(i % 2 ? a : b)));
    expect(statuses.filter((s) => s === 429)).toHaveLength(3);
    expect(statuses.filter((s) => s === 200)).toHaveLength(17);
    expect(await (await admin(b, "GET", "/scenarios")).json()).toMatchObject({ queued: 0 });
  });

  it("counts requests through A and B in one rate-limit window", async () => {
    const prefix = `t${String(++prefixes)}:`;
    const config = {
      rateLimits: { enabled: true, limits: { sardine: { "*": { limit: 2, windowSeconds: 60 } } } },
    };
    const [a, b] = [await sandboxOn(prefix, redis.url, config), await sandboxOn(prefix, redis.url, config)];
    expect((await sardineToken(a)).status).toBe(200);
    expect((await sardineToken(b)).status).toBe(200);
    const third = await sardineToken(a);
    expect(third.status).toBe(429);
    expect(Number(third.headers.get("retry-after"))).toBeGreaterThan(0);
  });

  it("keeps one journal: B lists what A answered, newest first, and a restart keeps it", async () => {
    const [a, b, prefix] = await pair();
    await deeplinkStatus(a);
    expect((await sardineToken(b)).status).toBe(200);
    const routes = async (sandbox: Sandbox) =>
      (
        (await (await admin(sandbox, "GET", "/requests?direction=in")).json()) as {
          requests: { id: number; vendor: string | null; route: string | null }[];
        }
      ).requests
        .filter((r) => r.vendor !== null)
        .map((r) => r.route);
    const both = ["POST /v1/identity-documents/tokens", "POST /api/v1/deeplink"];
    // The record goes out behind the answer: read until it is there, as a client of the journal would.
    await expect.poll(() => routes(a)).toEqual(both);
    await a.close();
    await b.close();
    running.splice(0);
    const again = await sandboxOn(prefix);
    expect(await routes(again)).toEqual(both);
    expect((await admin(again, "DELETE", "/requests")).status).toBe(200);
    expect(await routes(again)).toEqual([]);
  });

  it("holds namespaces.max across both: past it, the least recently used namespace is forgotten for both", async () => {
    const prefix = `t${String(++prefixes)}:`;
    const config = { namespaces: { max: 2 } };
    const [a, b] = [await sandboxOn(prefix, redis.url, config), await sandboxOn(prefix, redis.url, config)];
    const sessionIn = async (sandbox: Sandbox, ns: string) => {
      const res = await fetch(`${sandbox.url}/ns/${ns}/regula/api/v1/deeplink?workflowId=wf-document`, {
        method: "POST",
        headers: { "content-type": "application/json", ...REGULA },
        body: "{}",
      });
      return new URL(((await res.json()) as { url: string }).url).searchParams.get("sessionId")!;
    };
    const first = await sessionIn(a, "n1");
    const second = await sessionIn(b, "n2");
    // A third namespace, through B: n1 is the least recently used of the three.
    const third = await sessionIn(b, "n3");
    const gone = await fetch(`${a.url}/ns/n1/regula/api/sessions/${first}`, { headers: REGULA });
    expect(gone.status).toBe(404);
    expect(await sessionStatus(a, second, "n2")).toBe("created");
    expect(await sessionStatus(a, third, "n3")).toBe("created");
    // The default namespace is never the one forgotten.
    const { sessionId } = await deeplink(a);
    expect(await sessionStatus(b, sessionId)).toBe("created");
  });

  it("delivers from B to a subscription made through A, and gives at B the verdict A scheduled when A moves the clock", async () => {
    const receiver = await startReceiver();
    try {
      const prefix = `t${String(++prefixes)}:`;
      const config = { verdicts: { auto: { after: 60 } } };
      const [a, b] = [await sandboxOn(prefix, redis.url, config), await sandboxOn(prefix, redis.url, config)];
      const subscribed = await admin(a, "POST", "/webhooks?namespace=w3", {
        vendor: "regula",
        url: receiver.url,
        secret: "shared-secret",
      });
      expect(subscribed.status).toBe(201);
      expect(
        (
          (await (await admin(b, "GET", "/webhooks?namespace=w3")).json()) as { webhooks: { url: string }[] }
        ).webhooks.map((w) => w.url),
      ).toEqual([receiver.url]);
      // Made at B: its automatic verdict is scheduled in the shared store; A's clock move reaches it.
      const res = await fetch(`${b.url}/ns/w3/regula/api/v1/deeplink?workflowId=wf-document`, {
        method: "POST",
        headers: { "content-type": "application/json", ...REGULA },
        body: "{}",
      });
      const sessionId = new URL(((await res.json()) as { url: string }).url).searchParams.get("sessionId")!;
      expect((await admin(a, "POST", "/clock?namespace=w3", { advance: 61 })).status).toBe(200);
      const delivered = await receiver.next();
      expect(JSON.parse(delivered.body)).toMatchObject({ event: "session.completed", sessionId });
      expect(await sessionStatus(b, sessionId, "w3")).toBe("completed");
    } finally {
      await receiver.close();
    }
  });
});

describe("two sandboxes on a Redis Cluster (store.cluster)", () => {
  it("exchange a code once and open a hand-off across the pair", async () => {
    const cluster = await startRedisCluster();
    try {
      const url = `redis://127.0.0.1:${String(cluster.nodes[0]!.port)}`;
      const start = () =>
        createSandbox({ port: 0, logLevel: "silent", store: { url, cluster: true, prefix: "c:" } }).then(
          (s) => {
            running.push(s);
            return s;
          },
        );
      const [a, b] = [await start(), await start()];
      const { verifier, challenge } = pkce();
      const code = await sumsubCode(a, challenge);
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, i) => exchange(i % 2 === 0 ? a : b, code, verifier)),
      );
      expect(answers.map((r) => r.status).filter((s) => s === 200)).toHaveLength(1);
      const { sessionId } = await deeplink(b);
      expect(await sessionStatus(a, sessionId)).toBe("created");
      expect(await (await fetch(`${a.url}/__admin/health`)).json()).toEqual({ status: "ok", store: "redis" });
    } finally {
      await Promise.all(running.splice(0).map((s) => s.close()));
      await cluster.stop();
    }
  }, 60_000);
});

describe("faults of the shared store", () => {
  it("fails the start with one message naming the URL when Redis cannot be reached", async () => {
    const gone = await startRedis();
    await gone.stop();
    await expect(
      createSandbox({ port: 0, logLevel: "silent", store: { url: gone.url, timeoutMs: 500 } }),
    ).rejects.toThrow(new RegExp(`^store\\.url: cannot reach redis://127\\.0\\.0\\.1:${String(gone.port)}`));
  });

  it("answers 503 in each vendor's format while Redis is away, health says degraded, and resumes by itself", async () => {
    const own = await startRedis();
    const sandbox = await sandboxOn("faults:", own.url);
    const sardine = () => sardineToken(sandbox);
    const dqe = () =>
      fetch(
        `${sandbox.url}/dqe/ACCESS_TOKEN/?client_secret=sandbox-secret&grant_type=client_idmobile&licence=SANDBOX-LICENCE`,
      );
    expect((await sardine()).status).toBe(200);
    await own.stop();

    const refused = await sardine();
    expect(refused.status).toBe(503);
    expect(await refused.json()).toEqual({
      message: expect.stringMatching(/^the sandbox's redis store is unavailable: /) as unknown,
    });
    const dqeRefused = await dqe();
    expect(dqeRefused.status).toBe(503);
    expect(await dqeRefused.json()).toEqual({ status: "error", error_type: "service unavailable" });
    const health = await fetch(`${sandbox.url}/__admin/health`);
    expect(health.status).toBe(503);
    expect(await health.json()).toEqual({
      status: "degraded",
      store: "redis",
      error: expect.any(String) as unknown,
    });

    const back = await startRedis([], own.port);
    try {
      // The client reconnects on its own (at most a second apart): wait for the health route to say so.
      for (let i = 0; i < 50 && (await fetch(`${sandbox.url}/__admin/health`)).status !== 200; i++)
        await new Promise((resolve) => setTimeout(resolve, 100));
      expect(await (await fetch(`${sandbox.url}/__admin/health`)).json()).toEqual({
        status: "ok",
        store: "redis",
      });
      expect((await sardine()).status).toBe(200);
      expect((await dqe()).status).toBe(200);
    } finally {
      await sandbox.close();
      running.splice(running.indexOf(sandbox), 1);
      await back.stop();
    }
  });

  it("never holds a request past store.timeoutMs while Redis is slow: 503, then normal again", async () => {
    const slow = await startRedis(["--enable-debug-command", "yes"]);
    const sandbox = await createSandbox({
      port: 0,
      logLevel: "silent",
      store: { url: slow.url, prefix: "slow:", timeoutMs: 200 },
    });
    const other = new Redis(slow.url);
    try {
      const token = () => sardineToken(sandbox);
      expect((await token()).status).toBe(200);
      const sleeping = other.call("DEBUG", "SLEEP", "1.5").then(() => "redis woke" as const);
      // The answer comes before Redis wakes: the request was not held for it.
      const first = await Promise.race([token(), sleeping]);
      expect(first).not.toBe("redis woke");
      expect((first as Response).status).toBe(503);
      await sleeping;
      expect((await token()).status).toBe(200);
    } finally {
      other.disconnect();
      await sandbox.close();
      await slow.stop();
    }
  });
});
