import * as z from "zod";

export const permissionSchema = z.enum(["deeplink:write", "session:read", "session:write"]);
export type Permission = z.output<typeof permissionSchema>;

export const fixtureSchema = z.strictObject({
  apiKeys: z.array(z.strictObject({ key: z.string().min(1), permissions: z.array(permissionSchema) })).min(1),
  workflows: z.array(z.strictObject({ id: z.string().min(1), name: z.string() })).min(1),
  defaultTtlSeconds: z.number().int().positive().default(3600),
  maxTtlSeconds: z.number().int().positive().default(2_592_000),
  /** How long a session stays readable (as `expired`) after its expiry. */
  sessionRetentionSeconds: z.number().int().nonnegative().default(86_400),
});
export type RegulaFixtures = z.output<typeof fixtureSchema>;

/** `POST /api/v1/deeplink` body; `maxTtl` comes from the fixtures. Unknown fields are refused by name. */
export function deeplinkRequestSchema(defaultTtl: number, maxTtl: number) {
  return z.strictObject({
    metadata: z.record(z.string(), z.unknown()).default({}),
    locale: z.string().min(1).nullable().default(null),
    ttl: z.number().int().min(1).max(maxTtl).default(defaultTtl),
  });
}

export function ephemeralRequestSchema(defaultTtl: number, maxTtl: number) {
  return z.strictObject({ ttl: z.number().int().min(1).max(maxTtl).default(defaultTtl) });
}

export const sessionRequestSchema = z.strictObject({
  metadata: z.record(z.string(), z.unknown()).default({}),
  locale: z.string().min(1).nullable().default(null),
});

export const sessionStatusSchema = z.enum(["created", "completed", "failed", "cancelled", "expired"]);
export type SessionStatus = z.output<typeof sessionStatusSchema>;
/** The statuses a tester can finish a session with on the hand-off page. */
export const finishStatusSchema = z.enum(["completed", "failed", "cancelled"]);

export const deeplinkResponseSchema = z.strictObject({
  url: z.url(),
  createdAt: z.iso.datetime(),
  expiresAt: z.iso.datetime(),
  workflowIds: z.array(z.string()),
});

export const sessionResponseSchema = z.strictObject({
  id: z.string(),
  workflowIds: z.array(z.string()),
  metadata: z.record(z.string(), z.unknown()),
  locale: z.string().nullable(),
  status: sessionStatusSchema,
  createdAt: z.iso.datetime(),
  expiresAt: z.iso.datetime(),
});

export const ephemeralResponseSchema = z.strictObject({ authorization: z.string().startsWith("Token ") });
