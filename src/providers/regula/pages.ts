import { html } from "hono/html";
import { isoAt } from "../../core/clock.js";
import type { SessionRecord } from "./sessions.js";

type Html = ReturnType<typeof html>;

/** One self-contained page: inline styles, no script, no external asset, so it opens offline on any phone. */
export function page(title: string, body: Html): Html {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title} · Regula IDV sandbox</title>
        <style>
          body {
            font:
              16px/1.5 system-ui,
              sans-serif;
            margin: 0 auto;
            max-width: 36rem;
            padding: 1.5rem;
            color: #1b1f24;
          }
          h1 {
            font-size: 1.4rem;
            margin: 0 0 0.25rem;
          }
          .note {
            color: #57606a;
            font-size: 0.85rem;
            margin-top: 0;
          }
          dl {
            display: grid;
            grid-template-columns: max-content 1fr;
            gap: 0.35rem 1rem;
          }
          dt {
            font-weight: 600;
          }
          dd {
            margin: 0;
            word-break: break-all;
          }
          pre {
            background: #f6f8fa;
            padding: 0.75rem;
            border-radius: 6px;
            overflow-x: auto;
            margin: 0;
          }
          form {
            display: flex;
            gap: 0.75rem;
            flex-wrap: wrap;
            margin-top: 1.5rem;
          }
          button {
            font: inherit;
            padding: 0.75rem 1.25rem;
            border-radius: 6px;
            border: 1px solid #d0d7de;
            cursor: pointer;
          }
          button[value="completed"] {
            background: #1f883d;
            color: #fff;
            border-color: #1a7f37;
          }
          button[value="failed"] {
            background: #cf222e;
            color: #fff;
            border-color: #a40e26;
          }
          .status {
            font-weight: 600;
          }
          .error {
            color: #cf222e;
            font-weight: 600;
          }
        </style>
      </head>
      <body>
        <h1>${title}</h1>
        <p class="note">Regula IDV sandbox — test-only, nothing is verified.</p>
        ${body}
      </body>
    </html>`;
}

/** The hand-off page: what the session holds, and buttons to finish it. */
export function sessionPage(session: SessionRecord, status: string, authorization: string): Html {
  const open = status === "created";
  return page(
    "Identity verification",
    html`<dl>
        <dt>Session</dt>
        <dd id="session-id">${session.id}</dd>
        <dt>Workflows</dt>
        <dd>${session.workflowIds.join(", ")}</dd>
        <dt>Locale</dt>
        <dd>${session.locale ?? "(none)"}</dd>
        <dt>Expires</dt>
        <dd>${isoAt(session.expiresAt)}</dd>
        <dt>Status</dt>
        <dd class="status" id="status">${status}</dd>
        <dt>Metadata</dt>
        <dd><pre>${JSON.stringify(session.metadata, null, 2)}</pre></dd>
      </dl>
      ${
        open
          ? html`<form method="post" action="mobile/finish">
              <input type="hidden" name="authorization" value="${authorization}" />
              <input type="hidden" name="sessionId" value="${session.id}" />
              <button name="status" value="completed">Complete</button>
              <button name="status" value="failed">Fail</button>
              <button name="status" value="cancelled">Cancel</button>
            </form>`
          : html`<p>This session is finished.</p>`
      }`,
  );
}
