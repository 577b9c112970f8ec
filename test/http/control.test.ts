import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createSandbox, type Sandbox } from "../../src/index.js";
import { basic, json, testSandbox, type TestSandbox } from "../helpers/sandbox.js";

const DQE_OK =
  "/dqe/ACCESS_TOKEN/?client_secret=sandbox-secret&grant_type=client_idmobile&licence=SANDBOX-LICENCE";
const SARDINE_AUTH = { authorization: basic("sandbox-client", "sandbox-secret") };
const CREDITS = { status: "error", error_id: "98", error_type: "credits exhausted" };
const ns = (id: string) => ({ "x-sandbox-namespace": id });
const put = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  ...json(body, headers),
  method: "PUT",
});
/** A scenario document as a file would hold it. */
const credits = {
  description: "No credits left",
  rules: [{ vendor: "dqe", route: "* /ACCESS_TOKEN*", error: "credits_exhausted" }],
};
const view = (name: string, description = credits.description, rules = 1) => ({
  name,
  description,
  source: "api",
  origin: "api",
  rules,
  rateLimits: false,
});

let sandbox: TestSandbox;
beforeEach(async () => {
  sandbox = await testSandbox();
});

/** The body and status of an answer, as one value to compare. */
const answer = async (res: Response) => ({ status: res.status, body: (await res.json()) as unknown });

describe("PUT /__admin/scenarios/{name}", () => {
  it("defines a scenario in the namespace (201), replaces it (200), and lists it as the API's", async () => {
    expect(
      await answer(await sandbox.request("/__admin/scenarios/no-credits", put(credits, ns("w1")))),
    ).toEqual({
      status: 201,
      body: view("no-credits"),
    });
    const twice = { description: "Two rules", rules: [...credits.rules, { vendor: "sardine", status: 503 }] };
    expect(
      await answer(await sandbox.request("/__admin/scenarios/no-credits", put(twice, ns("w1")))),
    ).toEqual({
      status: 200,
      body: view("no-credits", "Two rules", 2),
    });
    const listed = (await (await sandbox.request("/__admin/scenarios", { headers: ns("w1") })).json()) as {
      scenarios: { name: string; origin: string }[];
    };
    expect(listed.scenarios.filter((s) => s.origin === "api")).toEqual([view("no-credits", "Two rules", 2)]);
    expect(listed.scenarios.find((s) => s.name === "dqe-credits-exhausted")).toEqual({
      name: "dqe-credits-exhausted",
      description: "The DQE licence has no credits left (error 98).",
      source: "dqe-credits-exhausted.yaml",
      origin: "file",
      rules: 1,
      rateLimits: false,
    });
    // Another namespace has none of its own.
    const other = (await (await sandbox.request("/__admin/scenarios", { headers: ns("w2") })).json()) as {
      scenarios: { origin: string }[];
    };
    expect(other.scenarios.filter((s) => s.origin === "api")).toEqual([]);
  });

  it.each([
    [
      "an unknown field, by its path",
      { ...credits, rules: [{ ...credits.rules[0], colour: "red" }] },
      "rules.0.colour: unknown field",
    ],
    [
      "a missing description",
      { rules: [] },
      "description: Invalid input: expected string, received undefined",
    ],
    [
      "an unknown vendor",
      { description: "d", rules: [{ vendor: "onfido", status: 500 }] },
      "rules.0: vendor: onfido is not a vendor here (one of sardine, sumsub, dqe, regula, or *)",
    ],
    [
      "an error the route's format does not have",
      { description: "d", rules: [{ vendor: "dqe", route: "* /ACCESS_TOKEN*", error: "invalid_code" }] },
      /^rules\.0: error: invalid_code cannot be answered on dqe \w+ \/ACCESS_TOKEN\/?, whose errors are dqe API/,
    ],
    [
      "a route that names none of the vendor's",
      { description: "d", rules: [{ vendor: "sumsub", route: "POST /oauth/token", status: 500 }] },
      /^rules\.0: route: "POST \/oauth\/token" names no route of sumsub \(routes: /,
    ],
    [
      "a webhook rule for an event the vendor does not send",
      { description: "d", webhooks: [{ vendor: "regula", event: "nope", duplicate: true }] },
      /^webhooks\.0: event: nope is not an event of regula/,
    ],
  ])("400 naming the field for %s, as a scenario file's check would", async (_, document, message) => {
    const res = await sandbox.request("/__admin/scenarios/bad", put(document));
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: string; message: string };
    expect(body.error).toBe("invalid_request");
    if (typeof message === "string") expect(body.message).toBe(message);
    else expect(body.message).toMatch(message);
    // Nothing was defined.
    expect((await sandbox.request("/__admin/scenarios/bad", { method: "DELETE" })).status).toBe(404);
  });

  it.each([
    [
      "a name a header could not carry",
      "two%20words",
      "name: a scenario name is 1 to 64 of A-Z a-z 0-9 . _ -",
    ],
    ["a reserved path", "enqueue", "name: active and enqueue are not scenario names"],
  ])("400 for %s", async (_, name, message) => {
    expect(await answer(await sandbox.request(`/__admin/scenarios/${name}`, put(credits)))).toEqual({
      status: 400,
      body: { error: "invalid_request", message },
    });
  });

  it("409 for the name of a scenario file: files are changed on disk", async () => {
    expect(
      await answer(await sandbox.request("/__admin/scenarios/dqe-credits-exhausted", put(credits))),
    ).toEqual({
      status: 409,
      body: {
        error: "conflict",
        message:
          "dqe-credits-exhausted is the scenario of the file dqe-credits-exhausted.yaml: change the file, or pick another name",
      },
    });
  });

  it("413 for a document over 64 KiB; 400 past 100 scenarios in a namespace", async () => {
    const big = { description: "x".repeat(64 * 1024), rules: [] };
    expect(await answer(await sandbox.request("/__admin/scenarios/big", put(big)))).toEqual({
      status: 413,
      body: { error: "payload_too_large", message: "a scenario is at most 64 KiB" },
    });
    for (let i = 0; i < 100; i++)
      expect((await sandbox.request(`/__admin/scenarios/s${i}`, put(credits, ns("full")))).status).toBe(201);
    expect(await answer(await sandbox.request("/__admin/scenarios/s100", put(credits, ns("full"))))).toEqual({
      status: 400,
      body: {
        error: "invalid_request",
        message: "at most 100 scenarios per namespace: delete one first, or reset the namespace",
      },
    });
    // Replacing one is not adding one; another namespace has its own room.
    expect((await sandbox.request("/__admin/scenarios/s0", put(credits, ns("full")))).status).toBe(200);
    expect((await sandbox.request("/__admin/scenarios/s100", put(credits, ns("other")))).status).toBe(201);
  });
});

describe("DELETE /__admin/scenarios/{name}", () => {
  it("removes a run-time scenario and deactivates it; 404 once gone; 409 for a file's", async () => {
    await sandbox.request("/__admin/scenarios/no-credits", put(credits, ns("w1")));
    await sandbox.request("/__admin/scenarios/active", put({ names: ["no-credits"] }, ns("w1")));
    expect((await sandbox.request(DQE_OK, { headers: ns("w1") })).status).toBe(400);
    expect(
      await answer(
        await sandbox.request("/__admin/scenarios/no-credits", { method: "DELETE", headers: ns("w1") }),
      ),
    ).toEqual({ status: 200, body: { deleted: "no-credits" } });
    expect((await sandbox.request(DQE_OK, { headers: ns("w1") })).status).toBe(200);
    const scenarios = (await (await sandbox.request("/__admin/scenarios", { headers: ns("w1") })).json()) as {
      active: unknown;
    };
    expect(scenarios.active).toEqual({ global: [], namespace: [] });
    expect(
      await answer(
        await sandbox.request("/__admin/scenarios/no-credits", { method: "DELETE", headers: ns("w1") }),
      ),
    ).toEqual({
      status: 404,
      body: { error: "not_found", message: "no scenario no-credits in namespace w1" },
    });
    expect(await answer(await sandbox.request("/__admin/scenarios/slow", { method: "DELETE" }))).toEqual({
      status: 409,
      body: {
        error: "conflict",
        message: "slow is the scenario of the file slow.yaml: change the file instead",
      },
    });
  });
});

describe("a scenario defined at run time", () => {
  it("once activated in its namespace, changes the next answer there and nowhere else", async () => {
    expect((await sandbox.request("/__admin/scenarios/no-credits", put(credits, ns("w1")))).status).toBe(201);
    // Defined is not active.
    expect((await sandbox.request(DQE_OK, { headers: ns("w1") })).status).toBe(200);
    expect(
      await answer(
        await sandbox.request("/__admin/scenarios/active", put({ names: ["no-credits"] }, ns("w1"))),
      ),
    ).toEqual({ status: 200, body: { active: ["no-credits"], scope: "w1" } });
    const hit = await sandbox.request(DQE_OK, { headers: ns("w1") });
    expect(hit.headers.get("x-sandbox-scenario")).toBe("no-credits");
    expect(await answer(hit)).toEqual({ status: 400, body: CREDITS });
    expect((await sandbox.request(DQE_OK, { headers: ns("w2") })).status).toBe(200);
    expect((await sandbox.request(DQE_OK)).status).toBe(200);
    // Another namespace does not know the name at all.
    const unknown = await sandbox.request(
      "/__admin/scenarios/active",
      put({ names: ["no-credits"] }, ns("w2")),
    );
    expect(await answer(unknown)).toEqual({
      status: 400,
      body: { error: "invalid_request", message: "unknown scenario: no-credits" },
    });
    const byHeader = await sandbox.request(DQE_OK, {
      headers: { ...ns("w2"), "x-sandbox-scenario": "no-credits" },
    });
    expect(byHeader.status).toBe(400);
  });

  it("is selected by header and by a magic value in its namespace, and a replacement applies at once", async () => {
    const once = { description: "Once", rules: [{ ...credits.rules[0], times: 1 }] };
    await sandbox.request("/__admin/scenarios/once", put(once, ns("w1")));
    const withHeader = { headers: { ...ns("w1"), "x-sandbox-scenario": "once" } };
    expect((await sandbox.request(DQE_OK, withHeader)).status).toBe(400);
    expect((await sandbox.request(DQE_OK, withHeader)).status).toBe(200);
    // Replaced: its counters start over.
    await sandbox.request("/__admin/scenarios/once", put(once, ns("w1")));
    expect((await sandbox.request(DQE_OK, withHeader)).status).toBe(400);
    expect((await sandbox.request(DQE_OK, withHeader)).status).toBe(200);

    const down = {
      description: "Sardine is down",
      rules: [{ vendor: "sardine", status: 503, body: "down" }],
    };
    await sandbox.request("/__admin/scenarios/sardine-down", put(down, ns("w1")));
    const magic = (id: string) =>
      sandbox.request(
        "/sardine/v1/identity-documents/tokens",
        json({ sessionKey: "scenario:sardine-down" }, { ...SARDINE_AUTH, ...ns(id) }),
      );
    const hit = await magic("w1");
    expect(hit.status).toBe(503);
    expect(await hit.text()).toBe("down");
    // Unknown in another namespace: the same 400 as any unknown name, in the vendor's format.
    expect(await answer(await magic("w2"))).toEqual({
      status: 400,
      body: { message: "unknown scenario in a scenario: value: sardine-down" },
    });
  });

  it("defined without a namespace and activated for everyone, applies to the default namespace only", async () => {
    await sandbox.request("/__admin/scenarios/no-credits", put(credits));
    expect(
      await answer(
        await sandbox.request(
          "/__admin/scenarios/active",
          put({ names: ["no-credits", "sardine-unauthorized"] }),
        ),
      ),
    ).toEqual({ status: 200, body: { active: ["no-credits", "sardine-unauthorized"], scope: "global" } });
    const scenarios = (await (await sandbox.request("/__admin/scenarios")).json()) as { active: unknown };
    expect(scenarios.active).toEqual({ global: ["sardine-unauthorized"], namespace: ["no-credits"] });
    expect((await sandbox.request(DQE_OK)).status).toBe(400);
    expect((await sandbox.request(DQE_OK, { headers: ns("w1") })).status).toBe(200);
    await sandbox.request("/__admin/scenarios/active", { method: "DELETE" });
    expect((await sandbox.request(DQE_OK)).status).toBe(200);
  });

  it("goes with its namespace's reset, and is no longer active", async () => {
    await sandbox.request("/__admin/scenarios/no-credits", put(credits, ns("w1")));
    await sandbox.request("/__admin/scenarios/active", put({ names: ["no-credits", "slow"] }, ns("w1")));
    expect((await sandbox.request("/__admin/reset", { method: "POST", headers: ns("w1") })).status).toBe(200);
    const scenarios = (await (await sandbox.request("/__admin/scenarios", { headers: ns("w1") })).json()) as {
      scenarios: { origin: string }[];
      active: unknown;
    };
    expect(scenarios.scenarios.filter((s) => s.origin === "api")).toEqual([]);
    expect(scenarios.active).toEqual({ global: [], namespace: ["slow"] });
  });
});

describe("POST /__admin/scenarios/enqueue", () => {
  it("queues a one-shot: the next matching request answers it, then the real answer", async () => {
    const res = await sandbox.request(
      "/__admin/scenarios/enqueue",
      json({ vendor: "dqe", route: "* /ACCESS_TOKEN*", error: "credits_exhausted" }, ns("q1")),
    );
    expect(await answer(res)).toEqual({
      status: 200,
      body: { vendor: "dqe", route: "* /ACCESS_TOKEN*", times: 1, queued: 1 },
    });
    expect((await sandbox.request(DQE_OK)).status).toBe(200); // another namespace's queue
    const first = await sandbox.request(DQE_OK, { headers: ns("q1") });
    expect(first.headers.get("x-sandbox-scenario")).toBe("enqueued");
    expect(await answer(first)).toEqual({ status: 400, body: CREDITS });
    expect((await sandbox.request(DQE_OK, { headers: ns("q1") })).status).toBe(200);
  });

  it("takes times and a raw answer", async () => {
    const res = await sandbox.request(
      "/__admin/scenarios/enqueue",
      json({ vendor: "dqe", route: "*", status: 503, body: { maintenance: true }, times: 2 }),
    );
    expect(await answer(res)).toEqual({
      status: 200,
      body: { vendor: "dqe", route: "*", times: 2, queued: 1 },
    });
    expect(await answer(await sandbox.request(DQE_OK))).toEqual({ status: 503, body: { maintenance: true } });
    expect((await sandbox.request(DQE_OK)).status).toBe(503);
    expect((await sandbox.request(DQE_OK)).status).toBe(200);
  });

  it.each([
    [{ vendor: "nobody", route: "*", status: 500 }, /^vendor: nobody is not a vendor here/],
    [{ vendor: "dqe", route: "*", status: 99 }, /^status: Too small: expected number to be >=200$/],
    [{ vendor: "dqe", route: "*", status: 500, times: 0 }, /^times: Too small: expected number to be >=1$/],
    [{ vendor: "dqe", route: "*", error: "invalid_code" }, /^error: invalid_code cannot be answered on dqe /],
    [
      { vendor: "dqe", route: "GET /oauth/token", status: 500 },
      /^route: "GET \/oauth\/token" names no route of dqe/,
    ],
    [{ vendor: "dqe", route: "*" }, /^a rule needs error, status, fault or delayMs$/],
    [{ vendor: "dqe", route: "*", status: 500, match: {} }, /^\.match: unknown field$/],
  ])("400 naming the problem for %j, and nothing queued", async (body, message) => {
    const res = await sandbox.request("/__admin/scenarios/enqueue", json(body));
    expect(res.status).toBe(400);
    const error = (await res.json()) as { error: string; message: string };
    expect(error.error).toBe("invalid_request");
    expect(error.message).toMatch(message);
    expect(((await (await sandbox.request("/__admin/scenarios")).json()) as { queued: number }).queued).toBe(
      0,
    );
  });
});

describe("the control plane from curl, a client that is not Node", () => {
  let live: Sandbox | undefined;
  afterEach(async () => {
    await live?.close();
    live = undefined;
  });

  /** Runs curl and gives the status and the body it printed. */
  const curl = async (method: string, url: string, body?: unknown) => {
    const args = ["-sS", "-X", method, "-w", "\n%{http_code}", url];
    if (body !== undefined)
      args.push("-H", "content-type: application/json", "--data-binary", JSON.stringify(body));
    const { stdout } = await promisify(execFile)("curl", args);
    const cut = stdout.lastIndexOf("\n");
    return { status: Number(stdout.slice(cut + 1)), body: JSON.parse(stdout.slice(0, cut)) as unknown };
  };

  it("defines and activates a scenario, queues a one-shot and moves the clock, all over HTTP", async () => {
    live = await createSandbox({ port: 0 });
    const admin = (path: string) =>
      `${live!.url}/__admin${path}${path.includes("?") ? "&" : "?"}namespace=py`;
    const dqe = `${live.url}/ns/py${DQE_OK}`;

    expect(await curl("PUT", admin("/scenarios/no-credits"), credits)).toEqual({
      status: 201,
      body: view("no-credits"),
    });
    expect(await curl("PUT", admin("/scenarios/active"), { names: ["no-credits"] })).toEqual({
      status: 200,
      body: { active: ["no-credits"], scope: "py" },
    });
    expect(await curl("GET", dqe)).toEqual({ status: 400, body: CREDITS });
    expect(await curl("DELETE", admin("/scenarios/active"))).toEqual({
      status: 200,
      body: { active: [], scope: "py" },
    });

    const queued = await curl("POST", admin("/scenarios/enqueue"), {
      vendor: "dqe",
      route: "* /ACCESS_TOKEN*",
      status: 503,
      body: { maintenance: true },
    });
    expect(queued).toEqual({
      status: 200,
      body: { vendor: "dqe", route: "* /ACCESS_TOKEN*", times: 1, queued: 1 },
    });
    expect(await curl("GET", dqe)).toEqual({ status: 503, body: { maintenance: true } });
    const issued = await curl("GET", dqe);
    expect(issued.status).toBe(200);

    const before = (await curl("GET", admin("/clock"))).body as { now: string };
    const moved = await curl("POST", admin("/clock"), { advance: 3600 });
    expect(moved.status).toBe(200);
    const { now } = moved.body as { now: string };
    expect(Date.parse(now) - Date.parse(before.now)).toBeGreaterThanOrEqual(3_600_000);
    expect(Date.parse(now) - Date.parse(before.now)).toBeLessThan(3_660_000);
    // The pair it issued an hour ago is listed, expired, with what it was for.
    const tokens = (await curl("GET", admin("/tokens"))).body as {
      tokens: { kind: string; status: string }[];
    };
    expect(tokens.tokens.map((t) => [t.kind, t.status])).toEqual([
      ["dqe.access", "expired"],
      ["dqe.refresh", "expired"],
    ]);
  });
});
