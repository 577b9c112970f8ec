import { html } from "hono/html";
import * as z from "zod";
import { VERSION } from "../../contract.js";
import type { Html } from "../../core/page.js";
import { defineRoute, type RouteDeclaration } from "../../core/route.js";
import { APP_CSS } from "./app-css.js";
import { APP_JS } from "./app-js.js";

/**
 * The dashboard's policy: its one script and stylesheet from the sandbox, calls to the sandbox only, nothing inline,
 * no frame, no form that submits by itself (the token form is the script's: without it, nothing leaves the page).
 */
export const DASHBOARD_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** A table the script fills: its id, and its columns (each cell is labelled with its column at phone width). */
function table(id: string, columns: readonly string[]): Html {
  return html`<div class="table">
    <table id="${id}">
      <thead>
        <tr>
          ${columns.map((c) => html`<th scope="col">${c}</th>`)}
        </tr>
      </thead>
      <tbody></tbody>
    </table>
  </div>`;
}

/** The shell: every view's frame, no data (the script fills it from the admin API). */
export function dashboardPage(options: { tokenRequired: boolean }): Html {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>idv-sandbox dashboard</title>
        <link rel="stylesheet" href="app.css" />
        <script src="app.js" defer></script>
      </head>
      <body data-auth="${options.tokenRequired ? "token" : "open"}">
        <header class="top">
          <div>
            <h1>idv-sandbox</h1>
            <span class="note">test-only dashboard: never real personal data or real credentials</span>
          </div>
          <span id="live" class="live" role="status">starting…</span>
        </header>

        <form id="auth" class="card auth" hidden>
          <h2>Admin token</h2>
          <p class="note">
            This sandbox needs its admin token. It stays in this tab (session storage) and goes with each call
            as
            <code>Authorization: Bearer</code>; never in a URL or a cookie.
          </p>
          <label class="block"
            >Admin token <input id="token" type="password" autocomplete="off" required
          /></label>
          <button type="submit" class="primary">Open the dashboard</button>
          <p id="auth-error" class="error" role="alert"></p>
        </form>

        <main id="main" hidden>
          <p id="message" class="message" role="status" aria-live="polite"></p>
          <div class="grid">
            <section class="card" aria-labelledby="namespace-title">
              <h2 id="namespace-title">Namespace</h2>
              <form id="namespace-form" class="row">
                <label
                  >Shown
                  <select id="namespace"></select
                ></label>
                <label
                  >Another <input id="namespace-other" placeholder="worker-1" autocomplete="off"
                /></label>
                <button type="submit">Open</button>
              </form>
              <div class="row">
                <button id="refresh" type="button">Refresh</button>
                <button id="reset" type="button" class="danger">Reset namespace</button>
                <button id="forget" type="button" hidden>Forget the token</button>
              </div>
            </section>

            <section class="card" aria-labelledby="clock-title">
              <h2 id="clock-title">Clock</h2>
              <p class="clock"><time id="clock-now">—</time> <span id="clock-state" class="badge"></span></p>
              <div class="row">
                <button type="button" data-advance="60">+1 min</button>
                <button type="button" data-advance="3600">+1 h</button>
                <button type="button" data-advance="86400">+1 day</button>
              </div>
              <form id="advance-form" class="row">
                <label
                  >Seconds <input id="advance-seconds" type="number" step="1" value="600" required
                /></label>
                <button type="submit">Advance</button>
              </form>
              <div class="row">
                <button id="freeze" type="button">Freeze</button>
                <button id="real" type="button">Back to real time</button>
              </div>
            </section>

            <section class="card wide" aria-labelledby="journal-title">
              <h2 id="journal-title">Journal</h2>
              <div class="row">
                <label class="check"
                  ><input id="admin-reads" type="checkbox" /> the admin API's reads too</label
                >
                <button id="clear-journal" type="button">Clear</button>
              </div>
              ${table("journal", ["#", "time", "request", "status", "route", "error", "scenario", "ms"])}
            </section>

            <section class="card wide" aria-labelledby="tokens-title">
              <h2 id="tokens-title">Tokens and codes</h2>
              ${table("tokens", ["kind", "id", "status", "context", "created", "expires"])}
            </section>

            <section class="card wide" aria-labelledby="sessions-title">
              <h2 id="sessions-title">Sessions and verifications</h2>
              <p class="note">
                A verdict button gives the record that verdict, as the vendor's reviewer would.
              </p>
              ${table("sessions", ["kind", "id", "status", "context", "expires", "verdict"])}
            </section>

            <section class="card wide" aria-labelledby="webhooks-title">
              <h2 id="webhooks-title">Webhooks</h2>
              <div class="row"><button id="flush" type="button">Send pending now</button></div>
              <h3>Deliveries</h3>
              ${table("deliveries", ["id", "event", "status", "attempts", "last answer", "created", ""])}
              <h3>Subscriptions</h3>
              ${table("subscriptions", ["id", "vendor", "url", "events", "source"])}
            </section>

            <section class="card wide" aria-labelledby="scenarios-title">
              <h2 id="scenarios-title">Scenarios</h2>
              <p class="note" id="scenarios-scope"></p>
              ${table("scenarios", ["active", "name", "description", "rules", "source", ""])}
              <details id="runtime">
                <summary>Define a scenario at run time, or queue a one-shot</summary>
                <form id="define-form">
                  <label class="block">Name <input id="define-name" required autocomplete="off" /></label>
                  <label class="block"
                    >Scenario, as a scenario file holds it (JSON)
                    <textarea id="define-body" rows="6" spellcheck="false" required></textarea>
                  </label>
                  <button type="submit">Save scenario</button>
                </form>
                <form id="enqueue-form">
                  <div class="row">
                    <label>Vendor <input id="enqueue-vendor" required placeholder="sardine" /></label>
                    <label
                      >Route
                      <input id="enqueue-route" required placeholder="POST /v1/identity-documents/tokens"
                    /></label>
                  </div>
                  <label class="block"
                    >Outcome (JSON)
                    <textarea id="enqueue-outcome" rows="3" spellcheck="false" required></textarea>
                  </label>
                  <button type="submit">Queue once</button>
                </form>
              </details>
            </section>
          </div>
        </main>
        <footer>
          idv-sandbox ${VERSION} · <a href="../../docs/">API reference</a> ·
          <a href="../../openapi.json">OpenAPI</a>
        </footer>
      </body>
    </html>`;
}

const asset = (description: string, contentType: string) => ({
  200: { description, schema: z.string(), contentType },
});

/** `/__admin/ui/`: the shell page, its script and its stylesheet. */
export function dashboardPageRoutes(options: { tokenRequired: boolean }): RouteDeclaration[] {
  const shell = Promise.resolve(dashboardPage(options));
  const assetHeaders = (type: string) => ({
    "Content-Type": type,
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
  });
  return [
    defineRoute({
      method: "get",
      path: "/ui",
      public: true,
      summary: "The dashboard (redirects to /__admin/ui/)",
      responses: { 302: { description: "To the dashboard", headers: { Location: "ui/" } } },
      handler: (c) => c.redirect("ui/", 302),
    }),
    defineRoute({
      method: "get",
      path: "/ui/",
      public: true,
      summary: "The dashboard: journal, state, verdicts, webhooks, scenarios and clock of a namespace",
      description:
        "Served without the admin token: it holds no data, and asks for the token before any call.",
      responses: asset("The dashboard's page", "text/html"),
      handler: async (c) => {
        c.header("Content-Security-Policy", DASHBOARD_POLICY);
        c.header("Cache-Control", "no-cache");
        return c.html(await shell);
      },
    }),
    defineRoute({
      method: "get",
      path: "/ui/app.js",
      public: true,
      summary: "The dashboard's script",
      responses: asset("The script", "text/javascript"),
      handler: (c) => c.body(APP_JS, 200, assetHeaders("text/javascript; charset=utf-8")),
    }),
    defineRoute({
      method: "get",
      path: "/ui/app.css",
      public: true,
      summary: "The dashboard's stylesheet",
      responses: asset("The stylesheet", "text/css"),
      handler: (c) => c.body(APP_CSS, 200, assetHeaders("text/css; charset=utf-8")),
    }),
  ];
}
