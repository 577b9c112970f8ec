import { execFile, spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { once } from "node:events";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { request, type IncomingHttpHeaders } from "node:http";
import { get } from "node:https";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TLSSocket } from "node:tls";
import { promisify } from "node:util";
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { ROOT, runCli, stopAll, type RunningCli } from "../helpers/cli.js";
import { startRedis, type RedisServer } from "../helpers/redis.js";
import { basic } from "../helpers/sandbox.js";
import { authorizeQuery, CLIENT_ID, CLIENT_SECRET, pkce, REDIRECT_URI } from "../helpers/sumsub.js";

/**
 * `--workers N`: N processes of the real command line on one port, over one real redis-server. Most run the bundle
 * (dist/cli.cjs, what the bin, `npm start` and the image run): each of its processes starts in a fraction of the time
 * one from source through tsx takes, and a test here starts three or more.
 */
let redis: RedisServer;
/** A package as built: dist/cli.cjs beside the fixtures, scenarios and modules it reads at run time. */
let packageDir: string;
const running = new Set<ChildProcessWithoutNullStreams>();

beforeAll(async () => {
  redis = await startRedis();
  packageDir = await mkdtemp(join(tmpdir(), "idv-workers-"));
  await promisify(execFile)(process.execPath, [
    join(ROOT, "scripts/bundle-cli.mjs"),
    join(packageDir, "dist"),
  ]);
  for (const name of ["fixtures", "scenarios", "package.json", "node_modules"])
    await symlink(join(ROOT, name), join(packageDir, name));
  // As `npm start` does (scripts/start.mjs): the bundle loaded from another file, which is process.argv[1].
  await writeFile(join(packageDir, "start.cjs"), 'require("./dist/cli.cjs");\n');
}, 60_000);
afterAll(async () => {
  await redis.stop();
  await rm(packageDir, { recursive: true, force: true });
});
afterEach(async () => {
  await stopAll();
  await Promise.all(
    [...running].map((child) => {
      const exited = once(child, "exit");
      child.kill("SIGKILL");
      return exited;
    }),
  );
});

type Command = Pick<RunningCli, "child" | "exited">;

/** The bundled command line, started through start.cjs (its workers then run dist/cli.cjs itself). */
function runBundled(args: string[], env: Record<string, string> = {}): Command {
  const child = spawn(process.execPath, [join(packageDir, "start.cjs"), ...args], {
    env: { ...process.env, PORT: "", HOST: "", PUBLIC_URL: "", ...env },
  });
  running.add(child);
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const exited = new Promise<Awaited<RunningCli["exited"]>>((done) =>
    child.once("exit", (code, signal) => {
      running.delete(child);
      done({ code, signal, stdout, stderr });
    }),
  );
  return { child, exited };
}

const LISTENING =
  /^idv-sandbox listening on (http:\/\/127\.0\.0\.1:\d+) \(2 workers\) \(test-only: never for production\)\n/;

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** The pid of the worker that answered (`X-Sandbox-Worker`). */
  worker: number;
}

/** One request over a connection of its own: the primary hands each new connection to the next worker. */
function ask(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: init.method ?? "GET", headers: init.headers, agent: false }, (res) => {
      let body = "";
      res
        .setEncoding("utf8")
        .on("data", (d: string) => (body += d))
        .on("end", () => {
          resolve({
            status: res.statusCode!,
            headers: res.headers,
            body,
            worker: Number(res.headers["x-sandbox-worker"]),
          });
        });
    });
    req.on("error", reject);
    req.end(init.body);
  });
}

/** The pids answering `n` health checks in a row. */
async function workersAnswering(url: string, n = 4): Promise<number[]> {
  const pids: number[] = [];
  for (let i = 0; i < n; i++) {
    const answer = await ask(`${url}/__admin/health`);
    expect(answer.status).toBe(200);
    pids.push(answer.worker);
  }
  return pids;
}

/**
 * Resolves with the match once `pattern` has appeared on the command's stdout or stderr (from now on). No timeout of
 * its own: three processes starting take a while on a busy machine; the test's bounds it.
 */
function printed(cli: Command, stream: "stdout" | "stderr", pattern: RegExp): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let text = "";
    const check = (chunk: string) => {
      text += chunk;
      const found = pattern.exec(text);
      if (found) {
        cli.child[stream].off("data", check);
        resolve(found);
      }
    };
    cli.child[stream].on("data", check);
    void cli.exited.then(() => reject(new Error(`exited before ${String(pattern)} on ${stream}: ${text}`)));
  });
}

/**
 * Whether `pid` is a running process. A worker orphaned by a killed primary is re-parented and may linger as a zombie
 * until its new parent reaps it: dead all the same.
 */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = `/proc/${String(pid)}/stat`;
  return !(existsSync(stat) && / Z /.test(readFileSync(stat, "utf8").replace(/^.*\)/, "")));
}

/** Resolves once every process holding the command's stdout and stderr (its workers too) has ended. */
function allGone(child: ChildProcessWithoutNullStreams): Promise<unknown> {
  return child.stdout.closed && child.stderr.closed ? Promise.resolve() : once(child, "close");
}

/**
 * `--workers 2` on the shared Redis, from the bundle or from source; resolves with stdout once `until` is on it (the
 * listening line by default) and the plain URL.
 */
async function startWorkers({
  from = "bundle",
  extra = ["--quiet"],
  env = {},
  store = redis.url,
  until = /listening on .*\n/,
}: {
  from?: "bundle" | "source";
  extra?: string[];
  env?: Record<string, string>;
  store?: string;
  until?: RegExp;
} = {}) {
  const args = ["--workers", "2", "--store", store, "--port", "0", ...extra];
  const cli = from === "bundle" ? runBundled(args, env) : runCli(args, env);
  const out = (await printed(cli, "stdout", until)).input;
  const url = /listening on .*(http:\/\/127\.0\.0\.1:\d+)/.exec(out)![1]!;
  return { cli, out, url };
}

const SUMSUB = { authorization: basic(CLIENT_ID, CLIENT_SECRET) };

/** Three processes each (from source, through tsx, in the first test): more than 15 s on a busy machine. */
const SLOW = { timeout: 45_000 };

describe("--workers 2 over a shared store", SLOW, () => {
  it("prints the listening line once, naming 2 workers, and answers from two processes on one port", async () => {
    // From source, as the other command-line tests run it: workers re-run src/cli.ts through tsx.
    const { cli, out, url } = await startWorkers({ from: "source" });
    expect(out).toMatch(LISTENING);
    const pids = await workersAnswering(url);
    expect(new Set(pids).size).toBe(2);
    expect(pids).not.toContain(cli.child.pid);
    expect(pids.every((pid) => Number.isInteger(pid) && pid > 0)).toBe(true);
    cli.child.kill("SIGTERM");
    const { code, stdout } = await cli.exited;
    expect(code).toBe(0);
    // Quiet: the line alone, once, whatever the workers answered.
    expect(stdout).toBe(out);
  });

  it("exchanges a Sumsub code issued through one worker exactly once when 20 concurrent exchanges land on both", async () => {
    const { url } = await startWorkers();
    const { verifier, challenge } = pkce();
    const issued = await ask(
      `${url}/sumsub/api/snsId/oauth/authorize?${authorizeQuery({ scope: "openid email", challenge })}`,
    );
    expect(issued.status).toBe(302);
    const code = new URL(issued.headers.location!).searchParams.get("code")!;
    const body = new URLSearchParams({
      grant_type: "authorization_code",
      code,
      redirect_uri: REDIRECT_URI,
      code_verifier: verifier,
    }).toString();
    const answers = await Promise.all(
      Array.from({ length: 20 }, () =>
        ask(`${url}/sumsub/api/snsId/oauth/token`, {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded", ...SUMSUB },
          body,
        }),
      ),
    );
    expect(new Set(answers.map((a) => a.worker)).size).toBe(2);
    const won = answers.filter((a) => a.status === 200);
    expect(won).toHaveLength(1);
    expect(JSON.parse(won[0]!.body)).toMatchObject({ token_type: "Bearer", scope: "openid email" });
    const lost = answers.filter((a) => a.status !== 200);
    expect(lost.map((a) => a.status)).toEqual(Array.from({ length: 19 }, () => 400));
    for (const a of lost) expect(JSON.parse(a.body)).toMatchObject({ error: "invalid_grant" });
  });

  it("replaces a worker killed with SIGKILL, with one line on stderr, and the port keeps answering", async () => {
    const { cli, url } = await startWorkers();
    const [killed, survivor] = [...new Set(await workersAnswering(url))] as [number, number];
    const replaced = printed(
      cli,
      "stderr",
      new RegExp(
        `^idv-sandbox: worker ${String(killed)} ended \\(signal SIGKILL\\); worker (\\d+) took its place\\n`,
      ),
    );
    process.kill(killed, "SIGKILL");
    const newcomer = Number((await replaced)[1]);
    expect([killed, survivor]).not.toContain(newcomer);
    expect(alive(killed)).toBe(false);
    const pids = await workersAnswering(url);
    expect(new Set(pids)).toEqual(new Set([survivor, newcomer]));
    cli.child.kill("SIGTERM");
    const { code, stderr } = await cli.exited;
    expect(code).toBe(0);
    expect(stderr.split("\n").filter(Boolean)).toHaveLength(1);
  });

  it("on SIGTERM lets each worker finish its request in flight, exits 0 and leaves no worker alive", async () => {
    // `slow`: every vendor route answers 2 s late, so both requests are in flight when the signal comes.
    const { cli, out, url } = await startWorkers({ extra: ["--scenario", "slow"] });
    // Not quiet: still one banner.
    expect(out.match(/listening on/g)).toHaveLength(1);
    const pids = [...new Set(await workersAnswering(url))];
    expect(pids).toHaveLength(2);
    const { port } = new URL(url);
    const inFlight = [0, 1].map(async () => {
      const socket = connect(Number(port), "127.0.0.1");
      let answer = "";
      socket.setEncoding("utf8").on("data", (d: string) => (answer += d));
      const body = '{"sessionKey":"s"}';
      socket.write(
        "POST /sardine/v1/identity-documents/tokens HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n" +
          `Authorization: ${basic("sandbox-client", "sandbox-secret")}\r\n` +
          `Content-Type: application/json\r\nContent-Length: ${String(body.length)}\r\nConnection: close\r\n\r\n`,
      );
      // The 100 says a worker is handling it: then the body.
      await once(socket, "data");
      socket.write(body);
      return {
        closed: once(socket, "close").then(() => answer),
      };
    });
    const sockets = await Promise.all(inFlight);
    cli.child.kill("SIGTERM");
    const [{ code, stdout }, ...answers] = await Promise.all([cli.exited, ...sockets.map((s) => s.closed)]);
    for (const answer of answers)
      expect(answer).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK\r\n/);
    // One answer from each worker.
    const answeredBy = answers.map((a) => Number(/x-sandbox-worker: (\d+)/i.exec(a)![1]));
    expect(new Set(answeredBy)).toEqual(new Set(pids));
    expect(code).toBe(0);
    expect(stdout.match(/idv-sandbox: SIGTERM, closing/g)).toHaveLength(1);
    await allGone(cli.child);
    for (const pid of pids) expect(alive(pid)).toBe(false);
  });

  it("leaves no worker behind when the primary is killed outright", async () => {
    const { cli, url } = await startWorkers();
    const pids = [...new Set(await workersAnswering(url))];
    expect(pids).toHaveLength(2);
    cli.child.kill("SIGKILL");
    // The workers hold the command's stdout and stderr: both close once the last worker has ended.
    await allGone(cli.child);
    for (const pid of pids) expect(alive(pid)).toBe(false);
  });
});

describe("--workers refused", SLOW, () => {
  it("exits 2 with one line saying why when there is no shared store", async () => {
    const why =
      "2 workers need a shared store: each worker would keep its own memory, so a code issued by one worker would " +
      "be unknown to the next; add --store redis://host:6379/0 (or STORE_URL, store.url)\n";
    const flag = await runCli(["--workers", "2", "--port", "0"]).exited;
    expect(flag).toMatchObject({ code: 2, stdout: "", stderr: `idv-sandbox: --workers: ${why}` });
    const env = await runCli(["--port", "0"], { WORKERS: "2" }).exited;
    expect(env).toMatchObject({ code: 2, stdout: "", stderr: `idv-sandbox: WORKERS: ${why}` });
  });

  it("exits 2 naming the flag for a count that is not 1–64", async () => {
    const cases = [
      [["--workers", "0"], {}, 'idv-sandbox: --workers: expected an integer 1–64, got "0"\n'],
      [["--workers", "65"], {}, 'idv-sandbox: --workers: expected an integer 1–64, got "65"\n'],
      [[], { WORKERS: "two" }, 'idv-sandbox: WORKERS: expected an integer 1–64, got "two"\n'],
    ] as const;
    const results = await Promise.all(
      cases.map(([args, env]) => runCli(["--port", "0", ...args], env).exited),
    );
    expect(results).toEqual(cases.map(([, , stderr]) => ({ code: 2, signal: null, stdout: "", stderr })));
  });

  it("prints once the line of a worker that cannot reach Redis, and exits 2", async () => {
    const gone = await startRedis();
    await gone.stop();
    const cli = runBundled(["--workers", "2", "--store", gone.url, "--port", "0"]);
    const { code, stdout, stderr } = await cli.exited;
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toMatch(
      new RegExp(
        `^idv-sandbox: store\\.url: cannot reach redis://127\\.0\\.0\\.1:${String(gone.port)}: .+\\n$`,
      ),
    );
    await allGone(cli.child);
  });
});

describe("--workers from the bundled command line", SLOW, () => {
  it("forks workers that run the bundle itself, and stops them on SIGTERM", async () => {
    const { cli, url } = await startWorkers();
    const pids = [...new Set(await workersAnswering(url))];
    expect(pids).toHaveLength(2);
    for (const pid of pids)
      expect(readFileSync(`/proc/${String(pid)}/cmdline`, "utf8").split("\0")[1]).toBe(
        join(packageDir, "dist", "cli.cjs"),
      );
    cli.child.kill("SIGTERM");
    expect((await cli.exited).code).toBe(0);
    await allGone(cli.child);
    for (const pid of pids) expect(alive(pid)).toBe(false);
  });

  it("serves HTTPS from every worker with one certificate, made once, and prints its banner once", async () => {
    // A data folder of the test's own: the first worker makes the certificate there, the other finds it kept.
    const data = await mkdtemp(join(tmpdir(), "idv-workers-data-"));
    onTestFinished(() => rm(data, { recursive: true, force: true }));
    const { cli, out } = await startWorkers({
      extra: ["--https-port", "0"],
      env: { XDG_DATA_HOME: data },
      until: /SHA-256.*\n[\s\S]*credentials[\s\S]*workflows.*\n/,
    });
    const [, httpsUrl, httpUrl] =
      /^idv-sandbox listening on (https:\/\/127\.0\.0\.1:\d+) and (http:\/\/127\.0\.0\.1:\d+) \(2 workers\) \(test-only: never for production\)$/m.exec(
        out,
      )!;
    expect(out.match(/listening on/g)).toHaveLength(1);
    const trust = join(data, "idv-sandbox", "idv-sandbox-ca.crt");
    const pem = await readFile(trust, "utf8");
    const served = new X509Certificate(await readFile(join(data, "idv-sandbox", "idv-sandbox.crt"), "utf8"));
    expect(out).toContain(
      "  https    certificate for localhost, 127.0.0.1, ::1 (made now), signed by the sandbox's own test-only CA\n" +
        `  trust    ${trust}  (the CA, made now; see README, "HTTPS")\n` +
        `  SHA-256  ${new X509Certificate(pem).fingerprint256}\n`,
    );
    const overTls = () =>
      new Promise<{ status: number; peer: string; worker: number }>((resolve, reject) => {
        get(`${httpsUrl!}/__admin/health`, { ca: pem, agent: false }, (res) => {
          const peer = res.socket instanceof TLSSocket ? res.socket.getPeerCertificate().fingerprint256 : "";
          res.resume().on("end", () => {
            resolve({ status: res.statusCode!, peer, worker: Number(res.headers["x-sandbox-worker"]) });
          });
        }).on("error", reject);
      });
    const answers = [await overTls(), await overTls(), await overTls(), await overTls()];
    for (const answer of answers) expect(answer).toMatchObject({ status: 200, peer: served.fingerprint256 });
    const pids = new Set(answers.map((a) => a.worker));
    expect(pids.size).toBe(2);
    expect(new Set(await workersAnswering(httpUrl!))).toEqual(pids);
    cli.child.kill("SIGTERM");
    expect((await cli.exited).code).toBe(0);
  });

  it("gives up with exit 1 when replacements keep dying, not in a loop", async () => {
    const own = await startRedis();
    onTestFinished(() => own.stop());
    const { cli, url } = await startWorkers({ store: own.url });
    const [killed] = [...new Set(await workersAnswering(url))] as [number, number];
    // Redis gone, every replacement fails its start: five in a row, then the primary stops.
    await own.stop();
    process.kill(killed, "SIGKILL");
    const { code, stderr } = await cli.exited;
    expect(code).toBe(1);
    const lines = stderr.split("\n").filter(Boolean);
    expect(lines.slice(0, -1)).toEqual(
      Array.from({ length: 5 }, () =>
        expect.stringMatching(
          new RegExp(
            `^idv-sandbox: worker ${String(killed)} ended \\(signal SIGKILL\\); the worker started in its place ` +
              `could not start: store\\.url: cannot reach redis://127\\.0\\.0\\.1:${String(own.port)}: `,
          ),
        ),
      ),
    );
    expect(lines.at(-1)).toBe("idv-sandbox: workers keep dying (6 in 10 s): stopping");
    await allGone(cli.child);
  });
});
