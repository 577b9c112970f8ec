import { readdir, readFile } from "node:fs/promises";
import { basename, extname, join } from "node:path";
import { parseDataFile, safeParseOnce } from "../data-file.js";
import { ConfigError } from "../errors.js";
import { compileScenario, scenarioIssue, type RouteTable } from "./check.js";
import { scenarioSchema, type Scenario } from "./schema.js";

const FILE = /\.(json|ya?ml)$/i;

/**
 * Loads every scenario file in `dir` and checks each rule against the vendors' declared routes. A file that cannot
 * work stops the start with one message naming the file, the rule and the field (and, for a route, the vendor's
 * routes).
 */
export async function loadScenarios(
  dir: string,
  tables: readonly RouteTable[],
): Promise<Map<string, Scenario>> {
  let files: string[];
  try {
    files = (await readdir(dir)).filter((f) => FILE.test(f)).sort();
  } catch (cause) {
    throw new ConfigError(
      `cannot read scenarios folder ${dir}: ${(cause as NodeJS.ErrnoException).code ?? "error"}`,
    );
  }
  const scenarios = new Map<string, Scenario>();
  const texts = await Promise.all(
    files.map((file) =>
      readFile(join(dir, file), "utf8").catch((cause: unknown) => {
        throw new ConfigError(
          `cannot read scenario file ${join(dir, file)}: ${(cause as NodeJS.ErrnoException).code ?? "error"}`,
        );
      }),
    ),
  );
  for (const [i, file] of files.entries()) {
    const path = join(dir, file);
    const name = basename(file, extname(file));
    const twin = scenarios.get(name);
    if (twin)
      throw new ConfigError(
        `scenario files ${join(dir, twin.source)} and ${path} both name the scenario ${name}`,
      );
    let raw: unknown;
    try {
      raw = parseDataFile(file, texts[i]!);
    } catch (cause) {
      throw new ConfigError(
        `scenario file ${path} is not valid ${extname(file).slice(1)}: ${(cause as Error).message}`,
      );
    }
    const parsed = safeParseOnce(scenarioSchema, raw);
    const checked = parsed.success
      ? compileScenario(parsed.data, name, file, tables)
      : scenarioIssue(parsed.error.issues[0]!);
    if (!checked.ok) throw new ConfigError(`scenario file ${path}: ${checked.message}`);
    scenarios.set(name, checked.scenario);
  }
  return scenarios;
}
