import type { Context } from "hono";
import * as z from "zod";
import { isoAt } from "../../core/clock.js";
import type { AppEnv } from "../../core/context.js";
import { invalidInput, parseAuthScheme, readForm, sameSecret, type FieldIssue } from "../../core/http.js";
import type { ProviderDeps } from "../../core/provider.js";
import { defineRoute, requiredByVendor, type RouteDeclaration } from "../../core/route.js";
import { putListed, takeListed } from "../../core/store.js";
import { fail, pageErrors, pageFail } from "./errors.js";
import { sessionPage } from "./pages.js";
import { hasResults, loadFiles, resultsOf } from "./results.js";
import {
  deeplinkRequestSchema,
  deeplinkResponseSchema,
  ephemeralRequestSchema,
  ephemeralResponseSchema,
  finishStatusSchema,
  sessionRequestSchema,
  sessionResponseSchema,
  type Permission,
  type RegulaFixtures,
} from "./schemas.js";
import {
  deviceTokens,
  finishSession,
  handoffTokens,
  sessions,
  sessionView,
  statusAt,
  type SessionRecord,
} from "./sessions.js";

export const securitySchemes = {
  regulaApiKey: {
    type: "apiKey",
    in: "header",
    name: "Authorization",
    description: "ApiKey <key> (scheme in any case)",
  },
  regulaDeviceToken: {
    type: "apiKey",
    in: "header",
    name: "Authorization",
    description: "Token <ephemeral device token>",
  },
};

const workflows = z.object({
  workflowId: z.array(z.string().min(1)).min(1).describe("Repeatable; every one comes back in workflowIds"),
});
/** A missing or empty `workflowId` is the vendor's own 400; any other bad input, the field named. */
const invalid = (issues: readonly FieldIssue[]) =>
  issues[0]?.field.startsWith("workflowId") ? fail("workflow_required") : invalidInput(issues);
const page = (description: string) => ({ description, schema: z.string(), contentType: "text/html" });

const USED_DEVICE_TOKEN = "Unauthorized: missing, unknown or used device token";

export function regulaRoutes(deps: ProviderDeps<RegulaFixtures, unknown>): RouteDeclaration[] {
  const { fixtures, ids, verdicts } = deps;
  const workflowIds = new Set(fixtures.workflows.map((w) => w.id));
  const files = loadFiles(fixtures, deps.fixturesDir);
  // One content type documents the file route when every image has the same (the shipped fixtures' PNG).
  const fileTypes = [...new Set([...files.values()].map((f) => f.type))];

  /**
   * The API key of `Authorization: ApiKey <key>` (scheme in any case); where `bare` is allowed, also
   * `Authorization: <key>`, as the older device flow writes it.
   */
  const requireKey =
    (permission: Permission, bare = false) =>
    (c: Context<AppEnv>) => {
      const header = c.req.header("authorization")?.trim();
      const key =
        parseAuthScheme(header, "ApiKey") ?? (bare && header && !/\s/.test(header) ? header : undefined);
      // Every key is compared, in constant time: which one matched (or how many characters did) takes no longer.
      const apiKey =
        key === undefined ? undefined : fixtures.apiKeys.filter((k) => sameSecret(key, k.key)).at(0);
      if (!apiKey) throw fail("unauthorized");
      if (!apiKey.permissions.includes(permission)) {
        throw fail("forbidden", `Forbidden: the API key lacks the ${permission} permission`);
      }
    };

  const knownWorkflows = (given: string[]) => {
    const unknown = given.find((id) => !workflowIds.has(id));
    if (unknown !== undefined) throw fail("workflow_not_found", `workflow not found: ${unknown}`);
    return given;
  };

  const startSession = async (
    c: Context<AppEnv>,
    fields: Pick<SessionRecord, "workflowIds" | "metadata" | "locale">,
    ttlSeconds: number,
    token: string,
  ): Promise<SessionRecord> => {
    const { clock, store } = c.get("ns");
    const now = clock.now();
    const session: SessionRecord = {
      id: ids.uuid(),
      ...fields,
      status: "created",
      createdAt: now,
      expiresAt: now + ttlSeconds * 1000,
    };
    await store.put(sessions, session.id, session, ttlSeconds + fixtures.sessionRetentionSeconds);
    await putListed(
      store,
      handoffTokens,
      token,
      { sessionId: session.id, workflowIds: session.workflowIds },
      ttlSeconds,
    );
    const ns = c.get("ns");
    // `session.expired` goes when the expiry falls due, unless the session is finished by then.
    await verdicts.schedule(ns, session.expiresAt, "session", session.id);
    // A magic `outcome:<verdict>` among the metadata values finishes it now; else the automatic verdict, if any.
    await verdicts.created(ns, "session", session.id, Object.values(session.metadata));
    return (await store.get(sessions, session.id))?.value ?? session;
  };

  /** The session as the API returns it: its fields, and its results once completed or failed. */
  const fullView = (c: Context<AppEnv>, session: Readonly<SessionRecord>) => {
    const view = sessionView(c.get("ns").clock.now(), session);
    const url = `${c.get("baseUrl")}/regula/api/sessions/${encodeURIComponent(session.id)}`;
    return { ...view, ...resultsOf(view.status, fixtures, files, url) };
  };

  /** The session `id` as the clock says it is now: what fell due for it (its expiry, a verdict) given first. */
  const readSession = async (c: Context<AppEnv>, id: string) => {
    const ns = c.get("ns");
    await verdicts.settle(ns, "session", id);
    return (await ns.store.get(sessions, id))?.value;
  };

  /** The open session a hand-off link points at, or the 401 page. */
  const handoffSession = async (
    c: Context<AppEnv>,
    authorization: string | undefined,
    sessionId: string | undefined,
  ) => {
    const token = parseAuthScheme(authorization, "Token");
    const { store, clock } = c.get("ns");
    const handoff = token === undefined ? undefined : await store.get(handoffTokens, token);
    // Read (and settled) only for a link whose token is bound to it.
    const session =
      handoff !== undefined && handoff.value.sessionId === sessionId
        ? await readSession(c, handoff.value.sessionId)
        : undefined;
    if (!session || statusAt(session, clock.now()) === "expired") throw pageFail("handoff_unauthorized");
    return session;
  };

  const ttlBounds = [fixtures.defaultTtlSeconds, fixtures.maxTtlSeconds] as const;
  return [
    defineRoute({
      method: "post",
      path: "/api/v1/deeplink",
      summary: "Start a session and get its hand-off URL (Token URL)",
      security: ["regulaApiKey"],
      authorize: requireKey("deeplink:write"),
      request: { query: workflows, json: { schema: deeplinkRequestSchema(...ttlBounds) } },
      invalid,
      responses: { 200: { description: "The hand-off URL and times", schema: deeplinkResponseSchema } },
      errors: {
        400: "No workflowId, or an invalid body field (named)",
        401: "Missing or unknown API key",
        403: "The key lacks deeplink:write",
        404: "Unknown workflow",
      },
      handler: async (c, { query, json: body }) => {
        const token = ids.token(48);
        const session = await startSession(
          c,
          { workflowIds: knownWorkflows(query.workflowId), metadata: body.metadata, locale: body.locale },
          body.ttl,
          token,
        );
        // Tokens are URL-safe and session ids are UUIDs: only the space after "Token" needs escaping.
        const url = `${c.get("baseUrl")}/regula/mobile?authorization=Token%20${token}&sessionId=${session.id}`;
        return c.json({
          url,
          createdAt: isoAt(session.createdAt),
          expiresAt: isoAt(session.expiresAt),
          workflowIds: session.workflowIds,
        });
      },
    }),
    defineRoute({
      method: "get",
      path: "/api/sessions/{id}",
      summary: "Read a session",
      security: ["regulaApiKey"],
      authorize: requireKey("session:read"),
      request: { params: z.object({ id: z.string() }) },
      responses: {
        200: {
          description:
            "The session; status expired once past expiresAt; properties and files once completed or failed",
          schema: sessionResponseSchema,
        },
      },
      errors: {
        401: "Missing or unknown API key",
        403: "The key lacks session:read",
        404: "Unknown session",
      },
      handler: async (c, { params }) => {
        const session = await readSession(c, params.id);
        if (!session) throw fail("session_not_found");
        return c.json(fullView(c, session));
      },
    }),
    defineRoute({
      method: "get",
      path: "/api/sessions/{id}/files/{name}",
      summary: "Download one of a session's files (the url in its files)",
      security: ["regulaApiKey"],
      authorize: requireKey("session:read"),
      request: { params: z.object({ id: z.string(), name: z.string() }) },
      responses: {
        200:
          fileTypes.length === 1
            ? { description: "The file's bytes", schema: z.string(), contentType: fileTypes[0] }
            : { description: "The file's bytes, with its type (image/png or image/jpeg)" },
      },
      errors: {
        401: "Missing or unknown API key",
        403: "The key lacks session:read",
        404: "Unknown session or file, or a session neither completed nor failed",
      },
      handler: async (c, { params }) => {
        const session = await readSession(c, params.id);
        if (!session) throw fail("session_not_found");
        const file = files.get(params.name);
        if (!file || !hasResults(statusAt(session, c.get("ns").clock.now()))) throw fail("file_not_found");
        return c.body(file.bytes, 200, { "content-type": file.type });
      },
    }),
    // The older flow: an ephemeral device token, then a session started with it.
    defineRoute({
      method: "post",
      path: "/api/device/ephemeral",
      summary: "Issue an ephemeral device token (older flow)",
      security: ["regulaApiKey"],
      authorize: requireKey("session:write", true),
      request: { json: { schema: ephemeralRequestSchema(...ttlBounds) } },
      responses: { 200: { description: "The device token", schema: ephemeralResponseSchema } },
      errors: { 400: "Invalid ttl", 401: "Missing or unknown API key", 403: "The key lacks session:write" },
      handler: async (c, { json: { ttl } }) => {
        const token = ids.token(48);
        await putListed(c.get("ns").store, deviceTokens, token, { ttlSeconds: ttl }, ttl);
        return c.json({ authorization: `Token ${token}` });
      },
    }),
    defineRoute({
      method: "post",
      path: "/api/sessions",
      summary: "Start a session with a device token (older flow)",
      security: ["regulaDeviceToken"],
      // Checked first (401 before 400), spent last: a request refused for its input leaves the token usable.
      authorize: async (c) => {
        const token = parseAuthScheme(c.req.header("authorization"), "Token");
        const device = token === undefined ? undefined : await c.get("ns").store.get(deviceTokens, token);
        if (!token || !device) throw fail("unauthorized", USED_DEVICE_TOKEN);
        return { token };
      },
      request: { query: workflows, json: { schema: sessionRequestSchema } },
      invalid,
      responses: { 200: { description: "The session", schema: sessionResponseSchema } },
      errors: {
        400: "No workflowId or an invalid body field",
        401: "Missing, unknown, used or expired device token",
        404: "Unknown workflow",
      },
      handler: async (c, { auth, query, json: body }) => {
        const workflowIds = knownWorkflows(query.workflowId);
        // A device token starts one session: taken once the request is known good, so exactly one concurrent
        // request gets it.
        const now = c.get("ns").clock.now();
        const device = await takeListed(c.get("ns").store, deviceTokens, auth.token, now);
        if (!device) throw fail("unauthorized", USED_DEVICE_TOKEN);
        const remaining = Math.max(1, Math.floor((device.expiresAt - now) / 1000));
        const session = await startSession(c, { workflowIds, ...body }, remaining, auth.token);
        return c.json(fullView(c, session));
      },
    }),
    // The hand-off page a phone or browser opens; its errors are pages, not JSON.
    defineRoute({
      method: "get",
      path: "/mobile",
      summary: "The hand-off page a phone or browser opens",
      format: pageErrors,
      request: {
        // Required; a missing one is the same 401 page as a wrong one.
        query: z.object({
          authorization: requiredByVendor(z.string().optional().describe("Token <token>")),
          sessionId: requiredByVendor(z.string().optional()),
        }),
      },
      responses: { 200: page("The session page with Complete / Fail / Cancel") },
      errors: { 401: "Wrong token or session, or expired" },
      handler: async (c, { query }) => {
        const session = await handoffSession(c, query.authorization, query.sessionId);
        const status = statusAt(session, c.get("ns").clock.now());
        return c.html(sessionPage(session, status, query.authorization ?? ""));
      },
    }),
    defineRoute({
      method: "post",
      path: "/mobile/finish",
      summary: "Finish the session from the hand-off page",
      format: pageErrors,
      // The link's token is the credential: a wrong one is the 401 page, whatever else the form holds.
      authorize: async (c) => {
        const form = await readForm(c);
        const authorization = form.get("authorization")?.at(-1);
        return {
          authorization,
          session: await handoffSession(c, authorization, form.get("sessionId")?.at(-1)),
        };
      },
      request: {
        form: {
          schema: z.object({
            authorization: requiredByVendor(z.string().optional().describe("Token <token>, from the link")),
            sessionId: requiredByVendor(z.string().optional()),
            status: finishStatusSchema,
          }),
          required: true,
        },
      },
      responses: {
        303: { description: "Back to the hand-off page", headers: { Location: "The hand-off page" } },
      },
      errors: {
        400: "Unknown status",
        401: "Wrong token or session, or expired",
        409: "The session is already finished",
      },
      handler: async (c, { auth: { authorization, session }, form }) => {
        // Exactly once, and its webhook with it: the one way every verdict finishes a session.
        if (!(await finishSession(deps, c.get("ns"), session.id, form.status)))
          throw pageFail("handoff_unauthorized");
        const back = `authorization=${encodeURIComponent(authorization ?? "")}&sessionId=${encodeURIComponent(session.id)}`;
        return c.redirect(`../mobile?${back}`, 303);
      },
    }),
  ];
}
