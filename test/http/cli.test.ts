import { mkdir, mkdtemp, readdir, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ROOT, runCli, stopAll } from "../helpers/cli.js";

/** A port nothing listens on now (the OS's pick, released at once). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as { port: number };
  await new Promise((done) => server.close(done));
  return port;
}

/** Resolves once `url` answers: the server is up. Polls every 20 ms, for at most 10 s. */
async function untilServing(url: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      if ((await fetch(url)).ok) return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    await new Promise((next) => setTimeout(next, 20));
  }
}

async function tempFile(name: string, text: string): Promise<string> {
  const path = join(await mkdtemp(join(tmpdir(), "idv-cli-")), name);
  await writeFile(path, text);
  return path;
}

afterEach(stopAll);

describe("command line", () => {
  it("prints the URL and each vendor prefix first, serves, and closes cleanly on SIGTERM", async () => {
    const cli = runCli(["--port", "0"]);
    const out = await cli.waitFor(/admin/);
    const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)![1]!;
    expect(out.split("\n")[0]).toMatch(/^idv-sandbox listening on http:\/\/127\.0\.0\.1:\d+ /);
    expect(out).toContain(`sardine  ${url}/sardine`);
    const health = await fetch(`${url}/__admin/health`);
    expect(await health.json()).toEqual({ status: "ok" });
    cli.child.kill("SIGTERM");
    const { code } = await cli.exited;
    expect(code).toBe(0);
    await expect(fetch(`${url}/__admin/health`)).rejects.toThrow();
  });

  it("prints the docs URL, scenarios and fixture credentials, then one redacted JSON line per request; --quiet none", async () => {
    const cli = runCli(["--port", "0"]);
    const out = await cli.waitFor(/workflows/);
    const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)![1]!;
    expect(out).toContain(`docs     ${url}/docs/`);
    const shipped = (await readdir(join(ROOT, "scenarios"))).length;
    expect(out).toContain(`scenarios: ${String(shipped)} loaded from ${join(ROOT, "scenarios")}`);
    expect(out).toMatch(/dqe +licence \/ secret +SANDBOX-LICENCE \/ sandbox-secret/);
    await fetch(
      `${url}/dqe/ACCESS_TOKEN/?client_secret=sandbox-secret&grant_type=client_idmobile&licence=SANDBOX-LICENCE`,
    );
    const logged = await cli.waitFor(/"event":"request"/);
    const line = JSON.parse(logged.split("\n").find((l) => l.includes('"event":"request"'))!);
    expect(line).toMatchObject({
      level: "info",
      method: "GET",
      status: 200,
      vendor: "dqe",
      route: "GET /ACCESS_TOKEN/",
    });
    expect(JSON.stringify(line)).not.toContain("sandbox-secret");
    cli.child.kill("SIGTERM");
    await cli.exited;

    // Quiet: once the server answers, it has printed (and, for a request, logged) nothing.
    const port = await freePort();
    const quiet = runCli(["--port", String(port), "--quiet"]);
    await untilServing(`http://127.0.0.1:${String(port)}/__admin/health`);
    quiet.child.kill("SIGTERM");
    expect((await quiet.exited).stdout).toBe("");
  });

  it("on SIGTERM lets a request in flight finish before it exits 0", async () => {
    const { connect } = await import("node:net");
    // `slow`: every vendor route answers 2 s late, so the request is still in flight when the signal comes.
    const cli = runCli(["--port", "0", "--scenario", "slow"]);
    const out = await cli.waitFor(/admin/);
    const port = Number(/listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out)![1]);
    const socket = connect(port, "127.0.0.1");
    let answer = "";
    socket.setEncoding("utf8").on("data", (d: string) => (answer += d));
    const body = '{"sessionKey":"s"}';
    socket.write(
      "POST /sardine/v1/identity-documents/tokens HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n" +
        `Authorization: Basic ${Buffer.from("sandbox-client:sandbox-secret").toString("base64")}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${String(body.length)}\r\nConnection: close\r\n\r\n`,
    );
    // The 100 says the sandbox is handling it: then the body, and the signal.
    await new Promise<void>((resolve) => socket.once("data", () => resolve()));
    socket.write(body);
    cli.child.kill("SIGTERM");
    const [{ code }] = await Promise.all([
      cli.exited,
      new Promise((resolve) => socket.once("close", resolve)),
    ]);
    expect(answer).toMatch(/HTTP\/1\.1 200 OK/);
    expect(code).toBe(0);
  });

  it("npm start serves, and a SIGTERM sent to npm stops the server too", async () => {
    const { spawn } = await import("node:child_process");
    const npm = spawn("npm", ["start", "--", "--port", "0"], {
      cwd: ROOT,
      env: { ...process.env, PORT: "", HOST: "", PUBLIC_URL: "" },
    });
    let out = "";
    const url = await new Promise<string>((resolve, reject) => {
      npm.stdout.setEncoding("utf8").on("data", (d: string) => {
        out += d;
        const found = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
        if (found) resolve(found[1]!);
      });
      npm.once("exit", (code) => reject(new Error(`npm start exited ${String(code)}: ${out}`)));
    });
    expect(await (await fetch(`${url}/__admin/health`)).json()).toEqual({ status: "ok" });
    const exited = new Promise((resolve) => npm.once("exit", resolve));
    npm.kill("SIGTERM");
    await exited;
    // The server itself, a grandchild of npm, is gone too: nothing answers on its port any more.
    await expect
      .poll(
        async () =>
          fetch(`${url}/__admin/health`).then(
            () => "serving",
            () => "stopped",
          ),
        { timeout: 10_000 },
      )
      .toBe("stopped");
  }, 90_000);

  it("prints its version with --version and -v, and exits 0", async () => {
    const { version } = (await import("../../package.json", { with: { type: "json" } })).default;
    for (const flag of ["--version", "-v"]) {
      const { code, stdout } = await runCli([flag]).exited;
      expect(code).toBe(0);
      expect(stdout).toBe(`idv-sandbox ${version}\n`);
    }
  });

  it("takes port and public URL from the environment, flags winning over it", async () => {
    const cli = runCli(["--public-url", "https://idv.example.test/"], {
      PORT: "0",
      PUBLIC_URL: "http://ignored",
    });
    const out = await cli.waitFor(/admin/);
    expect(out).toContain("listening on https://idv.example.test ");
    expect(out).toContain("sardine  https://idv.example.test/sardine");
    cli.child.kill("SIGINT");
    expect((await cli.exited).code).toBe(0);
  });

  it("reads a YAML config file", async () => {
    const file = await tempFile("sandbox.yaml", "port: 0\npublicUrl: http://from-yaml.test:9999\n");
    const cli = runCli(["--config", file]);
    expect(await cli.waitFor(/admin/)).toContain("listening on http://from-yaml.test:9999");
    cli.child.kill("SIGTERM");
    await cli.exited;
  });

  it.each([
    ["an unknown field", "config.json", '{"port": 0, "prot": 1}', /prot: unknown field/],
    ["a bad port", "config.json", '{"port": 70000}', /port: Too big/],
    ["a bad nested field", "config.yaml", "sumsub:\n  verifySignature: maybe\n", /sumsub\.verifySignature/],
    ["malformed JSON", "config.json", "{port", /not valid/],
    [
      "a rate limit for no vendor",
      "config.json",
      '{"rateLimits": {"limits": {"onfido": {"*": {"limit": 1, "windowSeconds": 1}}}}}',
      /rateLimits\.limits\.onfido: not a vendor \(one of sardine, sumsub, dqe, regula\)/,
    ],
    [
      "a scenario rule naming no route",
      "config.json",
      `{"scenariosDir": "scenarios-bad-route"}`,
      /bad\.yaml: rules\.0: route: "POST \/oauth\/token" names no route of sumsub \(routes: .*POST \/api\/snsId\/oauth\/token/,
    ],
  ])("exits 2 with one clear message for %s", async (_, name, text, message) => {
    const file = await tempFile(name, text);
    // Folders in a config file are taken from the file's own folder.
    await mkdir(join(file, "..", "scenarios-bad-route"));
    await writeFile(
      join(file, "..", "scenarios-bad-route", "bad.yaml"),
      "description: d\nrules:\n  - vendor: sumsub\n    route: POST /oauth/token\n    error: invalid_client\n",
    );
    const { code, stderr, stdout } = await runCli(["--config", file]).exited;
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stderr).not.toMatch(/\n\s+at /);
    expect(stdout).toBe("");
  });

  it("takes --scenario and --admin-token, and warns when bound beyond loopback without a token", async () => {
    const cli = runCli(["--port", "0", "--scenario", "dqe-typo-500", "--admin-token", "t0k"]);
    const out = await cli.waitFor(/admin/);
    const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)![1]!;
    expect((await fetch(`${url}/dqe/ACCESS_TOKEN/`)).status).toBe(500);
    expect((await fetch(`${url}/__admin/clock`)).status).toBe(401);
    expect((await fetch(`${url}/__admin/clock`, { headers: { authorization: "Bearer t0k" } })).status).toBe(
      200,
    );
    cli.child.kill("SIGTERM");
    expect((await cli.exited).stderr).not.toMatch(/warning/);

    const open = runCli(["--port", "0", "--host", "0.0.0.0"]);
    await open.waitFor(/admin/);
    open.child.kill("SIGTERM");
    expect((await open.exited).stderr).toMatch(
      /warning: listening on 0\.0\.0\.0, beyond this machine, with no admin token/,
    );
  });

  it("exits 2 for an unknown scenario", async () => {
    const { code, stderr } = await runCli(["--port", "0", "--scenario", "nope"]).exited;
    expect(code).toBe(2);
    expect(stderr).toMatch(/unknown scenario nope/);
  });

  it("exits 0 without a stack trace when its reader stops early (openapi | head)", async () => {
    const cli = runCli(["openapi"]);
    cli.child.stdout.destroy(); // the reader is gone before the first write
    const { code, stderr } = await cli.exited;
    expect(stderr).not.toMatch(/EPIPE|Error/);
    expect(code).toBe(0);
  });

  it("exits 2 for an unknown flag and a missing config file", async () => {
    const unknown = await runCli(["--prot", "1"]).exited;
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/Unknown option '--prot'/);
    const missing = await runCli(["--config", "/nonexistent/sandbox.json"]).exited;
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read config file \/nonexistent\/sandbox\.json: ENOENT/);
  });
});
