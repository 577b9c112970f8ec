// Run first by `npm test`: the suites need two real components, Debian's Chromium for the browser tests (never a
// downloaded browser) and Debian's redis-server for the Redis store. Where one is missing, as root on a Debian-like
// system (a CI container) it is installed with apt, as .ci/setup does; anywhere else the run stops with one line per
// missing component naming the package and how to install it, or how to point at another binary.
import { spawnSync } from "node:child_process";
import { accessSync, constants, existsSync } from "node:fs";
import { delimiter, join } from "node:path";
import process from "node:process";

/** @param {string} path */
const runnable = (path) => {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/** @param {string} name a binary looked up on PATH */
const onPath = (name) =>
  (process.env.PATH ?? "")
    .split(delimiter)
    .map((dir) => join(dir, name))
    .find(runnable);

const components = [
  {
    package: "chromium",
    variable: "CHROMIUM_PATH",
    find: () => {
      const path = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
      return runnable(path) ? path : undefined;
    },
    message: `npm test needs Chromium at ${process.env.CHROMIUM_PATH ?? "/usr/bin/chromium"} for the browser suites: install it (Debian/Ubuntu: sudo apt-get install chromium) or set CHROMIUM_PATH to a Chromium or Chrome binary`,
  },
  {
    package: "redis-server",
    variable: "REDIS_SERVER_PATH",
    find: () => {
      const named = process.env.REDIS_SERVER_PATH;
      return named ? (runnable(named) ? named : undefined) : onPath("redis-server");
    },
    message:
      "npm test needs redis-server for the Redis store suites: install it (Debian/Ubuntu: sudo apt-get install redis-server; macOS: brew install redis) or set REDIS_SERVER_PATH",
  },
];

const missing = components.filter((c) => c.find() === undefined);
const mayInstall =
  process.env.IDV_SANDBOX_NO_INSTALL === undefined &&
  process.getuid?.() === 0 &&
  existsSync("/usr/bin/apt-get");
const installable = missing.filter((c) => process.env[c.variable] === undefined);
if (mayInstall && installable.length > 0) {
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  spawnSync("apt-get", ["update", "-qq"], { stdio: "inherit", env });
  spawnSync(
    "apt-get",
    ["install", "-y", "-qq", "--no-install-recommends", ...installable.map((c) => c.package)],
    { stdio: "inherit", env },
  );
}
const still = components.filter((c) => c.find() === undefined);
for (const c of still) process.stderr.write(`${c.message}\n`);
if (still.length > 0) process.exit(1);
