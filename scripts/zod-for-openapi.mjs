// What @hono/zod-openapi takes from zod when bundled into the CLI: it extends zod's ZodType with `.openapi()` through
// the `z` it imports. Handing it zod's whole namespace as a value would bundle every zod locale (333 KB of the CLI).
import { ZodType } from "zod";

export const z = { ZodType };
