import { Hono, type Context } from "hono";
import { errorsAs, type AppEnv } from "../../core/context.js";
import { isoAt } from "../../core/clock.js";
import { parseAuthScheme, parseWith, readForm, readJson, readQuery } from "../../core/http.js";
import type { ProviderDeps } from "../../core/provider.js";
import { fail, renderPageError } from "./errors.js";
import { sessionPage } from "./pages.js";
import {
  deeplinkRequestSchema,
  ephemeralRequestSchema,
  finishStatusSchema,
  sessionRequestSchema,
  type Permission,
  type RegulaFixtures,
} from "./schemas.js";
import {
  deviceTokens,
  handoffTokens,
  sessions,
  sessionView,
  statusAt,
  type SessionRecord,
} from "./sessions.js";

export function regulaRoutes(deps: ProviderDeps<RegulaFixtures>): Hono<AppEnv> {
  const { fixtures, ids } = deps;
  const deeplinkBody = deeplinkRequestSchema(fixtures.defaultTtlSeconds, fixtures.maxTtlSeconds);
  const ephemeralBody = ephemeralRequestSchema(fixtures.defaultTtlSeconds, fixtures.maxTtlSeconds);
  const workflowIds = new Set(fixtures.workflows.map((w) => w.id));
  const app = new Hono<AppEnv>();

  /**
   * The API key of `Authorization: ApiKey <key>` (scheme in any case); where `bare` is allowed, also
   * `Authorization: <key>`, as the older device flow writes it.
   */
  const requireKey = (c: Context<AppEnv>, permission: Permission | undefined, bare = false) => {
    const header = c.req.header("authorization")?.trim();
    const key =
      parseAuthScheme(header, "ApiKey") ?? (bare && header && !/\s/.test(header) ? header : undefined);
    const apiKey = fixtures.apiKeys.find((k) => k.key === key);
    if (!apiKey) throw fail("unauthorized");
    if (permission && !apiKey.permissions.includes(permission)) {
      throw fail("forbidden", `Forbidden: the API key lacks the ${permission} permission`);
    }
  };

  const requireWorkflows = (c: Context<AppEnv>): string[] => {
    const given = readQuery(c).get("workflowId") ?? [];
    if (given.length === 0 || given.some((id) => id === "")) throw fail("workflow_required");
    const unknown = given.find((id) => !workflowIds.has(id));
    if (unknown !== undefined) throw fail("workflow_not_found", `workflow not found: ${unknown}`);
    return given;
  };

  const startSession = (
    c: Context<AppEnv>,
    fields: { workflowIds: string[]; metadata: Record<string, unknown>; locale: string | null },
    ttlSeconds: number,
    token: string,
  ): SessionRecord => {
    const { clock, store } = c.get("ns");
    const now = clock.now();
    const session: SessionRecord = {
      id: ids.uuid(),
      ...fields,
      status: "created",
      createdAt: now,
      expiresAt: now + ttlSeconds * 1000,
    };
    store.put(sessions, session.id, session, ttlSeconds + fixtures.sessionRetentionSeconds);
    store.put(handoffTokens, token, { sessionId: session.id }, ttlSeconds);
    return session;
  };

  app.post("/api/v1/deeplink", async (c) => {
    requireKey(c, "deeplink:write");
    const workflows = requireWorkflows(c);
    const body = parseWith(deeplinkBody, await readJson(c));
    const token = ids.token(48);
    const session = startSession(
      c,
      { workflowIds: workflows, metadata: body.metadata, locale: body.locale },
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
  });

  app.get("/api/sessions/:id", (c) => {
    requireKey(c, "session:read");
    const entry = c.get("ns").store.get(sessions, c.req.param("id"));
    if (!entry) throw fail("session_not_found");
    return c.json(sessionView(c.get("ns"), entry.value));
  });

  // The older flow: an ephemeral device token, then a session started with it.
  app.post("/api/device/ephemeral", async (c) => {
    requireKey(c, "session:write", true);
    const { ttl } = parseWith(ephemeralBody, await readJson(c));
    const token = ids.token(48);
    c.get("ns").store.put(deviceTokens, token, { ttlSeconds: ttl }, ttl);
    return c.json({ authorization: `Token ${token}` });
  });

  app.post("/api/sessions", async (c) => {
    const token = parseAuthScheme(c.req.header("authorization"), "Token");
    const device = token === undefined ? undefined : c.get("ns").store.take(deviceTokens, token);
    if (!token || !device) throw fail("unauthorized", "Unauthorized: missing, unknown or used device token");
    const workflows = requireWorkflows(c);
    const body = parseWith(sessionRequestSchema, await readJson(c));
    const remaining = Math.max(1, Math.floor((device.expiresAt - c.get("ns").clock.now()) / 1000));
    const session = startSession(c, { workflowIds: workflows, ...body }, remaining, token);
    return c.json(sessionView(c.get("ns"), session));
  });

  // The hand-off page a phone or browser opens; its errors are pages with 401, not JSON.
  app.use("/mobile/*", errorsAs(renderPageError)); // Hono's `/mobile/*` also matches `/mobile`

  /** The open session a hand-off link points at, or the 401 page. */
  const handoffSession = (
    c: Context<AppEnv>,
    authorization: string | undefined,
    sessionId: string | undefined,
  ) => {
    const token = parseAuthScheme(authorization, "Token");
    const { store, clock } = c.get("ns");
    const handoff = token === undefined ? undefined : store.get(handoffTokens, token);
    const session = sessionId === undefined ? undefined : store.get(sessions, sessionId)?.value;
    if (!token || !handoff || !session || handoff.value.sessionId !== session.id)
      throw fail("handoff_unauthorized");
    if (statusAt(session, clock.now()) === "expired") throw fail("handoff_unauthorized");
    return { token, session };
  };

  app.get("/mobile", (c) => {
    const authorization = c.req.query("authorization");
    const { session } = handoffSession(c, authorization, c.req.query("sessionId"));
    return c.html(sessionPage(session, statusAt(session, c.get("ns").clock.now()), authorization ?? ""));
  });

  app.post("/mobile/finish", async (c) => {
    const form = await readForm(c);
    const field = (name: string) => form.get(name)?.at(-1);
    const authorization = field("authorization");
    const { session } = handoffSession(c, authorization, field("sessionId"));
    const status = parseWith(finishStatusSchema, field("status"));
    if (session.status !== "created") throw fail("session_finished");
    session.status = status;
    const back = `authorization=${encodeURIComponent(authorization ?? "")}&sessionId=${encodeURIComponent(session.id)}`;
    return c.redirect(`../mobile?${back}`, 303);
  });

  return app;
}
