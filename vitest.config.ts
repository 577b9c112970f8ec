import { defineConfig } from "vitest/config";

/**
 * Files that run their sandboxes on real sockets, in a browser or as a command (their own store settings), or test
 * one module alone: the "redis" project leaves them out, as they would run the same twice.
 */
const NOT_BY_STORE = [
  "test/core/**",
  "test/helpers/**",
  "test/**/*-browser.test.ts",
  "test/http/dashboard.test.ts",
  "test/http/cli.test.ts",
  "test/http/packaging.test.ts",
  "test/http/https.test.ts",
  "test/http/shared-store.test.ts",
  "test/http/shared-settings.test.ts",
  "test/http/shared-webhooks.test.ts",
  "test/http/server.test.ts",
  "test/http/workers.test.ts",
];

export default defineConfig({
  test: {
    pool: "forks",
    testTimeout: 15_000,
    // The JSON report is what .ci/run counts passed and failed tests from.
    reporters: ["default", ["json", { outputFile: ".tmp/vitest-report.json" }]],
    projects: [
      // Every test, on the default in-memory store.
      { extends: true, test: { name: "memory", include: ["test/**/*.test.ts"] } },
      // The same tests again with every `testSandbox` on a real redis-server (test/setup/redis.ts starts it).
      {
        extends: true,
        test: {
          name: "redis",
          include: ["test/**/*.test.ts"],
          exclude: NOT_BY_STORE,
          globalSetup: ["test/setup/redis.ts"],
        },
      },
    ],
  },
});
