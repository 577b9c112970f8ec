import * as z from "zod";
import { commonErrors, errorResponses, type Operation } from "../../core/openapi.js";
import { errorBodySchema, tokenResponseSchema } from "./schemas.js";

const tokenFields = z.object({
  licence: z.string().optional().describe("Your licence code"),
  client_secret: z.string().optional().describe("Your client secret"),
  grant_type: z.string().optional().describe("Must be client_idmobile"),
});
const refreshFields = z.object({
  access_token: z.string().optional(),
  refresh_token: z.string().optional(),
  scope: z.string().optional().describe("Must be refresh_token"),
});

const tokenErrors = errorResponses(errorBodySchema, {
  400: "A missing or empty field, a wrong grant_type (01), an unknown licence (22), a wrong secret (03), no credits (98)",
  500: "A misspelled or unknown parameter name, as the vendor answers it",
});
const refreshErrors = errorResponses(errorBodySchema, {
  400: "A missing field or scope other than refresh_token (01)",
  401: "An unknown, used or expired refresh token, or one presented with another access token (30)",
  500: "A misspelled or unknown parameter name",
});

/** Each route answers GET (query) and POST (form), with and without the trailing slash. */
function both(
  path: string,
  summary: string,
  fields: z.ZodObject,
  responses: Operation["responses"],
): Operation[] {
  return [path, path.slice(0, -1)].flatMap((p): Operation[] => [
    { method: "get", path: p, summary: `${summary} (query)`, query: fields, responses },
    {
      method: "post",
      path: p,
      summary: `${summary} (form)`,
      body: { contentType: "application/x-www-form-urlencoded", schema: fields, required: false },
      responses,
    },
  ]);
}

export const operations: Operation[] = [
  ...both("/ACCESS_TOKEN/", "Issue an IDMobile access token", tokenFields, {
    200: { description: "The token pair; expires_in is a string", schema: tokenResponseSchema },
    ...tokenErrors,
    ...commonErrors(errorBodySchema),
  }),
  ...both("/oauth/ACCESS_TOKEN/", "Refresh an access token", refreshFields, {
    200: { description: "A new pair; the old one is retired", schema: tokenResponseSchema },
    ...refreshErrors,
    ...commonErrors(errorBodySchema),
  }),
];
