import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { resolve } from "node:path";

export const ROOT = resolve(import.meta.dirname, "../..");

export interface RunningCli {
  child: ChildProcessWithoutNullStreams;
  /** Resolves with everything printed on stdout once `pattern` has appeared. */
  waitFor(pattern: RegExp): Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

/** Every command line started and not yet exited: a failed test must not leave one serving. */
const running = new Set<ChildProcessWithoutNullStreams>();

/** Stops every command line a test started and left running (for `afterEach`). */
export async function stopAll(): Promise<void> {
  await Promise.all(
    [...running].map(
      (child) =>
        new Promise((done) => {
          child.once("exit", done);
          child.kill("SIGKILL");
        }),
    ),
  );
}

/** Starts the command line from source (`src/cli.ts` through tsx), as `npm start` runs the built one. */
export function runCli(args: string[], env: Record<string, string> = {}): RunningCli {
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli.ts", ...args], {
    cwd: ROOT,
    env: { ...process.env, PORT: "", HOST: "", PUBLIC_URL: "", ...env },
  });
  running.add(child);
  child.once("exit", () => running.delete(child));
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const exited = new Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
  }>((done) => child.on("exit", (code, signal) => done({ code, signal, stdout, stderr })));
  return {
    child,
    exited,
    waitFor: (pattern) =>
      new Promise((done, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`timed out waiting for ${pattern}; got: ${stdout}${stderr}`)),
          10_000,
        );
        const check = () => {
          if (pattern.test(stdout)) {
            clearTimeout(timer);
            done(stdout);
          }
        };
        child.stdout.on("data", check);
        void exited.then(() => {
          clearTimeout(timer);
          if (pattern.test(stdout)) done(stdout);
          else reject(new Error(`exited before ${pattern}: ${stdout}${stderr}`));
        });
        check();
      }),
  };
}
