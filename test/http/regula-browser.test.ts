import { describe, expect, it } from "vitest";
import { useSandboxAndBrowser } from "../helpers/browser.js";

const running = useSandboxAndBrowser();

async function deeplink(): Promise<{ url: string; sessionId: string }> {
  const res = await fetch(
    `${running.sandbox().url}/regula/api/v1/deeplink?workflowId=wf-document&workflowId=wf-selfie`,
    {
      method: "POST",
      headers: { authorization: "ApiKey sandbox-api-key", "content-type": "application/json" },
      body: JSON.stringify({ metadata: { foo: "bar" }, locale: "ru-ru", ttl: 3600 }),
    },
  );
  const { url } = (await res.json()) as { url: string };
  return { url, sessionId: new URL(url).searchParams.get("sessionId")! };
}

async function sessionStatus(id: string): Promise<string> {
  const res = await fetch(`${running.sandbox().url}/regula/api/sessions/${id}`, {
    headers: { authorization: "ApiKey sandbox-api-key" },
  });
  return ((await res.json()) as { status: string }).status;
}

describe("Regula hand-off page in headless Chromium", () => {
  it("opens the deeplink URL, and clicking Complete finishes the session", async () => {
    const { url, sessionId } = await deeplink();
    const page = await running.browser().newPage();
    const requests: string[] = [];
    page.on("request", (req) => requests.push(req.url()));
    const response = await page.goto(url);
    expect(response?.status()).toBe(200);
    expect(await page.locator("#status").textContent()).toBe("created");
    expect(await page.locator("#session-id").textContent()).toBe(sessionId);
    expect(await page.getByText("wf-document, wf-selfie").count()).toBe(1);

    await page.getByRole("button", { name: "Complete" }).click();
    await page.waitForURL(/\/regula\/mobile\?/);
    expect(await page.locator("#status").textContent()).toBe("completed");
    expect(await page.getByRole("button", { name: "Complete" }).count()).toBe(0);
    expect(await sessionStatus(sessionId)).toBe("completed");
    expect(requests.every((r) => r.startsWith(running.sandbox().url))).toBe(true);
    await page.close();
  });

  it("shows the error page with 401 once the session has expired on the sandbox clock", async () => {
    const { url } = await deeplink();
    running.sandbox().clock.advance(3600);
    const page = await running.browser().newPage();
    const response = await page.goto(url);
    expect(response?.status()).toBe(401);
    expect(await page.locator(".error").textContent()).toBe("This link is invalid or has expired.");
    await page.close();
  });
});
