import { describe, expect, it } from "vitest";
import { useSandboxAndBrowser } from "../helpers/browser.js";

const running = useSandboxAndBrowser();
const LICENCE = "SANDBOX-LICENCE";

async function accessToken(): Promise<string> {
  const res = await fetch(`${running.sandbox().url}/dqe/ACCESS_TOKEN/`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      licence: LICENCE,
      client_secret: "sandbox-secret",
      grant_type: "client_idmobile",
    }),
  });
  return ((await res.json()) as { access_token: string }).access_token;
}

/** Step 1 of numVerify; the redirect goes back to a page of the sandbox itself, so the browser lands somewhere real. */
async function numVerify(token: string, redirectUri?: string): Promise<string> {
  const query = new URLSearchParams({
    licence: LICENCE,
    number: "0612345678",
    token,
    mode: "2",
    name: "Acme",
    scope: "numVerify",
    ...(redirectUri ? { redirect_uri: redirectUri } : {}),
  });
  const res = await fetch(`${running.sandbox().url}/dqe/IDMOBILE/?${query}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { url: string }).url;
}

async function retrieve(token: string): Promise<unknown> {
  const query = new URLSearchParams({ token, Licence: LICENCE, scope: "client_idmobile" });
  return (await fetch(`${running.sandbox().url}/dqe/GET/?${query}`)).json();
}

describe("DQE confirmation page in headless Chromium", () => {
  it("opens the url, and clicking Confirm lands on redirect_uri with status=success; /GET/ turns from pending to success", async () => {
    const token = await accessToken();
    const back = `${running.sandbox().url}/__admin/health?from=dqe`;
    const url = await numVerify(token, back);
    expect(await retrieve(token)).toEqual({ status: "pending", scope: "numVerify" });

    const page = await running.browser().newPage();
    const requests: string[] = [];
    page.on("request", (req) => requests.push(req.url()));
    const response = await page.goto(url);
    expect(response?.status()).toBe(200);
    expect(await page.locator("#status").textContent()).toBe("pending");
    expect(await page.locator("#number").textContent()).toBe("0612345678");

    await page.getByRole("button", { name: "Confirm" }).click();
    await page.waitForURL((u) => u.pathname === "/__admin/health");
    const landed = new URL(page.url());
    expect([...landed.searchParams]).toEqual([
      ["from", "dqe"],
      ["token", token],
      ["status", "success"],
    ]);
    expect(await retrieve(token)).toEqual({ status: "success", scope: "numVerify", numVerify: true });
    expect(requests.every((r) => r.startsWith(running.sandbox().url))).toBe(true);
    await page.close();
  });

  it("clicking Refuse lands with status=error, and /GET/ answers error 21", async () => {
    const token = await accessToken();
    const url = await numVerify(token, `${running.sandbox().url}/__admin/health`);
    const page = await running.browser().newPage();
    await page.goto(url);
    await page.getByRole("button", { name: "Refuse" }).click();
    await page.waitForURL((u) => u.pathname === "/__admin/health");
    expect(new URL(page.url()).searchParams.get("status")).toBe("error");
    expect(await retrieve(token)).toEqual({ status: "error", error_id: "21", error_type: "access denied" });
    await page.close();
  });

  it("without redirect_uri, confirming comes back to the page, which shows the answer and no buttons", async () => {
    const token = await accessToken();
    const url = await numVerify(token);
    const page = await running.browser().newPage();
    await page.goto(url);
    await page.getByRole("button", { name: "Confirm" }).click();
    await page.locator("#status", { hasText: "confirmed" }).waitFor();
    expect(await page.getByRole("button").count()).toBe(0);
    expect(await retrieve(token)).toEqual({ status: "success", scope: "numVerify", numVerify: true });
    await page.close();
  });
});
