// Run first by `npm test`: the browser suites need Debian's Chromium (never a downloaded browser). Where it is missing,
// as root on a Debian-like system (a CI container) it is installed with apt, as .ci/setup does; anywhere else the run
// stops with one line naming the package and how to install it, or how to point at another Chromium.
import { spawnSync } from "node:child_process";
import { accessSync, constants, existsSync } from "node:fs";
import process from "node:process";

const chromium = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
/** @param {string} path */
const runnable = (path) => {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

if (!runnable(chromium)) {
  const mayInstall =
    process.env.IDV_SANDBOX_NO_INSTALL === undefined &&
    process.getuid?.() === 0 &&
    existsSync("/usr/bin/apt-get") &&
    process.env.CHROMIUM_PATH === undefined;
  if (mayInstall) {
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    spawnSync("apt-get", ["update", "-qq"], { stdio: "inherit", env });
    spawnSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", "chromium"], {
      stdio: "inherit",
      env,
    });
  }
  if (!runnable(chromium)) {
    process.stderr.write(
      `npm test needs Chromium at ${chromium} for the browser suites: install it (Debian/Ubuntu: sudo apt-get install chromium) or set CHROMIUM_PATH to a Chromium or Chrome binary\n`,
    );
    process.exit(1);
  }
}
