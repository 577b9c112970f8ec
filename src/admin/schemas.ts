import * as z from "zod";

/** Which namespace an admin call acts on, for clients that cannot set a header. */
export const nsQuery = z.object({
  namespace: z.string().optional().describe("The namespace; or the X-Sandbox-Namespace header"),
});
