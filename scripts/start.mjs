// `npm start`: builds only when a source is newer than the build, then runs the command line in this very process,
// so it answers as fast as `node dist/cli.cjs` when nothing changed and a signal sent to `npm start` reaches it.
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { setInterval } from "node:timers";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
/** @param {string} path @returns {number} */
const mtime = (path) => {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
};
/** The newest modification time under `dir`. @param {string} dir @returns {number} */
const newest = (dir) =>
  readdirSync(dir, { withFileTypes: true }).reduce(
    (latest, entry) =>
      Math.max(latest, entry.isDirectory() ? newest(join(dir, entry.name)) : mtime(join(dir, entry.name))),
    0,
  );

const built = mtime(join(root, "dist", "cli.cjs"));
const sources = Math.max(
  newest(join(root, "src")),
  ...["package.json", "tsconfig.json", "tsconfig.build.json", "scripts/bundle-cli.mjs"].map((f) =>
    mtime(join(root, f)),
  ),
);
if (sources > built) {
  const build = spawnSync("npm", ["run", "build", "--silent"], { cwd: root, stdio: "inherit" });
  if (build.status !== 0) process.exit(build.status ?? 1);
}
// npm runs this through `sh -c`, and a signal npm passes on stops the shell, not its child: when the shell goes (this
// process is handed to another parent), stop as the signal meant, draining like the command line does on SIGTERM.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) process.kill(process.pid, "SIGTERM");
}, 250).unref();
createRequire(import.meta.url)(join(root, "dist", "cli.cjs"));
