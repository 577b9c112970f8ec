import * as z from "zod";

/** One documented response: its schema (JSON unless `contentType` says otherwise) and what it means. */
export interface ResponseSpec {
  description: string;
  schema?: z.ZodType;
  contentType?: string;
  headers?: Record<string, string>;
}

/**
 * One route as the contract describes it. The same zod schemas validate the request in the handler and describe it
 * here, so the published OpenAPI cannot drift from what the sandbox checks.
 */
export interface Operation {
  method: "get" | "post" | "put" | "delete";
  /** OpenAPI path within the vendor prefix: `/api/sessions/{id}`. */
  path: string;
  summary: string;
  description?: string;
  /** Security scheme names from the provider's `securitySchemes`. */
  security?: string[];
  query?: z.ZodObject;
  pathParams?: z.ZodObject;
  headers?: z.ZodObject;
  body?: {
    contentType: "application/json" | "application/x-www-form-urlencoded";
    schema: z.ZodType;
    required?: boolean;
  };
  responses: Record<number, ResponseSpec>;
}

export interface ContractSource {
  name: string;
  title: string;
  operations: readonly Operation[];
  securitySchemes?: Record<string, unknown>;
}

type JsonSchema = Record<string, unknown>;

function jsonSchema(schema: z.ZodType, io: "input" | "output"): JsonSchema {
  const out = z.toJSONSchema(schema, { io, unrepresentable: "any", target: "draft-2020-12" }) as JsonSchema;
  delete out.$schema;
  return out;
}

function parameters(where: "query" | "path" | "header", schema: z.ZodObject | undefined) {
  if (!schema) return [];
  const js = jsonSchema(schema, "input");
  const props = (js.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((js.required as string[] | undefined) ?? []);
  return Object.entries(props).map(([name, s]) => ({
    name,
    in: where,
    required: where === "path" || required.has(name),
    ...(typeof s.description === "string" ? { description: s.description } : {}),
    schema: s,
  }));
}

function pathItem(op: Operation) {
  return {
    summary: op.summary,
    ...(op.description ? { description: op.description } : {}),
    ...(op.security ? { security: op.security.map((name) => ({ [name]: [] })) } : {}),
    parameters: [
      ...parameters("path", op.pathParams),
      ...parameters("query", op.query),
      ...parameters("header", op.headers),
    ],
    ...(op.body
      ? {
          requestBody: {
            required: op.body.required ?? true,
            content: { [op.body.contentType]: { schema: jsonSchema(op.body.schema, "input") } },
          },
        }
      : {}),
    responses: Object.fromEntries(
      Object.entries(op.responses).map(([status, r]) => [
        status,
        {
          description: r.description,
          ...(r.headers
            ? {
                headers: Object.fromEntries(
                  Object.entries(r.headers).map(([h, d]) => [
                    h,
                    { description: d, schema: { type: "string" } },
                  ]),
                ),
              }
            : {}),
          ...(r.schema
            ? {
                content: {
                  [r.contentType ?? "application/json"]: { schema: jsonSchema(r.schema, "output") },
                },
              }
            : {}),
        },
      ]),
    ),
  };
}

/** An OpenAPI 3.1 document for some vendors (and the admin API), each under its prefix on `baseUrl`. */
export function openApiDocument(sources: readonly ContractSource[], baseUrl: string, version: string) {
  const single = sources.length === 1 ? sources[0] : undefined;
  const paths: Record<string, Record<string, unknown>> = {};
  for (const source of sources) {
    for (const op of source.operations) {
      const path = single ? op.path : `/${source.name}${op.path}`;
      (paths[path] ??= {})[op.method] = { ...pathItem(op), tags: [source.name] };
    }
  }
  return {
    openapi: "3.1.0",
    info: {
      title: single ? `idv-sandbox: ${single.title}` : "idv-sandbox",
      version,
      description: "Test-only sandbox of identity-verification vendors' token APIs. Never for production.",
    },
    servers: [{ url: single ? `${baseUrl}/${single.name}` : baseUrl }],
    tags: sources.map((s) => ({ name: s.name, description: s.title })),
    paths,
    components: {
      securitySchemes: Object.assign({}, ...sources.map((s) => s.securitySchemes ?? {})) as Record<
        string,
        unknown
      >,
    },
  };
}

export type OpenApiDocument = ReturnType<typeof openApiDocument>;

/** A published JWKS (public RSA keys). */
export const jwksSchema = z.object({
  keys: z.array(
    z.object({
      kty: z.literal("RSA"),
      n: z.string(),
      e: z.string(),
      kid: z.string(),
      alg: z.literal("RS256"),
      use: z.literal("sig"),
    }),
  ),
});

/** The same error body for several statuses. */
export function errorResponses(
  schema: z.ZodType,
  statuses: Record<number, string>,
): Record<number, ResponseSpec> {
  return Object.fromEntries(
    Object.entries(statuses).map(([status, description]) => [status, { description, schema }]),
  );
}

/** What any vendor route can also answer: a body over the limit, a rate limit. */
export function commonErrors(schema: z.ZodType): Record<number, ResponseSpec> {
  return {
    413: { description: "Request body larger than the configured limit", schema },
    429: {
      description: "Rate limit exceeded (when rate limits are on)",
      schema,
      headers: { "Retry-After": "Seconds until the window ends" },
    },
  };
}
