import { html } from "hono/html";
import type { Html } from "../../core/page.js";
import { page } from "./errors.js";
import type { Scope, SumsubUser } from "./schemas.js";

/** What each scope lets the application read, in the words a consent screen uses. */
const SCOPE_WORDS: Readonly<Record<Scope, string>> = {
  openid: "your Sumsub ID (sub), in a signed ID token",
  profile: "when your Sumsub ID was created",
  email: "your email address",
  name: "your given and family name",
  share: "your verified identity, to share with another company",
  offline_access: "all this while you are away (a refresh token)",
};

/** A fixture user to pick: the radio button and who it is. */
const choice = (u: SumsubUser, checked: boolean): Html =>
  html`${
      checked
        ? html`<input type="radio" name="user" value="${u.sub}" checked />`
        : html`<input type="radio" name="user" value="${u.sub}" />`
    }
    ${u.givenName} ${u.familyName} · ${u.email} · <code>${u.sub}</code>`;

/** Inline styles only (the page policy allows no other): the shell's form is a row of buttons. */
const BLOCK = "flex: 1 1 100%; display: grid; gap: 0.35rem";

/**
 * The interactive login: who asks and for what, the fixture users to pick, a form to type another identity, and
 * Allow / Deny. Both forms carry only the pending sign-in's id; what the client asked for stays in the store.
 */
export function loginPage(view: {
  action: string;
  loginId: string;
  clientId: string;
  redirectUri: string;
  scopes: readonly Scope[];
  users: readonly SumsubUser[];
  selected: string;
}): Html {
  const { action, loginId } = view;
  const pending = html`<input type="hidden" name="login" value="${loginId}" />`;
  return page(
    "Sign in with Sumsub ID",
    html`<dl>
        <dt>Application</dt>
        <dd id="client-id">${view.clientId}</dd>
        <dt>Returns to</dt>
        <dd id="redirect-uri">${view.redirectUri}</dd>
      </dl>
      <p>It asks for:</p>
      <ul id="scopes">
        ${view.scopes.map((s) => html`<li data-scope="${s}"><code>${s}</code>: ${SCOPE_WORDS[s]}</li>`)}
      </ul>
      <form id="pick" method="post" action="${action}">
        ${pending}
        <fieldset style="${BLOCK}">
          <legend>Sign in as</legend>
          ${view.users.map((u) => html`<label>${choice(u, u.sub === view.selected)}</label>`)}
        </fieldset>
        <button name="decision" value="allow" class="good">Allow</button>
        <button name="decision" value="deny" class="bad">Deny</button>
      </form>
      <form id="typed" method="post" action="${action}">
        ${pending}
        <fieldset style="${BLOCK}">
          <legend>Or sign in as another identity</legend>
          <label>Email <input type="email" name="email" required maxlength="254" /></label>
          <label>Given name <input name="given_name" required maxlength="100" /></label>
          <label>Family name <input name="family_name" required maxlength="100" /></label>
          <label>Subject (sub) <input name="sub" required maxlength="255" /></label>
        </fieldset>
        <button name="decision" value="allow" class="good">Allow as this identity</button>
      </form>`,
  );
}
