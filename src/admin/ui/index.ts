import type { RouteDeclaration } from "../../core/route.js";
import type { SandboxDeps } from "../../deps.js";
import { dashboardApi } from "./api.js";
import { dashboardPageRoutes } from "./page.js";

export { DASHBOARD_POLICY } from "./page.js";

/** `/__admin/ui/` and what it reads besides the admin API proper: namespaces, verdicts and the live journal. */
export function dashboardRoutes(deps: SandboxDeps): RouteDeclaration[] {
  return [
    ...dashboardPageRoutes({ tokenRequired: deps.config.adminToken !== undefined }),
    ...dashboardApi(deps),
  ];
}
