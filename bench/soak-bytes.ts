/**
 * `npm run soak:bytes`: the hostile trial's memory attack against the byte budget. 20,000 Regula deeplinks across
 * 1,000 namespaces, half with ~40 KB of string metadata and half with ~4,000 small keys (the object shape that cost
 * five times its JSON), each with a 14 KB query string for the journal. Before the budget this took RSS from 63 MB to
 * 933 MB and the object-shaped half reached the heap limit. It prints RSS at the start (the baseline, measured in this
 * run), after the attack, and the budget's own count, with the growth over the budget.
 *
 * The sandbox runs in this process (so it can be measured and collected); the load comes from a child process
 * (this file with `load`), loopback only, bounded in count and time.
 */
import { spawn } from "node:child_process";
import { createSandbox } from "../src/index.js";

const REQUESTS = Number(process.env.SOAK_REQUESTS ?? 20_000);
const MAX_SECONDS = Number(process.env.SOAK_MAX_SECONDS ?? 300);
const BUDGET = Number(process.env.SOAK_MAX_BYTES ?? 64 * 2 ** 20);
const NAMESPACES = 1000;
const CONCURRENCY = 16;

const stringMetadata = JSON.stringify({ metadata: { blob: "x".repeat(40_000) } });
const objectMetadata = JSON.stringify({
  metadata: Object.fromEntries(Array.from({ length: 4000 }, (_, i) => [`k${i}`, "v"])),
});
const longQuery = `&pad=${"q".repeat(14_000)}`;

if (process.argv[2] === "load") {
  const [, , , url, amountArg, secondsArg] = process.argv;
  const amount = Number(amountArg);
  const deadline = Date.now() + Number(secondsArg) * 1000;
  let next = 0;
  const statuses = new Map<number, number>();
  const worker = async () => {
    while (next < amount && Date.now() < deadline) {
      const i = next++;
      const res = await fetch(
        `${url}/ns/soak-${i % NAMESPACES}/regula/api/v1/deeplink?workflowId=wf-document${longQuery}`,
        {
          method: "POST",
          headers: { "content-type": "application/json", authorization: "ApiKey sandbox-api-key" },
          body: i % 2 === 0 ? stringMetadata : objectMetadata,
        },
      );
      await res.arrayBuffer();
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  process.stdout.write(JSON.stringify(Object.fromEntries(statuses)));
  process.exit(0);
}

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with node --expose-gc (npm run soak:bytes does)");
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
const rss = () => {
  gc();
  gc();
  return process.memoryUsage().rss;
};

const sandbox = await createSandbox({
  port: 0,
  logLevel: "silent",
  store: { maxBytes: BUDGET },
  namespaces: { max: NAMESPACES },
});
const baseline = rss();
const started = performance.now();
const out = await new Promise<string>((done, fail) => {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "bench/soak-bytes.ts", "load", sandbox.url, String(REQUESTS), String(MAX_SECONDS)],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  let text = "";
  child.stdout.on("data", (d: Buffer) => (text += d.toString()));
  child.on("exit", (code) => {
    if (code === 0) done(text);
    else fail(new Error(`load exited ${String(code)}`));
  });
});
const seconds = (performance.now() - started) / 1000;
const after = rss();
const { heapUsed } = process.memoryUsage();
const budget = sandbox.deps.budget.stats();
await sandbox.close();

const growth = after - baseline;
/** What "under the budget plus a fixed overhead" allows: estimates err both ways, and RSS keeps freed pages. */
const TARGET = 1.5 * BUDGET + 64 * 2 ** 20;
console.log(
  [
    `Byte soak: ${String(REQUESTS)} deeplinks over ${String(NAMESPACES)} namespaces in ${seconds.toFixed(0)} s, answers ${out}; store.maxBytes ${mib(BUDGET)}.`,
    "",
    "| point | RSS |",
    "|---|---|",
    `| at start (baseline) | ${mib(baseline)} |`,
    `| after the attack + GC | ${mib(after)} (heap used ${mib(heapUsed)}) |`,
    "",
    `Budget: ${mib(budget.usedBytes)} counted, ${String(budget.evicted)} evicted. RSS growth ${mib(growth)}, target ≤ 1.5 × the budget + 64 MiB = ${mib(TARGET)}: ${growth <= TARGET ? "met" : "NOT met"}.`,
  ].join("\n"),
);
