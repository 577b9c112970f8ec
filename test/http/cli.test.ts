import { X509Certificate } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { get } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TLSSocket } from "node:tls";
import { afterEach, describe, expect, it, onTestFinished } from "vitest";
import { ROOT, runCli, stopAll } from "../helpers/cli.js";
import { startRedis } from "../helpers/redis.js";

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

  it("prints the docs URL, scenarios and fixture credentials, then one redacted JSON line per request; --quiet only the URL", async () => {
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

    // Quiet: the listening line alone, so the port picked for --port 0 can be found; no banner, no request log.
    const quiet = runCli(["--port", "0", "--quiet"]);
    const first = await quiet.waitFor(/\n/);
    const quietUrl =
      /^idv-sandbox listening on (http:\/\/127\.0\.0\.1:\d+) \(test-only: never for production\)\n$/.exec(
        first,
      )![1]!;
    expect((await fetch(`${quietUrl}/__admin/health`)).status).toBe(200);
    await fetch(
      `${quietUrl}/dqe/ACCESS_TOKEN/?client_secret=sandbox-secret&grant_type=client_idmobile&licence=SANDBOX-LICENCE`,
    );
    quiet.child.kill("SIGTERM");
    expect((await quiet.exited).stdout).toBe(first);
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
    [
      "a bad port",
      "config.json",
      '{"port": 70000}',
      /^idv-sandbox: config file \S+config\.json: port: expected an integer 0–65535, got 70000\n$/,
    ],
    ["a bad nested field", "config.yaml", "sumsub:\n  verifySignature: maybe\n", /sumsub\.verifySignature/],
    [
      "malformed JSON, by line and column",
      "config.json",
      '{\n  "port": 0\n  "host": "x"\n}',
      /^idv-sandbox: config file \S+config\.json is not valid JSON: line 3, column 3: Expected ',' or '}' after property value\n$/,
    ],
    [
      "malformed JSON where V8 gives no offset",
      "config.json",
      '{\n  "quiet": tru\n}',
      /^idv-sandbox: config file \S+config\.json is not valid JSON: line 2, column 15: Unexpected token '\\n'\n$/,
    ],
    [
      "malformed YAML, by line and column",
      "config.yaml",
      "port: 0\ncors:\n  origins: [a\n",
      /^idv-sandbox: config file \S+config\.yaml is not valid YAML: line 4, column 1: unexpected end of the stream within a flow collection\n$/,
    ],
    [
      "a TOML file",
      "config.toml",
      "port = 0\n",
      /^idv-sandbox: config file \S+config\.toml: \.toml is not a format the sandbox reads: JSON \(\.json\) or YAML \(\.yaml, \.yml\), by extension\n$/,
    ],
    [
      "origins given as one string",
      "config.json",
      '{"cors": {"origins": "http://x"}}',
      /^idv-sandbox: config file \S+config\.json: cors\.origins: expected "\*" or a list of origins such as \["http:\/\/localhost:3000"\], got "http:\/\/x"\n$/,
    ],
    [
      "a misspelled field and a value of the wrong type, one line each",
      "config.yaml",
      "store:\n  maxEntris: 5\nshutdownGraceSeconds: soon\nlogLevel: loud\n",
      /^idv-sandbox: config file \S+config\.yaml: store\.maxEntris: unknown field \(did you mean maxEntries\?\)\nconfig file \S+config\.yaml: shutdownGraceSeconds: expected a number, got "soon"\nconfig file \S+config\.yaml: logLevel: expected one of "debug", "info", "warn", "error", "silent", got "loud"\n$/,
    ],
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

  it("exits 2 for an unknown flag, naming the nearest known one and pointing to --help, not printing the usage", async () => {
    const hint = "Run idv-sandbox --help for the commands and options.\n";
    const cases: [string[], string][] = [
      [["--prot", "1"], `idv-sandbox: unknown option --prot (did you mean --port?)\n${hint}`],
      [
        ["--public_url=http://x"],
        `idv-sandbox: unknown option --public_url (did you mean --public-url?)\n${hint}`,
      ],
      [["--verbose"], `idv-sandbox: unknown option --verbose\n${hint}`],
      [
        ["--port"],
        `idv-sandbox: --port: expected a value after it (--port=<value> for one that starts with -)\n${hint}`,
      ],
      [["--quiet=yes"], `idv-sandbox: --quiet takes no value\n${hint}`],
      [["opnapi"], `idv-sandbox: unknown command opnapi (did you mean openapi?)\n${hint}`],
    ];
    const runs = await Promise.all(cases.map(async ([args]) => ({ args, ...(await runCli(args).exited) })));
    expect(runs.map(({ args, code, stderr, stdout }) => ({ args, code, stderr, stdout }))).toEqual(
      cases.map(([args, stderr]) => ({ args, code: 2, stderr, stdout: "" })),
    );
  }, 120_000);

  it("exits 2 naming the flag or variable a bad value came from, with what it expects and what it got", async () => {
    const [flag, env, url] = await Promise.all([
      runCli(["--port", "abc"]).exited,
      runCli([], { PORT: "4o10" }).exited,
      runCli(["--port", "0", "--public-url", "ftp://x"]).exited,
    ]);
    expect(flag).toMatchObject({
      code: 2,
      stderr: 'idv-sandbox: --port: expected an integer 0–65535, got "abc"\n',
    });
    expect(env).toMatchObject({
      code: 2,
      stderr: 'idv-sandbox: PORT: expected an integer 0–65535, got "4o10"\n',
    });
    expect(url).toMatchObject({
      code: 2,
      stderr: 'idv-sandbox: --public-url: expected an http:// or https:// URL, got "ftp://x"\n',
    });
  }, 60_000);

  it("says in --help what --quiet still prints", async () => {
    const { code, stdout } = await runCli(["--help"]).exited;
    expect(code).toBe(0);
    expect(stdout).toMatch(
      /^ {2}--quiet +no request log: print only the listening line \(with the URL\) and errors$/m,
    );
  });

  it("with --https-port serves HTTPS too, printing the certificate to trust and its SHA-256 fingerprint", async () => {
    // A data folder of the test's own: the default is the user's ($XDG_DATA_HOME/idv-sandbox).
    const data = await mkdtemp(join(tmpdir(), "idv-cli-data-"));
    onTestFinished(() => rm(data, { recursive: true, force: true }));
    const trust = join(data, "idv-sandbox", "idv-sandbox-ca.crt");
    const health = (url: string, ca: string) =>
      new Promise<{ status: number; peer: string }>((resolve, reject) => {
        get(`${url}/__admin/health`, { ca, agent: false }, (res) => {
          const peer = res.socket instanceof TLSSocket ? res.socket.getPeerCertificate().fingerprint256 : "";
          res.resume().on("end", () => resolve({ status: res.statusCode!, peer }));
        }).on("error", reject);
      });

    const cli = runCli(["--port", "0", "--https-port", "0"], { XDG_DATA_HOME: data });
    const out = await cli.waitFor(/SHA-256/);
    const [, httpsUrl, httpUrl] =
      /^idv-sandbox listening on (https:\/\/127\.0\.0\.1:\d+) and (http:\/\/127\.0\.0\.1:\d+) \(test-only: never for production\)$/m.exec(
        out,
      )!;
    const pem = await readFile(trust, "utf8");
    const fingerprint = new X509Certificate(pem).fingerprint256;
    const served = new X509Certificate(await readFile(join(data, "idv-sandbox", "idv-sandbox.crt"), "utf8"));
    expect(out).toContain(
      "  https    certificate for localhost, 127.0.0.1, ::1 (made now), signed by the sandbox's own test-only CA\n" +
        `  trust    ${trust}  (the CA, made now; see README, "HTTPS")\n` +
        `  SHA-256  ${fingerprint}\n`,
    );
    expect(out).toContain(`sumsub   ${httpsUrl!}/sumsub`);
    expect(await health(httpsUrl!, pem)).toEqual({ status: 200, peer: served.fingerprint256 });
    expect((await fetch(`${httpUrl!}/__admin/health`)).status).toBe(200);
    cli.child.kill("SIGTERM");
    expect((await cli.exited).code).toBe(0);

    // From the environment, quiet: the listening line alone names both listeners; the certificates are the ones kept.
    const quiet = runCli(["--quiet"], { PORT: "0", HTTPS_PORT: "0", XDG_DATA_HOME: data });
    const first = await quiet.waitFor(/\n/);
    const quietHttps =
      /^idv-sandbox listening on (https:\/\/127\.0\.0\.1:\d+) and http:\/\/127\.0\.0\.1:\d+ \(test-only: never for production\)\n$/.exec(
        first,
      )![1]!;
    expect(await health(quietHttps, pem)).toEqual({ status: 200, peer: served.fingerprint256 });
    quiet.child.kill("SIGTERM");
    expect((await quiet.exited).stdout).toBe(first);
  });

  it("exits 2 naming the HTTPS flag or variable a bad value came from", async () => {
    const [flag, env, alone] = await Promise.all([
      runCli(["--https-port", "abc"]).exited,
      runCli(["--port", "0"], { HTTPS_PORT: "44a3" }).exited,
      runCli(["--https-port", "0", "--https-cert", "/nonexistent/cert.pem"]).exited,
    ]);
    expect(flag).toMatchObject({
      code: 2,
      stderr: 'idv-sandbox: --https-port: expected an integer 0–65535, got "abc"\n',
    });
    expect(env).toMatchObject({
      code: 2,
      stderr: 'idv-sandbox: HTTPS_PORT: expected an integer 0–65535, got "44a3"\n',
    });
    expect(alone).toMatchObject({
      code: 2,
      stderr: "idv-sandbox: config: https.key: missing; https.cert and https.key are given together\n",
    });
  }, 60_000);

  it("exits 2 for a missing config file", async () => {
    const missing = await runCli(["--config", "/nonexistent/sandbox.json"]).exited;
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read config file \/nonexistent\/sandbox\.json: ENOENT/);
  });
});

describe("--store (STORE_URL)", () => {
  it("keeps state in the Redis it names, and says so on /__admin/health", async () => {
    const redis = await startRedis();
    onTestFinished(() => redis.stop());
    const cli = runCli(["--port", "0", "--quiet"], { STORE_URL: `${redis.url}/0` });
    const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(await cli.waitFor(/listening on/))![1]!;
    expect(await (await fetch(`${url}/__admin/health`)).json()).toEqual({ status: "ok", store: "redis" });
    cli.child.kill("SIGTERM");
    expect((await cli.exited).code).toBe(0);
  });

  it("stops the start with exit 2 and one line naming the URL when Redis cannot be reached", async () => {
    const gone = await startRedis();
    await gone.stop();
    const cli = runCli(["--port", "0", "--store", gone.url]);
    const { code, stderr } = await cli.exited;
    expect(code).toBe(2);
    expect(stderr).toMatch(
      new RegExp(
        `^idv-sandbox: store\\.url: cannot reach redis://127\\.0\\.0\\.1:${String(gone.port)}: .+\\n$`,
      ),
    );
  });

  it("refuses a URL it cannot read with exit 2 and the password hidden, not a stack trace", async () => {
    const cli = runCli(["--port", "0", "--store", "rediss://u:top%ZZsecret@127.0.0.1:1"]);
    const { code, stderr } = await cli.exited;
    expect(code).toBe(2);
    expect(stderr).toBe("idv-sandbox: store.url: rediss://u:***@127.0.0.1:1 cannot be read: URI malformed\n");
  });

  it("refuses a URL that is not redis:// or rediss://, naming the flag", async () => {
    const cli = runCli(["--port", "0", "--store", "http://127.0.0.1:6379"]);
    const { code, stderr } = await cli.exited;
    expect(code).toBe(2);
    expect(stderr).toContain("--store: expected a redis:// or rediss:// URL");
  });
});
