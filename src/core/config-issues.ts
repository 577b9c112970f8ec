import type * as z from "zod";
import { editDistance } from "./distance.js";

/**
 * How start-up input (a config file, the environment, flags) is refused: one line per problem, naming the field and
 * saying what it expects and what it got, in place of zod's "Invalid input".
 *
 * @example
 * explainIssues(error, { cors: { origins: "http://x" } }, { source: "config file sandbox.json", schema });
 * // config file sandbox.json: cors.origins: expected "*" or a list, got "http://x"
 */
export function explainIssues(error: z.ZodError, input: unknown, options: ExplainOptions): string {
  return error.issues
    .flatMap((issue) => lines(issue, [], input, options))
    .filter((line, i, all) => all.indexOf(line) === i)
    .join("\n");
}

export interface ExplainOptions {
  /** What the input is (`config file sandbox.yaml`): the start of every line. */
  source: string;
  /** The schema parsed with: an unknown field is answered with the nearest known one. */
  schema?: z.ZodType;
  /**
   * A field given another way, by how it was given (`port` → `--port`, `https.port` → `HTTPS_PORT`): named so, with
   * no source.
   */
  names?: Readonly<Record<string, string>>;
}

/** The closest of `known` to `word` by edit distance, when it is close enough to be a likely typo. */
export function nearest(word: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const d = editDistance(word.toLowerCase(), candidate.toLowerCase(), { swaps: true });
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  // One edit in a short name, two in a longer one: beyond that a suggestion is a guess.
  return bestDistance <= (word.length <= 4 ? 1 : 2) ? best : undefined;
}

type Issue = z.core.$ZodIssue;

function lines(
  issue: Issue,
  base: readonly PropertyKey[],
  input: unknown,
  options: ExplainOptions,
): string[] {
  const path = [...base, ...issue.path];
  if (issue.code === "unrecognized_keys")
    return issue.keys.map(
      (key) => `${label([...path, key], options)}: unknown field${hint(key, path, options)}`,
    );
  if (issue.code === "invalid_union") {
    // A branch that failed inside the value (an array with one bad item) is the one the input meant: say where.
    const deeper = issue.errors.find((branch) => branch.some((i) => i.path.length > 0));
    if (deeper) return deeper.flatMap((i) => lines(i, path, input, options));
  }
  if (issue.code === "invalid_key") {
    const inner = issue.issues[0];
    const why = inner && !isZodDefault(inner.message) ? inner.message : "not an accepted key";
    return [`${label(path, options)}: ${why}`];
  }
  const value = valueAt(input, path);
  const what = expectation(issue);
  if (issue.code === "custom" || what === undefined) return [`${label(path, options)}: ${issue.message}`];
  if (value === undefined) return [`${label(path, options)}: missing; ${what}`];
  return [`${label(path, options)}: ${what}, got ${shown(value)}`];
}

/** `--port`, `PORT`, `--https-port` (for `https.port`), or `<source>: cors.origins`. */
function label(path: readonly PropertyKey[], { source, names }: ExplainOptions): string {
  const parts = path.map(String);
  for (let length = parts.length; length > 0 && names; length--) {
    const field = parts.slice(0, length).join(".");
    if (Object.hasOwn(names, field)) return [names[field], ...parts.slice(length)].join(".");
  }
  return `${source}: ${parts.join(".") || "(root)"}`;
}

/** A schema's own message is kept; zod's stock messages ("Invalid input", "Too big: …") are replaced. */
function isZodDefault(message: string): boolean {
  return /^(Invalid|Too (big|small)|Unrecognized)\b/.test(message);
}

/** "expected …" for an issue about a value, or undefined when the issue's own message says it better. */
function expectation(issue: Issue): string | undefined {
  if (!isZodDefault(issue.message)) return issue.message;
  switch (issue.code) {
    case "invalid_type":
      return `expected ${kind(issue.expected)}`;
    case "invalid_value":
      return `expected ${issue.values.length === 1 ? shown(issue.values[0]) : `one of ${issue.values.map(shown).join(", ")}`}`;
    case "invalid_format":
      return `expected ${format(issue)}`;
    case "too_big":
      return `expected ${bound(issue.origin, issue.maximum, issue.inclusive ?? true, "most")}`;
    case "too_small":
      return `expected ${bound(issue.origin, issue.minimum, issue.inclusive ?? true, "least")}`;
    case "not_multiple_of":
      return `expected a multiple of ${String(issue.divisor)}`;
    case "invalid_union": {
      const options = issue.errors.map((branch) => branch[0]).filter((i) => i !== undefined);
      const each = options.map((i) => expectation(i)?.replace(/^expected /, ""));
      return each.length > 0 && each.every((e) => e !== undefined)
        ? `expected ${each.join(" or ")}`
        : undefined;
    }
    default:
      return undefined;
  }
}

function kind(expected: string): string {
  const kinds: Record<string, string> = {
    number: "a number",
    int: "an integer",
    string: "a string",
    boolean: "true or false",
    array: "a list",
    object: "an object",
    record: "an object",
  };
  return kinds[expected] ?? expected;
}

function format(issue: z.core.$ZodIssueInvalidStringFormat): string {
  switch (issue.format) {
    case "url":
      return "a URL";
    case "email":
      return "an email address";
    case "datetime":
      return "an ISO 8601 date and time";
    case "regex":
      return `text matching ${issue.pattern ?? "the pattern"}`;
    case "starts_with":
      return `text starting with ${shown((issue as z.core.$ZodIssueStringStartsWith).prefix)}`;
    case "ends_with":
      return `text ending with ${shown((issue as z.core.$ZodIssueStringEndsWith).suffix)}`;
    default:
      return `a valid ${issue.format}`;
  }
}

function bound(
  origin: string,
  limit: number | bigint | Date,
  inclusive: boolean,
  side: "most" | "least",
): string {
  const n = String(limit);
  if (origin === "string")
    return side === "least" && n === "1" ? "a non-empty string" : `a string of at ${side} ${n} characters`;
  if (origin === "array" || origin === "set") return `a list of at ${side} ${n} items`;
  if (inclusive) return `a number of at ${side} ${n}`;
  return `a number ${side === "most" ? "below" : "above"} ${n}`;
}

/** A value as the input wrote it, cut short. */
function shown(value: unknown): string {
  const text =
    typeof value === "number" || typeof value === "bigint"
      ? String(value)
      : ((JSON.stringify(value) as string | undefined) ?? String(value));
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let at = input;
  for (const key of path) {
    if (at === null || typeof at !== "object") return undefined;
    at = (at as Record<PropertyKey, unknown>)[key];
  }
  return at;
}

/** For an unknown field: the nearest known name, or the known names when they are few. */
function hint(key: string, path: readonly PropertyKey[], options: ExplainOptions): string {
  const known = options.schema ? fieldsAt(options.schema, path) : [];
  const near = nearest(key, known);
  if (near !== undefined) return ` (did you mean ${near}?)`;
  return known.length > 0 && known.length <= 8 ? ` (known fields: ${known.join(", ")})` : "";
}

/** The field names of the object schema at `path`, through defaults, optionals, pipes, arrays and records. */
function fieldsAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let at: z.core.$ZodType | undefined = unwrap(schema);
  for (const key of path) {
    const def: z.core.$ZodTypeDef | undefined = at?._zod.def;
    if (def?.type === "object") at = (def as z.core.$ZodObjectDef).shape[String(key)];
    else if (def?.type === "array") at = (def as z.core.$ZodArrayDef).element;
    else if (def?.type === "record") at = (def as z.core.$ZodRecordDef).valueType;
    else return [];
    at = at && unwrap(at);
  }
  const def = at?._zod.def;
  return def?.type === "object" ? Object.keys((def as z.core.$ZodObjectDef).shape) : [];
}

/** The schema inside defaults, optionals and the input side of a pipe. */
function unwrap(schema: z.core.$ZodType): z.core.$ZodType {
  let at = schema;
  for (;;) {
    const def = at._zod.def as z.core.$ZodTypeDef & { innerType?: z.core.$ZodType };
    if (def.innerType) at = def.innerType;
    else if (def.type === "pipe") at = (def as z.core.$ZodPipeDef).in;
    else return at;
  }
}
