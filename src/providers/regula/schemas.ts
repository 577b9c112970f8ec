import * as z from "zod";
import { bounded, FIELD_LIMITS } from "../../core/limits.js";

export const permissionSchema = z.enum(["deeplink:write", "session:read", "session:write"]);
export type Permission = z.output<typeof permissionSchema>;

/**
 * A finished session's document result. Regula documents that `properties` holds structured results but not their
 * shape: these fields are the sandbox's choice.
 */
export const documentResultSchema = z.strictObject({
  type: z.string().min(1),
  number: z.string().min(1),
  issuingCountry: z.string().min(1),
  firstName: z.string(),
  lastName: z.string(),
  dateOfBirth: z.iso.date(),
  dateOfExpiry: z.iso.date(),
  status: z.enum(["valid", "invalid"]),
});

/** A finished session's face result (the sandbox's choice, like the document's). */
export const faceResultSchema = z.strictObject({
  liveness: z.enum(["passed", "failed"]),
  similarity: z.number().min(0).max(1),
});

/** `properties` of a session: empty until it is completed or failed. */
export const propertiesSchema = z
  .strictObject({ document: documentResultSchema.optional(), face: faceResultSchema.optional() })
  .describe("Structured results: document and face once the session is completed or failed, {} otherwise");

export const fileTypeSchema = z.enum(["image/png", "image/jpeg"]);

/** ICAO's specimen passport: the document both default results read. */
const SPECIMEN = {
  type: "passport",
  number: "L898902C3",
  issuingCountry: "UTO",
  firstName: "Anna Maria",
  lastName: "Eriksson",
  dateOfBirth: "1974-08-12",
  dateOfExpiry: "2034-04-15",
};

/** The results shipped in fixtures/regula.json, also the defaults for an older fixture file without them. */
const DEFAULT_RESULTS = {
  completed: {
    document: { ...SPECIMEN, status: "valid" },
    face: { liveness: "passed", similarity: 0.97 },
  },
  failed: {
    document: { ...SPECIMEN, status: "invalid" },
    face: { liveness: "failed", similarity: 0.12 },
  },
} as const;

/** A file a completed or failed session holds: `path` is relative to the fixtures folder. */
const fixtureFileSchema = z.strictObject({
  name: z
    .string()
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9._-]*$/,
      "a file name is letters, digits, '.', '_' and '-' (it goes in a URL)",
    ),
  type: fileTypeSchema,
  path: z.string().min(1),
});

export const fixtureSchema = z.strictObject({
  apiKeys: z.array(z.strictObject({ key: z.string().min(1), permissions: z.array(permissionSchema) })).min(1),
  workflows: z.array(z.strictObject({ id: z.string().min(1), name: z.string() })).min(1),
  defaultTtlSeconds: z.number().int().positive().default(3600),
  maxTtlSeconds: z.number().int().positive().default(2_592_000),
  /** How long a session stays readable (as `expired`) after its expiry. */
  sessionRetentionSeconds: z.number().int().nonnegative().default(86_400),
  /** `properties` of a session completed or failed; cancelled and expired ones have none. */
  results: z
    .strictObject({
      completed: propertiesSchema.default(DEFAULT_RESULTS.completed),
      failed: propertiesSchema.default(DEFAULT_RESULTS.failed),
    })
    .prefault({}),
  /** The images a completed or failed session holds (none for an older fixture file). */
  files: z
    .array(fixtureFileSchema)
    .default([])
    .refine((files) => new Set(files.map((f) => f.name)).size === files.length, "file names must be unique"),
});
export type RegulaFixtures = z.output<typeof fixtureSchema>;

/** `POST /api/v1/deeplink` body; `maxTtl` comes from the fixtures. Unknown fields are refused by name. */
export function deeplinkRequestSchema(defaultTtl: number, maxTtl: number) {
  return z.strictObject({
    metadata: bounded(z.record(z.string(), z.unknown())).default({}),
    locale: z.string().min(1).max(FIELD_LIMITS.text).nullable().default(null),
    ttl: z.number().int().min(1).max(maxTtl).default(defaultTtl),
  });
}

export function ephemeralRequestSchema(defaultTtl: number, maxTtl: number) {
  return z.strictObject({ ttl: z.number().int().min(1).max(maxTtl).default(defaultTtl) });
}

export const sessionRequestSchema = z.strictObject({
  metadata: bounded(z.record(z.string(), z.unknown())).default({}),
  locale: z.string().min(1).max(FIELD_LIMITS.text).nullable().default(null),
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

export const sessionFileSchema = z.strictObject({
  name: z.string(),
  type: fileTypeSchema,
  size: z.number().int().nonnegative().describe("Bytes"),
  url: z.url().describe("GET it with the API key (session:read)"),
});

export const sessionResponseSchema = z.strictObject({
  id: z.string(),
  workflowIds: z.array(z.string()),
  metadata: z.record(z.string(), z.unknown()),
  locale: z.string().nullable(),
  status: sessionStatusSchema,
  createdAt: z.iso.datetime(),
  expiresAt: z.iso.datetime(),
  properties: propertiesSchema,
  files: z
    .array(sessionFileSchema)
    .describe("The session's images once it is completed or failed, [] otherwise"),
});

export const ephemeralResponseSchema = z.strictObject({ authorization: z.string().startsWith("Token ") });

/** The statuses a session ends with, each the name of a webhook event `session.<status>`. */
export const endStatuses = ["completed", "failed", "cancelled", "expired"] as const;
export type EndStatus = (typeof endStatuses)[number];

/**
 * The body of webhook `session.<status>`. Regula documents only that a webhook carries `sessionId`: this body is the
 * sandbox's choice.
 */
export function webhookBodySchema<S extends EndStatus>(status: S) {
  return z.strictObject({
    event: z.literal(`session.${status}`),
    sessionId: z.string(),
    status: z.literal(status),
    workflowIds: z.array(z.string()),
    time: z.iso
      .datetime()
      .describe("When the session ended, on the sandbox clock (expiresAt for session.expired)"),
  });
}
