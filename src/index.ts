/**
 * idv-sandbox: a local, test-only stand-in for the APIs of Sardine, Sumsub ID Connect, DQE IDMobile and Regula IDV.
 */
export { createApp } from "./app.js";
export { createDeps } from "./deps.js";
export type { DepsOverrides, SandboxDeps, Vendor } from "./deps.js";
export { providers } from "./vendors.js";
export { createSandbox, startSandbox } from "./sandbox.js";
export type { CertificateInfo, Sandbox, SandboxOptions } from "./sandbox.js";
export { ConfigError, configSchema, parseConfig } from "./config.js";
export type { SandboxConfig, SandboxConfigInput } from "./config.js";
export { createClock } from "./core/clock.js";
export type { Clock, ClockOptions } from "./core/clock.js";
export { SandboxError } from "./core/errors.js";
export type { Namespace } from "./core/context.js";
export type { Store, StoreEntry } from "./core/store.js";
