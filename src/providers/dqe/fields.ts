import type { Context } from "hono";
import type * as z from "zod";
import type { AppEnv } from "../../core/context.js";
import { defineRoute, type RouteDeclaration, type RouteDefinition } from "../../core/route.js";
import { fail } from "./errors.js";

/**
 * The vendor's table: an unknown parameter name is its 500; a missing, empty or wrong field is 01 invalid request
 * (the fields are checked in the schema's order).
 */
const invalid = (issues: readonly { message: string }[], raw: readonly z.core.$ZodIssue[]) =>
  raw.some((issue) => issue.code === "unrecognized_keys")
    ? fail("unknown_parameter")
    : fail("invalid_request", issues[0]?.message);

/**
 * Each DQE endpoint answers GET with its fields in the query and POST with them in a form body (on top of any in the
 * query), with and without the trailing slash. Its fields are one strict schema: any other name is the vendor's
 * "parameter typo", which it answers with a 500.
 */
export function getAndPost<F extends z.ZodObject>(
  spec: Pick<RouteDefinition, "path" | "summary" | "description" | "responses" | "errors">,
  fields: F,
  handler: (c: Context<AppEnv>, fields: z.output<F>) => Promise<Response>,
): RouteDeclaration[] {
  return (["get", "post"] as const).map((method) =>
    defineRoute({
      ...spec,
      method,
      alsoAt: [spec.path.slice(0, -1)],
      summary: `${spec.summary} (${method === "get" ? "query" : "form"})`,
      request: { fields },
      invalid,
      handler: (c, input) => handler(c, input.fields as z.output<F>),
    }),
  );
}
