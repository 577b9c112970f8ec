import cluster, { type Worker } from "node:cluster";
import { performance } from "node:perf_hooks";
import type { SandboxConfig } from "./config.js";
import { startSandbox, type Sandbox } from "./sandbox.js";

/**
 * `--workers N`: N processes serve one port (node:cluster), each a whole sandbox over the shared store (the config
 * refuses more than one without `store.url`). The primary serves nothing itself: it forks the workers, prints the
 * banner once they all listen, replaces one that dies, and on SIGINT or SIGTERM has each drain as a single process
 * does. A worker whose primary goes away exits by itself: Node's cluster ends a worker whose IPC channel closes
 * unasked, so no worker outlives its primary.
 */

/** A failed start as the line to print (no `idv-sandbox: `) and the exit code: 2 for the config or the machine. */
export interface Failure {
  line: string;
  exitCode: number;
}

/** What the command line decides for the workers: the text printed once they listen, and how a failure reads. */
export interface WorkerHooks {
  /** The listening line (naming the workers) and the banner, from one worker's sandbox. */
  banner(sandbox: Sandbox, config: SandboxConfig): string;
  failure(err: unknown): Failure;
}

/** What a worker tells its primary. */
type FromWorker =
  | { type: "config?" }
  | { type: "listening"; banner: string }
  | ({ type: "failed" } & Failure)
  | { type: "closed"; cut: number };

/** What the primary knows of a worker: whether it listens, and why it could not start if it said so. */
interface WorkerState {
  listening: boolean;
  failure?: Failure;
}

/** What the primary tells a worker. */
type ToWorker = { type: "config"; config: SandboxConfig } | { type: "stop" };

/** A worker that could not start (the first one's line, as it would have printed it): the others are stopped. */
export class WorkerStartError extends Error {
  override readonly name = "WorkerStartError";
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/** Past this many deaths in this many seconds (and at least one per worker), workers are no longer replaced. */
const CRASH_LOOP = { deaths: 5, seconds: 10 };
/** How long past the grace period the primary waits for draining workers before it kills them. */
const STOP_SLACK_SECONDS = 10;

function say(stream: NodeJS.WriteStream, line: string): void {
  stream.write(`idv-sandbox: ${line}\n`);
}

/** How a worker ended, for a line: `signal SIGKILL` or `exit code 1`. */
function ending(code: number | null, signal: string | null): string {
  return signal === null ? `exit code ${String(code)}` : `signal ${signal}`;
}

/**
 * In the primary: forks `config.workers` workers running `entry` (the command line's own file) and resolves with the
 * banner once each listens. One that cannot start rejects with its line (a `WorkerStartError`) once the others have
 * stopped. Then it keeps them: one that dies is replaced, SIGINT or SIGTERM drains them all and exits.
 */
export function runWorkers(config: SandboxConfig, entry: string): Promise<string> {
  // `process.argv[1]` is not always the command line: `npm start` runs it from scripts/start.mjs.
  cluster.setupPrimary({ exec: entry });
  const live = new Map<Worker, WorkerState>();
  let phase: "starting" | "running" | "stopping" = "starting";
  let banner: string | undefined;
  let cut = 0;
  let exitCode = 0;
  const deaths: number[] = [];
  // Without a certificate to make, all start at once; else the others once the first listens.
  const makesCertificate = config.https.port !== undefined && config.https.cert === undefined;
  let later = config.workers - 1;

  let started!: (banner: string) => void;
  let failed!: (err: WorkerStartError) => void;
  const listening = new Promise<string>((resolve, reject) => {
    started = resolve;
    failed = reject;
  });
  /** Runs once the last worker has exited, when stopping. */
  let stopped: () => void = () => undefined;

  const send = (worker: Worker, message: ToWorker) => {
    if (worker.isConnected()) worker.send(message);
  };

  const stopAll = (then: () => void) => {
    phase = "stopping";
    stopped = then;
    if (live.size === 0) then();
    for (const worker of live.keys()) send(worker, { type: "stop" });
    // A worker stuck past its grace period is killed: the primary never exits leaving one behind.
    setTimeout(
      () => {
        exitCode = 1;
        for (const worker of live.keys()) worker.process.kill("SIGKILL");
      },
      (config.shutdownGraceSeconds + STOP_SLACK_SECONDS) * 1000,
    ).unref();
  };

  /** Forks a worker; `replaces` says which one it stands in for and how that one ended, once running. */
  const fork = (replaces?: string) => {
    const worker = cluster.fork();
    const state: WorkerState = { listening: false };
    live.set(worker, state);
    worker.on("message", (message: FromWorker) => {
      switch (message.type) {
        case "config?":
          send(worker, phase === "stopping" ? { type: "stop" } : { type: "config", config });
          return;
        case "failed":
          state.failure = { line: message.line, exitCode: message.exitCode };
          return;
        case "closed":
          cut += message.cut;
          return;
        case "listening":
          state.listening = true;
          if (phase === "stopping") send(worker, { type: "stop" });
          else if (phase === "running")
            say(process.stderr, `${replaces!}; worker ${String(worker.process.pid)} took its place`);
          else {
            banner ??= message.banner;
            // The first worker alone may have made the HTTPS certificate: the others start once it is kept.
            for (; later > 0; later--) fork();
            if (live.size === config.workers && [...live.values()].every((w) => w.listening)) {
              phase = "running";
              started(banner);
            }
          }
          return;
      }
    });
    // Gone once it has exited and its channel is closed: every message it sent before exiting has then been read.
    let exit: { code: number | null; signal: string | null } | undefined;
    let disconnected = false;
    const gone = () => {
      if (exit === undefined || !disconnected) return;
      live.delete(worker);
      ended(worker, state, exit.code, exit.signal, replaces);
    };
    worker.on("exit", (code, signal) => {
      exit = { code, signal };
      gone();
    });
    worker.on("disconnect", () => {
      disconnected = true;
      gone();
    });
  };

  const ended = (
    worker: Worker,
    state: WorkerState,
    code: number | null,
    signal: string | null,
    replaces: string | undefined,
  ) => {
    if (phase === "stopping") {
      if (code !== 0) exitCode = 1;
      if (live.size === 0) stopped();
      return;
    }
    const { failure } = state;
    if (phase === "starting") {
      const line = failure?.line ?? `a worker ended before it listened (${ending(code, signal)})`;
      stopAll(() => {
        failed(new WorkerStartError(line, failure?.exitCode ?? 1));
      });
      return;
    }
    // Running: replaced, unless workers keep dying. A replacement that never listened stands for the one it replaced.
    const now = performance.now();
    deaths.push(now);
    while (deaths[0]! < now - CRASH_LOOP.seconds * 1000) deaths.shift();
    const gone = state.listening
      ? `worker ${String(worker.process.pid)} ended (${ending(code, signal)})`
      : replaces!;
    if (!state.listening) {
      const why = failure
        ? `could not start: ${failure.line}`
        : `ended before it listened (${ending(code, signal)})`;
      say(process.stderr, `${gone}; the worker started in its place ${why}`);
    }
    if (deaths.length > Math.max(CRASH_LOOP.deaths, config.workers)) {
      const dying = `workers keep dying (${String(deaths.length)} in ${String(CRASH_LOOP.seconds)} s): stopping`;
      say(process.stderr, state.listening ? `${gone}; ${dying}` : dying);
      stopAll(() => process.exit(1));
      return;
    }
    fork(gone);
  };

  const stop = (signal: string) => {
    if (phase === "stopping") return;
    if (!config.quiet) process.stdout.write(`idv-sandbox: ${signal}, closing\n`);
    stopAll(() => {
      if (cut > 0) say(process.stderr, `${String(cut)} request(s) cut after the grace period`);
      process.exit(cut > 0 ? 1 : exitCode);
    });
  };
  // In before the first fork: whoever reads the URL may stop us at once.
  process.on("SIGINT", () => {
    stop("SIGINT");
  });
  process.on("SIGTERM", () => {
    stop("SIGTERM");
  });

  fork();
  for (; later > 0 && !makesCertificate; later--) fork();
  return listening;
}

/**
 * In a worker: asks the primary for the config, starts the sandbox as a single process does, and says it listens
 * (with the banner) or why it could not start, then exits. On the primary's word, SIGINT or SIGTERM, it drains.
 */
export function serveAsWorker(hooks: WorkerHooks): void {
  let sandbox: Sandbox | undefined;
  let stopping = false;
  const tell = (message: FromWorker, then?: () => void) => {
    if (process.connected) process.send!(message, undefined, undefined, () => then?.());
    else then?.();
  };
  const stop = (graceSeconds: number) => {
    if (stopping) return;
    stopping = true;
    // Not serving yet: nothing to drain.
    if (sandbox === undefined) process.exit(0);
    sandbox.close({ graceSeconds }).then(
      ({ cut }) => {
        tell({ type: "closed", cut }, () => process.exit(cut > 0 ? 1 : 0));
      },
      () => process.exit(1),
    );
  };
  let grace = 0;
  // Ctrl-C reaches the workers too (the terminal signals the whole group): each drains at once, as the primary asks.
  process.on("SIGINT", () => {
    stop(grace);
  });
  process.on("SIGTERM", () => {
    stop(grace);
  });
  process.on("message", (message: ToWorker) => {
    if (message.type === "stop") {
      stop(grace);
      return;
    }
    const { config } = message;
    grace = config.shutdownGraceSeconds;
    startSandbox(config).then(
      (started) => {
        sandbox = started;
        tell({ type: "listening", banner: hooks.banner(started, config) });
      },
      (err: unknown) => {
        const { line, exitCode } = hooks.failure(err);
        tell({ type: "failed", line, exitCode }, () => process.exit(exitCode));
      },
    );
  });
  tell({ type: "config?" });
}
