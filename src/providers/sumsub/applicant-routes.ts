import type { Context } from "hono";
import * as z from "zod";
import type { AppEnv, Namespace } from "../../core/context.js";
import type { ProviderDeps } from "../../core/provider.js";
import { defineRoute, type RouteDeclaration } from "../../core/route.js";
import { putListed } from "../../core/store.js";
import { applicantView, reviewView, sdkTokens, type Applicants, type NewApplicant } from "./applicants.js";
import { fail } from "./errors.js";
import { shareTokens } from "./grants.js";
import {
  applicantSchema,
  createApplicantSchema,
  levelQuery,
  okSchema,
  reuseQuerySchema,
  reviewSchema,
  sdkTokenQuerySchema,
  sdkTokenRequestSchema,
  sdkTokenResponseSchema,
  testCompletedSchema,
  type SumsubConfig,
  type SumsubFixtures,
} from "./schemas.js";
import { signedErrors, signedHeaders, type SumsubApp } from "./signature.js";

const applicantParams = z.object({
  applicantId: z
    .string()
    .min(1)
    .describe("The applicant's id, or -;externalUserId=<your user id> (URL-encoded or not)"),
});

/**
 * The applicant routes of Sumsub's API, after the token: applicants, the sandbox's testCompleted, WebSDK access
 * tokens and ID Connect reuse. Every one is HMAC-signed like the other signed routes.
 */
export function applicantRoutes(
  deps: ProviderDeps<SumsubFixtures, SumsubConfig>,
  applicants: Applicants,
  signedApp: (c: Context<AppEnv>) => Promise<SumsubApp>,
): RouteDeclaration[] {
  const { ids, fixtures } = deps;
  const signed = { security: ["sumsubAppToken"], authorize: signedApp } as const;
  const notFound = "Applicant not found: unknown, expired, or another client's";

  /** The share token's identity, for this client only; else 401 `Token is invalid`. */
  const sharedIdentity = async (ns: Namespace, caller: SumsubApp, q: z.output<typeof reuseQuerySchema>) => {
    const entry = await ns.store.get(shareTokens, q.shareToken);
    if (entry?.value.forClientId !== caller.clientId) throw fail("token_invalid");
    const user = entry.value.identity ?? fixtures.users.find((u) => u.sub === entry.value.sub);
    if (!user) throw fail("token_invalid");
    // The user did not allow sharing: the share token route said so (`sharingAllowed: false`); our choice is 403.
    if (!user.sharingAllowed)
      throw fail("sharing_not_allowed", "The user does not allow sharing their identity");
    const input: NewApplicant = {
      clientId: caller.clientId,
      externalUserId: q.userId,
      levelName: q.levelName,
      type: "individual",
      given: { email: user.email },
      info: { firstName: user.givenName, lastName: user.familyName },
    };
    return input;
  };

  /** A WebSDK access token. No applicant is created: Sumsub makes one when the SDK first uses the token, we do not. */
  const sdkToken = async (
    ns: Namespace,
    caller: SumsubApp,
    request: { userId: string; levelName?: string | undefined; ttlInSecs: number },
  ) => {
    const token = `_act-sbx-jwt-${ids.token(96)}`;
    await putListed(
      ns.store,
      sdkTokens,
      token,
      { clientId: caller.clientId, userId: request.userId, levelName: request.levelName ?? null },
      request.ttlInSecs,
    );
    return { token, userId: request.userId };
  };

  const reuseErrors = {
    400: "A missing query parameter",
    401: `${signedErrors}; Token is invalid: a share token unknown, expired or for another client`,
    403: "The shared user does not allow sharing",
  };

  return [
    defineRoute({
      method: "post",
      path: "/resources/applicants",
      summary: "Create an applicant (webhook applicantCreated)",
      description:
        "externalUserId `outcome:<verdict>` (approved, rejected, retry, onHold) gives that verdict at once; else " +
        "`verdicts.auto` schedules one when configured.",
      ...signed,
      request: {
        headers: signedHeaders,
        query: levelQuery,
        json: { schema: createApplicantSchema, required: true },
      },
      responses: { 200: { description: "The applicant, review status init", schema: applicantSchema } },
      errors: {
        400: "levelName missing, or a malformed body",
        401: signedErrors,
        409: "Applicant with external user id '<id>' already exists: <applicantId>",
      },
      handler: async (c, { auth: caller, query, json: body }) => {
        const applicant = await applicants.create(c.get("ns"), {
          clientId: caller.clientId,
          externalUserId: body.externalUserId,
          levelName: query.levelName,
          type: body.type,
          given: {
            email: body.email,
            phone: body.phone,
            lang: body.lang,
            sourceKey: body.sourceKey,
            fixedInfo: body.fixedInfo,
            metadata: body.metadata,
          },
          info: {},
        });
        return c.json(applicantView(applicant));
      },
    }),
    defineRoute({
      method: "get",
      path: "/resources/applicants/{applicantId}/one",
      summary: "An applicant and its review, by id or -;externalUserId=",
      description:
        "`/resources/applicants/-;externalUserId={externalUserId}/one` (Sumsub's syntax) finds the applicant by the " +
        "client's own user id.",
      ...signed,
      request: { headers: signedHeaders, params: applicantParams },
      responses: { 200: { description: "The applicant", schema: applicantSchema } },
      errors: { 401: signedErrors, 404: notFound },
      handler: async (c, { auth: caller, params }) =>
        c.json(applicantView(await applicants.find(c.get("ns"), caller.clientId, params.applicantId))),
    }),
    defineRoute({
      method: "get",
      path: "/resources/applicants/{applicantId}/status",
      summary: "An applicant's review status and result",
      ...signed,
      request: { headers: signedHeaders, params: applicantParams },
      responses: { 200: { description: "The review", schema: reviewSchema } },
      errors: { 401: signedErrors, 404: notFound },
      handler: async (c, { auth: caller, params }) =>
        c.json(reviewView(await applicants.find(c.get("ns"), caller.clientId, params.applicantId))),
    }),
    defineRoute({
      method: "post",
      path: "/resources/applicants/{applicantId}/status/testCompleted",
      summary: "Sandbox: set the review result (webhook applicantReviewed)",
      description:
        "RED needs rejectLabels and GREEN takes none (our choice: Sumsub documents no refusal); RED without " +
        "reviewRejectType is FINAL. A completed review may be set again.",
      ...signed,
      request: {
        headers: signedHeaders,
        params: applicantParams,
        json: { schema: testCompletedSchema, required: true },
      },
      responses: { 200: { description: "Set", schema: okSchema } },
      errors: { 400: "A malformed body, RED without rejectLabels", 401: signedErrors, 404: notFound },
      handler: async (c, { auth: caller, params, json: body }) => {
        const ns = c.get("ns");
        const applicant = await applicants.find(ns, caller.clientId, params.applicantId);
        const red = body.reviewAnswer === "RED";
        const set = await applicants.setReview(
          ns,
          applicant.id,
          {
            reviewStatus: "completed",
            reviewResult: {
              reviewAnswer: body.reviewAnswer,
              ...(body.rejectLabels === undefined ? {} : { rejectLabels: body.rejectLabels }),
              ...(red ? { reviewRejectType: body.reviewRejectType ?? "FINAL" } : {}),
              ...(body.moderationComment === undefined ? {} : { moderationComment: body.moderationComment }),
              ...(body.clientComment === undefined ? {} : { clientComment: body.clientComment }),
            },
          },
          "testCompleted",
          caller.clientId,
        );
        if (!set) throw fail("applicant_not_found");
        return c.json({ ok: 1 as const });
      },
    }),
    defineRoute({
      method: "post",
      path: "/resources/accessTokens/sdk",
      summary: "A WebSDK access token for a user and level",
      description:
        "No applicant needs to exist, and none is created (Sumsub creates one on the SDK's first use).",
      ...signed,
      request: { headers: signedHeaders, json: { schema: sdkTokenRequestSchema, required: true } },
      responses: { 200: { description: "The token", schema: sdkTokenResponseSchema } },
      errors: { 400: "A missing userId or levelName, or a bad ttlInSecs", 401: signedErrors },
      handler: async (c, { auth: caller, json: body }) => c.json(await sdkToken(c.get("ns"), caller, body)),
    }),
    defineRoute({
      method: "post",
      path: "/resources/accessTokens",
      summary: "A WebSDK access token, the older form (query, no body)",
      ...signed,
      request: { headers: signedHeaders, query: sdkTokenQuerySchema },
      responses: { 200: { description: "The token", schema: sdkTokenResponseSchema } },
      errors: { 400: "A missing userId, or a bad ttlInSecs", 401: signedErrors },
      handler: async (c, { auth: caller, query }) => c.json(await sdkToken(c.get("ns"), caller, query)),
    }),
    defineRoute({
      method: "post",
      path: "/resources/api/reusableIdentity/reuse",
      summary: "ID Connect reuse: an applicant from a share token",
      description:
        "The share token stays valid until it expires; a second reuse for the same userId answers 409.",
      ...signed,
      request: { headers: signedHeaders, query: reuseQuerySchema },
      responses: { 200: { description: "The applicant", schema: applicantSchema } },
      errors: { ...reuseErrors, 409: "An applicant with that userId exists" },
      handler: async (c, { auth: caller, query }) => {
        const ns = c.get("ns");
        return c.json(applicantView(await applicants.create(ns, await sharedIdentity(ns, caller, query))));
      },
    }),
    defineRoute({
      method: "get",
      path: "/resources/api/reusableIdentity/reuse/preview",
      summary: "ID Connect reuse preview: the applicant, not created",
      description: "Its id is not kept: the applicant exists only once POST …/reuse creates it.",
      ...signed,
      request: { headers: signedHeaders, query: reuseQuerySchema },
      responses: { 200: { description: "The applicant it would be", schema: applicantSchema } },
      errors: reuseErrors,
      handler: async (c, { auth: caller, query }) => {
        const ns = c.get("ns");
        return c.json(applicantView(applicants.preview(ns, await sharedIdentity(ns, caller, query))));
      },
    }),
  ];
}
