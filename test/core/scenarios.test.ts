import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as z from "zod";
import { beforeAll, describe, expect, it } from "vitest";
import { routeTables } from "../../src/deps.js";
import { createClock } from "../../src/core/clock.js";
import { createMemoryStore } from "../../src/core/memory-store.js";
import { ConfigError, coreErrors, type ErrorFormat, type FormatCatalogue } from "../../src/core/errors.js";
import {
  checkWebhookRule,
  compileRule,
  globMatches,
  routePatternMatches,
  type RouteTable,
} from "../../src/core/scenarios/check.js";
import { loadScenarios } from "../../src/core/scenarios/load.js";
import {
  chooseRule,
  chooseWebhookRule,
  magicScenarios,
  type RequestView,
} from "../../src/core/scenarios/match.js";
import {
  ruleSchema,
  webhookRuleSchema,
  type CompiledRule,
  type Scenario,
} from "../../src/core/scenarios/schema.js";
import {
  clearScenarioState,
  createScenarioState,
  enqueueOneShot,
  MAX_QUEUED,
  type ScenarioState,
} from "../../src/core/scenarios/state.js";
import { createDeps, parseConfig } from "../../src/index.js";

// ---- A small fake route table: two vendors, three error formats ------------------------------------------------

function format(name: string, extra: Record<string, string>): ErrorFormat {
  const catalogue: FormatCatalogue = {
    ...coreErrors(),
    ...Object.fromEntries(Object.entries(extra).map(([code, message]) => [code, { status: 400, message }])),
  };
  return {
    name,
    catalogue,
    schema: z.unknown(),
    render: () => {
      throw new Error("not rendered in unit tests");
    },
  };
}

const API = format("alpha API", { session_not_found: "no such session" });
const OAUTH = format("alpha OAuth", { invalid_grant: "bad grant" });
const BETA = format("beta API", {});

const route = (vendor: string, name: string, f: ErrorFormat) => ({
  name,
  key: `${vendor} ${name}`,
  format: f,
});

const TABLES: RouteTable[] = [
  {
    vendor: "alpha",
    routes: [
      route("alpha", "GET /api/sessions/{id}", API),
      route("alpha", "POST /api/sessions", API),
      route("alpha", "POST /oauth/token", OAUTH),
    ],
    events: ["thing.done"],
  },
  { vendor: "beta", routes: [route("beta", "GET /status", BETA)], events: [] },
];

/** A rule as a scenario file gives it (defaults applied by the schema, as `loadScenarios` does). */
const rule = (input: Record<string, unknown>) => ruleSchema.parse(input);

/** A namespace's scenario state over a store of its own, against the fake tables. */
function stateOf(): ScenarioState {
  const store = createMemoryStore(createClock({ start: 0, frozen: true }), {
    maxEntries: 100,
    maxCounters: 100,
  });
  return createScenarioState(store, TABLES);
}

/** What waits in the state's queue: each item as queued, with its uses left. */
async function queueOf(state: ScenarioState): Promise<Record<string, unknown>[]> {
  return (await state.store.queued()).map((q) => ({
    ...(JSON.parse(q.item) as Record<string, unknown>),
    uses: q.uses,
  }));
}

/** A rule compiled against the fake tables; fails the test if it does not compile. */
function compiled(input: Record<string, unknown>): CompiledRule {
  const result = compileRule(rule(input), TABLES);
  if (typeof result === "string") throw new Error(result);
  return result;
}

describe("routePatternMatches", () => {
  const names = [
    "GET /api/sessions/{id}",
    "POST /api/sessions",
    "GET /ACCESS_TOKEN/",
    "POST /ACCESS_TOKEN/",
    "GET /oauth/ACCESS_TOKEN/",
  ];
  const matching = (pattern: string) => names.filter(routePatternMatches(pattern));

  it("matches an exact name only", () => {
    expect(matching("GET /ACCESS_TOKEN/")).toEqual(["GET /ACCESS_TOKEN/"]);
    expect(matching("POST /api/sessions")).toEqual(["POST /api/sessions"]);
  });

  it("takes * in the method and in the path, and a lower-case method", () => {
    expect(matching("* /ACCESS_TOKEN/")).toEqual(["GET /ACCESS_TOKEN/", "POST /ACCESS_TOKEN/"]);
    expect(matching("GET *")).toEqual([
      "GET /api/sessions/{id}",
      "GET /ACCESS_TOKEN/",
      "GET /oauth/ACCESS_TOKEN/",
    ]);
    // `*` spans slashes: one star covers every deeper path.
    expect(matching("* /api/*")).toEqual(["GET /api/sessions/{id}", "POST /api/sessions"]);
    expect(matching("get /ACCESS_TOKEN/")).toEqual(["GET /ACCESS_TOKEN/"]);
    expect(matching("*")).toEqual(names);
  });

  it("reads a bare path as any method", () => {
    expect(matching("/ACCESS_TOKEN/")).toEqual(["GET /ACCESS_TOKEN/", "POST /ACCESS_TOKEN/"]);
    expect(matching("/oauth/*")).toEqual(["GET /oauth/ACCESS_TOKEN/"]);
  });

  it("matches a path parameter by its declared name or *, never by a value a request would carry", () => {
    expect(matching("GET /api/sessions/{id}")).toEqual(["GET /api/sessions/{id}"]);
    expect(matching("GET /api/sessions/*")).toEqual(["GET /api/sessions/{id}"]);
    expect(matching("GET /api/sessions/abc")).toEqual([]);
    expect(matching("GET /api/sessions/{other}")).toEqual([]);
  });

  it("treats regex characters in a pattern literally", () => {
    // `.` and `?` must not act as regex wildcards.
    expect(routePatternMatches("GET /a.c")("GET /abc")).toBe(false);
    expect(routePatternMatches("GET /ab?")("GET /a")).toBe(false);
    expect(routePatternMatches("GET /a.c")("GET /a.c")).toBe(true);
  });
});

describe("compileRule", () => {
  const ALL = [
    "alpha GET /api/sessions/{id}",
    "alpha POST /api/sessions",
    "alpha POST /oauth/token",
    "beta GET /status",
  ];

  it("applies to every route of every vendor for vendor *, and to one vendor's routes for a vendor", () => {
    expect([...compiled({ vendor: "*", status: 503 }).routes]).toEqual(ALL);
    expect([...compiled({ vendor: "alpha", status: 503 }).routes]).toEqual(ALL.slice(0, 3));
    expect([...compiled({ vendor: "*", route: "GET *", fault: "empty" }).routes]).toEqual([
      "alpha GET /api/sessions/{id}",
      "beta GET /status",
    ]);
    expect([...compiled({ vendor: "alpha", route: "/api/*", delayMs: 5 }).routes]).toEqual([
      "alpha GET /api/sessions/{id}",
      "alpha POST /api/sessions",
    ]);
  });

  it("keeps the rule's own fields beside its routes", () => {
    const result = compiled({ vendor: "beta", error: "rate_limited", message: "slow down", times: 2 });
    expect(result).toEqual({
      vendor: "beta",
      route: "*",
      error: "rate_limited",
      message: "slow down",
      times: 2,
      routes: new Set(["beta GET /status"]),
    });
  });

  it("names the vendors there are for an unknown vendor", () => {
    expect(compileRule(rule({ vendor: "gamma", status: 500 }), TABLES)).toBe(
      "vendor: gamma is not a vendor here (one of alpha, beta, or *)",
    );
  });

  it("refuses a body on a 204 or 304 answer, which has none", () => {
    expect(compileRule(rule({ vendor: "alpha", status: 204, body: { a: 1 } }), TABLES)).toBe(
      "body: a 204 answer has no body",
    );
    expect(compileRule(rule({ vendor: "alpha", status: 204 }), TABLES)).not.toBeTypeOf("string");
  });

  it("refuses a route of more than a method and a path", () => {
    expect(
      compileRule(rule({ vendor: "alpha", route: "GET /api/sessions extra", status: 500 }), TABLES),
    ).toBe('route: "GET /api/sessions extra" must be "METHOD /path" or "/path"');
  });

  it("lists the vendor's routes for a route that names none of them", () => {
    expect(compileRule(rule({ vendor: "alpha", route: "GET /api/sessions/abc", status: 500 }), TABLES)).toBe(
      'route: "GET /api/sessions/abc" names no route of alpha (routes: GET /api/sessions/{id}; POST /api/sessions; POST /oauth/token)',
    );
    // For every vendor, the list gives each route's key, so the vendor is told too.
    expect(compileRule(rule({ vendor: "*", route: "DELETE *", status: 500 }), TABLES)).toBe(
      'route: "DELETE *" names no route of any vendor (routes: alpha GET /api/sessions/{id}; alpha POST /api/sessions; alpha POST /oauth/token; beta GET /status)',
    );
  });

  it("matches route globs in linear steps: many stars on a near miss answer at once", () => {
    expect(globMatches("/api/*/x", "/api/sessions/x")).toBe(true);
    expect(globMatches("*", "")).toBe(true);
    expect(globMatches("/a*b*c", "/aXbYc")).toBe(true);
    expect(globMatches("/a*b*c", "/aXbY")).toBe(false);
    // A near miss after many stars: the regular expression `^.*.*…!$` this replaced backtracked exponentially (eight
    // stars held the sandbox 17 s; forty would never end), so this test would time out on it.
    expect(globMatches(`${"*".repeat(40)}!`, "x".repeat(200))).toBe(false);
    expect(routePatternMatches(`* ${"*".repeat(40)}!`)("POST /api/snsId/oauth/token")).toBe(false);
  });

  it("names the route and format that cannot answer an error", () => {
    expect(compileRule(rule({ vendor: "alpha", error: "session_not_found" }), TABLES)).toBe(
      "error: session_not_found cannot be answered on alpha POST /oauth/token, whose errors are alpha OAuth " +
        "(invalid_request, not_found, payload_too_large, rate_limited, internal, unavailable, invalid_grant)",
    );
    // The same error is fine once the rule stays on the routes whose format has it.
    expect([...compiled({ vendor: "alpha", route: "* /api/*", error: "session_not_found" }).routes]).toEqual([
      "alpha GET /api/sessions/{id}",
      "alpha POST /api/sessions",
    ]);
    // A core error is in every format: any route can answer it.
    expect(compiled({ vendor: "*", error: "rate_limited" }).routes.size).toBe(4);
  });

  it("refuses a rule with nothing to do, before it looks at the route", () => {
    expect(compileRule(rule({ vendor: "alpha", route: "GET /nope" }), TABLES)).toBe(
      "a rule needs error, status, fault or delayMs",
    );
    // A message, headers or body alone do nothing either.
    expect(compileRule(rule({ vendor: "alpha", message: "m", headers: { a: "b" }, body: {} }), TABLES)).toBe(
      "a rule needs error, status, fault or delayMs",
    );
  });

  describe("against the real vendors' routes", () => {
    let tables: RouteTable[];
    beforeAll(async () => {
      tables = routeTables((await createDeps(parseConfig({ logLevel: "silent" }))).vendors);
    });

    it("finds a path-parameter route by its declared name", () => {
      const result = compileRule(
        rule({ vendor: "regula", route: "GET /api/sessions/{id}", error: "session_not_found" }),
        tables,
      );
      expect(typeof result !== "string" && [...result.routes]).toEqual(["regula GET /api/sessions/{id}"]);
      expect(
        compileRule(rule({ vendor: "regula", route: "GET /api/sessions/abc", status: 500 }), tables),
      ).toMatch(
        /^route: "GET \/api\/sessions\/abc" names no route of regula \(routes: POST \/api\/v1\/deeplink; /,
      );
    });

    it("refuses a Sumsub API error on a Sumsub OAuth route", () => {
      expect(
        compileRule(
          rule({ vendor: "sumsub", route: "POST /api/snsId/oauth/token", error: "signature_mismatch" }),
          tables,
        ),
      ).toMatch(
        /^error: signature_mismatch cannot be answered on sumsub POST \/api\/snsId\/oauth\/token, whose errors are sumsub OAuth 2\.0/,
      );
    });
  });
});

describe("loadScenarios", () => {
  const folder = async (files: Record<string, string>) => {
    const dir = await mkdtemp(join(tmpdir(), "scenarios-unit-"));
    for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
    return dir;
  };

  it("loads JSON and YAML files by base name, with their source and whether they read bodies", async () => {
    const dir = await folder({
      "plain.json": JSON.stringify({
        description: "a 503",
        rules: [{ vendor: "alpha", route: "POST /api/sessions", status: 503, match: { query: { a: "1" } } }],
      }),
      "bodied.yaml":
        'description: by body\nrules:\n  - vendor: beta\n    match: { body: { kind: "x" } }\n    error: rate_limited\n',
      "limits.yml": "description: limits only\nrateLimits: true\n",
      "notes.txt": "not a scenario",
    });
    const loaded = await loadScenarios(dir, TABLES);
    expect([...loaded.keys()]).toEqual(["bodied", "limits", "plain"]);
    expect(loaded.get("plain")).toEqual({
      name: "plain",
      source: "plain.json",
      description: "a 503",
      rateLimits: false,
      readsBody: false,
      webhooks: [],
      rules: [
        {
          vendor: "alpha",
          route: "POST /api/sessions",
          status: 503,
          match: { query: { a: "1" } },
          routes: new Set(["alpha POST /api/sessions"]),
        },
      ],
    });
    expect(loaded.get("bodied")).toMatchObject({ name: "bodied", source: "bodied.yaml", readsBody: true });
    expect(loaded.get("bodied")!.rules[0]!.routes).toEqual(new Set(["beta GET /status"]));
    expect(loaded.get("limits")).toEqual({
      name: "limits",
      source: "limits.yml",
      description: "limits only",
      rateLimits: true,
      readsBody: false,
      rules: [],
      webhooks: [],
    });
  });

  it("loads an empty folder as no scenarios", async () => {
    expect((await loadScenarios(await folder({}), TABLES)).size).toBe(0);
  });

  const refused = async (name: string, text: string) => {
    const dir = await folder({ [name]: text });
    const error: unknown = await loadScenarios(dir, TABLES).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConfigError);
    return { message: (error as Error).message, path: join(dir, name) };
  };

  it("refuses bad YAML and bad JSON, naming the file", async () => {
    const yaml = await refused("broken.yaml", "description: [unclosed\n");
    expect(yaml.message.startsWith(`scenario file ${yaml.path} is not valid yaml: `)).toBe(true);
    const json = await refused("broken.json", "{ nope");
    expect(json.message.startsWith(`scenario file ${json.path} is not valid json: `)).toBe(true);
  });

  it("refuses an unknown field, naming the file and the field's path", async () => {
    const { message, path } = await refused(
      "typo.json",
      JSON.stringify({
        description: "d",
        rules: [
          { vendor: "alpha", status: 500 },
          { vendor: "alpha", status: 500, colour: "red" },
        ],
      }),
    );
    expect(message).toBe(`scenario file ${path}: rules.1.colour: unknown field`);
    const top = await refused("top.json", JSON.stringify({ description: "d", extra: 1 }));
    expect(top.message).toBe(`scenario file ${top.path}: .extra: unknown field`);
  });

  it("refuses a file that is not an object at its root", async () => {
    const { message, path } = await refused("empty.yaml", "");
    expect(message.startsWith(`scenario file ${path}: (root): `)).toBe(true);
  });

  it("refuses a rule with a bad route, naming the file and rules.N", async () => {
    const { message, path } = await refused(
      "bad-route.yaml",
      "description: d\nrules:\n  - vendor: beta\n    status: 500\n  - vendor: alpha\n    route: GET /api/sessions/abc\n    status: 500\n",
    );
    expect(message).toBe(
      `scenario file ${path}: rules.1: route: "GET /api/sessions/abc" names no route of alpha (routes: GET /api/sessions/{id}; POST /api/sessions; POST /oauth/token)`,
    );
  });

  it("refuses a webhook rule for an event the vendor does not send, naming the file and webhooks.N", async () => {
    const { message, path } = await refused(
      "bad-event.yaml",
      "description: d\nwebhooks:\n  - vendor: alpha\n    event: thing.gone\n    duplicate: true\n",
    );
    expect(message).toBe(
      `scenario file ${path}: webhooks.0: event: thing.gone is not an event of alpha (thing.done)`,
    );
  });

  it("refuses two files naming one scenario, naming both", async () => {
    const text = JSON.stringify({ description: "d", rules: [] });
    const dir = await folder({ "x.json": text, "x.yaml": "description: d\n" });
    await expect(loadScenarios(dir, TABLES)).rejects.toThrow(
      new ConfigError(
        `scenario files ${join(dir, "x.json")} and ${join(dir, "x.yaml")} both name the scenario x`,
      ),
    );
  });

  it("refuses a file it cannot read, naming it", async () => {
    const dir = await folder({});
    await mkdir(join(dir, "sub.json"));
    await expect(loadScenarios(dir, TABLES)).rejects.toThrow(
      new ConfigError(`cannot read scenario file ${join(dir, "sub.json")}: EISDIR`),
    );
  });

  it("refuses a missing folder, naming it", async () => {
    const missing = join(await folder({}), "absent");
    await expect(loadScenarios(missing, TABLES)).rejects.toThrow(
      new ConfigError(`cannot read scenarios folder ${missing}: ENOENT`),
    );
  });
});

describe("magicScenarios", () => {
  const view = (query: Record<string, string>, body: Record<string, unknown>): RequestView => ({
    routeKey: "alpha POST /api/sessions",
    query,
    params: {},
    body,
    header: () => undefined,
  });

  it("reads query values, top-level body fields and the named nested objects, in that order", () => {
    const req = view(
      { q: "scenario:from-query", other: "plain" },
      { sessionKey: "scenario:from-body", metadata: { scenario: "scenario:from-metadata" } },
    );
    expect(magicScenarios(req, ["metadata"])).toEqual(["from-query", "from-body", "from-metadata"]);
    // Without `metadata` named, its fields are not read.
    expect(magicScenarios(req, [])).toEqual(["from-query", "from-body"]);
  });

  it("splits a comma list", () => {
    expect(magicScenarios(view({ a: "scenario:one,two.b,three_c" }, {}), [])).toEqual([
      "one",
      "two.b",
      "three_c",
    ]);
  });

  it("reads nothing from non-strings, unnamed nested objects or values that only contain the magic", () => {
    const req = view(
      { a: "x scenario:padded", b: "scenario:", c: "scenario:has space", d: "SCENARIO:upper" },
      {
        n: 1,
        t: true,
        nil: null,
        list: ["scenario:in-array"],
        other: { scenario: "scenario:in-other" },
        metadata: { deep: { scenario: "scenario:too-deep" }, n: 2 },
      },
    );
    expect(magicScenarios(req, ["metadata"])).toEqual([]);
  });

  it("reads a named field that is a string once, and a missing or null one not at all", () => {
    expect(magicScenarios(view({}, { metadata: "scenario:flat" }), ["metadata"])).toEqual(["flat"]);
    expect(magicScenarios(view({}, { metadata: null }), ["metadata", "absent"])).toEqual([]);
  });
});

describe("chooseRule", () => {
  const view = (
    routeKey: string,
    parts: {
      query?: Record<string, string>;
      params?: Record<string, string>;
      body?: Record<string, unknown>;
      header?: Record<string, string>;
    } = {},
  ): RequestView => ({
    routeKey,
    query: parts.query ?? {},
    params: parts.params ?? {},
    body: parts.body ?? {},
    header: (name) => parts.header?.[name.toLowerCase()],
  });
  const SESSIONS = "alpha POST /api/sessions";
  const STATUS = "beta GET /status";

  const scenario = (name: string, rules: CompiledRule[]): Scenario => ({
    name,
    description: name,
    webhooks: [],
    rateLimits: false,
    source: `${name}.json`,
    readsBody: false,
    rules,
  });
  const loadedOf = (...scenarios: Scenario[]) => new Map(scenarios.map((s) => [s.name, s]));

  it("takes queued one-shots first, counting down a copy and removing them at 0", async () => {
    const state = stateOf();
    const named = compiled({ vendor: "alpha", status: 500 });
    const loaded = loadedOf(scenario("s", [named]));
    expect(await enqueueOneShot(state, { vendor: "beta", route: "*", outcome: { status: 502 } })).toEqual({
      ok: true,
      queued: 1,
    });
    expect(
      await enqueueOneShot(state, { vendor: "alpha", route: "*", outcome: { status: 418 }, times: 2 }),
    ).toEqual({ ok: true, queued: 2 });
    const queued = { ...compiled({ vendor: "alpha", status: 418 }), times: 2 };
    const elsewhere = { vendor: "beta", route: "*", status: 502, uses: 1 };

    const first = await chooseRule(state, loaded, ["s"], view(SESSIONS));
    expect(first).toEqual({ scenario: "enqueued", rule: queued });
    expect(await queueOf(state)).toEqual([elsewhere, { vendor: "alpha", route: "*", status: 418, uses: 1 }]);
    expect(state.queued).toBe(2);

    expect(await chooseRule(state, loaded, ["s"], view(SESSIONS))).toEqual({
      scenario: "enqueued",
      rule: { ...queued, times: 1 },
    });
    // The rule handed out first is not changed in place: whoever got it still sees times 2.
    expect(first!.rule).toEqual(queued);
    // Used up: only the one for another route is left, and the named scenario answers again.
    expect(await queueOf(state)).toEqual([elsewhere]);
    expect(state.queued).toBe(1);
    expect(await chooseRule(state, loaded, ["s"], view(SESSIONS))).toEqual({ scenario: "s", rule: named });
  });

  it("tries named scenarios in the order given, skipping unknown names, and each one's rules in order", async () => {
    const state = stateOf();
    const a = compiled({ vendor: "alpha", status: 501 });
    const bFirst = compiled({ vendor: "beta", status: 502 });
    const bSecond = compiled({ vendor: "alpha", status: 503 });
    const loaded = loadedOf(scenario("a", [a]), scenario("b", [bFirst, bSecond]));
    expect(await chooseRule(state, loaded, ["missing", "b", "a"], view(SESSIONS))).toEqual({
      scenario: "b",
      rule: bSecond,
    });
    expect(await chooseRule(state, loaded, ["a", "b"], view(SESSIONS))).toEqual({ scenario: "a", rule: a });
    expect(await chooseRule(state, loaded, ["a", "b"], view(STATUS))).toEqual({
      scenario: "b",
      rule: bFirst,
    });
    expect(await chooseRule(state, loaded, [], view(SESSIONS))).toBeUndefined();
    expect(await chooseRule(state, loaded, ["a"], view("alpha GET /api/sessions/{id}"))).toEqual({
      scenario: "a",
      rule: a,
    });
    expect(await chooseRule(state, loaded, ["a"], view(STATUS))).toBeUndefined();
  });

  it("applies a rule with times that many times, then falls through, counting per scenario", async () => {
    const state = stateOf();
    const twice = compiled({ vendor: "alpha", status: 503, times: 2 });
    const fallback = compiled({ vendor: "alpha", status: 500 });
    // Two scenarios holding the same rule at the same index: their counters are separate.
    const loaded = loadedOf(scenario("x", [twice, fallback]), scenario("y", [twice]));
    const run = async (names: string[]) =>
      (await chooseRule(state, loaded, names, view(SESSIONS)))?.rule.status;
    const runs = async (n: number, names: string[]) => {
      const statuses: (number | undefined)[] = [];
      for (let i = 0; i < n; i++) statuses.push(await run(names));
      return statuses;
    };
    expect(await runs(4, ["x"])).toEqual([503, 503, 500, 500]);
    expect(await runs(3, ["y"])).toEqual([503, 503, undefined]);
    // The counters are the store's: x's first rule was seen 4 times and applied twice (at its limit, nothing counts).
    expect(await state.store.count("seen:x#0", 4)).toBeUndefined();
    expect(await state.store.count("applied:x#0", 2)).toBeUndefined();
    // Resetting the namespace (its store, then its scenario state) restarts the counters.
    await state.store.reset();
    clearScenarioState(state);
    expect(await state.store.count("seen:y#0", 1)).toBe(1);
    expect(await runs(3, ["x"])).toEqual([503, 503, 500]);
  });

  it("applies a rule with every to each Nth matching request only", async () => {
    const state = stateOf();
    const third = compiled({ vendor: "alpha", status: 503, every: 3 });
    const fallback = compiled({ vendor: "*", status: 200 });
    const loaded = loadedOf(scenario("e", [third, fallback]));
    const runs = async (...keys: string[]) => {
      const statuses: (number | undefined)[] = [];
      for (const key of keys) statuses.push((await chooseRule(state, loaded, ["e"], view(key)))?.rule.status);
      return statuses;
    };
    // Requests to a route the rule does not cover do not count towards its every.
    expect(await runs(SESSIONS, STATUS, SESSIONS, STATUS, SESSIONS)).toEqual([200, 200, 200, 200, 503]);
    expect(await runs(SESSIONS, SESSIONS, SESSIONS)).toEqual([200, 200, 503]);
  });

  it("combines every and times: the Nth requests, that many times", async () => {
    const state = stateOf();
    const loaded = loadedOf(scenario("et", [compiled({ vendor: "alpha", status: 503, every: 2, times: 2 })]));
    const statuses: (number | undefined)[] = [];
    for (let i = 0; i < 8; i++)
      statuses.push((await chooseRule(state, loaded, ["et"], view(SESSIONS)))?.rule.status);
    expect(statuses).toEqual([undefined, 503, undefined, 503, undefined, undefined, undefined, undefined]);
  });

  describe("match", () => {
    const loadedWith = (match: Record<string, Record<string, string>>) =>
      loadedOf(scenario("m", [compiled({ vendor: "alpha", status: 409, match })]));
    const hits = async (match: Record<string, Record<string, string>>, req: RequestView) =>
      (await chooseRule(stateOf(), loadedWith(match), ["m"], req)) !== undefined;

    it("compares path parameters exactly: one session can fail while the others answer", async () => {
      const m = { params: { id: "s-1" } };
      expect(await hits(m, view(SESSIONS, { params: { id: "s-1" } }))).toBe(true);
      expect(await hits(m, view(SESSIONS, { params: { id: "s-2" } }))).toBe(false);
      expect(await hits(m, view(SESSIONS))).toBe(false);
    });

    it("compares query values exactly", async () => {
      const m = { query: { flow: "kyc" } };
      expect(await hits(m, view(SESSIONS, { query: { flow: "kyc", x: "y" } }))).toBe(true);
      expect(await hits(m, view(SESSIONS, { query: { flow: "KYC" } }))).toBe(false);
      expect(await hits(m, view(SESSIONS, { query: { flow: "kyc2" } }))).toBe(false);
      expect(await hits(m, view(SESSIONS))).toBe(false);
    });

    it("compares scalar body values as strings, and never an object, array or null", async () => {
      const m = { body: { n: "1" } };
      expect(await hits(m, view(SESSIONS, { body: { n: "1" } }))).toBe(true);
      expect(await hits(m, view(SESSIONS, { body: { n: 1 } }))).toBe(true);
      expect(await hits(m, view(SESSIONS, { body: { n: 1.5 } }))).toBe(false);
      expect(await hits({ body: { b: "true" } }, view(SESSIONS, { body: { b: true } }))).toBe(true);
      expect(await hits({ body: { o: "[object Object]" } }, view(SESSIONS, { body: { o: {} } }))).toBe(false);
      expect(await hits({ body: { a: "1" } }, view(SESSIONS, { body: { a: ["1"] } }))).toBe(false);
      expect(await hits({ body: { z: "null" } }, view(SESSIONS, { body: { z: null } }))).toBe(false);
      expect(await hits(m, view(SESSIONS))).toBe(false);
    });

    it("compares header values exactly, and needs every matcher to hold", async () => {
      const m = { header: { "x-client": "ios" } };
      expect(await hits(m, view(SESSIONS, { header: { "x-client": "ios" } }))).toBe(true);
      expect(await hits(m, view(SESSIONS, { header: { "x-client": "android" } }))).toBe(false);
      const all = { query: { q: "1" }, body: { b: "2" }, header: { h: "3" } };
      const full = { query: { q: "1" }, body: { b: 2 }, header: { h: "3" } };
      expect(await hits(all, view(SESSIONS, full))).toBe(true);
      expect(await hits(all, view(SESSIONS, { ...full, header: {} }))).toBe(false);
      expect(await hits(all, view(SESSIONS, { ...full, query: {} }))).toBe(false);
      expect(await hits(all, view(SESSIONS, { ...full, body: {} }))).toBe(false);
      // A match never widens the rule's routes.
      expect(await hits(all, view(STATUS, full))).toBe(false);
    });

    it("lets a queued one-shot that does not match stay queued", async () => {
      const state = stateOf();
      // As enqueueOneShot writes a one-shot (outcome, vendor, route), with a match as a scenario rule has.
      const item = { status: 409, vendor: "alpha", route: "*", match: { query: { flow: "kyc" } } };
      state.queued = (await state.store.enqueue(JSON.stringify(item), 1, MAX_QUEUED))!;
      const picky = { ...compiled(item), times: 1 };
      expect(
        await chooseRule(state, new Map(), [], view(SESSIONS, { query: { flow: "aml" } })),
      ).toBeUndefined();
      expect(await queueOf(state)).toEqual([{ ...item, uses: 1 }]);
      expect(await chooseRule(state, new Map(), [], view(SESSIONS, { query: { flow: "kyc" } }))).toEqual({
        scenario: "enqueued",
        rule: picky,
      });
      expect(await queueOf(state)).toEqual([]);
      expect(state.queued).toBe(0);
    });
  });
});

describe("webhook rules", () => {
  const rule = (input: Record<string, unknown>) => webhookRuleSchema.parse(input);

  it("checks the vendor sends webhooks, the event is one of its, and the rule does something", () => {
    expect(checkWebhookRule(rule({ vendor: "alpha", duplicate: true }), TABLES)).toBeUndefined();
    expect(
      checkWebhookRule(rule({ vendor: "*", event: "thing.done", outOfOrder: true }), TABLES),
    ).toBeUndefined();
    expect(checkWebhookRule(rule({ vendor: "beta", duplicate: true }), TABLES)).toBe(
      "vendor: beta sends no webhooks here (one of alpha, or *)",
    );
    expect(checkWebhookRule(rule({ vendor: "alpha" }), TABLES)).toBe(
      "a webhook rule needs duplicate or outOfOrder",
    );
  });

  it("applies the first matching rule of the named scenarios, with times", async () => {
    const state = stateOf();
    const dup: Scenario = {
      name: "dup",
      description: "d",
      rateLimits: false,
      source: "dup.yaml",
      readsBody: false,
      rules: [],
      webhooks: [rule({ vendor: "alpha", event: "thing.done", duplicate: true, times: 1 })],
    };
    const loaded = new Map([["dup", dup]]);
    expect(await chooseWebhookRule(state, loaded, ["dup"], "alpha", "thing.other")).toBeUndefined();
    expect(await chooseWebhookRule(state, loaded, ["dup"], "alpha", "thing.done")).toEqual({
      scenario: "dup",
      rule: dup.webhooks[0],
    });
    expect(await chooseWebhookRule(state, loaded, ["dup"], "alpha", "thing.done")).toBeUndefined();
  });
});
