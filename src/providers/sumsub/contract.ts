import * as z from "zod";
import { commonErrors, errorResponses, jwksSchema, type Operation } from "../../core/openapi.js";
import {
  connectTokenRequestSchema,
  connectTokenResponseSchema,
  errorBodySchema,
  oauthErrorBodySchema,
  oidcTokenResponseSchema,
  shareTokenRequestSchema,
  shareTokenResponseSchema,
} from "./schemas.js";

export const securitySchemes = {
  sumsubAppToken: {
    type: "apiKey",
    in: "header",
    name: "X-App-Token",
    description: "With X-App-Access-Ts and X-App-Access-Sig",
  },
  sumsubClientBasic: { type: "http", scheme: "basic", description: "client_secret_basic" },
  sumsubBearer: { type: "http", scheme: "bearer", description: "ID Connect access token" },
};

const signed = z.object({
  "X-App-Token": z.string(),
  "X-App-Access-Ts": z.string().describe("Unix seconds, within 60 s of the sandbox clock"),
  "X-App-Access-Sig": z.string().describe("hex HMAC-SHA256(secret, ts + METHOD + path-with-query + body)"),
});
const signedErrors = {
  401: "Bad signature (errorCode 4003), unknown app token, or timestamp out of range",
};
const claims = z.looseObject({ sub: z.string() });

export const operations: Operation[] = [
  {
    method: "post",
    path: "/resources/snsId/api/connect/token",
    summary: "Exchange a code, or refresh, for an ID Connect access token",
    security: ["sumsubAppToken"],
    headers: signed,
    body: { contentType: "application/json", schema: connectTokenRequestSchema },
    responses: {
      200: {
        description: "refresh_token only with offline_access on a code exchange; id_token only with openid",
        schema: connectTokenResponseSchema,
      },
      ...errorResponses(errorBodySchema, {
        400: "Malformed body, or a refresh widening the scopes",
        ...{ 401: `${signedErrors[401]}; Invalid code; Invalid refresh token` },
        404: "Invalid clientId: ID Connect is not enabled for the app's client",
      }),
      ...commonErrors(errorBodySchema),
    },
  },
  {
    method: "post",
    path: "/resources/accessTokens/sumsubIdShareToken",
    summary: "Issue a Sumsub ID share token",
    security: ["sumsubAppToken"],
    headers: signed,
    body: { contentType: "application/json", schema: shareTokenRequestSchema },
    responses: {
      200: { description: "The share token", schema: shareTokenResponseSchema },
      ...errorResponses(errorBodySchema, {
        400: "A missing field",
        401: `${signedErrors[401]}; unknown or expired connect token`,
        403: "The connect token lacks the share scope",
      }),
      ...commonErrors(errorBodySchema),
    },
  },
  {
    method: "get",
    path: "/.well-known/openid-configuration",
    summary: "OIDC discovery",
    responses: {
      200: {
        description: "Provider metadata",
        schema: z.looseObject({ issuer: z.string(), jwks_uri: z.string() }),
      },
      ...commonErrors(errorBodySchema),
    },
  },
  {
    method: "get",
    path: "/.well-known/jwks.json",
    summary: "id_token signing keys",
    responses: { 200: { description: "JWKS", schema: jwksSchema }, ...commonErrors(errorBodySchema) },
  },
  {
    method: "get",
    path: "/api/snsId/oauth/authorize",
    summary: "Authorize (auto-consent for the fixture user)",
    query: z.object({
      client_id: z.string(),
      response_type: z.literal("code"),
      redirect_uri: z.string(),
      scope: z.string(),
      state: z.string().optional(),
      code_challenge: z.string(),
      code_challenge_method: z.literal("S256"),
      nonce: z.string().optional(),
      login_hint: z.string().optional(),
    }),
    responses: {
      302: { description: "To redirect_uri with code and state, or error and error_description" },
      400: {
        description: "Unknown client or redirect URI (a page)",
        schema: z.string(),
        contentType: "text/html",
      },
      ...commonErrors(oauthErrorBodySchema),
    },
  },
  {
    method: "post",
    path: "/api/snsId/oauth/token",
    summary: "Token endpoint (client_secret_basic or client_secret_post)",
    security: ["sumsubClientBasic"],
    body: {
      contentType: "application/x-www-form-urlencoded",
      schema: z.object({
        grant_type: z.enum(["authorization_code", "refresh_token"]),
        code: z.string().optional(),
        redirect_uri: z.string().optional(),
        code_verifier: z.string().optional(),
        refresh_token: z.string().optional(),
        scope: z.string().optional(),
        client_id: z.string().optional(),
        client_secret: z.string().optional(),
      }),
    },
    responses: {
      200: { description: "Tokens; refresh tokens rotate", schema: oidcTokenResponseSchema },
      ...errorResponses(oauthErrorBodySchema, {
        400: "invalid_grant, invalid_request, invalid_scope or unsupported_grant_type",
        401: "invalid_client",
      }),
      ...commonErrors(oauthErrorBodySchema),
    },
  },
  ...(["get", "post"] as const).map((method): Operation => ({
    method,
    path: "/api/snsId/oauth/userInfo",
    summary: "The claims the granted scopes allow",
    security: ["sumsubBearer"],
    responses: {
      200: { description: "Claims", schema: claims },
      401: { description: "invalid_token", schema: oauthErrorBodySchema },
      ...commonErrors(oauthErrorBodySchema),
    },
  })),
];
