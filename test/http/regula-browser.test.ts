import { describe, expect, it } from "vitest";
import { useSandboxAndBrowser } from "../helpers/browser.js";
import { startReceiver } from "../helpers/receiver.js";
import { verifyRegulaSignature } from "../helpers/webhook-signatures.js";

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

  it("clicking Complete sends the signed session.completed webhook to a subscribed receiver", async () => {
    const receiver = await startReceiver();
    const admin = `${running.sandbox().url}/__admin/webhooks`;
    const subscribed = await fetch(admin, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        vendor: "regula",
        url: receiver.url,
        secret: "browser-secret",
        headers: { Authorization: "Bearer from-the-browser-test" },
      }),
    });
    expect(subscribed.status).toBe(201);
    const { id: subscription } = (await subscribed.json()) as { id: string };
    try {
      const { url, sessionId } = await deeplink();
      const page = await running.browser().newPage();
      await page.goto(url);
      await page.getByRole("button", { name: "Complete" }).click();
      await page.waitForURL(/\/regula\/mobile\?/);
      expect(await page.locator("#status").textContent()).toBe("completed");
      await page.close();

      const got = await receiver.next();
      expect(JSON.parse(got.body)).toEqual({
        event: "session.completed",
        sessionId,
        status: "completed",
        workflowIds: ["wf-document", "wf-selfie"],
        time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      });
      expect(got.headers.authorization).toBe("Bearer from-the-browser-test");
      expect(verifyRegulaSignature(got.body, got.headers, "browser-secret")).toBe(true);
    } finally {
      expect((await fetch(`${admin}/${subscription}`, { method: "DELETE" })).status).toBe(200);
      await receiver.close();
    }
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
