import * as z from "zod";
import { commonErrors, errorResponses, jwksSchema, type Operation } from "../../core/openapi.js";
import {
  au10tixTokenResponseSchema,
  errorBodySchema,
  incodeTokenResponseSchema,
  tokenRequestSchema,
} from "./schemas.js";

const authServer = z.object({ authServerId: z.string() });

export const securitySchemes = {
  sardineBasic: { type: "http", scheme: "basic", description: "client id : client secret" },
};

export const operations: Operation[] = [
  {
    method: "post",
    path: "/v1/identity-documents/tokens",
    summary: "Issue a document-verification SDK token",
    description:
      "provider au10tix (default): an RS256 JWT verifiable at the issuer's /v1/keys; provider incode: an opaque token.",
    security: ["sardineBasic"],
    body: { contentType: "application/json", schema: tokenRequestSchema },
    responses: {
      200: {
        description: "The token",
        schema: z.union([au10tixTokenResponseSchema, incodeTokenResponseSchema]),
      },
      ...errorResponses(errorBodySchema, {
        400: "Malformed JSON or an invalid field (the message names it)",
        401: "Missing or wrong Basic credentials",
      }),
      ...commonErrors(errorBodySchema),
    },
  },
  {
    method: "get",
    path: "/au10tix/oauth2/{authServerId}/v1/keys",
    summary: "The au10tix-like issuer's JWKS",
    pathParams: authServer,
    responses: {
      200: { description: "Public signing keys", schema: jwksSchema },
      ...commonErrors(errorBodySchema),
    },
  },
  {
    method: "get",
    path: "/au10tix/oauth2/{authServerId}/.well-known/oauth-authorization-server",
    summary: "The au10tix-like issuer's metadata (Okta style)",
    pathParams: authServer,
    responses: {
      200: {
        description: "Issuer metadata",
        schema: z.looseObject({ issuer: z.string(), jwks_uri: z.string() }),
      },
      ...commonErrors(errorBodySchema),
    },
  },
];
