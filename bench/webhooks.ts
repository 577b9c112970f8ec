/**
 * `npm run bench:webhooks`: 1,000 Regula sessions get a verdict over the admin API, as fast as it takes them, with a
 * receiver that answers at once. Checks every delivery arrives exactly once, and prints the time from a verdict
 * call to its delivery (p50, p99) beside the verdict call's own round trip in the same run (the baseline), and their
 * ratio. The sandbox is the built CLI in a child process; loopback only, bounded in count and time.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { startServer } from "./lib.js";

const COUNT = Number(process.env.BENCH_VERDICTS ?? 1000);
const CONCURRENCY = 32;
const MAX_SECONDS = 120;

const arrivals = new Map<string, number[]>();
const receiver = createServer((req, res) => {
  let body = "";
  req.on("data", (chunk: Buffer) => (body += chunk.toString()));
  req.on("end", () => {
    const at = performance.now();
    const { sessionId } = JSON.parse(body) as { sessionId: string };
    arrivals.set(sessionId, [...(arrivals.get(sessionId) ?? []), at]);
    res.writeHead(204).end();
  });
});
await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
const hook = `http://127.0.0.1:${String((receiver.address() as AddressInfo).port)}/hook`;

const server = await startServer(["dist/cli.cjs", "--port", "0"], { LOG_LEVEL: "error" });
const deadline = setTimeout(() => {
  console.error(`bench:webhooks: not done after ${String(MAX_SECONDS)} s`);
  server.stop();
  process.exit(1);
}, MAX_SECONDS * 1000);
const base = server.url;
const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${base}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });

/** Runs `task` for 0..n-1, `CONCURRENCY` at a time. */
async function pool(n: number, task: (i: number) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < n) await task(next++);
    }),
  );
}

try {
  const sub = await post("/__admin/webhooks", {
    vendor: "regula",
    url: hook,
    secret: "bench",
    events: ["session.completed"],
  });
  if (sub.status !== 201) throw new Error(`subscribe answered ${String(sub.status)}`);

  const ids: string[] = [];
  await pool(COUNT, async () => {
    const res = await post(
      "/regula/api/v1/deeplink?workflowId=wf-document",
      {},
      { authorization: "ApiKey sandbox-api-key" },
    );
    const { url } = (await res.json()) as { url: string };
    ids.push(new URL(url).searchParams.get("sessionId")!);
  });

  const sent = new Map<string, number>();
  const roundTrips: number[] = [];
  const started = performance.now();
  await pool(COUNT, async (i) => {
    const id = ids[i]!;
    const t0 = performance.now();
    sent.set(id, t0);
    const res = await post("/__admin/verdicts", { vendor: "regula", id, verdict: "completed" });
    roundTrips.push(performance.now() - t0);
    if (res.status !== 200) throw new Error(`verdict answered ${String(res.status)}: ${await res.text()}`);
  });
  const verdictSeconds = (performance.now() - started) / 1000;

  // Wait for the last delivery: the flush answers once every pending one has been tried.
  await post("/__admin/webhooks/flush", {});
  const twice = [...arrivals.values()].filter((a) => a.length > 1).length;
  const missing = ids.filter((id) => !arrivals.has(id)).length;
  const latencies = ids.flatMap((id) => (arrivals.has(id) ? [arrivals.get(id)![0]! - sent.get(id)!] : []));
  const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) * p)]!;
  const [d50, d99, r50, r99] = [
    pct(latencies, 0.5),
    pct(latencies, 0.99),
    pct(roundTrips, 0.5),
    pct(roundTrips, 0.99),
  ];
  console.log(
    [
      `Webhooks: ${String(COUNT)} verdicts in ${verdictSeconds.toFixed(2)} s (${(COUNT / verdictSeconds).toFixed(0)}/s, ${String(CONCURRENCY)} in flight); deliveries: ${String(arrivals.size)} arrived, ${String(missing)} missing, ${String(twice)} twice.`,
      "",
      "| measure | p50 ms | p99 ms |",
      "|---|---|---|",
      `| verdict call round trip (baseline) | ${r50.toFixed(2)} | ${r99.toFixed(2)} |`,
      `| verdict call sent → delivery arrived | ${d50.toFixed(2)} | ${d99.toFixed(2)} |`,
      `| ratio | ${(d50 / r50).toFixed(2)}× | ${(d99 / r99).toFixed(2)}× |`,
    ].join("\n"),
  );
  if (missing > 0 || twice > 0 || arrivals.size !== COUNT) process.exitCode = 1;
} finally {
  server.stop();
  receiver.close();
  receiver.closeAllConnections();
  clearTimeout(deadline);
}
