import { CORE_SCHEMA, load } from "js-yaml";
import type * as z from "zod";

/**
 * The data in a config or scenario file's text: YAML for `.yaml` and `.yml`, JSON otherwise. YAML is read with the
 * 1.2 core schema, so values mean what they would in JSON (no dates, no `yes`/`no` booleans). Bad text throws the
 * parser's error, which names the line and column.
 */
export function parseDataFile(path: string, text: string): unknown {
  return /\.ya?ml$/i.test(path) ? load(text, { schema: CORE_SCHEMA, filename: path }) : JSON.parse(text);
}

/**
 * `schema.safeParse` for input read once, at start-up (config, key files, fixtures, scenarios). Zod compiles a fast
 * path for an object schema on its first parse, which pays off only for schemas that parse every request.
 */
export function safeParseOnce<S extends z.ZodType>(
  schema: S,
  input: unknown,
): z.ZodSafeParseResult<z.output<S>> {
  return schema.safeParse(input, { jitless: true });
}
