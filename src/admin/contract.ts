import * as z from "zod";
import type { Operation } from "../core/openapi.js";

const ns = z.object({ namespace: z.string().optional().describe("Or the X-Sandbox-Namespace header") });
const error = z.object({ error: z.string(), message: z.string() });
const clock = z.object({ now: z.iso.datetime(), frozen: z.boolean(), namespace: z.string() });
const entry = z.object({
  kind: z.string(),
  id: z.string(),
  createdAt: z.iso.datetime(),
  expiresAt: z.iso.datetime(),
});
const active = z.object({ active: z.array(z.string()), scope: z.string() });
const bad = {
  400: { description: "Invalid body (named)", schema: error },
  401: { description: "Admin token required", schema: error },
};
const guarded = { 401: { description: "Admin token required", schema: error } };

/** The admin API, described from the same schemas its handlers use where they take a body. */
export function adminOperations(schemas: {
  clockChange: z.ZodType;
  activeScenarios: z.ZodType;
  requestsQuery: z.ZodObject;
}): Operation[] {
  return [
    {
      method: "get",
      path: "/health",
      summary: "Health",
      responses: { 200: { description: "ok", schema: z.object({ status: z.literal("ok") }) } },
    },
    {
      method: "post",
      path: "/reset",
      summary: "Forget the namespace's state, queued one-shots, scenario counters and journal",
      query: ns,
      responses: {
        200: {
          description: "Reset",
          schema: z.object({ status: z.literal("reset"), namespace: z.string() }),
        },
        ...guarded,
      },
    },
    {
      method: "get",
      path: "/clock",
      summary: "The namespace's clock",
      query: ns,
      responses: { 200: { description: "Now", schema: clock }, ...guarded },
    },
    {
      method: "post",
      path: "/clock",
      summary: "Advance, set or freeze the namespace's clock",
      query: ns,
      body: { contentType: "application/json", schema: schemas.clockChange },
      responses: { 200: { description: "Now", schema: clock }, ...bad },
    },
    {
      method: "get",
      path: "/scenarios",
      summary: "Loaded scenarios and which are active",
      query: ns,
      responses: {
        200: {
          description: "Scenarios",
          schema: z.object({
            scenarios: z.array(
              z.object({
                name: z.string(),
                description: z.string(),
                source: z.string(),
                rules: z.number(),
                rateLimits: z.boolean(),
              }),
            ),
            active: z.object({ global: z.array(z.string()), namespace: z.array(z.string()) }),
            queued: z.number(),
          }),
        },
        ...guarded,
      },
    },
    {
      method: "put",
      path: "/scenarios/active",
      summary: "Activate scenarios for everyone (or for the namespace)",
      query: ns,
      body: { contentType: "application/json", schema: schemas.activeScenarios },
      responses: { 200: { description: "Active now", schema: active }, ...bad },
    },
    {
      method: "delete",
      path: "/scenarios/active",
      summary: "Clear the active scenarios",
      query: ns,
      responses: { 200: { description: "Cleared", schema: active }, ...guarded },
    },
    {
      method: "get",
      path: "/requests",
      summary: "The journal, newest first",
      query: schemas.requestsQuery,
      responses: {
        200: {
          description: "Recorded requests (secrets redacted)",
          schema: z.object({
            requests: z.array(
              z.object({
                id: z.number(),
                time: z.iso.datetime(),
                namespace: z.string(),
                method: z.string(),
                path: z.string(),
                vendor: z.string().nullable(),
                route: z.string().nullable(),
                status: z.number(),
                scenario: z.string().nullable(),
                durationMs: z.number(),
              }),
            ),
          }),
        },
        ...bad,
      },
    },
    {
      method: "delete",
      path: "/requests",
      summary: "Clear the journal",
      query: ns,
      responses: {
        200: { description: "Cleared", schema: z.object({ requests: z.array(z.never()) }) },
        ...guarded,
      },
    },
    {
      method: "get",
      path: "/tokens",
      summary: "Tokens and codes held now (redacted)",
      query: ns,
      responses: {
        200: { description: "Entries", schema: z.object({ tokens: z.array(entry) }) },
        ...guarded,
      },
    },
    {
      method: "get",
      path: "/sessions",
      summary: "Sessions held now",
      query: ns,
      responses: {
        200: { description: "Entries", schema: z.object({ sessions: z.array(entry) }) },
        ...guarded,
      },
    },
  ];
}
