import { describe, expect, it } from "vitest";
import type { Sandbox } from "../../src/index.js";
import { adminCall, sandboxesOnRedis } from "../helpers/shared.js";
import { basic } from "../helpers/sandbox.js";

/**
 * Two sandboxes on one real redis-server, changing one namespace's scenarios at the same time: each change is made on
 * what the other wrote (compare-and-set), so changes of different scenarios through A and B all hold, at both.
 */
const { pair } = sandboxesOnRedis();

/** An admin call, its body as JSON: status and body. */
async function admin(sandbox: Sandbox, method: string, path: string, body?: unknown) {
  const res = await adminCall(sandbox, method, path, body);
  return { status: res.status, body: (await res.json()) as unknown };
}

/** A run-time scenario: Regula's deeplink answers 503. */
const document = (description: string) => ({
  description,
  rules: [{ vendor: "regula", route: "POST /api/v1/deeplink", status: 503, body: {} }],
});
/** How `PUT /__admin/scenarios/{name}` and the listing show a run-time scenario made of `document`. */
const view = (name: string, description: string) => ({
  name,
  description,
  source: "api",
  origin: "api",
  rules: 1,
  rateLimits: false,
});

interface Listing {
  scenarios: { name: string; origin: string }[];
  active: { global: string[]; namespace: string[] };
  queued: number;
}

/** What `GET /__admin/scenarios` answers in namespace `ns`: the run-time scenarios by name, and what is active. */
async function listing(sandbox: Sandbox, ns: string) {
  const { status, body } = await admin(sandbox, "GET", `/scenarios?namespace=${ns}`);
  expect(status).toBe(200);
  const { scenarios, active, queued } = body as Listing;
  return {
    api: scenarios.filter((s) => s.origin === "api").sort((a, b) => a.name.localeCompare(b.name)),
    active: { global: [...active.global].sort(), namespace: [...active.namespace].sort() },
    queued,
  };
}

const sardineToken = async (sandbox: Sandbox, ns: string) =>
  (
    await fetch(`${sandbox.url}/ns/${ns}/sardine/v1/identity-documents/tokens`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        authorization: basic("sandbox-client", "sandbox-secret"),
      },
      body: '{"sessionKey":"s-1"}',
    })
  ).status;

const names = (n: number, stem: string) => Array.from({ length: n }, (_, i) => `${stem}-${String(i)}`);

describe("a namespace's scenarios changed through two sandboxes at once (Redis)", () => {
  it("lists at both all 10 scenarios defined at once, half through A and half through B", async () => {
    const [a, b] = await pair();
    const defined = names(10, "def");
    const answers = await Promise.all(
      defined.map((name, i) =>
        admin(i % 2 === 0 ? a : b, "PUT", `/scenarios/${name}?namespace=w1`, document(`503 ${name}`)),
      ),
    );
    expect(answers).toEqual(defined.map((name) => ({ status: 201, body: view(name, `503 ${name}`) })));
    const all = {
      api: defined.map((name) => view(name, `503 ${name}`)),
      active: { global: [], namespace: [] },
      queued: 0,
    };
    expect(await listing(a, "w1")).toEqual(all);
    expect(await listing(b, "w1")).toEqual(all);
  });

  it("keeps every activation and definition made at once through A and B, in several namespaces and globally", async () => {
    const [a, b] = await pair();
    // Through A: definitions in w2 and w3 and the default namespace. Through B, at the same time: an activation in
    // each of them (a file's scenario), which must neither drop A's definitions nor be dropped by them.
    const w2 = names(3, "two");
    const w3 = names(3, "three");
    const main = names(2, "main");
    const define = (ns: string) => (name: string) =>
      admin(a, "PUT", `/scenarios/${name}?namespace=${ns}`, document(name));
    const answers = await Promise.all([
      ...w2.map(define("w2")),
      ...w3.map(define("w3")),
      ...main.map(define("default")),
      admin(b, "PUT", "/scenarios/active?namespace=w2", { names: ["sardine-unauthorized"] }),
      admin(b, "PUT", "/scenarios/active?namespace=w3", { names: ["sardine-invalid-request", "slow"] }),
      admin(b, "PUT", "/scenarios/active", { names: ["dqe-typo-500"] }),
    ]);
    expect(answers).toEqual([
      ...[...w2, ...w3, ...main].map((name) => ({ status: 201, body: view(name, name) })),
      { status: 200, body: { active: ["sardine-unauthorized"], scope: "w2" } },
      { status: 200, body: { active: ["sardine-invalid-request", "slow"], scope: "w3" } },
      { status: 200, body: { active: ["dqe-typo-500"], scope: "global" } },
    ]);
    for (const sandbox of [a, b]) {
      expect(await listing(sandbox, "w2")).toEqual({
        api: w2.map((name) => view(name, name)),
        active: { global: ["dqe-typo-500"], namespace: ["sardine-unauthorized"] },
        queued: 0,
      });
      expect(await listing(sandbox, "w3")).toEqual({
        api: w3.map((name) => view(name, name)),
        active: { global: ["dqe-typo-500"], namespace: ["sardine-invalid-request", "slow"] },
        queued: 0,
      });
      expect(await listing(sandbox, "default")).toEqual({
        api: main.map((name) => view(name, name)),
        active: { global: ["dqe-typo-500"], namespace: [] },
        queued: 0,
      });
    }
    // Active in w2 at A too, as B made it: Sardine answers 401 there, and normally in a namespace without it.
    expect(await sardineToken(a, "w2")).toBe(401);
    expect(await sardineToken(a, "w4")).toBe(200);
  });

  it("replaces the active list whole: of two lists activated at once through A and B, one is active at both", async () => {
    const [a, b] = await pair();
    const lists = [["sardine-unauthorized", "slow"], ["dqe-typo-500"]];
    const answers = await Promise.all([
      admin(a, "PUT", "/scenarios/active?namespace=w7", { names: lists[0] }),
      admin(b, "PUT", "/scenarios/active?namespace=w7", { names: lists[1] }),
    ]);
    expect(answers).toEqual(lists.map((list) => ({ status: 200, body: { active: list, scope: "w7" } })));
    const atA = await listing(a, "w7");
    expect(await listing(b, "w7")).toEqual(atA);
    // One list, as it was given (a replacement, never a mix of the two).
    expect(lists.map((list) => [...list].sort())).toContainEqual(atA.active.namespace);
  });

  it("keeps both a scenario deleted through A and another defined through B at the same time", async () => {
    const [a, b] = await pair();
    for (const name of ["gone", "kept"])
      expect(await admin(a, "PUT", `/scenarios/${name}?namespace=w5`, document(name))).toEqual({
        status: 201,
        body: view(name, name),
      });
    expect(await admin(b, "PUT", "/scenarios/active?namespace=w5", { names: ["gone", "kept"] })).toEqual({
      status: 200,
      body: { active: ["gone", "kept"], scope: "w5" },
    });
    const [deleted, defined] = await Promise.all([
      admin(a, "DELETE", "/scenarios/gone?namespace=w5"),
      admin(b, "PUT", "/scenarios/added?namespace=w5", document("added")),
    ]);
    expect(deleted).toEqual({ status: 200, body: { deleted: "gone" } });
    expect(defined).toEqual({ status: 201, body: view("added", "added") });
    const after = {
      api: [view("added", "added"), view("kept", "kept")],
      active: { global: [], namespace: ["kept"] },
      queued: 0,
    };
    expect(await listing(a, "w5")).toEqual(after);
    expect(await listing(b, "w5")).toEqual(after);
    // Gone for both: B cannot delete it again, nor activate it.
    expect(await admin(b, "DELETE", "/scenarios/gone?namespace=w5")).toEqual({
      status: 404,
      body: { error: "not_found", message: "no scenario gone in namespace w5" },
    });
  });

  it("holds the limit of 100 scenarios across both: of 8 defined at once past 96, 4 are refused", async () => {
    const [a, b] = await pair();
    for (const name of names(96, "before"))
      expect((await admin(a, "PUT", `/scenarios/${name}?namespace=w6`, document(name))).status).toBe(201);
    const late = names(8, "late");
    const answers = await Promise.all(
      late.map((name, i) =>
        admin(i % 2 === 0 ? a : b, "PUT", `/scenarios/${name}?namespace=w6`, document(name)),
      ),
    );
    const made = late.filter((_, i) => answers[i]!.status === 201);
    expect(made).toHaveLength(4);
    expect(answers.filter((r) => r.status !== 201)).toEqual(
      Array.from({ length: 4 }, () => ({
        status: 400,
        body: {
          error: "invalid_request",
          message: "at most 100 scenarios per namespace: delete one first, or reset the namespace",
        },
      })),
    );
    const all = [...names(96, "before"), ...made].sort();
    expect((await listing(a, "w6")).api.map((s) => s.name)).toEqual(all);
    expect((await listing(b, "w6")).api.map((s) => s.name)).toEqual(all);
  });
});
