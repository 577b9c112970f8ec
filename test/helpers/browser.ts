import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll } from "vitest";
import { createSandbox, type Sandbox } from "../../src/index.js";

/** Debian's Chromium, installed by .ci/setup; never a downloaded browser. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** Headless Chromium (a fresh temporary profile) with the flags this closed network needs. */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** A sandbox on a real socket and a headless Chromium, started before the file's tests and closed after them. */
export function useSandboxAndBrowser(): { sandbox: () => Sandbox; browser: () => Browser } {
  let sandbox: Sandbox | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    sandbox = await createSandbox({ port: 0 });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await sandbox?.close();
  });
  return { sandbox: () => sandbox!, browser: () => browser! };
}
