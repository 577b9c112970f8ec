import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClock } from "../../src/core/clock.js";
import {
  createJournal,
  redactorFor,
  type Journal,
  type JournalRecord,
  type Redact,
} from "../../src/core/journal.js";
import { createRedisJournal } from "../../src/core/redis-store.js";
import { startRedis, type RedisServer } from "../helpers/redis.js";
import { redactToken } from "../../src/core/store.js";
import { createMemoryStore } from "../../src/core/memory-store.js";
import { kind, type Store } from "../../src/core/store.js";

/** The vendors' own secret parameters, as the sandbox declares them (DQE's licence, Sumsub's PKCE verifier). */
const redact = redactorFor(["licence", "code_verifier", "codeVerifier"]);

const T0 = Date.parse("2026-01-01T00:00:00.000Z");

/** A DQE token request by default; `n` spreads the time so each record is told apart. */
const record = (n: number, over: Partial<JournalRecord> = {}): JournalRecord => ({
  at: T0 + n * 1000,
  namespace: "default",
  direction: "in",
  method: "GET",
  path: `/dqe/ACCESS_TOKEN/?n=${n}`,
  vendor: "dqe",
  route: "GET /ACCESS_TOKEN/",
  status: 200,
  scenario: null,
  durationMs: n,
  ...over,
});

const ids = (entries: readonly { id: number }[]) => entries.map((e) => e.id);

/** Every journal the sandbox has: its own memory's ring, and a namespace's list on a real Redis (shared stores). */
let server: RedisServer;
let client: Redis;
let journals = 0;
beforeAll(async () => {
  server = await startRedis();
  client = new Redis(server.url, { lazyConnect: true });
  await client.connect();
});
afterAll(async () => {
  client.disconnect();
  await server.stop();
});

const backends: [string, (capacity: number, redact: Redact) => Journal][] = [
  ["memory", (capacity, r) => createJournal(capacity, r)],
  [
    "redis",
    (capacity, r) =>
      createRedisJournal(client, {
        prefix: `j${String(++journals)}:`,
        namespace: "default",
        capacity,
        redact: r,
      }),
  ],
];

describe.each(backends)("a journal in %s", (_name, createJournal) => {
  it("gives each record an increasing id and its time in ISO 8601, newest first", async () => {
    const journal = createJournal(10, redact);
    journal.record(
      record(1, {
        scenario: "dqe-credits-exhausted",
        status: 400,
        error: { name: "credits_exhausted", message: "credits exhausted" },
      }),
    );
    journal.record(record(2, { method: "POST", namespace: "w1" }));
    expect(await journal.size()).toBe(2);
    expect(await journal.query({})).toEqual([
      {
        id: 2,
        time: "2026-01-01T00:00:02.000Z",
        namespace: "w1",
        direction: "in",
        method: "POST",
        path: "/dqe/ACCESS_TOKEN/?n=2",
        vendor: "dqe",
        route: "GET /ACCESS_TOKEN/",
        status: 200,
        scenario: null,
        durationMs: 2,
        error: null,
      },
      {
        id: 1,
        time: "2026-01-01T00:00:01.000Z",
        namespace: "default",
        direction: "in",
        method: "GET",
        path: "/dqe/ACCESS_TOKEN/?n=1",
        vendor: "dqe",
        route: "GET /ACCESS_TOKEN/",
        status: 400,
        scenario: "dqe-credits-exhausted",
        durationMs: 1,
        error: { name: "credits_exhausted", message: "credits exhausted" },
      },
    ]);
  });

  it("keeps only the newest n, as a ring", async () => {
    const journal = createJournal(3, redact);
    for (let n = 1; n <= 7; n++) journal.record(record(n));
    expect(await journal.size()).toBe(3);
    const entries = await journal.query({});
    expect(ids(entries)).toEqual([7, 6, 5]);
    expect(entries.map((e) => e.path)).toEqual([
      "/dqe/ACCESS_TOKEN/?n=7",
      "/dqe/ACCESS_TOKEN/?n=6",
      "/dqe/ACCESS_TOKEN/?n=5",
    ]);
  });

  it("keeps one record with a capacity of 1", async () => {
    const journal = createJournal(1, redact);
    journal.record(record(1));
    journal.record(record(2));
    expect(ids(await journal.query({}))).toEqual([2]);
  });

  it("filters by vendor, route name, status and since, together", async () => {
    const journal = createJournal(20, redact);
    journal.record(record(1)); // 1
    journal.record(record(2, { status: 400 })); // 2
    journal.record(record(3, { vendor: "sardine", route: "POST /v1/identity-documents/tokens" })); // 3
    journal.record(record(4, { route: "GET /oauth/ACCESS_TOKEN/", status: 401 })); // 4
    journal.record(record(5, { vendor: null, route: null, status: 404, path: "/nowhere" })); // 5
    journal.record(record(6)); // 6
    expect(ids(await journal.query({ vendor: "dqe" }))).toEqual([6, 4, 2, 1]);
    expect(ids(await journal.query({ vendor: "sardine" }))).toEqual([3]);
    expect(ids(await journal.query({ route: "GET /ACCESS_TOKEN/" }))).toEqual([6, 2, 1]);
    expect(ids(await journal.query({ status: 400 }))).toEqual([2]);
    expect(ids(await journal.query({ status: 404 }))).toEqual([5]);
    expect(ids(await journal.query({ since: 3 }))).toEqual([6, 5, 4]);
    expect(ids(await journal.query({ since: 6 }))).toEqual([]);
    expect(ids(await journal.query({ vendor: "dqe", route: "GET /ACCESS_TOKEN/", since: 1 }))).toEqual([
      6, 2,
    ]);
    expect(
      ids(await journal.query({ vendor: "dqe", status: 200, route: "GET /oauth/ACCESS_TOKEN/" })),
    ).toEqual([]);
  });

  it("matches a route by its exact name only, never by a raw path or a prefix", async () => {
    // A prefix or path match would let a caller guess a redacted query value a character at a time.
    const journal = createJournal(5, redact);
    journal.record(record(1, { path: "/dqe/ACCESS_TOKEN/?client_secret=s3cret&licence=L1" }));
    expect(ids(await journal.query({ route: "GET /ACCESS_TOKEN/" }))).toEqual([1]);
    for (const route of [
      "/dqe/ACCESS_TOKEN/",
      "/dqe/ACCESS_TOKEN/?client_secret=s",
      "/dqe/ACCESS_TOKEN/?client_secret=s3cret&licence=L1",
      "/ACCESS_TOKEN/",
      "GET /ACCESS",
      "GET /ACCESS_TOKEN/?client_secret=s",
      "get /ACCESS_TOKEN/",
      "GET",
      "",
    ]) {
      expect(await journal.query({ route }), route).toEqual([]);
    }
  });

  it("gives at most limit entries, 100 unless told, the newest", async () => {
    const journal = createJournal(150, redact);
    for (let n = 1; n <= 150; n++) journal.record(record(n));
    const all = await journal.query({});
    expect(all).toHaveLength(100);
    expect(all[0]!.id).toBe(150);
    expect(all.at(-1)!.id).toBe(51);
    expect(ids(await journal.query({ limit: 3 }))).toEqual([150, 149, 148]);
    expect(ids(await journal.query({ limit: 2, since: 10, status: 200 }))).toEqual([150, 149]);
    expect(await journal.query({ limit: 0 })).toEqual([]);
    expect(await journal.query({ limit: 1000 })).toHaveLength(150);
  });

  it("redacts secret query values in the paths it gives back", async () => {
    const journal = createJournal(5, redact);
    journal.record(
      record(1, {
        path: "/dqe/ACCESS_TOKEN/?client_secret=sandbox-secret&grant_type=client_idmobile&licence=SANDBOX-LICENCE",
      }),
    );
    journal.record(
      record(2, { path: "/dqe/oauth/ACCESS_TOKEN/?scope=refresh_token&access_token=at&refresh_token=rt" }),
    );
    journal.record(record(3, { path: "/sumsub/cb?code=abc&state=xyz" }));
    expect((await journal.query({})).map((e) => e.path)).toEqual([
      "/sumsub/cb?code=%5Bredacted%5D&state=xyz",
      "/dqe/oauth/ACCESS_TOKEN/?scope=refresh_token&access_token=%5Bredacted%5D&refresh_token=%5Bredacted%5D",
      "/dqe/ACCESS_TOKEN/?client_secret=%5Bredacted%5D&grant_type=client_idmobile&licence=%5Bredacted%5D",
    ]);
    const text = JSON.stringify(await journal.query({}));
    for (const secret of ["sandbox-secret", "SANDBOX-LICENCE", "=at&", "=rt", "abc"]) {
      expect(text).not.toContain(secret);
    }
  });

  it("empties on clear, and goes on numbering after it", async () => {
    const journal = createJournal(5, redact);
    for (let n = 1; n <= 4; n++) journal.record(record(n));
    await journal.clear();
    expect(await journal.size()).toBe(0);
    expect(await journal.query({})).toEqual([]);
    // Ids keep growing, so a `since` cursor taken before the clear never skips new requests.
    journal.record(record(5));
    expect(await journal.size()).toBe(1);
    expect(ids(await journal.query({}))).toEqual([5]);
    expect(ids(await journal.query({ since: 4 }))).toEqual([5]);
  });
});

describe("redactorFor", () => {
  it.each([
    ["/a/b", "/a/b"],
    ["/a/b?", "/a/b"],
    ["/cb?state=xyz", "/cb?state=xyz"],
    ["/cb?code=abc&state=xyz", "/cb?code=%5Bredacted%5D&state=xyz"],
    [
      "/t?client_secret=1&secret=2&password=3&licence=4",
      "/t?client_secret=%5Bredacted%5D&secret=%5Bredacted%5D&password=%5Bredacted%5D&licence=%5Bredacted%5D",
    ],
    [
      "/t?access_token=1&refresh_token=2&id_token=3&token=4",
      "/t?access_token=%5Bredacted%5D&refresh_token=%5Bredacted%5D&id_token=%5Bredacted%5D&token=%5Bredacted%5D",
    ],
    [
      "/t?code_verifier=1&codeVerifier=2&authorization=3&apikey=4&api_key=5",
      "/t?code_verifier=%5Bredacted%5D&codeVerifier=%5Bredacted%5D&authorization=%5Bredacted%5D&apikey=%5Bredacted%5D&api_key=%5Bredacted%5D",
    ],
    // Names are matched whatever their case, and whole: `codes` or `my_token` are not secrets.
    ["/t?Client_Secret=1&LICENCE=2", "/t?Client_Secret=%5Bredacted%5D&LICENCE=%5Bredacted%5D"],
    ["/t?codes=1&my_token=2", "/t?codes=1&my_token=2"],
    // A repeated secret leaves one redacted value, not the others in the clear.
    ["/t?code=1&x=y&code=2", "/t?code=%5Bredacted%5D&x=y"],
    // A name written percent-encoded is still recognised.
    ["/t?client%5Fsecret=1", "/t?client_secret=%5Bredacted%5D"],
    // The Regula hand-off link carries its token in `authorization`.
    ["/regula/mobile?authorization=Token%20abc", "/regula/mobile?authorization=%5Bredacted%5D"],
  ])("%s → %s", (input, output) => {
    expect(redact(input)).toBe(output);
  });

  it("leaves a path without a query as it is, and drops an empty one", () => {
    expect(redact("/cb")).toBe("/cb");
    expect(redact("/cb?")).toBe("/cb");
    // Without a vendor's own names, only the common OAuth ones are secrets.
    expect(redactorFor()("/t?licence=L&code=c")).toBe("/t?licence=L&code=%5Bredacted%5D");
  });
});

describe("redactorFor, by value", () => {
  const tokens = kind<null>("test.token");
  const sessions = kind<null>("test.session", { secretId: false });
  const byValue = redactorFor(["licence"], {
    values: ["sandbox-secret", "SANDBOX-LICENCE", "short", undefined],
    kinds: [tokens, sessions],
  });
  const store = (): Store =>
    createMemoryStore(createClock({ start: T0, frozen: true }), { maxEntries: 10, maxCounters: 10 });

  it.each([
    // DQE's documented typo: the name is no secret's, the value is a credential.
    [
      "/dqe/ACCESS_TOKEN/?client_scret=sandbox-secret&licence=SANDBOX-LICENCE",
      "/dqe/ACCESS_TOKEN/?client_scret=%5Bredacted%5D&licence=%5Bredacted%5D",
    ],
    ["/t?a=x&b=SANDBOX-LICENCE&a=sandbox-secret", "/t?a=x&b=%5Bredacted%5D&a=%5Bredacted%5D"],
    // A path segment, percent-encoded or not.
    ["/v/sandbox-secret/x", "/v/%5Bredacted%5D/x"],
    ["/v/sandbox%2Dsecret?n=1", "/v/%5Bredacted%5D?n=1"],
    // Equal only: a value that holds a credential, or differs in case, is not one.
    ["/t?a=sandbox-secret2&b=SANDBOX-SECRET", "/t?a=sandbox-secret2&b=SANDBOX-SECRET"],
    // A credential shorter than 6 characters is never taken for one.
    ["/t/short?a=short", "/t/short?a=short"],
  ])("%s → %s", (input, output) => {
    expect(byValue(input)).toBe(output);
  });

  it("hides the values it is told are held, in the path and the query", () => {
    const held = new Set(["TKissued-token-1"]);
    expect(byValue("/dqe/TKissued-token-1?foo=TKissued-token-1&n=1", held)).toBe(
      "/dqe/%5Bredacted%5D?foo=%5Bredacted%5D&n=1",
    );
    expect(byValue("/dqe/TKissued-token-1")).toBe("/dqe/TKissued-token-1");
  });

  it("hides credentials and held values inside free text", () => {
    expect(
      byValue.text("no route for GET /v/sandbox-secret/TKissued-token-1", new Set(["TKissued-token-1"])),
    ).toBe("no route for GET /v/[redacted]/[redacted]");
    expect(byValue.text("short and sweet")).toBe("short and sweet");
  });

  it("finds the values a store holds under a secret kind, and only those", async () => {
    const s = store();
    await s.put(tokens, "TKissued-token-1", null, 60);
    await s.put(sessions, "session-id-1", null, 60);
    await s.put(tokens, "12345", null, 60);
    const held = await byValue.held(
      s,
      "/x/TKissued-token-1/session-id-1?a=TKissued-token-1&b=12345&c=sandbox-secret&d=unknown-value",
    );
    // A session id is not a secret kind's; `12345` is too short to be looked up; a credential is known already.
    expect([...held]).toEqual(["TKissued-token-1"]);
    expect(await byValue.held(s, "/x?a=b")).toEqual(new Set());
    expect(await redactorFor().held(s, "/x/TKissued-token-1")).toEqual(new Set());
  });

  it("takes every candidate for a secret when the store cannot answer", async () => {
    const broken = { get: () => Promise.reject(new Error("store down")) } as unknown as Store;
    expect(await byValue.held(broken, "/x/abcdefgh?a=12345&b=ijklmnop")).toEqual(
      new Set(["abcdefgh", "ijklmnop"]),
    );
  });
});

describe("redactToken", () => {
  it.each([
    ["", "[redacted]"],
    ["short", "[redacted]"],
    ["123456789012", "[redacted]"],
    ["1234567890123", "12345678…[redacted]"],
    ["eyJhbGciOiJSUzI1NiJ9.payload.signature", "eyJhbGci…[redacted]"],
  ])("%j → %j", (input, output) => {
    expect(redactToken(input)).toBe(output);
  });
});
