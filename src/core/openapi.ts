import * as z from "zod";
import type { ErrorFormat } from "./errors.js";
import { openApiRoute, type Route } from "./route.js";
import type { WebhookSpec } from "./webhooks.js";

/** One part of a document: a vendor (or the admin API), its routes and its default error format. */
export interface DocGroup {
  name: string;
  title: string;
  routes: readonly Route[];
  /** What an unknown path under the group's prefix answers; in `components.schemas["<name>.error"]`. */
  errors: ErrorFormat;
  /** What an unknown path under a narrower prefix answers instead (longest first). */
  errorsUnder?: readonly (readonly [prefix: string, format: ErrorFormat])[];
  securitySchemes?: Record<string, unknown>;
  /** What the group pushes to subscribers: the document's `webhooks`, one per event (`<group>.<event>`). */
  webhooks?: WebhookSpec;
}

/**
 * An OpenAPI 3.1 document for some groups, each under its prefix on `baseUrl` (a single group's paths are relative
 * to its own server URL). The operations come from the route declarations, through `@hono/zod-openapi`'s generator.
 */
export async function openApiDocument(groups: readonly DocGroup[], baseUrl: string, version: string) {
  // Loaded on the first document, not at start-up: the generator and the zod it extends weigh as much again as the
  // rest of the CLI bundle, and most runs never read a document.
  const { OpenAPIHono } = await import("@hono/zod-openapi");
  const single = groups.length === 1 ? groups[0] : undefined;
  const generator = new OpenAPIHono();
  const registry = generator.openAPIRegistry;
  for (const group of groups) {
    for (const scheme of Object.entries(group.securitySchemes ?? {}))
      registry.registerComponent("securitySchemes", scheme[0], scheme[1] as never);
    for (const route of group.routes)
      registry.registerPath(openApiRoute(route, single ? "" : `/${group.name}`));
    for (const [event, { summary, body }] of Object.entries(group.webhooks?.events ?? {}))
      registry.registerWebhook({
        method: "post",
        path: `${group.name}.${event}`,
        summary,
        description: group.webhooks!.signing,
        tags: [group.name],
        request: { body: { content: { "application/json": { schema: body } }, required: true } },
        responses: {
          200: { description: "Any 2xx acknowledges it; anything else, or no answer in time, is retried" },
        },
      });
  }
  const doc = generator.getOpenAPI31Document({
    openapi: "3.1.0",
    info: {
      title: single ? `idv-sandbox: ${single.title}` : "idv-sandbox",
      version,
      description: "Test-only sandbox of identity-verification vendors' APIs. Never for production.",
    },
    servers: [{ url: single ? `${baseUrl}/${single.name}` : baseUrl }],
    tags: groups.map((g) => ({ name: g.name, description: g.title })),
  });
  // What a path that matches no operation answers, most specific prefix first (a prefix covers itself and the paths
  // below it, segment by segment): `x-unmatched-errors` names the schema in `components.schemas` and the content
  // type, so a client (and the test suite) can check even those answers.
  const unmatched: { prefix: string; schema: string; contentType: string }[] = [];
  const schemas: Record<string, unknown> = {};
  for (const g of groups) {
    const base = single ? "" : `/${g.name}`;
    const entries: [string, ErrorFormat, string][] = [
      ...(g.errorsUnder ?? []).map(([prefix, format], i): [string, ErrorFormat, string] => [
        `${base}${prefix}`,
        format,
        `${g.name}.error.${String(i + 1)}`,
      ]),
      [`${base}/`, g.errors, `${g.name}.error`],
    ];
    for (const [prefix, format, key] of entries) {
      const schema = z.toJSONSchema(format.schema, { io: "output", target: "draft-2020-12" }) as Record<
        string,
        unknown
      >;
      delete schema.$schema;
      schemas[key] = schema;
      unmatched.push({ prefix, schema: key, contentType: format.contentType ?? "application/json" });
    }
  }
  const components = { ...doc.components, schemas: { ...doc.components?.schemas, ...schemas } };
  return { ...doc, components, "x-unmatched-errors": unmatched };
}

export type OpenApiDocument = Awaited<ReturnType<typeof openApiDocument>>;

/** A published JWKS (public RSA keys). */
export const jwksSchema = z.strictObject({
  keys: z.array(
    z.strictObject({
      kty: z.literal("RSA"),
      n: z.string(),
      e: z.string(),
      kid: z.string(),
      alg: z.literal("RS256"),
      use: z.literal("sig"),
    }),
  ),
});
