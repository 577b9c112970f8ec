import { readdir, readFile } from "node:fs/promises";
import { basename, extname, join } from "node:path";
import { parseDataFile, safeParseOnce } from "../data-file.js";
import { ConfigError } from "../errors.js";
import { checkWebhookRule, compileRule, type RouteTable } from "./check.js";
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
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const field =
        issue.code === "unrecognized_keys"
          ? `${issue.path.join(".")}.${issue.keys.join(",")}`
          : issue.path.join(".");
      throw new ConfigError(
        `scenario file ${path}: ${field || "(root)"}: ${issue.code === "unrecognized_keys" ? "unknown field" : issue.code === "invalid_key" ? (issue.issues[0]?.message ?? issue.message) : issue.message}`,
      );
    }
    const rules = parsed.data.rules.map((rule, r) => {
      const compiled = compileRule(rule, tables);
      if (typeof compiled === "string")
        throw new ConfigError(`scenario file ${path}: rules.${String(r)}: ${compiled}`);
      return compiled;
    });
    for (const [r, rule] of parsed.data.webhooks.entries()) {
      const problem = checkWebhookRule(rule, tables);
      if (problem !== undefined)
        throw new ConfigError(`scenario file ${path}: webhooks.${String(r)}: ${problem}`);
    }
    const readsBody = rules.some((rule) => rule.match?.body !== undefined);
    scenarios.set(name, { ...parsed.data, rules, name, source: file, readsBody });
  }
  return scenarios;
}
