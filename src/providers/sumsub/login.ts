import type { Context } from "hono";
import * as z from "zod";
import type { AppEnv } from "../../core/context.js";
import { describeIssues, invalidInput } from "../../core/http.js";
import type { ProviderDeps } from "../../core/provider.js";
import { defineRoute, requiredByVendor, type RouteDeclaration } from "../../core/route.js";
import { kind } from "../../core/store.js";
import { authorizeCatalogue, authorizeFail, loginErrors, loginFail, redirectBack } from "./errors.js";
import type { Grants } from "./grants.js";
import { loginPage } from "./pages.js";
import type { Scope, SumsubConfig, SumsubFixtures, SumsubUser } from "./schemas.js";

/** The route the login page's forms post to, within the Sumsub prefix. */
export const LOGIN_PATH = "/api/snsId/oauth/login";

/** An authorization request waiting on the login page: everything the code will be bound to, kept server-side. */
export interface PendingLogin {
  clientId: string;
  redirectUri: string;
  scopes: Scope[];
  state: string | undefined;
  nonce: string | undefined;
  codeChallenge: string | undefined;
}

/** Under a random id the page's forms carry, for `loginTtlSeconds`; taken by the first answer. Internal: never listed. */
export const pendingLogins = kind<PendingLogin>("sumsub.login");

/** The prompt values that ask for the login page (OIDC Core §3.1.2.1); others but `none` are ignored. */
const INTERACTIVE_PROMPTS = ["login", "consent", "select_account"];

/**
 * Whether authorize shows the login page, from the config and the request's `prompt` (space-separated, OIDC Core
 * §3.1.2.1). `none` never shows a page: it is refused with anything else, and with an interactive login, where no one
 * is ever signed in, it is `login_required`; with auto-consent it consents as without it.
 */
export function showsLoginPage(config: SumsubConfig, prompt: string | undefined): boolean {
  const values = new Set((prompt ?? "").split(" ").filter(Boolean));
  if (values.has("none")) {
    if (values.size > 1)
      throw authorizeFail("invalid_request", "prompt=none cannot be combined with other values");
    if (config.login === "interactive")
      throw authorizeFail(
        "login_required",
        "prompt=none, but no one is signed in: the sandbox's login is interactive",
      );
    return false;
  }
  return config.login === "interactive" || INTERACTIVE_PROMPTS.some((p) => values.has(p));
}

/** What an identity typed on the page must be: the claims a client reads, each as OIDC Core §5.1 describes it. */
const typedIdentitySchema = z.object({
  email: z.email().max(254),
  given_name: z.string().trim().min(1).max(100),
  family_name: z.string().trim().min(1).max(100),
  sub: z
    .string()
    .min(1)
    .max(255)
    .regex(/^[\x21-\x7e]+$/, "sub must be ASCII letters, digits or signs, without spaces"),
});

/**
 * The login page: `show` stores the pending authorization and answers the page; the route declared here takes the
 * page's answer exactly once and redirects to the client as auto-consent does.
 */
export function createLogin(deps: ProviderDeps<SumsubFixtures, SumsubConfig>, grants: Grants) {
  const { fixtures, ids } = deps;
  const subs = fixtures.users.map((u) => u.sub) as [string, ...string[]];

  const loginForm = z.object({
    login: requiredByVendor(
      z
        .string()
        .optional()
        .describe("The pending sign-in's id, from the page (a missing one is the 404 page)"),
    ),
    decision: z.enum(["allow", "deny"]),
    user: z.enum(subs).optional().describe("A fixture user's sub; without it, the typed identity below"),
    email: z.string().optional(),
    given_name: z.string().optional(),
    family_name: z.string().optional(),
    sub: z.string().optional(),
  });

  /** Whom Allow signs in: the fixture user picked, else the identity typed (a 400 page naming a bad field). */
  const signedInAs = (
    form: z.output<typeof loginForm>,
    now: number,
  ): { sub: string; identity?: SumsubUser } => {
    if (form.user !== undefined) return { sub: form.user };
    const typed = typedIdentitySchema.safeParse(form);
    if (!typed.success) throw invalidInput(describeIssues(typed.error.issues));
    const { sub, email, given_name, family_name } = typed.data;
    const identity = {
      sub,
      email,
      givenName: given_name,
      familyName: family_name,
      createdAt: new Date(now).toISOString(),
      sharingAllowed: true,
    };
    return { sub, identity };
  };

  return {
    /** Keeps the request server-side under a fresh id and answers the page; the id is all the page carries. */
    async show(c: Context<AppEnv>, pending: PendingLogin, loginHint: string | undefined): Promise<Response> {
      const loginId = ids.token(43);
      await c.get("ns").store.put(pendingLogins, loginId, pending, fixtures.loginTtlSeconds);
      c.header("Cache-Control", "no-store");
      // The shell's policy sets no form-action, and must not set `'self'` alone: Chromium checks form-action on the
      // redirect that answers the form's POST too, so the way back to the client's redirect URI would be blocked.
      return c.html(
        loginPage({
          action: `${c.get("baseUrl")}/sumsub${LOGIN_PATH}`,
          loginId,
          clientId: pending.clientId,
          redirectUri: pending.redirectUri,
          scopes: pending.scopes,
          users: fixtures.users,
          // A hint that names no fixture user is no error here: the person on the page chooses.
          selected: (grants.userForHint(loginHint) ?? fixtures.users[0]!).sub,
        }),
      );
    },

    route: defineRoute({
      method: "post",
      path: LOGIN_PATH,
      summary: "The login page's answer: Allow as a picked or typed identity, or Deny",
      description:
        "Sandbox-only. The page authorize shows with sumsub.login interactive or prompt=login|consent posts here. " +
        "Each page's id is answered once, within loginTtlSeconds on the namespace's clock.",
      format: loginErrors,
      request: { form: { schema: loginForm, required: true } },
      responses: {
        303: {
          description:
            "To redirect_uri with code and state (Allow), or with error=access_denied and state (Deny)",
          headers: { Location: "The redirect URI with its answer" },
        },
      },
      errors: {
        400: "A typed identity with a missing or invalid field (the page names it)",
        404: "A sign-in that is unknown, expired or already answered",
      },
      handler: async (c, { form }) => {
        const ns = c.get("ns");
        // Checked before the pending sign-in is taken, so a typing mistake can be corrected and sent again.
        const allowed = form.decision === "allow" ? signedInAs(form, ns.clock.now()) : undefined;
        const entry = form.login === undefined ? undefined : await ns.store.take(pendingLogins, form.login);
        if (!entry) throw loginFail("login_not_found");
        const pending = entry.value;
        if (allowed === undefined)
          return redirectBack(
            c,
            pending.redirectUri,
            { error: "access_denied", error_description: authorizeCatalogue.access_denied.message },
            pending.state,
            303,
          );
        const code = await grants.issueCode(ns, {
          clientId: pending.clientId,
          redirectUri: pending.redirectUri,
          codeChallenge: pending.codeChallenge,
          scopes: [...pending.scopes],
          ...allowed,
          nonce: pending.nonce,
        });
        return redirectBack(c, pending.redirectUri, { code }, pending.state, 303);
      },
    }) satisfies RouteDeclaration,
  };
}

export type Login = ReturnType<typeof createLogin>;
