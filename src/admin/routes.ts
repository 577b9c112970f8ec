import { Hono } from "hono";
import { z } from "zod";
import { isoAt } from "../core/clock.js";
import type { AppEnv } from "../core/context.js";
import { parseWith, readJson } from "../core/http.js";

const clockChange = z.union(
  [
    z.strictObject({ advance: z.number() }),
    z.strictObject({ set: z.iso.datetime({ offset: true }) }),
    z.strictObject({ freeze: z.boolean() }),
  ],
  { error: 'expected {"advance": seconds}, {"set": ISO 8601} or {"freeze": true|false}' },
);

/** `/__admin`: health, state reset and the clock. */
export function adminRoutes(): Hono<AppEnv> {
  const admin = new Hono<AppEnv>();

  admin.get("/health", (c) => c.json({ status: "ok" }));

  admin.post("/reset", (c) => {
    c.var.ns.store.reset();
    return c.json({ status: "reset", namespace: c.var.ns.id });
  });

  const clockView = (c: { var: AppEnv["Variables"] }) => ({
    now: isoAt(c.var.ns.clock.now()),
    frozen: c.var.ns.clock.frozen,
  });

  admin.get("/clock", (c) => c.json(clockView(c)));

  admin.post("/clock", async (c) => {
    const change = parseWith(clockChange, await readJson(c));
    const { clock, store } = c.var.ns;
    if ("advance" in change) clock.advance(change.advance);
    else if ("set" in change) clock.set(new Date(change.set));
    else clock.freeze(change.freeze);
    store.sweep();
    return c.json(clockView(c));
  });

  return admin;
}
