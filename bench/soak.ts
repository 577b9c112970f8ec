/**
 * `npm run soak`: issues 1,000,000 tokens across the vendors (loopback only, bounded in time), advances the clock
 * past every expiry, and prints RSS after 10k, after 1M, and after expiry + a GC. The sandbox runs in this process
 * (so it can be measured and collected); the load comes from a child process.
 */
import { spawn } from "node:child_process";
import { createSandbox } from "../src/index.js";

const TOTAL = Number(process.env.SOAK_TOKENS ?? 1_000_000);
const MAX_SECONDS = Number(process.env.SOAK_MAX_SECONDS ?? 600);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with node --expose-gc (npm run soak does)");

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
const rss = () => {
  gc();
  gc();
  return process.memoryUsage().rss;
};

const sandbox = await createSandbox({ port: 0, logLevel: "silent" });

/** Runs the load child for `amount` requests; resolves with how many it sent. */
function drive(amount: number, seconds: number): Promise<number> {
  return new Promise((done, fail) => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "bench/soak-load.ts", sandbox.url, String(amount), String(seconds)],
      {
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.on("exit", (code) => {
      if (code === 0) done(Number(out.trim()));
      else fail(new Error(`load exited ${String(code)}`));
    });
  });
}

const started = performance.now();
const first = await drive(10_000, MAX_SECONDS);
const after10k = rss();
const rest = await drive(TOTAL - first, MAX_SECONDS - (performance.now() - started) / 1000);
const after1M = rss();
const { size: storeSize, evicted } = await sandbox.state.store.stats();
sandbox.clock.advance(31 * 86_400); // past every TTL the sandbox issues (longest: refresh tokens, 30 days)
await sandbox.deps.namespaces.sweep();
const { size: sizeAfterExpiry } = await sandbox.state.store.stats();
const afterExpiry = rss();
await sandbox.close();

const seconds = (performance.now() - started) / 1000;
console.log(
  [
    `Soak: ${String(first + rest)} token requests in ${seconds.toFixed(0)} s (${((first + rest) / seconds).toFixed(0)}/s), store bound ${String(sandbox.deps.config.store.maxEntries)}.`,
    "",
    "| point | RSS |",
    "|---|---|",
    `| after 10k | ${mib(after10k)} |`,
    `| after ${String(first + rest)} (store ${String(storeSize)} entries, ${String(evicted)} evicted) | ${mib(after1M)} |`,
    `| after expiry + sweep + GC (store ${String(sizeAfterExpiry)} entries) | ${mib(afterExpiry)} |`,
    "",
    `After-expiry RSS / 10k RSS = ${(afterExpiry / after10k).toFixed(2)} (target ≤ 1.30).`,
  ].join("\n"),
);
