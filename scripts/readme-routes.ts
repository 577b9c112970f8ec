/**
 * `npm run docs:routes`: writes every vendor's route table into README.md between its route markers, from the route
 * declarations. `test/http/contract.test.ts` fails when the README's table is not current.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseConfig } from "../src/config.js";
import { routesMarkdown } from "../src/contract.js";
import { createDeps } from "../src/deps.js";

export const START = "<!-- routes:start (npm run docs:routes writes this table) -->";
export const END = "<!-- routes:end -->";
export const README = join(import.meta.dirname, "..", "README.md");

/** The README with its route table replaced by the current one. */
export async function withCurrentRoutes(readme: string): Promise<string> {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README.md has no ${START} … ${END} section`);
  const deps = await createDeps(parseConfig({ logLevel: "silent" }));
  return `${readme.slice(0, start + START.length)}\n\n${routesMarkdown(deps.vendors)}\n\n${readme.slice(end)}`;
}

if (process.argv[1] === import.meta.filename) {
  await writeFile(README, await withCurrentRoutes(await readFile(README, "utf8")));
}
