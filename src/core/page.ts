import type { MiddlewareHandler } from "hono";
import { html, raw } from "hono/html";
import { coreErrors, type ErrorFormat, type FormatCatalogue } from "./errors.js";
import { pageFormat } from "./formats.js";

export type Html = ReturnType<typeof html>;

/**
 * What a sandbox page may load: inline styles only. No script, no external asset, no frame, so a page that tried to
 * load one would show it broken in a test, and no other site can frame the buttons that decide a verification.
 */
export const PAGE_POLICY =
  "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'";

/** The headers every HTML answer carries unless its route set its own policy (the API docs need swagger-ui's). */
const HTML_HEADERS: Readonly<Record<string, string>> = {
  "Content-Security-Policy": PAGE_POLICY,
  "X-Frame-Options": "DENY",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
};

/** Adds `HTML_HEADERS` to every HTML answer, errors included, keeping a policy a route set itself. */
export function htmlHeaders(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    // Any type a browser runs script in, however it is written (`TEXT/HTML`, XHTML, SVG).
    if (
      !/^\s*(text\/html|application\/xhtml\+xml|image\/svg\+xml)/i.test(
        c.res.headers.get("content-type") ?? "",
      )
    )
      return;
    for (const [name, value] of Object.entries(HTML_HEADERS))
      if (!c.res.headers.has(name)) c.res.headers.set(name, value);
  };
}

const BASE_CSS = `
body { font: 16px/1.5 system-ui, sans-serif; margin: 0 auto; max-width: 36rem; padding: 1.5rem; color: #1b1f24; }
h1 { font-size: 1.4rem; margin: 0 0 0.25rem; }
.note { color: #57606a; font-size: 0.85rem; margin-top: 0; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.35rem 1rem; }
dt { font-weight: 600; }
dd { margin: 0; word-break: break-all; }
pre { background: #f6f8fa; padding: 0.75rem; border-radius: 6px; overflow-x: auto; margin: 0; }
form { display: flex; gap: 0.75rem; flex-wrap: wrap; margin-top: 1.5rem; }
button { font: inherit; padding: 0.75rem 1.25rem; border-radius: 6px; border: 1px solid #d0d7de; cursor: pointer; }
button.good { background: #1f883d; color: #fff; border-color: #1a7f37; }
button.warn { background: #9a6700; color: #fff; border-color: #7d4e00; }
button.bad { background: #cf222e; color: #fff; border-color: #a40e26; }
.status { font-weight: 600; }
.error { color: #cf222e; font-weight: 600; }
`;

/**
 * One self-contained page a vendor serves (a hand-off page, a web link, a subscriber's confirmation, an error): inline
 * styles, no script, no external asset, so it opens offline on any phone. Buttons take the class `good`, `warn` or
 * `bad`.
 *
 * @example
 * page({ vendor: "Regula IDV", title: "Identity verification", note: "nothing is verified", body: html`<p>…</p>` });
 */
export function page(options: { vendor: string; title: string; note: string; body: Html }): Html {
  const { vendor, title, note, body } = options;
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title} · ${vendor} sandbox</title>
        <style>
          ${raw(BASE_CSS)}
        </style>
      </head>
      <body>
        <h1>${title}</h1>
        <p class="note">${vendor} sandbox — test-only, ${note}.</p>
        ${body}
      </body>
    </html>`;
}

/** The core's errors in the words a person reads on a page. */
export const PAGE_CORE_ERRORS = coreErrors({ invalid_request: "This request is not valid." });

/**
 * A vendor's pages: `page`, the shell under the vendor's name, and `errors`, the error format of its pages (an error
 * is a short page titled `title` with the message), so a vendor declares only what differs.
 *
 * @example
 * const { page, errors } = vendorPages("Regula IDV", "nothing is verified");
 * export const pageErrors = errors("regula hand-off page", pageCatalogue, "Session unavailable");
 */
export function vendorPages(vendor: string, note: string) {
  const vendorPage = (title: string, body: Html): Html => page({ vendor, title, note, body });
  return {
    page: vendorPage,
    errors: (name: string, catalogue: FormatCatalogue, title: string): ErrorFormat =>
      pageFormat(name, catalogue, (error) => vendorPage(title, html`<p class="error">${error.message}</p>`)),
  };
}
