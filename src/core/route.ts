import type { RouteConfig } from "@hono/zod-openapi";
import type { Context, Handler, Hono } from "hono";
import { matchedRoutes } from "hono/route";
import * as z from "zod";
import type { AppEnv } from "./context.js";
import type { ErrorFormat, SandboxError } from "./errors.js";
import { describeIssues, invalidInput, readForm, readJson, readQuery, type FieldIssue } from "./http.js";

type Method = "get" | "post" | "put" | "delete";

/** The inputs a route reads, each with the schema that validates it (and documents it). */
export interface RequestSpec {
  query?: z.ZodObject;
  params?: z.ZodObject;
  /** Header names as documented (`X-App-Token`); read case-insensitively. */
  headers?: z.ZodObject;
  /** A JSON body; without `required`, no body reads as `{}`. Read whatever the content type says, as JSON APIs do. */
  json?: { schema: z.ZodType; required?: boolean };
  /** An `application/x-www-form-urlencoded` body; a body of another type has no fields. A repeated field: its last value. */
  form?: { schema: z.ZodObject; required?: boolean };
  /**
   * Fields a client may send in the query or, on a request with a body, as a form (the form's on top): one schema for
   * both, as some vendors read them (a repeated field: its last value). Documented as the query of a GET and the form
   * body of any other method.
   */
  fields?: z.ZodObject;
}

type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

/** What the handler receives: each declared input, validated; `auth` is what `authorize` returned. */
export interface Input<R extends RequestSpec, A> {
  query: Out<R["query"]>;
  params: Out<R["params"]>;
  headers: Out<R["headers"]>;
  json: R["json"] extends { schema: infer S } ? Out<S> : undefined;
  form: R["form"] extends { schema: infer S } ? Out<S> : undefined;
  fields: Out<R["fields"]>;
  auth: A;
}

export interface ResponseSpec {
  description: string;
  schema?: z.ZodType;
  /** `application/json` unless given. */
  contentType?: string;
  /** Header name → what it carries. */
  headers?: Record<string, string>;
}

/**
 * One route, declared once: method, path, inputs with their schemas, answers, error format and handler. Routing,
 * validation, the OpenAPI operation and the route's name (what scenarios, the journal and the admin API call it)
 * all come from this object.
 */
export interface RouteDefinition<R extends RequestSpec = RequestSpec, A = undefined> {
  method: Method;
  /** OpenAPI-style path within the vendor's prefix: `/things/{id}`. */
  path: string;
  /**
   * Further paths that answer the same route (`/ACCESS_TOKEN` beside `/ACCESS_TOKEN/`). Not documented as paths of
   * their own: the operation at `path` says in its description that they are accepted, and lists them in `x-also-at`.
   */
  alsoAt?: readonly string[];
  /**
   * Answers without the admin token, however it is set (the admin API's health and the dashboard's shell): what holds
   * no data. Only for GET routes of the admin API; a vendor's own routes never need it.
   */
  public?: true;
  summary: string;
  description?: string;
  /** Security scheme names from the vendor's `securitySchemes`. */
  security?: readonly string[];
  request?: R;
  /** The answers that are not errors (200, a redirect, a page). */
  responses: Readonly<Record<number, ResponseSpec>>;
  /** Why the route answers an error status, for the document. Every status of the format's catalogue is listed anyway. */
  errors?: Readonly<Record<number, string>>;
  /** How every error of this route is written; the vendor's default format unless given. */
  format?: ErrorFormat;
  /**
   * Runs before the inputs are read, so a caller without credentials hears 401 whatever else is wrong; what it
   * returns reaches the handler as `input.auth`.
   */
  authorize?: (c: Context<AppEnv>) => A | Promise<A>;
  /** The error for invalid input; by default the format's `invalid_request`, naming the first bad field. */
  invalid?: (issues: readonly FieldIssue[], raw: readonly z.core.$ZodIssue[]) => SandboxError;
  handler: (c: Context<AppEnv>, input: Input<R, A>) => Response | Promise<Response>;
}

/** A declaration as a vendor's route list holds it (its input types erased). */
export type RouteDeclaration = RouteDefinition<RequestSpec, unknown>;

/**
 * Declares a route. The types of `input` in the handler follow the schemas given.
 *
 * @example
 * defineRoute({
 *   method: "get",
 *   path: "/things/{id}",
 *   summary: "Read a thing",
 *   request: { params: z.object({ id: z.string() }) },
 *   responses: { 200: { description: "The thing", schema: thingSchema } },
 *   errors: { 404: "Unknown thing" },
 *   handler: async (c, { params }) => c.json(await read(params.id)),
 * });
 */
export function defineRoute<R extends RequestSpec = RequestSpec, A = undefined>(
  definition: RouteDefinition<R, A>,
): RouteDeclaration {
  return definition as unknown as RouteDeclaration;
}

/** A declared route, bound to its vendor (or the admin API): what the app mounts and the core reads. */
export interface Route {
  /** The vendor's name, or `__admin`. */
  readonly group: string;
  /** `POST /api/v1/deeplink`: how scenarios, the journal and the admin API name the route. */
  readonly name: string;
  /** `<group> <name>`: unique across the sandbox. */
  readonly key: string;
  readonly format: ErrorFormat;
  readonly definition: RouteDeclaration;
}

/** A group's declarations bound to it, each with its name and error format. Two routes with one name are refused. */
export function bindRoutes(
  group: string,
  declarations: readonly RouteDeclaration[],
  defaultFormat: ErrorFormat,
): Route[] {
  const seen = new Set<string>();
  return declarations.map((definition) => {
    const name = `${definition.method.toUpperCase()} ${definition.path}`;
    if (seen.has(name)) throw new Error(`${group}: route ${name} is declared twice`);
    seen.add(name);
    return { group, name, key: `${group} ${name}`, format: definition.format ?? defaultFormat, definition };
  });
}

// ---- Reading and validating the declared inputs ---------------------------------------------------------------

/** Unwraps optional/default/nullable wrappers to see whether a field is an array (it then takes every value). */
function isArrayField(schema: z.ZodType): boolean {
  let s: z.ZodType = schema;
  for (;;) {
    if (s instanceof z.ZodArray) return true;
    if (s instanceof z.ZodOptional || s instanceof z.ZodNullable || s instanceof z.ZodDefault) {
      s = s.unwrap() as z.ZodType;
      continue;
    }
    return false;
  }
}

/** Name → value (array fields: every value given; others: the last). */
function fieldReader(schema: z.ZodObject | undefined) {
  const arrays = new Set(
    Object.entries(schema?.shape ?? {})
      .filter(([, field]) => isArrayField(field as z.ZodType))
      .map(([name]) => name),
  );
  return (fields: Map<string, string[]>): Record<string, string | string[]> => {
    const out: Record<string, string | string[]> = {};
    for (const [name, values] of fields) out[name] = arrays.has(name) ? values : values.at(-1)!;
    return out;
  };
}

type Reader = (c: Context<AppEnv>) => unknown;

/** One input: where it is read from and its schema. */
interface Part {
  read: Reader;
  schema: z.ZodType;
}

function partsOf(request: RequestSpec | undefined): [keyof Input<RequestSpec, unknown>, Part][] {
  if (request === undefined) return [];
  const parts: [keyof Input<RequestSpec, unknown>, Part][] = [];
  if (request.params) parts.push(["params", { read: (c) => c.req.param(), schema: request.params }]);
  if (request.headers) {
    const names = Object.keys(request.headers.shape);
    parts.push([
      "headers",
      {
        read: (c) => Object.fromEntries(names.map((name) => [name, c.req.header(name)])),
        schema: request.headers,
      },
    ]);
  }
  if (request.query) {
    const fields = fieldReader(request.query);
    parts.push(["query", { read: (c) => fields(readQuery(c)), schema: request.query }]);
  }
  if (request.form) {
    const fields = fieldReader(request.form.schema);
    parts.push(["form", { read: async (c) => fields(await readForm(c)), schema: request.form.schema }]);
  }
  if (request.json) parts.push(["json", { read: readJson, schema: request.json.schema }]);
  if (request.fields) {
    const fields = fieldReader(request.fields);
    const read = async (c: Context<AppEnv>) => {
      const given = readQuery(c);
      if (c.req.method !== "GET") for (const [name, values] of await readForm(c)) given.set(name, values);
      return fields(given);
    };
    parts.push(["fields", { read, schema: request.fields }]);
  }
  return parts;
}

/** What runs before a route's own work: a response replaces it (the scenario and rate-limit gate). */
export type Before = (
  c: Context<AppEnv>,
  route: Route,
) => Response | undefined | Promise<Response | undefined>;

/**
 * The route's handler as the router runs it: `before` (the scenario and rate-limit gate), then `authorize`, then
 * each declared input read and validated, then the handler. Invalid input throws the route's `invalid` error.
 */
function runner(route: Route, before: Before | undefined): Handler<AppEnv> {
  const { definition } = route;
  const parts = partsOf(definition.request);
  const invalid = definition.invalid ?? invalidInput;
  // Awaits only what is a promise: each needless await is a turn of the microtask queue on every request.
  return async (c) => {
    if (before) {
      const gate = before(c, route);
      const replaced = gate instanceof Promise ? await gate : gate;
      if (replaced) return replaced;
    }
    const auth = definition.authorize?.(c);
    const input: Record<string, unknown> = { auth: auth instanceof Promise ? await auth : auth };
    for (const [name, part] of parts) {
      const read = part.read(c);
      const result = part.schema.safeParse(read instanceof Promise ? await read : read);
      if (!result.success) throw invalid(describeIssues(result.error.issues), result.error.issues);
      input[name] = result.data;
    }
    // Awaited here: returning the promise from an async function costs two more turns than awaiting it.
    return await definition.handler(c, input as unknown as Input<RequestSpec, unknown>);
  };
}

/** The route each mounted handler serves, so the error door and the journal can ask which route answered. */
const routeByHandler = new WeakMap<Handler<AppEnv>, Route>();

/** Registers each route (and its `alsoAt` paths) on `app` under `prefix`; `before` runs first in every one. */
export function mountRoutes(
  app: Hono<AppEnv>,
  prefix: string,
  routes: readonly Route[],
  before?: Before,
): void {
  for (const route of routes) {
    const handler = runner(route, before);
    routeByHandler.set(handler, route);
    const { method, path, alsoAt = [] } = route.definition;
    for (const p of [path, ...alsoAt])
      app.on(method.toUpperCase(), prefix + p.replaceAll(/\{([^}]+)\}/g, ":$1"), handler);
  }
}

/** The declared route whose path and method this request matched, if any (known before any handler runs). */
export function routeOf(c: Context<AppEnv>): Route | undefined {
  const matched = matchedRoutes(c);
  for (let i = matched.length - 1; i >= 0; i--) {
    const route = routeByHandler.get(matched[i]!.handler as Handler<AppEnv>);
    if (route) return route;
  }
  return undefined;
}

/**
 * A field the vendor requires but whose absence a handler answers in the vendor's own way, in the vendor's order (an
 * error redirect, a 401 page, a signature error), so validation lets it through: the document marks it required.
 */
export function requiredByVendor<S extends z.ZodType>(schema: S): S {
  // The generator reads a parameter's `param` from zod's own metadata, where `.describe()` keeps the description too.
  return schema.meta({ ...schema.meta(), param: { required: true } });
}

// ---- The OpenAPI operation -------------------------------------------------------------------------------------

function headerObjects(headers: Record<string, string> | undefined) {
  return headers
    ? Object.fromEntries(
        Object.entries(headers).map(([name, description]) => [
          name,
          { description, schema: { type: "string" as const } },
        ]),
      )
    : undefined;
}

function response(spec: ResponseSpec) {
  return {
    description: spec.description,
    ...(spec.headers ? { headers: headerObjects(spec.headers) } : {}),
    ...(spec.schema
      ? { content: { [spec.contentType ?? "application/json"]: { schema: spec.schema } } }
      : {}),
  };
}

/**
 * The route's OpenAPI operation, as `@hono/zod-openapi` describes it: every declared answer, and every status the
 * route's error format can answer, with that format's body. One operation, at `path`: the `alsoAt` paths are named
 * in its description and in `x-also-at`, so a twin path is not a second operation to read, test or generate.
 */
export function openApiRoute(route: Route, prefix: string): RouteConfig {
  const { definition: d, format } = route;
  const responses: Record<string, ReturnType<typeof response>> = {};
  for (const [status, spec] of Object.entries(d.responses)) responses[status] = response(spec);
  const byStatus = new Map<number, string[]>();
  for (const [name, entry] of Object.entries(format.catalogue))
    byStatus.set(entry.status, [...(byStatus.get(entry.status) ?? []), name]);
  for (const status of new Set([...byStatus.keys(), ...Object.keys(d.errors ?? {}).map(Number)])) {
    const names = byStatus.get(status) ?? [];
    responses[String(status)] ??= response({
      description: d.errors?.[status] ?? `Error (${names.join(", ")})`,
      schema: format.schema,
      contentType: format.contentType,
      headers: format.headers?.[status],
    });
  }
  const request = d.request ?? {};
  // Fields are the query of a GET; otherwise a form body, which the query may complete.
  const fieldsInQuery = request.fields && d.method === "get";
  const query = fieldsInQuery ? request.fields : (request.query ?? request.fields?.partial());
  const form = request.fields && !fieldsInQuery ? { schema: request.fields, required: false } : request.form;
  const body = request.json
    ? {
        content: { "application/json": { schema: request.json.schema } },
        required: request.json.required ?? false,
      }
    : form
      ? {
          content: { "application/x-www-form-urlencoded": { schema: form.schema } },
          required: form.required ?? false,
        }
      : undefined;
  const twins = (d.alsoAt ?? []).map((path) => `${prefix}${path}`);
  const accepted = twins.length
    ? `Also accepted at ${twins.map((p) => `\`${p}\``).join(", ")}, which answers the same.`
    : undefined;
  const description = [d.description, accepted].filter((text) => text !== undefined).join("\n\n");
  return {
    method: d.method,
    path: `${prefix}${d.path}`,
    summary: d.summary,
    ...(description ? { description } : {}),
    ...(twins.length ? { "x-also-at": twins } : {}),
    ...(d.security ? { security: d.security.map((name) => ({ [name]: [] })) } : {}),
    tags: [route.group],
    request: {
      ...(request.params ? { params: request.params } : {}),
      ...(query ? { query } : {}),
      ...(request.headers ? { headers: request.headers } : {}),
      ...(body ? { body } : {}),
    },
    responses,
  };
}
