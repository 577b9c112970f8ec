/**
 * `npm run bench`: the sandbox's production entry and a bare Hono baseline, started in this run, each driven by
 * autocannon (50 connections, a warm-up, then ≥ 10 s), on loopback only. Prints ratios, since absolute numbers
 * drift between runs and machines.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { createHash } from "node:crypto";
import { loadKeyStore } from "../src/core/keys.js";
import { coldStart, load, median, ROOT, startServer, type Load } from "./lib.js";

const DURATION = Number(process.env.BENCH_SECONDS ?? 10);
const WARMUP = 2;
/** The sandbox as a user starts it: default config (a store bounded at 100,000 entries). */
const SANDBOX = ["dist/cli.cjs", "--port", "0"];
// For the Sumsub exchange only, a second sandbox whose store is large enough that the codes made beforehand are
// not evicted before they are used.
const CONFIG = join(mkdtempSync(join(tmpdir(), "idv-bench-")), "bench.json");
writeFileSync(CONFIG, JSON.stringify({ store: { maxEntries: 2_000_000 } }));
const SANDBOX_LARGE_STORE = [...SANDBOX, "--config", CONFIG];
const SANDBOX_ENV = { LOG_LEVEL: "warn" };
const BASELINE = ["bench/baseline.mjs"];

async function measure(options: Parameters<typeof load>[0]): Promise<Load> {
  await load({ ...options, duration: WARMUP });
  return load({ ...options, duration: DURATION });
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

interface Row {
  name: string;
  result: Load;
  /** What the ratio is taken against, measured just before this row. */
  against: number;
  againstName: "bare" | "signing";
  p99Target?: number;
}

const formatRow = ({ name, result: r, against, againstName, p99Target }: Row) => {
  const missed = p99Target !== undefined && r.p99 > p99Target;
  return `| ${name} | ${r.reqPerSec.toFixed(0)} | ${String(r.p50)} | ${String(r.p99)}${missed ? " ✗" : ""} | ${(r.reqPerSec / against).toFixed(2)} × ${againstName} (${against.toFixed(0)}) | ${String(r.non2xx + r.errors)} |`;
};

const sandbox = await startServer(SANDBOX, SANDBOX_ENV);
const baseline = await startServer(BASELINE);
const basic = `Basic ${Buffer.from("sandbox-client:sandbox-secret").toString("base64")}`;
const bareLoad = {
  url: `${baseline.url}/json`,
  method: "POST",
  headers: { "content-type": "application/json" },
  body: '{"a":1,"b":"two"}',
} as const;
/** Each endpoint starts from an empty store, so one endpoint's tokens do not weigh on the next one's run. */
const reset = () => fetch(`${sandbox.url}/__admin/reset`, { method: "POST" });
const servers = [sandbox, baseline];
const rows: Row[] = [];
const bares: number[] = [];
const ceilings: number[] = [];

/** The bare baseline, then the endpoint: a drift in the machine's speed shows in both halves of the ratio. */
async function againstBare(name: string, options: Parameters<typeof load>[0]) {
  const bare = (await measure(bareLoad)).reqPerSec;
  bares.push(bare);
  await reset();
  rows.push({ name, result: await measure(options), against: bare, againstName: "bare", p99Target: 10 });
}

/** The signing ceiling, then the endpoint. */
async function againstSigning(name: string, options: Parameters<typeof load>[0]) {
  const ceiling = await signingCeiling(5);
  ceilings.push(ceiling);
  rows.push({ name, result: await measure(options), against: ceiling, againstName: "signing" });
}

try {
  await againstBare("DQE ACCESS_TOKEN GET", {
    url: `${sandbox.url}/dqe/ACCESS_TOKEN/?client_secret=sandbox-secret&grant_type=client_idmobile&licence=SANDBOX-LICENCE`,
  });
  await againstBare("DQE ACCESS_TOKEN POST", {
    url: `${sandbox.url}/dqe/ACCESS_TOKEN/`,
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: "licence=SANDBOX-LICENCE&client_secret=sandbox-secret&grant_type=client_idmobile",
  });
  await againstBare("Regula deeplink", {
    url: `${sandbox.url}/regula/api/v1/deeplink?workflowId=wf-document`,
    method: "POST",
    headers: { "content-type": "application/json", authorization: "ApiKey sandbox-api-key" },
    body: '{"metadata":{"foo":"bar"},"locale":"ru-ru","ttl":3600}',
  });
  await reset();
  await againstSigning("Sardine au10tix token (RS256)", {
    url: `${sandbox.url}/sardine/v1/identity-documents/tokens`,
    method: "POST",
    headers: { "content-type": "application/json", authorization: basic },
    body: '{"sessionKey":"bench-session","customerId":"c-1"}',
  });
  sandbox.stop();
  const large = await startServer(SANDBOX_LARGE_STORE, SANDBOX_ENV);
  servers.push(large);
  const codes = await makeCodes(
    large.url,
    Math.min(300_000, Math.ceil(Math.max(...ceilings) * (DURATION + WARMUP) * 1.3)),
  );
  await againstSigning("Sumsub code exchange + id_token (RS256)", {
    url: `${large.url}/sumsub/api/snsId/oauth/token`,
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
  });

  large.stop();
  baseline.stop();
  const sandboxStarts: number[] = [];
  const baselineStarts: number[] = [];
  for (let i = 0; i < 5; i++) {
    sandboxStarts.push(await coldStart(SANDBOX, "/__admin/health", SANDBOX_ENV));
    baselineStarts.push(await coldStart(BASELINE, "/json"));
  }

  const range = (xs: number[]) => `${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}`;
  const lines = [
    `Machine: ${String(cpus().length)} × ${cpus()[0]?.model ?? "?"}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}; ${String(DURATION)} s per run after ${String(WARMUP)} s warm-up, 50 connections, loopback.`,
    `Each ratio is taken against the baseline measured just before its row (in brackets): bare Hono JSON ${range(bares)} req/s, jose RS256 signing with 16 in flight ${range(ceilings)} signatures/s.`,
    "",
    "| endpoint | req/s | p50 ms | p99 ms | ratio (baseline req/s) | non-2xx + errors |",
    "|---|---|---|---|---|---|",
    ...rows.map(formatRow),
    "",
    `Cold start to first 200 (median of 5): sandbox ${median(sandboxStarts).toFixed(0)} ms, bare Hono ${median(baselineStarts).toFixed(0)} ms, ratio ${(median(sandboxStarts) / median(baselineStarts)).toFixed(2)}.`,
    "Targets: non-JWT ≥ 0.75 × bare, p99 < 10 ms; RS256 ≥ 0.90 × signing ceiling; cold start ≤ 1.6 × bare.",
  ];
  console.log(lines.join("\n"));
} finally {
  for (const server of servers) server.stop();
}
