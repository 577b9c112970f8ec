// The baseline: bare Hono on @hono/node-server that parses a JSON (or form) body and returns a small JSON.
import { serve } from "@hono/node-server";
import { Hono } from "hono";

const app = new Hono();
app.post("/json", async (c) => c.json({ ok: true, got: Object.keys(await c.req.json()).length }));
app.get("/json", (c) => c.json({ ok: true, got: c.req.query("a") ?? null }));
serve({ fetch: app.fetch, port: Number(process.env.PORT ?? 0), hostname: "127.0.0.1" }, (info) => {
  console.log(`baseline listening on http://127.0.0.1:${info.port}`);
});
process.on("SIGTERM", () => process.exit(0));
