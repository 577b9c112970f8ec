import type { Context } from "hono";
import * as z from "zod";
import type { AppEnv } from "../../core/context.js";
import { readForm } from "../../core/http.js";
import type { ProviderDeps } from "../../core/provider.js";
import { defineRoute, requiredByVendor, type RouteDeclaration } from "../../core/route.js";
import { putListed, update } from "../../core/store.js";
import { checks, consentLinks, finishCheck, redirectBack, retrieval, type CheckRecord } from "./checks.js";
import { fail, pageErrors, pageFail } from "./errors.js";
import { getAndPost } from "./fields.js";
import { matchingScores, parseNumber, parseUserInfos } from "./numbers.js";
import { consentPage } from "./pages.js";
import {
  CONSENT_SCOPES,
  idmobileResponseSchema,
  retrievalResponseSchema,
  SCOPES,
  type ConsentScope,
  type DqeFixtures,
  type Scope,
} from "./schemas.js";
import { accessTokens } from "./tokens.js";

const idmobileFields = z.strictObject({
  licence: z.string().min(1).describe("Your licence code"),
  number: z.string().min(1).describe("The phone number: 0612345678, 33612345678, +33612345678"),
  token: z.string().min(1).describe("An access token from ACCESS_TOKEN for this licence"),
  mode: z.literal("2").describe("2: authentication by code"),
  name: z.string().min(1).describe("Your company name"),
  code_name: z.string().optional().describe("A code of yours, given back by formfilling"),
  scope: z
    .string()
    .min(1)
    .describe(`One or several (multiscope, comma-separated) of ${SCOPES.join(", ")}`),
  user_infos: z.string().optional().describe("JSON with every user_infos key; mandatory for matching_notp"),
  redirect_uri: z
    .url({ protocol: /^https?$/ })
    .optional()
    .describe("Where the subscriber's browser goes after answering; token and status are appended"),
  country: z
    .string()
    .regex(/^[A-Za-z]{2}$/)
    .optional()
    .describe("ISO 2 country, for international matching"),
  period: z
    .string()
    .regex(/^\d{1,6}$/)
    .optional()
    .describe("Hours back simswap looks; mandatory for simswap"),
  format: z.string().optional().describe("The multiscope call's formatting level (accepted, no effect here)"),
});

const retrievalFields = z.strictObject({
  token: z.string().min(1).describe("The access token the check was asked with"),
  Licence: z.string().min(1).describe("Your licence code (capital L, as the vendor writes it)"),
  scope: z.string().min(1).describe("client_idmobile"),
});

/** The scopes asked, in order, each once; an unknown or empty one is error 04. */
function parseScopes(raw: string): Scope[] {
  const asked = raw.split(",").map((s) => s.trim());
  if (!asked.every((s): s is Scope => (SCOPES as readonly string[]).includes(s))) throw fail("invalid_scope");
  return [...new Set(asked)];
}
const isConsent = (scope: Scope): scope is ConsentScope =>
  (CONSENT_SCOPES as readonly string[]).includes(scope);

/** IDMOBILE (step 1), `/GET/` (step 2) and the page standing in for the operator's confirmation. */
export function idmobileRoutes(deps: ProviderDeps<DqeFixtures, unknown>): RouteDeclaration[] {
  const { fixtures, ids, verdicts } = deps;
  const im = fixtures.idmobile;
  const magic = new Map(im.numbers.map((n) => [n.number, n]));
  const licences = new Set(fixtures.licences.map((l) => l.licence));
  const identityOf = (number: string) => magic.get(number)?.identity ?? im.subscriber;

  /** The live access token `token` of `licence`, or error 30. */
  const liveToken = async (c: Context<AppEnv>, token: string, licence: string) => {
    const entry = await c.get("ns").store.get(accessTokens, token);
    if (entry?.value.licence !== licence) throw fail("invalid_token");
    return entry.value;
  };

  /** Records a check, binds it to the access token and gives it its magic or automatic verdict; its page's URL. */
  const startCheck = async (c: Context<AppEnv>, fields: Omit<CheckRecord, "id" | "status" | "createdAt">) => {
    const ns = c.get("ns");
    const check: CheckRecord = { id: ids.uuid(), ...fields, status: "pending", createdAt: ns.clock.now() };
    const link = ids.token(48);
    await ns.store.put(checks, check.id, check, im.checkTtlSeconds);
    await putListed(ns.store, consentLinks, link, { checkId: check.id }, im.checkTtlSeconds);
    await update(ns.store, accessTokens, check.accessToken, (t) => ({ ...t, checkId: check.id }));
    // A magic number answers at once, through the one function every verdict goes through; `never` stays pending
    // (no automatic verdict either). Any other number: a magic code_name, else the automatic verdict, if configured.
    const outcome = magic.get(check.number)?.outcome;
    if (outcome === undefined) await verdicts.created(ns, "check", check.id, [check.number, check.codeName]);
    else if (outcome !== "never") await finishCheck(verdicts, ns, check.id, outcome);
    return `${c.get("baseUrl")}/dqe/consent?token=${link}`;
  };

  /** The check a confirmation link opens, as the clock says it is now, or the 404 page. */
  const linkedCheck = async (c: Context<AppEnv>, token: string | undefined) => {
    const ns = c.get("ns");
    const link = token === undefined ? undefined : await ns.store.get(consentLinks, token);
    if (!link) throw pageFail("link_invalid");
    await verdicts.settle(ns, "check", link.value.checkId);
    const check = await ns.store.get(checks, link.value.checkId);
    if (!check) throw pageFail("link_invalid");
    return check.value;
  };

  return [
    ...getAndPost(
      {
        path: "/IDMOBILE/",
        summary: "IDMobile step 1: simswap, matching_notp at once; a page URL for the others",
        description:
          "Several scopes may be asked at once, comma-separated (multiscope): the answer holds each scope's own fields, and one url for all the consent scopes.",
        responses: {
          200: { description: "The operator and each scope's answer", schema: idmobileResponseSchema },
        },
        errors: {
          400: "A missing, empty or malformed field, a malformed number, user_infos without every key for matching_notp, no period for simswap (01); an unknown licence (02); an unknown scope (04)",
          401: "An unknown or expired access token, or one of another licence (30)",
          500: "A misspelled or unknown parameter name, as the vendor answers it",
        },
      },
      idmobileFields,
      async (c, f) => {
        const scopes = parseScopes(f.scope);
        const line = parseNumber(f.number, f.country);
        if (!line) throw fail("invalid_request", "number is malformed");
        const matching = scopes.includes("matching_notp");
        const infos = matching ? parseUserInfos(f.user_infos) : undefined;
        if (matching && !infos) throw fail("invalid_request", "user_infos must be JSON with every key");
        const period = f.period === undefined ? 0 : Number(f.period);
        if (scopes.includes("simswap") && period < 1) throw fail("invalid_request", "period is required");
        if (!licences.has(f.licence)) throw fail("invalid_licence_key");
        await liveToken(c, f.token, f.licence);

        const known = magic.get(line.national);
        const consent = scopes.filter(isConsent);
        const url =
          consent.length === 0
            ? undefined
            : await startCheck(c, {
                licence: f.licence,
                accessToken: f.token,
                number: line.national,
                operator: known?.operator ?? im.defaultOperator,
                scope: scopes.join(","),
                consentScopes: consent,
                name: f.name,
                codeName: f.code_name ?? "",
                redirectUri: f.redirect_uri ?? null,
              });
        const body: Record<string, unknown> = {
          status: "success",
          operator: known?.operator ?? im.defaultOperator,
        };
        for (const scope of scopes) {
          if (scope === "simswap") {
            const ago = known?.swappedHoursAgo;
            body.swapped = String(ago !== undefined && ago <= period);
          } else if (scope === "matching_notp") {
            body.matching = matchingScores(infos!, identityOf(line.national), line);
          } else body.url ??= url;
        }
        return c.json(body);
      },
    ),
    ...getAndPost(
      {
        path: "/GET/",
        summary: "IDMobile step 2: numVerify, formfilling, billing results",
        responses: {
          200: {
            description: "pending until the subscriber answers, then each consent scope's data",
            schema: retrievalResponseSchema,
          },
        },
        errors: {
          400: "A missing or empty field, or a token with no check (01); an unknown Licence (02); a scope other than client_idmobile (04); the subscriber's answer: no data from the operator (18), OTP not completed (20), refused (21)",
          401: "An unknown or expired access token, or one of another licence (30)",
          500: "A misspelled or unknown parameter name; a server error (99)",
        },
      },
      retrievalFields,
      async (c, f) => {
        if (f.scope !== "client_idmobile") throw fail("invalid_scope");
        if (!licences.has(f.Licence)) throw fail("invalid_licence_key");
        const { checkId } = await liveToken(c, f.token, f.Licence);
        if (checkId === undefined) throw fail("invalid_request", "no check was asked with this token");
        const ns = c.get("ns");
        await verdicts.settle(ns, "check", checkId);
        const check = await ns.store.get(checks, checkId);
        if (!check) throw fail("invalid_request", "no check was asked with this token");
        return c.json(retrieval(check.value, im, identityOf(check.value.number)));
      },
    ),
    // The page a subscriber opens; its errors are pages, not JSON.
    defineRoute({
      method: "get",
      path: "/consent",
      summary: "The confirmation page (IDMOBILE's url), standing in for the operator's",
      format: pageErrors,
      request: {
        query: z.object({ token: requiredByVendor(z.string().optional().describe("From the link")) }),
      },
      responses: {
        200: {
          description: "The check with Confirm / Refuse, or its answer",
          schema: z.string(),
          contentType: "text/html",
        },
      },
      errors: { 404: "Unknown or expired link" },
      handler: async (c, { query }) => {
        const check = await linkedCheck(c, query.token);
        return c.html(consentPage(check, query.token ?? "", redirectBack(check)));
      },
    }),
    defineRoute({
      method: "post",
      path: "/consent",
      summary: "Answer the check from the confirmation page",
      format: pageErrors,
      // The link's token is the credential: a wrong one is the 404 page, whatever else the form holds.
      authorize: async (c) => {
        const token = (await readForm(c)).get("token")?.at(-1);
        return { token, check: await linkedCheck(c, token) };
      },
      request: {
        form: {
          schema: z.object({
            token: requiredByVendor(z.string().optional().describe("From the link")),
            answer: z.enum(["confirm", "refuse"]),
          }),
          required: true,
        },
      },
      responses: {
        303: {
          description:
            "To redirect_uri with token and status (success or error) appended; without one, back to the page",
          headers: { Location: "redirect_uri with token and status, or the page" },
        },
      },
      errors: { 400: "Unknown answer", 404: "Unknown or expired link", 409: "The check is already answered" },
      handler: async (c, { auth: { token, check }, form }) => {
        const status = form.answer === "confirm" ? "confirmed" : "refused";
        if (!(await finishCheck(verdicts, c.get("ns"), check.id, status))) throw pageFail("link_invalid");
        const back = redirectBack({ ...check, status });
        return c.redirect(back ?? `consent?token=${encodeURIComponent(token ?? "")}`, 303);
      },
    }),
  ];
}
