import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
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

/** Each issue as the field it concerns and a sentence that names it. */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): FieldIssue[] {
  return issues.map(describe);
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

/** The `invalid_request` for input that failed its schema: the first issue's sentence, every issue in `details`. */
export function invalidInput(issues: readonly FieldIssue[]): SandboxError {
  return invalidRequest(issues[0]?.message ?? "invalid request", [...issues]);
}

/** The Node request a response is served for, when served by `@hono/node-server` (not for `app.request()`). */
export function nodeIncoming(c: Context): IncomingMessage | undefined {
  return (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
}

/**
 * Whether a request served over HTTP declares no body: no `Transfer-Encoding`, and `Content-Length` absent or 0
 * (RFC 9112 §6.3). Undefined for in-process requests (`app.request()`), which carry a body without a length header.
 */
export function declaresNoBody(c: Context): boolean | undefined {
  const headers = nodeIncoming(c)?.headers;
  if (headers === undefined) return undefined;
  return headers["transfer-encoding"] === undefined && Number(headers["content-length"] ?? 0) === 0;
}

/**
 * The request body as text. A request that declares no body reads as "" without touching the body stream, which the
 * Node adapter would otherwise serve by building a full `Request` (a POST with its fields in the query ran at a
 * third of the speed).
 */
export function readText(c: Context): Promise<string> {
  return declaresNoBody(c) === true ? Promise.resolve("") : c.req.text();
}

/** The JSON body, or `{}` when there is none; malformed JSON is an `invalid_request`, never a 500. */
export async function readJson(c: Context): Promise<unknown> {
  const text = await readText(c);
  if (!/\S/.test(text)) return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw invalidRequest("body is not valid JSON", [{ field: "body", message: "body is not valid JSON" }]);
  }
}

/**
 * Name → every value given, in order, from `application/x-www-form-urlencoded` text (a form body or a query), exactly
 * as `URLSearchParams` reads it. Text with no `%` or `+` needs no decoding, so it is split directly (the common case,
 * and several µs cheaper than URLSearchParams per request).
 */
export function fieldsOf(encoded: string): Map<string, string[]> {
  const into = new Map<string, string[]>();
  const add = (name: string, value: string) => {
    const values = into.get(name);
    if (values === undefined) into.set(name, [value]);
    else values.push(value);
  };
  if (encoded.includes("%") || encoded.includes("+")) {
    for (const [name, value] of new URLSearchParams(encoded)) add(name, value);
    return into;
  }
  // Like URLSearchParams, a leading "?" is not part of the first name.
  for (const pair of (encoded.startsWith("?") ? encoded.slice(1) : encoded).split("&")) {
    if (pair === "") continue;
    const eq = pair.indexOf("=");
    if (eq < 0) add(pair, "");
    else add(pair.slice(0, eq), pair.slice(eq + 1));
  }
  return into;
}

/** Whether the request's body is a form (`application/x-www-form-urlencoded`, parameters aside). */
export function isForm(c: Context): boolean {
  return (
    c.req.header("content-type")?.split(";")[0]?.trim().toLowerCase() === "application/x-www-form-urlencoded"
  );
}

/** Form fields of a request as name → every value given. A body of any other content type has no form fields. */
export async function readForm(c: Context): Promise<Map<string, string[]>> {
  return isForm(c) ? fieldsOf(await readText(c)) : new Map<string, string[]>();
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

/** A key of this process only: secrets are compared as their HMACs, which always have the same length. */
const COMPARE_KEY = randomBytes(32);

/**
 * Compares two secrets in constant time, whatever their lengths: both are HMAC'd first, so neither the time taken nor
 * an early return tells a caller how long the expected secret is.
 */
export function sameSecret(given: string, expected: string): boolean {
  const digest = (text: string) => createHmac("sha256", COMPARE_KEY).update(text).digest();
  return timingSafeEqual(digest(given), digest(expected));
}
