import { CORE_SCHEMA, load, YAMLException } from "js-yaml";
import type * as z from "zod";

/** Text that is not valid JSON or YAML: what is wrong, and where (line and column from 1). */
export class DataFileSyntaxError extends SyntaxError {
  override readonly name = "DataFileSyntaxError";
  constructor(
    readonly format: "JSON" | "YAML",
    readonly reason: string,
    readonly line: number,
    readonly column: number,
    path: string,
  ) {
    super(`${reason} in "${path}" (${String(line)}:${String(column)})`);
  }
}

/**
 * The data in a config or scenario file's text: YAML for `.yaml` and `.yml`, JSON otherwise. YAML is read with the
 * 1.2 core schema, so values mean what they would in JSON (no dates, no `yes`/`no` booleans). Bad text throws a
 * `DataFileSyntaxError` naming the file, line and column.
 */
export function parseDataFile(path: string, text: string): unknown {
  if (/\.ya?ml$/i.test(path)) {
    try {
      return load(text, { schema: CORE_SCHEMA, filename: path });
    } catch (err) {
      if (!(err instanceof YAMLException)) throw err;
      throw new DataFileSyntaxError("YAML", err.reason, err.mark.line + 1, err.mark.column + 1, path);
    }
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    // V8 names the offset of some errors only ("Unexpected token 'x', "…" is not valid JSON" has none): find it.
    const reason = (err as Error).message
      .replace(/, ".*" is not valid JSON$/s, "")
      .replace(/ at position \d+.*$/s, "")
      .replace(/ in JSON$/, "")
      // "Unexpected token '\n'" on one line.
      .replace(/[\n\r\t]/g, (ch) => JSON.stringify(ch).slice(1, -1));
    const at = jsonErrorOffset(text);
    const before = text.slice(0, at).split("\n");
    throw new DataFileSyntaxError("JSON", reason, before.length, before.at(-1)!.length + 1, path);
  }
}

/** Where JSON text first breaks the grammar (read only once JSON.parse has refused it). */
function jsonErrorOffset(text: string): number {
  let i = 0;
  const space = () => {
    while (i < text.length && " \t\n\r".includes(text[i]!)) i++;
  };
  const string = (): boolean => {
    for (i++; i < text.length; i++) {
      const ch = text[i]!;
      if (ch === '"') {
        i++;
        return true;
      }
      if (ch < " ") return false;
      if (ch === "\\") {
        const escape = /^\\(["\\/bfnrt]|u[0-9a-fA-F]{4})/.exec(text.slice(i, i + 6));
        if (!escape) return false;
        i += escape[0].length - 1;
      }
    }
    return false;
  };
  const members = (close: string, member: () => boolean): boolean => {
    i++;
    space();
    if (text[i] !== close)
      for (;;) {
        if (!member()) return false;
        space();
        if (text[i] === close) break;
        if (text[i] !== ",") return false;
        i++;
      }
    i++;
    return true;
  };
  const value = (): boolean => {
    space();
    const ch = text[i];
    if (ch === "{")
      return members("}", () => {
        space();
        if (text[i] !== '"' || !string()) return false;
        space();
        if (text[i] !== ":") return false;
        i++;
        return value();
      });
    if (ch === "[") return members("]", value);
    if (ch === '"') return string();
    for (const word of ["true", "false", "null"])
      if (ch === word[0]) {
        let k = 0;
        while (k < word.length && text[i + k] === word[k]) k++;
        i += k;
        return k === word.length;
      }
    const scalar = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!scalar) return false;
    i += scalar[0].length;
    return true;
  };
  try {
    if (value()) space();
  } catch {
    // Nesting too deep to follow: the start is all that can be said.
    return 0;
  }
  return Math.min(i, text.length);
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
