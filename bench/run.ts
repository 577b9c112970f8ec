/**
 * `npm run bench`: the sandbox's production entry on its memory store and on Redis (a redis-server this run starts),
 * and a bare Hono baseline, each driven by autocannon (50 connections, a warm-up, then ≥ 10 s), on loopback only.
 * Prints ratios, since absolute numbers drift between runs and machines; the commands each Redis route sends; and,
 * once the CLI has `--workers`, 2 workers against 1 on Redis.
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { createHash } from "node:crypto";
import type autocannon from "autocannon";
import { Redis } from "ioredis";
import { loadKeyStore } from "../src/core/keys.js";
import { redisServerPath, startRedis, type RedisServer } from "../test/helpers/redis.js";
import {
  childPids,
  coldStart,
  cpuSeconds,
  load,
  median,
  ROOT,
  startServer,
  type Load,
  type Server,
} from "./lib.js";

const DURATION = Number(process.env.BENCH_SECONDS ?? 10);
const WARMUP = 2;
/** Requests whose Redis commands are counted, per route (MONITOR, after the timed runs, one at a time). */
const COUNTED = 500;
/** The sandbox as a user starts it: default config (a store bounded at 100,000 entries). */
const SANDBOX = ["dist/cli.cjs", "--port", "0"];
// For the Sumsub exchange only, sandboxes whose store is large enough that the codes made beforehand are not evicted
// before they are used.
const CONFIG = join(mkdtempSync(join(tmpdir(), "idv-bench-")), "bench.json");
writeFileSync(CONFIG, JSON.stringify({ store: { maxEntries: 2_000_000 } }));
const LARGE_STORE = ["--config", CONFIG];
const SANDBOX_ENV = { LOG_LEVEL: "warn" };
const BASELINE = ["bench/baseline.mjs"];

type Options = autocannon.Options;

// Everything this run starts, stopped at the end, on failure and on SIGINT.
const servers: Server[] = [];
let redis: RedisServer | undefined;
let admin: Redis | undefined;
let closing: Promise<void> | undefined;
const closeAll = () =>
  (closing ??= (async () => {
    await Promise.all(servers.map((s) => s.close()));
    admin?.disconnect();
    await redis?.stop();
  })());
process.once("SIGINT", () => {
  console.error("bench: SIGINT, stopping the servers and redis-server it started");
  void closeAll().finally(() => process.exit(130));
});
// A failure outside the run's own `try` (an event handler's) stops them too.
process.once("uncaughtException", (err) => {
  console.error(err);
  void closeAll().finally(() => process.exit(1));
});

async function start(args: string[], env: Record<string, string> = SANDBOX_ENV): Promise<Server> {
  const server = await startServer(args, env);
  servers.push(server);
  return server;
}

async function stop(server: Server): Promise<void> {
  await server.close();
  servers.splice(servers.indexOf(server), 1);
}

interface Measured extends Load {
  /** CPU (user + system) per request of the sandbox's processes (with workers, the primary and every worker). */
  sandboxUs: number | undefined;
  /** CPU per request of redis-server. */
  redisUs: number | undefined;
  /** CPU seconds of each sandbox process during the timed run, the primary first. */
  processSeconds: (number | undefined)[];
}

let redisPid = 0;

/** A warm-up, then the timed run, with the CPU the sandbox and redis-server spent on it. */
async function measure(server: Server, options: Options): Promise<Measured> {
  await load({ ...options, duration: WARMUP });
  const pids = [server.child.pid!, ...childPids(server.child.pid!)];
  const before = pids.map(cpuSeconds);
  const redisBefore = cpuSeconds(redisPid);
  const result = await load({ ...options, duration: DURATION });
  const processSeconds = pids.map((pid, i) => {
    const [a, b] = [before[i], cpuSeconds(pid)];
    return a === undefined || b === undefined ? undefined : b - a;
  });
  const redisAfter = cpuSeconds(redisPid);
  const perRequest = (seconds: number | undefined) =>
    seconds === undefined || result.total === 0 ? undefined : (seconds * 1e6) / result.total;
  return {
    ...result,
    sandboxUs: perRequest(
      processSeconds.some((s) => s === undefined)
        ? undefined
        : processSeconds.reduce<number>((sum, s) => sum + s!, 0),
    ),
    redisUs: perRequest(
      redisBefore === undefined || redisAfter === undefined ? undefined : redisAfter - redisBefore,
    ),
    processSeconds,
  };
}

/** jose RS256 signing with 16 in flight for `seconds`: the ceiling for any endpoint that signs a JWT per request. */
async function signingCeiling(seconds: number): Promise<number> {
  const keys = await loadKeyStore(join(ROOT, "fixtures/keys"), ["sardine"]);
  let done = 0;
  const until = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (performance.now() < until) {
        await keys.sign("sardine", { sub: "x", iat: 1, exp: 2, jti: String(done) });
        done++;
      }
    }),
  );
  return done / seconds;
}

const verifier = "bench-verifier-bench-verifier-bench-verifier-01";
const challenge = createHash("sha256").update(verifier).digest("base64url");

/** Codes for the Sumsub exchange, one per request, made through authorize beforehand. */
async function makeCodes(url: string, count: number): Promise<string[]> {
  const query = new URLSearchParams({
    client_id: "sandbox-client",
    response_type: "code",
    redirect_uri: "http://localhost:3000/callback",
    scope: "openid email",
    code_challenge: challenge,
    code_challenge_method: "S256",
  });
  const codes: string[] = [];
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (codes.length < count) {
        const res = await fetch(`${url}/sumsub/api/snsId/oauth/authorize?${query}`, { redirect: "manual" });
        codes.push(new URL(res.headers.get("location")!).searchParams.get("code")!);
      }
    }),
  );
  return codes;
}

const basic = `Basic ${Buffer.from("sandbox-client:sandbox-secret").toString("base64")}`;

interface Endpoint {
  name: string;
  /** Issue 15's goal applies: the Redis store at ≥ 0.5 × the memory store, p99 < 15 ms. */
  goal: boolean;
  options: (url: string) => Options;
}

const dqeGet: Endpoint = {
  name: "DQE ACCESS_TOKEN GET",
  goal: true,
  options: (url) => ({
    url: `${url}/dqe/ACCESS_TOKEN/?client_secret=sandbox-secret&grant_type=client_idmobile&licence=SANDBOX-LICENCE`,
  }),
};
const dqePost: Endpoint = {
  name: "DQE ACCESS_TOKEN POST",
  goal: true,
  options: (url) => ({
    url: `${url}/dqe/ACCESS_TOKEN/`,
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: "licence=SANDBOX-LICENCE&client_secret=sandbox-secret&grant_type=client_idmobile",
  }),
};
const regula: Endpoint = {
  name: "Regula deeplink",
  goal: true,
  options: (url) => ({
    url: `${url}/regula/api/v1/deeplink?workflowId=wf-document`,
    method: "POST",
    headers: { "content-type": "application/json", authorization: "ApiKey sandbox-api-key" },
    body: '{"metadata":{"foo":"bar"},"locale":"ru-ru","ttl":3600}',
  }),
};
const sardine: Endpoint = {
  name: "Sardine au10tix token (RS256)",
  goal: false,
  options: (url) => ({
    url: `${url}/sardine/v1/identity-documents/tokens`,
    method: "POST",
    headers: { "content-type": "application/json", authorization: basic },
    body: '{"sessionKey":"bench-session","customerId":"c-1"}',
  }),
};
/** The exchange spends one code per request: `codes` are popped as requests are sent. */
const sumsubExchange = (codes: string[]): Endpoint => ({
  name: "Sumsub code exchange + id_token (RS256)",
  goal: false,
  options: (url) => ({
    url: `${url}/sumsub/api/snsId/oauth/token`,
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", authorization: basic },
    requests: [
      {
        setupRequest: (req) => ({
          ...req,
          body: new URLSearchParams({
            grant_type: "authorization_code",
            code: codes.pop() ?? "exhausted",
            redirect_uri: "http://localhost:3000/callback",
            code_verifier: verifier,
          }).toString(),
        }),
      },
    ],
  }),
});

interface Counted {
  requests: number;
  failed: number;
  /** Commands the sandbox sent, per request, by command and the kind (or index key) it names. */
  sent: Map<string, number>;
  /** Commands run inside the sandbox's Lua scripts, per request, by command. */
  scripted: Map<string, number>;
}

const MARKER = "idv-bench-counted";

/** A label for a command the sandbox sent: its name and the entry kind (or index key) of its first key. */
function label(args: string[]): string {
  const name = args[0]!.toLowerCase();
  const key = name === "evalsha" || name === "eval" ? args[3] : args[1];
  const named = key === undefined ? undefined : (/\}:e:([^:]+):/.exec(key) ?? /\}:([^:]+)/.exec(key))?.[1];
  return named === undefined ? name : `${name} ${named}`;
}

/**
 * The Redis commands `amount` requests cost, read with `redis-cli monitor` (MONITOR tells a command the sandbox sent
 * from one a Lua script ran). Not timed: MONITOR slows Redis down.
 */
async function countCommands(options: Options, amount = COUNTED): Promise<Counted> {
  const cli = spawn(join(dirname(redisServerPath()), "redis-cli"), ["-p", String(redis!.port), "monitor"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  try {
    const sent = new Map<string, number>();
    const scripted = new Map<string, number>();
    let started!: () => void;
    let marked!: () => void;
    let failed!: (err: Error) => void;
    const monitoring = new Promise<void>((resolve, reject) => {
      started = resolve;
      failed = reject;
    });
    const seen = new Promise<void>((resolve, reject) => {
      marked = resolve;
      cli.once("exit", (code) => {
        const err = new Error(`redis-cli monitor exited ${String(code)} before the count ended`);
        failed(err);
        reject(err);
      });
    });
    // Ends as soon as the marker is seen: a rejection after that is no failure.
    seen.catch(() => undefined);
    createInterface({ input: cli.stdout }).on("line", (line) => {
      if (line === "OK") {
        started();
        return;
      }
      // 1795781673.527971 [0 127.0.0.1:44772] "hmget" "idv:{default}:e:…" …, or [0 lua] from inside a script.
      const m = /^[\d.]+ \[\d+ (\S+)\] (.*)$/.exec(line);
      if (!m) return;
      const args = [...m[2]!.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((a) => a[1]!);
      if (args[0]?.toLowerCase() === "echo" && args[1] === MARKER) {
        marked();
        return;
      }
      const lua = m[1] === "lua";
      const tally = lua ? scripted : sent;
      const key = lua ? args[0]!.toLowerCase() : label(args);
      tally.set(key, (tally.get(key) ?? 0) + 1);
    });
    await monitoring;
    // One connection, so no request is left in flight when the count is reached.
    const result = await load({ ...options, amount, connections: 1 });
    // Every command the requests caused is in the monitor stream before the marker sent after them.
    await admin!.echo(MARKER);
    await seen;
    const per = (m: Map<string, number>) => new Map([...m].map(([k, n]) => [k, n / result.total]));
    return {
      requests: result.total,
      failed: result.non2xx + result.errors,
      sent: per(sent),
      scripted: per(scripted),
    };
  } finally {
    cli.kill();
  }
}

interface Row {
  endpoint: Endpoint;
  memory: Measured;
  redis: Measured;
  counted: Counted;
  /** What the memory figure is compared with, measured just before this row. */
  against: number;
  againstName: "bare" | "signing";
}

interface WorkersRow {
  endpoint: Endpoint;
  one: Measured;
  two: Measured;
}

const reset = (server: Server) => fetch(`${server.url}/__admin/reset`, { method: "POST" });

const rows: Row[] = [];
const workersRows: WorkersRow[] = [];
const bares: number[] = [];
const ceilings: number[] = [];

try {
  redis = await startRedis();
  admin = new Redis(redis.url);
  redisPid = Number(/process_id:(\d+)/.exec(await admin.info("server"))?.[1]);
  const onRedis = (args: string[]) => [...args, "--store", redis!.url];

  const memory = await start(SANDBOX);
  const shared = await start(onRedis(SANDBOX));
  const baseline = await start(BASELINE, {});
  const bareLoad = {
    url: `${baseline.url}/json`,
    method: "POST",
    headers: { "content-type": "application/json" },
    body: '{"a":1,"b":"two"}',
  } as const;

  /**
   * The endpoint on the memory store, then on Redis, each from an empty store (one endpoint's tokens do not weigh on
   * the next one's run), right after their baseline: a drift in the machine's speed shows in every part of a row.
   */
  const both = async (
    endpoint: Endpoint,
    servers: { memory: Server; redis: Server },
    /** The baseline, read once both runs are done (a `prepare` may measure it). */
    against: () => { value: number; name: Row["againstName"] },
    /** Runs after each reset, before the run (on Redis, given the memory run's figures). */
    prepare?: (server: Server, onMemory?: Measured) => Promise<void>,
  ) => {
    await reset(servers.memory);
    await prepare?.(servers.memory);
    const onMemory = await measure(servers.memory, endpoint.options(servers.memory.url));
    await reset(servers.redis);
    await prepare?.(servers.redis, onMemory);
    const onRedis = await measure(servers.redis, endpoint.options(servers.redis.url));
    const counted = await countCommands(endpoint.options(servers.redis.url));
    const { value, name } = against();
    rows.push({ endpoint, memory: onMemory, redis: onRedis, counted, against: value, againstName: name });
  };

  for (const endpoint of [dqeGet, dqePost, regula]) {
    const bare = (await measure(baseline, bareLoad)).reqPerSec;
    bares.push(bare);
    await both(endpoint, { memory, redis: shared }, () => ({ value: bare, name: "bare" }));
  }
  const ceiling = await signingCeiling(5);
  ceilings.push(ceiling);
  await both(sardine, { memory, redis: shared }, () => ({ value: ceiling, name: "signing" }));
  await reset(shared);
  await stop(memory);
  await stop(shared);

  // The exchange, each store on a sandbox large enough to keep the codes made before its run: for the memory run as
  // many as the signing ceiling allows, for the Redis run as many as the memory run reached (and the counted ones).
  const largeMemory = await start([...SANDBOX, ...LARGE_STORE]);
  const largeRedis = await start(onRedis([...SANDBOX, ...LARGE_STORE]));
  const codes: string[] = [];
  let exchangeCeiling = ceiling;
  await both(
    sumsubExchange(codes),
    { memory: largeMemory, redis: largeRedis },
    () => ({ value: exchangeCeiling, name: "signing" }),
    async (server, onMemory) => {
      const perSecond = onMemory?.reqPerSec ?? ceiling;
      codes.length = 0;
      codes.push(
        ...(await makeCodes(
          server.url,
          Math.min(300_000, Math.ceil(perSecond * (DURATION + WARMUP) * 1.3) + (onMemory ? COUNTED : 0)),
        )),
      );
      // The ceiling right before the memory run, as for the other rows.
      if (!onMemory) {
        exchangeCeiling = await signingCeiling(5);
        ceilings.push(exchangeCeiling);
      }
    },
  );
  await reset(largeRedis);
  await stop(largeMemory);
  await stop(largeRedis);

  // `--workers N` runs N processes on one port (node:cluster) and needs a shared store: 2 against 1, on Redis.
  const help = execFileSync(process.execPath, ["dist/cli.cjs", "--help"], { cwd: ROOT, encoding: "utf8" });
  const hasWorkers = /--workers\b/.test(help);
  if (hasWorkers) {
    const one = await start([...onRedis(SANDBOX), "--workers", "1"]);
    const two = await start([...onRedis(SANDBOX), "--workers", "2"]);
    for (const endpoint of [dqeGet, regula]) {
      await reset(one);
      const onOne = await measure(one, endpoint.options(one.url));
      await reset(two);
      const onTwo = await measure(two, endpoint.options(two.url));
      workersRows.push({ endpoint, one: onOne, two: onTwo });
    }
    await reset(two);
    await stop(one);
    await stop(two);
  }

  await stop(baseline);
  const sandboxStarts: number[] = [];
  const baselineStarts: number[] = [];
  for (let i = 0; i < 5; i++) {
    sandboxStarts.push(await coldStart(SANDBOX, "/__admin/health", SANDBOX_ENV));
    baselineStarts.push(await coldStart(BASELINE, "/json"));
  }

  const range = (xs: number[]) => `${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}`;
  const us = (x: number | undefined) => (x === undefined ? "–" : x.toFixed(0));
  const mark = (ok: boolean) => (ok ? " ✓" : " ✗");
  const formatRow = ({ endpoint, memory: m, redis: r, against, againstName }: Row) => {
    const ratio = r.reqPerSec / m.reqPerSec;
    return [
      endpoint.name,
      m.reqPerSec.toFixed(0),
      `${String(m.p99)}${againstName === "bare" && m.p99 > 10 ? " ✗" : ""}`,
      r.reqPerSec.toFixed(0),
      `${String(r.p99)}${endpoint.goal ? mark(r.p99 < 15) : ""}`,
      `${ratio.toFixed(2)}${endpoint.goal ? mark(ratio >= 0.5) : ""}`,
      `${(m.reqPerSec / against).toFixed(2)} × ${againstName} (${against.toFixed(0)})`,
      `${String(m.non2xx + m.errors)} / ${String(r.non2xx + r.errors)}`,
    ];
  };
  const costRow = ({ endpoint, memory: m, redis: r, counted }: Row) => {
    const sum = (map: Map<string, number>) => [...map.values()].reduce((a, b) => a + b, 0);
    return [
      endpoint.name,
      us(m.sandboxUs),
      us(r.sandboxUs),
      us(r.redisUs),
      sum(counted.sent).toFixed(2),
      sum(counted.scripted).toFixed(1),
    ];
  };
  const table = (head: string[], body: string[][]) => [
    `| ${head.join(" | ")} |`,
    `|${head.map(() => "---").join("|")}|`,
    ...body.map((cells) => `| ${cells.join(" | ")} |`),
  ];
  /**
   * What a route sends, by command and kind. Kinds one command reaches equally often, when there are more than 4 (the
   * journal's lookup of a query value under every secret kind), as one item. Below 0.01 a request (the 5-second
   * sweep) is left out.
   */
  const breakdown = (map: Map<string, number>) => {
    const groups = new Map<string, { name: string; n: number; kinds: string[] }>();
    for (const [k, n] of map) {
      if (n < 0.01) continue;
      const [name, kind] = k.split(" ") as [string, string | undefined];
      const key = `${name} ${n.toFixed(2)}`;
      const group = groups.get(key) ?? { name, n, kinds: [] };
      if (kind !== undefined) group.kinds.push(kind);
      groups.set(key, group);
    }
    return [...groups.values()]
      .flatMap(({ name, n, kinds }) =>
        kinds.length > 4
          ? [[`${name} on ${String(kinds.length)} kinds (${kinds.join(", ")})`, n * kinds.length, n] as const]
          : kinds.length === 0
            ? [[name, n, n] as const]
            : kinds.map((kind) => [`${name} ${kind}`, n, n] as const),
      )
      .sort((a, b) => b[1] - a[1])
      .map(([what, total, each]) =>
        total === each ? `${what} ${each.toFixed(2)}` : `${what} ${each.toFixed(2)} each`,
      )
      .join(", ");
  };

  const lines = [
    `Machine: ${String(cpus().length)} × ${cpus()[0]?.model ?? "?"}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}; ${String(DURATION)} s per run after ${String(WARMUP)} s warm-up, 50 connections, loopback; redis-server ${/redis_version:(\S+)/.exec(await admin.info("server"))?.[1] ?? "?"} started by the bench (persistence off).`,
    `Each endpoint runs on the memory store, then on Redis, right after its baseline (in brackets): bare Hono JSON ${range(bares)} req/s, jose RS256 signing with 16 in flight ${range(ceilings)} signatures/s.`,
    "",
    ...table(
      [
        "endpoint",
        "memory req/s",
        "memory p99 ms",
        "Redis req/s",
        "Redis p99 ms",
        "Redis / memory",
        "memory × baseline (baseline req/s)",
        "non-2xx + errors (memory / Redis)",
      ],
      rows.map(formatRow),
    ),
    "",
    `Where the time goes: CPU (user + system) per request over the timed runs, and the Redis commands per request, counted with MONITOR over ${String(COUNTED)} requests after the run, one at a time.`,
    "",
    ...table(
      [
        "endpoint",
        "sandbox µs (memory)",
        "sandbox µs (Redis)",
        "redis-server µs",
        "commands sent",
        "commands inside scripts",
      ],
      rows.map(costRow),
    ),
    "",
    ...rows.map(
      ({ endpoint, counted }) =>
        `- ${endpoint.name}: sent ${breakdown(counted.sent)}; inside scripts ${breakdown(counted.scripted)}${counted.failed > 0 ? ` (${String(counted.failed)} of ${String(counted.requests)} counted requests failed)` : ""}`,
    ),
    "",
    ...(hasWorkers
      ? [
          "`--workers 2` against `--workers 1`, both on Redis, taking turns:",
          "",
          ...table(
            [
              "endpoint",
              "1 worker req/s",
              "p99 ms",
              "2 workers req/s",
              "p99 ms",
              "2 / 1",
              "CPU s of each process (2 workers)",
            ],
            workersRows.map(({ endpoint, one, two }) => [
              endpoint.name,
              one.reqPerSec.toFixed(0),
              String(one.p99),
              two.reqPerSec.toFixed(0),
              String(two.p99),
              (two.reqPerSec / one.reqPerSec).toFixed(2),
              two.processSeconds.map((s) => (s === undefined ? "–" : s.toFixed(1))).join(", "),
            ]),
          ),
          "",
        ]
      : [
          "`--workers 2` against `--workers 1` on Redis: skipped, `dist/cli.cjs --help` has no `--workers` flag yet.",
          "",
        ]),
    `Cold start to first 200 (median of 5): sandbox ${median(sandboxStarts).toFixed(0)} ms, bare Hono ${median(baselineStarts).toFixed(0)} ms, ratio ${(median(sandboxStarts) / median(baselineStarts)).toFixed(2)}.`,
    "Targets: non-JWT ≥ 0.75 × bare, p99 < 10 ms; RS256 ≥ 0.90 × signing ceiling; cold start ≤ 1.6 × bare.",
    "Redis (issue 15): DQE and Regula token routes on Redis ≥ 0.5 × the memory store, p99 < 15 ms (✓/✗ above).",
  ];
  console.log(lines.join("\n"));
} finally {
  await closeAll();
}
