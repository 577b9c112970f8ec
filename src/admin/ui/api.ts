import * as z from "zod";
import { coreError, CoreErrorCode } from "../../core/errors.js";
import { nodeIncoming } from "../../core/http.js";
import { defineRoute, type RouteDeclaration } from "../../core/route.js";
import type { SandboxDeps } from "../../deps.js";
import { journalStream, servingOf } from "./journal-stream.js";

/** The most journal streams open at once: each is a timer and a connection. */
export const MAX_STREAMS = 32;

const streamQuery = z.strictObject({
  namespace: z.string().optional().describe("The namespace; or the X-Sandbox-Namespace header"),
  since: z.coerce
    .number()
    .int()
    .min(0)
    .optional()
    .describe("Send entries after this id (as Last-Event-ID); without either, the newest 100 first"),
  adminReads: z
    .enum(["true", "false"])
    .optional()
    .describe("true: also the admin API's own reads (GET), which a dashboard makes many of"),
});
const streamHeaders = z.object({
  "Last-Event-ID": z
    .string()
    .regex(/^\d{1,15}$/, "Last-Event-ID: the id of a journal entry")
    .optional()
    .describe("The last entry the reader has: the stream resumes after it"),
});

/** What the dashboard reads besides the admin API proper: the namespaces, the verdicts records take, the live journal. */
export function dashboardApi(deps: SandboxDeps): RouteDeclaration[] {
  const open = new Set<ReadableStream<Uint8Array>>();
  const subjects = deps.vendors.flatMap((v) =>
    v.subjects.map((s) => ({
      vendor: v.provider.name,
      subject: s.name,
      kind: s.kind?.name ?? null,
      verdicts: [...s.verdicts],
    })),
  );

  return [
    defineRoute({
      method: "get",
      path: "/namespaces",
      summary: "The namespaces the sandbox holds now, least recently used first (the default first of all)",
      responses: {
        200: {
          description: "Namespaces",
          schema: z.strictObject({
            namespaces: z.array(
              z.strictObject({
                id: z.string(),
                requests: z.number().int().describe("Entries its journal holds"),
                active: z.array(z.string()).describe("Scenarios active in it alone"),
              }),
            ),
          }),
        },
      },
      handler: async (c) =>
        c.json({
          namespaces: await Promise.all(
            deps.namespaces.all().map(async (ns) => ({
              id: ns.id,
              requests: await ns.journal.size(),
              active: [...ns.scenarios.active],
            })),
          ),
        }),
    }),
    defineRoute({
      method: "get",
      path: "/verdicts",
      summary:
        "What takes a verdict: each vendor's kind of record and the verdicts POST /__admin/verdicts gives it",
      responses: {
        200: {
          description: "Records that take verdicts",
          schema: z.strictObject({
            subjects: z.array(
              z.strictObject({
                vendor: z.string(),
                subject: z.string(),
                kind: z
                  .string()
                  .nullable()
                  .describe("The kind GET /__admin/sessions lists such records under"),
                verdicts: z.array(z.string()),
              }),
            ),
          }),
        },
      },
      handler: (c) => c.json({ subjects }),
    }),
    defineRoute({
      method: "get",
      path: "/requests/stream",
      summary:
        "The journal, live: each new entry as a Server-Sent Event (event `request`, id the entry's id)",
      description:
        "Oldest first; resumes after `since` or Last-Event-ID. The admin API's own reads are left out unless " +
        "`adminReads=true`. A comment line every 15 s of silence keeps the connection open.",
      request: { query: streamQuery, headers: streamHeaders },
      responses: {
        200: {
          description: "text/event-stream of journal entries, as GET /__admin/requests gives them",
          schema: z.string(),
          contentType: "text/event-stream",
        },
      },
      errors: {
        429: `Already ${String(MAX_STREAMS)} streams open: close one, or read GET /__admin/requests`,
      },
      handler: (c, { query, headers }) => {
        if (open.size >= MAX_STREAMS) {
          c.header("Retry-After", "5");
          throw coreError(
            CoreErrorCode.rateLimited,
            `already ${String(MAX_STREAMS)} journal streams open: close one, or poll GET /__admin/requests?since=`,
          );
        }
        const lastEventId = headers["Last-Event-ID"];
        const stream: ReadableStream<Uint8Array> = journalStream({
          journal: c.get("ns").journal,
          // A reconnecting EventSource sends Last-Event-ID with the URL it first opened: the later cursor wins.
          since: lastEventId === undefined ? query.since : Number(lastEventId),
          adminReads: query.adminReads === "true",
          serving: servingOf(c),
          onEnd: () => open.delete(stream),
        });
        open.add(stream);
        // Its own connection over HTTP/1: once the stream ends (the server is closing), the socket goes with it.
        // (HTTP/2 has no Connection header.)
        if (nodeIncoming(c)?.httpVersionMajor !== 2) c.header("Connection", "close");
        return c.body(stream, 200, {
          "Content-Type": "text/event-stream; charset=utf-8",
          "Cache-Control": "no-store",
          "X-Accel-Buffering": "no",
        });
      },
    }),
  ];
}
