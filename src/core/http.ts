import { timingSafeEqual } from "node:crypto";
import type { Context } from "hono";
import type * as z from "zod";
import { coreError, CoreErrorCode, type SandboxError } from "./errors.js";

export interface FieldIssue {
  field: string;
  message: string;
}

function fieldName(path: readonly PropertyKey[]): string {
  return path.length === 0 ? "body" : path.map(String).join(".");
}

function describe(issue: z.core.$ZodIssue): FieldIssue {
  const field = fieldName(issue.path);
  switch (issue.code) {
    case "invalid_type":
      return issue.message.endsWith("received undefined")
        ? { field, message: `${field} is required` }
        : { field, message: `${field} must be of type ${issue.expected}` };
    case "too_big":
      return {
        field,
        message:
          issue.origin === "string"
            ? `${field} must be at most ${String(issue.maximum)} characters`
            : `${field} must be at most ${String(issue.maximum)}`,
      };
    case "too_small":
      return {
        field,
        message:
          issue.origin === "string"
            ? `${field} must not be empty`
            : `${field} must be at least ${String(issue.minimum)}`,
      };
    case "invalid_value":
      return { field, message: `${field} must be one of ${issue.values.map(String).join(", ")}` };
    case "unrecognized_keys":
      return { field: issue.keys.join(", "), message: `unknown field ${issue.keys.join(", ")}` };
    default:
      // A schema's own message may already name its field.
      return {
        field,
        message: issue.message.startsWith(field) ? issue.message : `${field}: ${issue.message}`,
      };
  }
}

/** A 400 `invalid_request` naming the first bad field; all issues in `details.issues`. */
export function invalidRequest(message: string, issues: FieldIssue[] = []): SandboxError {
  return coreError(CoreErrorCode.invalidRequest, message, { issues });
}

/**
 * Parses `input` with `schema`, or throws the request's `invalid_request` error, which the provider then
 * writes in its vendor's format. Validation failures take the same door as every other error.
 */
export function parseWith<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues.map(describe);
  throw invalidRequest(issues[0]?.message ?? "invalid request", issues);
}

/** The JSON body, or `{}` when there is none; malformed JSON is an `invalid_request`, never a 500. */
export async function readJson(c: Context): Promise<unknown> {
  const text = await c.req.text();
  if (!/\S/.test(text)) return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw invalidRequest("body is not valid JSON", [{ field: "body", message: "body is not valid JSON" }]);
  }
}

/** Name → every value given, in order, from `application/x-www-form-urlencoded` text (a form body or a query). */
function fieldsOf(encoded: string, into = new Map<string, string[]>()): Map<string, string[]> {
  for (const [name, value] of new URLSearchParams(encoded)) {
    const values = into.get(name);
    if (values === undefined) into.set(name, [value]);
    else values.push(value);
  }
  return into;
}

/**
 * Form fields of a request (`application/x-www-form-urlencoded`) as name → every value given.
 * Any other content type has no form fields.
 */
export async function readForm(c: Context): Promise<Map<string, string[]>> {
  const type = c.req.header("content-type")?.split(";")[0]?.trim().toLowerCase();
  if (type !== "application/x-www-form-urlencoded") return new Map();
  return fieldsOf(await c.req.text());
}

/** Query parameters as name → every value given. */
export function readQuery(c: Context): Map<string, string[]> {
  const url = c.req.url;
  const start = url.indexOf("?");
  return start < 0 ? new Map<string, string[]>() : fieldsOf(url.slice(start + 1));
}

/** `Authorization: Basic base64(user:pass)`, or undefined when absent or malformed. */
export function parseBasicAuth(header: string | undefined): { user: string; password: string } | undefined {
  const match = /^basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header ?? "");
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** `Authorization: <scheme> <credentials>` with the scheme matched case-insensitively. */
export function parseAuthScheme(header: string | undefined, scheme: string): string | undefined {
  const match = /^(\S+)\s+(\S.*)$/.exec(header?.trim() ?? "");
  if (!match || match[1]!.toLowerCase() !== scheme.toLowerCase()) return undefined;
  return match[2]!.trim();
}

/** Compares two secrets in constant time (for their common length). */
export function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
