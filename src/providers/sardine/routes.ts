import type { Context } from "hono";
import * as z from "zod";
import type { AppEnv } from "../../core/context.js";
import { isoAt } from "../../core/clock.js";
import { parseBasicAuth, readForm, sameSecret } from "../../core/http.js";
import { jwksSchema } from "../../core/openapi.js";
import type { ProviderDeps } from "../../core/provider.js";
import { defineRoute, requiredByVendor, type RouteDeclaration } from "../../core/route.js";
import { kind, putListed } from "../../core/store.js";
import { fail, pageErrors, pageFail } from "./errors.js";
import { verificationPage } from "./pages.js";
import {
  au10tixTokenResponseSchema,
  incodeTokenResponseSchema,
  linkRequestSchema,
  linkResponseSchema,
  tokenRequestSchema,
  verdictSchema,
  verificationQuerySchema,
  verificationResultSchema,
  type Au10tixClaims,
  type SardineFixtures,
  type TokenRequest,
} from "./schemas.js";
import { giveVerdict, links, resultView, startVerification, verifications } from "./verifications.js";

export const KEY_SET = "sardine";

/** What the state remembers of each issued token (by `jti` for au10tix, by token for incode). */
export interface IssuedToken {
  provider: TokenRequest["provider"];
  clientId: string;
  sessionKey: string;
  customerId?: string;
  platform?: TokenRequest["platform"];
  /** The verification the token's SDK session feeds. */
  verificationId: string;
}
export const issuedTokens = kind<IssuedToken>("sardine.token", {
  list: "tokens",
  show: (t) => ({
    context: {
      clientId: t.clientId,
      sessionKey: t.sessionKey,
      customerId: t.customerId ?? null,
      provider: t.provider,
      platform: t.platform ?? null,
      verificationId: t.verificationId,
    },
  }),
});

export const securitySchemes = {
  sardineBasic: { type: "http", scheme: "basic", description: "client id : client secret" },
};

const authServer = z.object({ authServerId: z.string() });
const page = (description: string) => ({ description, schema: z.string(), contentType: "text/html" });
/** The web link page's token, in its URL's `link` query value and the page's form. */
const linkField = requiredByVendor(z.string().optional().describe("The token from the link's URL"));

export function sardineRoutes(deps: ProviderDeps<SardineFixtures, unknown>): RouteDeclaration[] {
  const { fixtures, keys, ids, verdicts } = deps;
  const { authServerId } = fixtures.au10tix;
  const ttl = fixtures.tokenTtlSeconds;
  const issuer = (c: Context<AppEnv>) => `${c.get("baseUrl")}/sardine/au10tix/oauth2/${authServerId}`;
  /** Only the fixtures' authorization server exists. */
  const requireAuthServer = (id: string) => {
    if (id !== authServerId) throw fail("not_found", `no authorization server ${id}`);
  };

  /** The fixtures' client that the request's Basic credentials name, or 401. */
  const requireClient = (c: Context<AppEnv>) => {
    const credentials = parseBasicAuth(c.req.header("authorization"));
    const client = fixtures.clients.find((candidate) => candidate.clientId === credentials?.user);
    if (!credentials || !client || !sameSecret(credentials.password, client.clientSecret))
      throw fail("unauthorized");
    return client;
  };

  /**
   * The verification a web link's token opens, as the clock says it is now (its expiry or verdict given first): 404
   * for a token the sandbox does not hold, 410 once the link has expired.
   */
  const openLink = async (c: Context<AppEnv>, token: string | undefined) => {
    const ns = c.get("ns");
    const link = token ? await ns.store.get(links, token) : undefined;
    if (!link) throw pageFail("link_not_found");
    await verdicts.settle(ns, "verification", link.value.verificationId);
    const verification = (await ns.store.get(verifications, link.value.verificationId))?.value;
    if (!verification?.link) throw pageFail("link_not_found");
    if (ns.clock.now() >= verification.link.expiresAt) throw pageFail("link_expired");
    return verification;
  };

  return [
    defineRoute({
      method: "post",
      path: "/v1/identity-documents/tokens",
      summary: "Issue a document-verification SDK token",
      description:
        "provider au10tix (default): an RS256 JWT verifiable at the issuer's /v1/keys; provider incode: an opaque " +
        "token and its verification_id. Either way a pending verification is created (listed by GET " +
        "/__admin/sessions); `outcome:<low|medium|high>` as sessionKey or customerId gives it that verdict at once.",
      security: ["sardineBasic"],
      authorize: requireClient,
      request: { json: { schema: tokenRequestSchema, required: true } },
      responses: {
        200: {
          description: "The token",
          schema: z.union([au10tixTokenResponseSchema, incodeTokenResponseSchema]),
        },
      },
      errors: {
        400: "Malformed JSON or an invalid field (the message names it)",
        401: "Missing or wrong Basic credentials",
      },
      handler: async (c, { auth: client, json: body }) => {
        const ns = c.get("ns");
        const { clock, store } = ns;
        const record: IssuedToken = {
          provider: body.provider,
          clientId: client.clientId,
          sessionKey: body.sessionKey,
          customerId: body.customerId,
          platform: body.platform,
          verificationId: ids.uuid(),
        };
        const { verificationId } = record;
        // Started once the token is stored: a token that could not be leaves no verification and sends no webhook.
        const start = () =>
          startVerification(deps, ns, {
            verificationId,
            clientId: client.clientId,
            sessionKey: body.sessionKey,
            customerId: body.customerId ?? null,
            source: body.provider,
          });

        if (body.provider === "incode") {
          const accessToken = ids.token(64);
          await putListed(store, issuedTokens, accessToken, record, ttl);
          await start();
          return c.json({
            access_token: accessToken,
            verification_id: verificationId,
            incode_sdk_base_url: `${c.get("baseUrl")}/sardine/incode/0`,
            token_type: "Bearer",
            expires_in: ttl,
          });
        }

        const iat = clock.nowSeconds();
        const claims: Au10tixClaims = {
          ver: 1,
          jti: `AT.${ids.token(43)}`,
          iss: issuer(c),
          aud: "au10tix",
          iat,
          exp: iat + ttl,
          cid: client.au10tixClientId,
          scp: ["mobilesdk"],
          sub: client.au10tixClientId,
          apiUrl: `${c.get("baseUrl")}/sardine/au10tix/api`,
          bosUrl: `${c.get("baseUrl")}/sardine/au10tix/bos`,
          clientOrganizationName: client.organizationName,
          clientOrganizationId: client.organizationId,
        };
        const accessToken = await keys.sign(KEY_SET, claims);
        await putListed(store, issuedTokens, claims.jti, record, ttl);
        // The au10tix answer has no field for it: the id shows in the admin API and in the webhooks.
        await start();
        return c.json({
          token_type: "Bearer",
          expires_in: ttl,
          access_token: accessToken,
          scope: "mobilesdk",
        });
      },
    }),
    defineRoute({
      method: "get",
      path: "/v1/identity-documents/verifications/{id}",
      summary: "Read a document verification",
      description:
        'status pending until a verdict (every documentData and verification field "" until then), complete with ' +
        "the fixtures' result for the verdict, expired for a web link that expired unused.",
      security: ["sardineBasic"],
      authorize: requireClient,
      request: { params: z.object({ id: z.string() }), query: verificationQuerySchema },
      responses: { 200: { description: "The verification", schema: verificationResultSchema } },
      errors: {
        400: "An invalid query parameter (named)",
        401: "Missing or wrong Basic credentials",
        404: "No such verification for this client",
      },
      handler: async (c, { auth: client, params }) => {
        const ns = c.get("ns");
        await verdicts.settle(ns, "verification", params.id);
        const verification = (await ns.store.get(verifications, params.id))?.value;
        // Another client's verification is as unknown as one that never existed.
        if (verification?.clientId !== client.clientId) throw fail("verification_not_found");
        return c.json(resultView(fixtures, verification, ns.clock.now()));
      },
    }),
    defineRoute({
      method: "post",
      path: "/v1/identity-documents/urls",
      summary: "Create a web link for document verification",
      description:
        "Creates a pending verification and a link to a sandbox page where the tester chooses its verdict; the " +
        "page then sends the browser to redirectURL. An unused link expires (document_verification.expired).",
      security: ["sardineBasic"],
      authorize: requireClient,
      request: { json: { schema: linkRequestSchema, required: true } },
      responses: { 200: { description: "The verification's id and its link", schema: linkResponseSchema } },
      errors: {
        400: "Malformed JSON or an invalid field (the message names it)",
        401: "Missing or wrong Basic credentials",
      },
      handler: async (c, { auth: client, json: body }) => {
        const ns = c.get("ns");
        const expiresAt = ns.clock.now() + fixtures.linkTtlSeconds * 1000;
        const token = ids.token(43);
        const verificationId = ids.uuid();
        // The link first: a verification exists only once its link does (it would expire, unopenable, otherwise).
        await ns.store.put(
          links,
          token,
          { verificationId },
          fixtures.linkTtlSeconds + fixtures.verificationRetentionSeconds,
        );
        await startVerification(deps, ns, {
          verificationId,
          clientId: client.clientId,
          sessionKey: body.sessionKey,
          customerId: body.customerId,
          source: "link",
          link: { expiresAt, redirectURL: body.redirectURL ?? null },
        });
        return c.json({
          id: verificationId,
          link: { expiredAt: isoAt(expiresAt), url: `${c.get("baseUrl")}/sardine/verify?link=${token}` },
        });
      },
    }),
    // The web link's page a browser opens; its errors are pages, not JSON.
    defineRoute({
      method: "get",
      path: "/verify",
      summary: "The web link's page: the tester chooses the verdict",
      format: pageErrors,
      // Required; a missing one is the same 404 page as a wrong one.
      request: { query: z.object({ link: linkField }) },
      responses: { 200: page("The verification, with a button per verdict while it is pending") },
      errors: { 404: "Unknown link", 410: "The link has expired" },
      handler: async (c, { query }) => {
        const verification = await openLink(c, query.link);
        const result = resultView(fixtures, verification, c.get("ns").clock.now());
        return c.html(verificationPage(verification, result, query.link ?? ""));
      },
    }),
    defineRoute({
      method: "post",
      path: "/verify",
      summary: "Give the verification the verdict chosen on the web link's page",
      format: pageErrors,
      // The link's token is the credential: a wrong one is the 404 page, whatever else the form holds.
      authorize: async (c) => openLink(c, (await readForm(c)).get("link")?.at(-1)),
      request: {
        form: { schema: z.object({ link: linkField, verdict: verdictSchema }), required: true },
      },
      responses: {
        303: {
          description: "To the link's redirectURL; without one, back to the page",
          headers: { Location: "redirectURL, or the page" },
        },
      },
      errors: {
        400: "Unknown verdict",
        404: "Unknown link",
        409: "The verification already has a result",
        410: "The link has expired",
      },
      handler: async (c, { auth: verification, form }) => {
        // Exactly once, and its webhook with it: the same function every verdict goes through.
        if (!(await giveVerdict(deps, c.get("ns"), verification.verificationId, form.verdict)))
          throw pageFail("link_not_found");
        return c.redirect(
          verification.link?.redirectURL ?? `verify?link=${encodeURIComponent(form.link ?? "")}`,
          303,
        );
      },
    }),
    defineRoute({
      method: "get",
      path: "/au10tix/oauth2/{authServerId}/v1/keys",
      summary: "The au10tix-like issuer's JWKS",
      request: { params: authServer },
      responses: { 200: { description: "Public signing keys", schema: jwksSchema } },
      errors: { 404: "Not the sandbox's authorization server" },
      handler: (c, { params }) => {
        requireAuthServer(params.authServerId);
        return c.json(keys.jwks(KEY_SET));
      },
    }),
    // Okta-style metadata, so a client that discovers keys from the issuer finds them too.
    defineRoute({
      method: "get",
      path: "/au10tix/oauth2/{authServerId}/.well-known/oauth-authorization-server",
      summary: "The au10tix-like issuer's metadata (Okta style)",
      request: { params: authServer },
      responses: {
        200: {
          description: "Issuer metadata",
          schema: z.looseObject({ issuer: z.string(), jwks_uri: z.string() }),
        },
      },
      errors: { 404: "Not the sandbox's authorization server" },
      handler: (c, { params }) => {
        requireAuthServer(params.authServerId);
        return c.json({
          issuer: issuer(c),
          jwks_uri: `${issuer(c)}/v1/keys`,
          token_endpoint: `${c.get("baseUrl")}/sardine/v1/identity-documents/tokens`,
          scopes_supported: ["mobilesdk"],
          id_token_signing_alg_values_supported: ["RS256"],
        });
      },
    }),
  ];
}
