import * as z from "zod";
import { commonErrors, errorResponses, type Operation } from "../../core/openapi.js";
import {
  deeplinkRequestSchema,
  deeplinkResponseSchema,
  ephemeralRequestSchema,
  ephemeralResponseSchema,
  errorBodySchema,
  sessionRequestSchema,
  sessionResponseSchema,
} from "./schemas.js";

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
  workflowId: z.array(z.string()).describe("Repeatable; every one comes back in workflowIds"),
});
const html = (description: string) => ({ description, schema: z.string(), contentType: "text/html" });

/** `maxTtl` and the default come from the fixtures, as in the handlers. */
export function operations(defaultTtl: number, maxTtl: number): Operation[] {
  return [
    {
      method: "post",
      path: "/api/v1/deeplink",
      summary: "Start a session and get its hand-off URL (Token URL)",
      security: ["regulaApiKey"],
      query: workflows,
      body: {
        contentType: "application/json",
        schema: deeplinkRequestSchema(defaultTtl, maxTtl),
        required: false,
      },
      responses: {
        200: { description: "The hand-off URL and times", schema: deeplinkResponseSchema },
        ...errorResponses(errorBodySchema, {
          400: "No workflowId, or an invalid body field (named)",
          401: "Missing or unknown API key",
          403: "The key lacks deeplink:write",
          404: "Unknown workflow",
        }),
        ...commonErrors(errorBodySchema),
      },
    },
    {
      method: "get",
      path: "/api/sessions/{id}",
      summary: "Read a session",
      security: ["regulaApiKey"],
      pathParams: z.object({ id: z.string() }),
      responses: {
        200: {
          description: "The session; status expired once past expiresAt",
          schema: sessionResponseSchema,
        },
        ...errorResponses(errorBodySchema, {
          401: "Missing or unknown API key",
          403: "The key lacks session:read",
          404: "Unknown session",
        }),
        ...commonErrors(errorBodySchema),
      },
    },
    {
      method: "post",
      path: "/api/device/ephemeral",
      summary: "Issue an ephemeral device token (older flow)",
      security: ["regulaApiKey"],
      body: {
        contentType: "application/json",
        schema: ephemeralRequestSchema(defaultTtl, maxTtl),
        required: false,
      },
      responses: {
        200: { description: "The device token", schema: ephemeralResponseSchema },
        ...errorResponses(errorBodySchema, {
          400: "Invalid ttl",
          401: "Missing or unknown API key",
          403: "The key lacks session:write",
        }),
        ...commonErrors(errorBodySchema),
      },
    },
    {
      method: "post",
      path: "/api/sessions",
      summary: "Start a session with a device token (older flow)",
      security: ["regulaDeviceToken"],
      query: workflows,
      body: { contentType: "application/json", schema: sessionRequestSchema, required: false },
      responses: {
        200: { description: "The session", schema: sessionResponseSchema },
        ...errorResponses(errorBodySchema, {
          400: "No workflowId or an invalid body field",
          401: "Missing, unknown, used or expired device token",
          404: "Unknown workflow",
        }),
        ...commonErrors(errorBodySchema),
      },
    },
    {
      method: "get",
      path: "/mobile",
      summary: "The hand-off page a phone or browser opens",
      query: z.object({ authorization: z.string().describe("Token <token>"), sessionId: z.string() }),
      responses: {
        200: html("The session page with Complete / Fail / Cancel"),
        401: html("Wrong token or session, or expired"),
      },
    },
    {
      method: "post",
      path: "/mobile/finish",
      summary: "Finish the session from the hand-off page",
      body: {
        contentType: "application/x-www-form-urlencoded",
        schema: z.object({
          authorization: z.string(),
          sessionId: z.string(),
          status: z.enum(["completed", "failed", "cancelled"]),
        }),
      },
      responses: {
        303: { description: "Back to the hand-off page" },
        400: html("Unknown status"),
        401: html("Wrong token or session, or expired"),
        409: html("The session is already finished"),
      },
    },
  ];
}
