import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createSandbox, type Sandbox } from "../../src/index.js";
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
async function sandboxOn(prefix: string, url = redis.url): Promise<Sandbox> {
  const sandbox = await createSandbox({ port: 0, logLevel: "silent", store: { url, prefix } });
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

const sessionStatus = async (sandbox: Sandbox, id: string) =>
  (
    (await (await fetch(`${sandbox.url}/regula/api/sessions/${id}`, { headers: REGULA })).json()) as {
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
