import { spawn, type ChildProcess } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import autocannon from "autocannon";

export const ROOT = resolve(import.meta.dirname, "..");

export interface Server {
  url: string;
  child: ChildProcess;
  stop(): void;
  /** Stops it (SIGTERM) and resolves once the process has exited. */
  close(): Promise<void>;
}

/** Starts `node <args>` and waits for "listening on <url>" on its stdout. */
export function startServer(
  args: string[],
  env: Record<string, string> = {},
): Promise<Server & { startedMs: number }> {
  const t0 = performance.now();
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exited = new Promise<void>((done) => {
    child.once("exit", () => {
      done();
    });
  });
  const stop = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
  };
  return new Promise((done, fail) => {
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/[\d.:]+)/.exec(out);
      if (m)
        done({
          url: m[1]!,
          child,
          startedMs: performance.now() - t0,
          stop,
          close: () => {
            stop();
            return exited;
          },
        });
    });
    child.on("exit", (code) => {
      fail(new Error(`server exited ${String(code)}: ${out}`));
    });
  });
}

/** Milliseconds from spawn to the first 200 on `healthPath`. */
export async function coldStart(
  args: string[],
  healthPath: string,
  env: Record<string, string> = {},
): Promise<number> {
  const t0 = performance.now();
  const server = await startServer(args, env);
  for (;;) {
    try {
      const res = await fetch(`${server.url}${healthPath}`);
      if (res.status === 200) break;
    } catch {
      // not yet
    }
  }
  const ms = performance.now() - t0;
  server.stop();
  await new Promise((r) => server.child.once("exit", r));
  return ms;
}

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export interface Load {
  reqPerSec: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  total: number;
}

export async function load(options: autocannon.Options): Promise<Load> {
  const result = await autocannon({ connections: 50, ...options });
  return {
    reqPerSec: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    total: result.requests.total,
  };
}

/** Linux's clock ticks per second for /proc/<pid>/stat (`getconf CLK_TCK`: 100 on every Linux this runs on). */
const CLK_TCK = 100;

/** CPU seconds (user + system) process `pid` has used so far, from /proc; undefined where there is no /proc. */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${String(pid)}/stat`, "utf8");
    // After the command name (which may hold spaces): state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return undefined;
  }
}

/** The processes whose parent is `pid` (a sandbox's `--workers`), from /proc; none where there is no /proc. */
export function childPids(pid: number): number[] {
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === pid) out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}
