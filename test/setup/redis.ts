// Global setup of the "redis" test project: one real redis-server for the whole run, on a free port, persistence
// off, stopped at the end. Test files read its URL with `inject("redisUrl")` (see test/helpers/sandbox.ts).
import type { TestProject } from "vitest/node";
import { startRedis } from "../helpers/redis.js";

declare module "vitest" {
  export interface ProvidedContext {
    redisUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startRedis();
  project.provide("redisUrl", server.url);
  return () => server.stop();
}
