import { load, startServer } from "./lib.js";
const s = await startServer(["--cpu-prof", "--cpu-prof-dir=/tmp/prof", "dist/cli.js", "--port", "0"], {
  LOG_LEVEL: "warn",
});
await load({
  url: `${s.url}/dqe/ACCESS_TOKEN/`,
  method: "POST",
  headers: { "content-type": "application/x-www-form-urlencoded" },
  body: "licence=SANDBOX-LICENCE&client_secret=sandbox-secret&grant_type=client_idmobile",
  duration: 5,
});
s.child.kill("SIGINT");
await new Promise((r) => s.child.once("exit", r));
