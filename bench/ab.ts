/**
 * `npm run bench:ab -- <ids|validators>`: a same-run A/B of two variants of the sandbox (`bench/variant.ts`) on the
 * endpoints the choice touches. The variants run side by side and take turns (A, B, A, B, …), each turn after a
 * warm-up and a state reset, so a drift in the machine's speed falls on both. Prints each variant's median req/s and
 * B/A. Loopback only, bounded in time.
 */
import { load, median, startServer, type Load } from "./lib.js";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

const comparisons = {
  ids: { a: "shipped", b: "pooled-ids", what: "nanoid (A) vs the hand-written pooled generator (B)" },
  validators: {
    a: "shipped",
    b: "library-validators",
    what: "the sandbox's input reading (A) vs @hono/zod-openapi's app.openapi() validators (B)",
  },
} as const;

const endpoints = {
  "DQE ACCESS_TOKEN GET": {
    path: "/dqe/ACCESS_TOKEN/?client_secret=sandbox-secret&grant_type=client_idmobile&licence=SANDBOX-LICENCE",
  },
  "DQE ACCESS_TOKEN POST (form)": {
    path: "/dqe/ACCESS_TOKEN/",
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: "licence=SANDBOX-LICENCE&client_secret=sandbox-secret&grant_type=client_idmobile",
  },
  "Sardine incode token (JSON)": {
    path: "/sardine/v1/identity-documents/tokens",
    method: "POST",
    headers: {
      "content-type": "application/json",
      authorization: `Basic ${Buffer.from("sandbox-client:sandbox-secret").toString("base64")}`,
    },
    body: '{"sessionKey":"bench-session","customerId":"c-1","provider":"incode"}',
  },
} as const;

const which = process.argv[2] as keyof typeof comparisons | undefined;
const comparison = which && comparisons[which];
if (!comparison) throw new Error(`usage: npm run bench:ab -- <${Object.keys(comparisons).join("|")}>`);

const a = await startServer(["--import", "tsx", "bench/variant.ts", comparison.a]);
const b = await startServer(["--import", "tsx", "bench/variant.ts", comparison.b]);
try {
  const lines = [
    `${comparison.what}: ${String(ROUNDS)} turns each of ${String(SECONDS)} s after a 2 s warm-up, 50 connections.`,
    "",
    "| endpoint | A req/s (median) | B req/s (median) | B / A | non-2xx + errors |",
    "|---|---|---|---|---|",
  ];
  for (const [name, { path, ...request }] of Object.entries(endpoints)) {
    const runs: Record<"a" | "b", Load[]> = { a: [], b: [] };
    for (let round = 0; round < ROUNDS; round++) {
      for (const [key, server] of [
        ["a", a],
        ["b", b],
      ] as const) {
        await fetch(`${server.url}/__admin/reset`, { method: "POST" }).catch(() => undefined);
        const options = { url: `${server.url}${path}`, ...request };
        await load({ ...options, duration: 2 });
        runs[key].push(await load({ ...options, duration: SECONDS }));
      }
    }
    const rate = (key: "a" | "b") => median(runs[key].map((r) => r.reqPerSec));
    const bad = [...runs.a, ...runs.b].reduce((n, r) => n + r.non2xx + r.errors, 0);
    lines.push(
      `| ${name} | ${rate("a").toFixed(0)} | ${rate("b").toFixed(0)} | ${(rate("b") / rate("a")).toFixed(2)} | ${String(bad)} |`,
    );
  }
  console.log(lines.join("\n"));
} finally {
  a.stop();
  b.stop();
}
