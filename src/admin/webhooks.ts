import * as z from "zod";
import { isoAt } from "../core/clock.js";
import type { Namespace } from "../core/context.js";
import { coreError, CoreErrorCode, SandboxError } from "../core/errors.js";
import { describeIssues, invalidRequest } from "../core/http.js";
import { changeSubscriptions } from "../core/settings.js";
import { nsQuery } from "./schemas.js";
import { defineRoute, type RouteDeclaration } from "../core/route.js";
import { checkSubscription, MAX_SUBSCRIPTIONS, subscriptionInputSchema } from "../core/subscriptions.js";
import { deliveryView, deliveryViewSchema } from "../core/webhooks.js";
import type { Subscription } from "../core/deliveries.js";
import type { SandboxDeps } from "../deps.js";

const subscriptionView = z.strictObject({
  id: z.string(),
  vendor: z.string(),
  url: z.string(),
  secret: z.literal("[redacted]"),
  events: z.array(z.string()).nullable().describe("null: every event of the vendor"),
  headers: z.record(z.string(), z.string()).describe("Names only: values redacted"),
  options: z.record(z.string(), z.unknown()),
  source: z.enum(["config", "api"]),
  createdAt: z.iso.datetime(),
});

const view = (s: Subscription) => ({
  id: s.id,
  vendor: s.vendor,
  url: s.url,
  secret: "[redacted]" as const,
  events: s.events,
  headers: Object.fromEntries(Object.keys(s.headers).map((name) => [name, "[redacted]"])),
  options: s.options,
  source: s.source,
  createdAt: isoAt(s.createdAt),
});

const deliveriesQuery = z.strictObject({
  vendor: z.string().optional(),
  event: z.string().optional(),
  status: z.enum(["pending", "delivered", "failed"]).optional(),
  subscription: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  namespace: z.string().optional(),
});

const verdictInput = z.looseObject({
  vendor: z.string().min(1),
  id: z.string().min(1).describe("The record's id: a Sumsub applicant id, a Regula session id…"),
  verdict: z.string().min(1).describe("One of the vendor's verdicts; other fields are the verdict's details"),
});

const notFound = (what: string) => coreError(CoreErrorCode.notFound, what);

/** `/__admin/webhooks…` and `/__admin/verdicts`: subscriptions, deliveries, and the verdicts that cause them. */
export function webhookRoutes(deps: SandboxDeps): RouteDeclaration[] {
  const { webhooks, verdicts } = deps;
  const noDelivery = (ns: Namespace, id: string) => notFound(`no delivery ${id} in namespace ${ns.id}`);
  const deliveryIn = async (ns: Namespace, id: string) => {
    const d = await webhooks.delivery(ns, id);
    if (!d) throw noDelivery(ns, id);
    return d;
  };

  return [
    defineRoute({
      method: "post",
      path: "/webhooks",
      summary: "Subscribe to a vendor's webhooks in the namespace",
      request: { query: nsQuery, json: { schema: subscriptionInputSchema, required: true } },
      responses: { 201: { description: "The subscription", schema: subscriptionView } },
      errors: { 400: "An invalid field, an unknown vendor or event (the valid ones listed)" },
      handler: async (c, { json }) => {
        const ns = c.get("ns");
        const checked = checkSubscription(json, webhooks.specs);
        if (!checked.ok)
          throw invalidRequest(checked.message, [{ field: checked.field, message: checked.message }]);
        const subscription: Subscription = {
          ...checked.value,
          id: `whs_${deps.ids.alnum(16)}`,
          source: "api",
          createdAt: ns.clock.now(),
        };
        // Against the subscriptions every sandbox sharing the store made: two made at once both stay.
        await changeSubscriptions(ns, (subscriptions) => {
          if (subscriptions.size >= MAX_SUBSCRIPTIONS)
            throw invalidRequest(
              `at most ${String(MAX_SUBSCRIPTIONS)} subscriptions per namespace: delete one first`,
            );
          subscriptions.set(subscription.id, subscription);
        });
        return c.json(view(subscription), 201);
      },
    }),
    defineRoute({
      method: "get",
      path: "/webhooks",
      summary: "The namespace's subscriptions (the config file's first); secrets redacted",
      request: { query: nsQuery },
      responses: {
        200: {
          description: "Subscriptions",
          schema: z.strictObject({ webhooks: z.array(subscriptionView) }),
        },
      },
      handler: (c) => c.json({ webhooks: webhooks.subscriptionsOf(c.get("ns")).map(view) }),
    }),
    defineRoute({
      method: "delete",
      path: "/webhooks/{id}",
      summary: "Unsubscribe",
      request: { query: nsQuery, params: z.object({ id: z.string() }) },
      responses: {
        200: { description: "Deleted", schema: z.strictObject({ deleted: z.string() }) },
      },
      errors: { 404: "No such subscription in the namespace", 409: "A subscription from the config file" },
      handler: async (c, { params: { id } }) => {
        const ns = c.get("ns");
        if (webhooks.configured.some((s) => s.id === id))
          throw new SandboxError(
            "conflict",
            409,
            `${id} comes from the config file: change the file instead`,
          );
        await changeSubscriptions(ns, (subscriptions) => {
          if (!subscriptions.delete(id)) throw notFound(`no subscription ${id} in namespace ${ns.id}`);
        });
        return c.json({ deleted: id });
      },
    }),
    defineRoute({
      method: "get",
      path: "/webhooks/deliveries",
      summary: "Deliveries, newest first, with every attempt",
      request: { query: deliveriesQuery },
      responses: {
        200: {
          description: "Deliveries",
          schema: z.strictObject({ deliveries: z.array(deliveryViewSchema) }),
        },
      },
      handler: async (c, { query }) => {
        const { limit = 100 } = query;
        const found = await webhooks.list(
          c.get("ns"),
          limit,
          (d) =>
            (query.vendor === undefined || d.vendor === query.vendor) &&
            (query.event === undefined || d.event === query.event) &&
            (query.status === undefined || d.status === query.status) &&
            (query.subscription === undefined || d.subscription === query.subscription),
        );
        return c.json({ deliveries: found.map(deliveryView) });
      },
    }),
    defineRoute({
      method: "get",
      path: "/webhooks/deliveries/{id}",
      summary: "One delivery",
      request: { query: nsQuery, params: z.object({ id: z.string() }) },
      responses: { 200: { description: "The delivery", schema: deliveryViewSchema } },
      errors: { 404: "No such delivery in the namespace" },
      handler: async (c, { params: { id } }) => c.json(deliveryView(await deliveryIn(c.get("ns"), id))),
    }),
    defineRoute({
      method: "post",
      path: "/webhooks/deliveries/{id}/redeliver",
      summary: "Send a delivery again (same id, same body), once; answers when the attempt has ended",
      request: { query: nsQuery, params: z.object({ id: z.string() }) },
      responses: { 200: { description: "The delivery with its new attempt", schema: deliveryViewSchema } },
      errors: {
        404: "No such delivery in the namespace",
        409: "The delivery is being sent or waits its turn: a resend now would send it twice",
      },
      handler: async (c, { params: { id } }) => {
        const ns = c.get("ns");
        const result = await webhooks.redeliver(ns, id);
        if (result === "gone") throw noDelivery(ns, id);
        if (result === "busy")
          throw new SandboxError(
            "conflict",
            409,
            `${id} is being sent or waits its turn; resend it once it has ended`,
          );
        return c.json(deliveryView(await deliveryIn(ns, id)));
      },
    }),
    defineRoute({
      method: "post",
      path: "/webhooks/flush",
      summary:
        "Give what has fallen due, then send every pending delivery now; answers when each has been tried",
      request: { query: nsQuery },
      responses: {
        200: {
          description: "The deliveries tried",
          schema: z.strictObject({ deliveries: z.array(deliveryViewSchema) }),
        },
      },
      handler: async (c) => {
        const ns = c.get("ns");
        await deps.verdicts.tick(ns);
        const tried = await webhooks.flush(ns);
        return c.json({ deliveries: tried.map(deliveryView) });
      },
    }),
    defineRoute({
      method: "post",
      path: "/verdicts",
      summary: "Give a verification its verdict (a Sumsub applicant, a Regula session…)",
      request: { query: nsQuery, json: { schema: verdictInput, required: true } },
      responses: {
        200: {
          description: "Given; the vendor's webhooks follow",
          schema: z.strictObject({
            vendor: z.string(),
            subject: z.string(),
            id: z.string(),
            verdict: z.string(),
          }),
        },
      },
      errors: {
        400: "An unknown vendor or verdict (the valid ones listed), or invalid details (named)",
        404: "No such record in the namespace",
        409: "The record already has a final verdict",
      },
      handler: async (c, { json: { vendor, id, verdict, ...details } }) => {
        const ns = c.get("ns");
        const result = await verdicts.give(ns, vendor, id, verdict, details);
        if ("subject" in result) return c.json({ vendor, subject: result.subject, id, verdict });
        switch (result.reason) {
          case "no_subjects":
            throw invalidRequest(
              `vendor: ${vendor} has no verdicts to give (one of ${result.vendors.join(", ")})`,
              [{ field: "vendor", message: "no verdicts" }],
            );
          case "unknown_verdict":
            throw invalidRequest(
              `verdict: ${verdict} is not a ${vendor} verdict (one of ${result.verdicts.join(", ")})`,
              [{ field: "verdict", message: "unknown verdict" }],
            );
          case "invalid_details": {
            const issues = describeIssues(result.issues);
            throw invalidRequest(issues[0]?.message ?? "invalid details", issues);
          }
          case "not_found":
            throw notFound(`${vendor} holds no ${id} in namespace ${ns.id}`);
        }
      },
    }),
  ];
}
