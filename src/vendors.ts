import type { Provider } from "./core/provider.js";
import { dqe } from "./providers/dqe/index.js";
import { regula } from "./providers/regula/index.js";
import { sardine } from "./providers/sardine/index.js";
import { sumsub } from "./providers/sumsub/index.js";

/** Every vendor the sandbox serves, each under `/<name>`: the only place that names them. */
export const providers: readonly Provider[] = [sardine, sumsub, dqe, regula];
