import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSandbox, type Sandbox } from "../../src/index.js";

let sandbox: Sandbox | undefined;
beforeAll(async () => {
  sandbox = await createSandbox({ port: 0 });
});
afterAll(async () => {
  await sandbox?.close();
});

const dqe = (headers: Record<string, string> = {}, signal?: AbortSignal) =>
  fetch(
    `${sandbox!.url}/dqe/ACCESS_TOKEN/?client_secret=sandbox-secret&grant_type=client_idmobile&licence=SANDBOX-LICENCE`,
    {
      headers,
      signal,
    },
  );
const health = async () => (await fetch(`${sandbox!.url}/__admin/health`)).status;

describe("faults, seen from a real socket", () => {
  it("flaky resets every other connection, and the server keeps answering", async () => {
    const headers = { "x-sandbox-scenario": "flaky", "x-sandbox-namespace": "flaky-test" };
    expect((await dqe(headers)).status).toBe(200);
    await expect(dqe(headers)).rejects.toThrow(/fetch failed/);
    expect((await dqe(headers)).status).toBe(200);
    await expect(dqe(headers)).rejects.toThrow(/fetch failed/);
    expect(await health()).toBe(200);
  });

  it("timeout never answers: the client's own timeout fires, and the server keeps answering", async () => {
    const started = performance.now();
    await expect(dqe({ "x-sandbox-scenario": "timeout" }, AbortSignal.timeout(300))).rejects.toThrow(
      /timeout|aborted/i,
    );
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    expect(await health()).toBe(200);
  });

  it("malformed answers 200 with a truncated JSON body", async () => {
    const res = await dqe({ "x-sandbox-scenario": "malformed" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json");
    await expect(res.json()).rejects.toThrow(SyntaxError);
  });

  it("empty-body answers 200 with nothing", async () => {
    const res = await dqe({ "x-sandbox-scenario": "empty-body" });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("");
  });

  it("slow delays the real answer by 2 s", async () => {
    const started = performance.now();
    const res = await dqe({ "x-sandbox-scenario": "slow" });
    expect(performance.now() - started).toBeGreaterThanOrEqual(1990);
    expect(res.status).toBe(200);
    expect((await res.json()).token_type).toBe("Bearer");
  });
});

describe("sandbox.enqueue", () => {
  it("makes the next matching request answer the outcome once, then the real answer", async () => {
    await sandbox!.enqueue("dqe", "GET /ACCESS_TOKEN*", { error: "credits_exhausted" });
    const first = await dqe();
    expect(first.status).toBe(400);
    expect(first.headers.get("x-sandbox-scenario")).toBe("enqueued");
    expect(await first.json()).toEqual({ status: "error", error_id: "98", error_type: "credits exhausted" });
    expect((await dqe()).status).toBe(200);
  });

  it("takes a namespace, a count, raw answers and faults", async () => {
    await sandbox!.enqueue(
      "dqe",
      "*",
      { status: 503, body: { maintenance: true } },
      { namespace: "q1", times: 2 },
    );
    const inQ1 = { "x-sandbox-namespace": "q1" };
    expect((await dqe()).status).toBe(200);
    expect(await (await dqe(inQ1)).json()).toEqual({ maintenance: true });
    expect((await dqe(inQ1)).status).toBe(503);
    expect((await dqe(inQ1)).status).toBe(200);
    await sandbox!.enqueue("dqe", "*", { fault: "reset" });
    await expect(dqe()).rejects.toThrow(/fetch failed/);
  });

  it("refuses an outcome the vendor cannot give", async () => {
    await expect(sandbox!.enqueue("dqe", "*", { error: "invalid_code" })).rejects.toThrow(
      /error: invalid_code cannot be answered on dqe GET \/ACCESS_TOKEN\/, whose errors are dqe API/,
    );
    await expect(sandbox!.enqueue("nobody", "*", { status: 500 })).rejects.toThrow(
      /vendor: nobody is not a vendor here/,
    );
    await expect(sandbox!.enqueue("dqe", "*", { status: 99 })).rejects.toThrow(
      new TypeError("enqueue: status: Too small: expected number to be >=200"),
    );
    for (const times of [0, -1, 1.5, Number.NaN])
      await expect(sandbox!.enqueue("dqe", "*", { status: 500 }, { times })).rejects.toThrow(
        /times must be an integer of at least 1/,
      );
    await expect(sandbox!.enqueue("dqe", "GET /oauth/token", { status: 500 })).rejects.toThrow(
      /route: "GET \/oauth\/token" names no route of dqe/,
    );
  });
});
