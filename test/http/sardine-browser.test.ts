import { afterEach, describe, expect, it } from "vitest";
import { useSandboxAndBrowser } from "../helpers/browser.js";
import { startReceiver, type Receiver } from "../helpers/receiver.js";
import { verifyStandardWebhook, verifyStandardWebhookWithLibrary } from "../helpers/webhook-signatures.js";

const running = useSandboxAndBrowser();
const AUTH = `Basic ${Buffer.from("sandbox-client:sandbox-secret").toString("base64")}`;
const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

const receivers: Receiver[] = [];
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

/** A real HTTP server standing in for the client's own page (the link's redirectURL) or its webhook endpoint. */
async function receiver(): Promise<Receiver> {
  const r = await startReceiver({ answer: () => ({ status: 200, body: "back at the client" }) });
  receivers.push(r);
  return r;
}

async function webLink(redirectURL: string): Promise<{ id: string; url: string }> {
  const res = await fetch(`${running.sandbox().url}/sardine/v1/identity-documents/urls`, {
    method: "POST",
    headers: { authorization: AUTH, "content-type": "application/json" },
    body: JSON.stringify({ sessionKey: "browser-session", customerId: "browser-customer", redirectURL }),
  });
  expect(res.status).toBe(200);
  const { id, link } = (await res.json()) as { id: string; link: { url: string } };
  return { id, url: link.url };
}

async function verification(id: string): Promise<{ status: string; verification: { riskLevel: string } }> {
  const res = await fetch(`${running.sandbox().url}/sardine/v1/identity-documents/verifications/${id}`, {
    headers: { authorization: AUTH },
  });
  expect(res.status).toBe(200);
  return (await res.json()) as { status: string; verification: { riskLevel: string } };
}

describe("Sardine web link page in headless Chromium", () => {
  it("opens the link, and clicking a verdict lands on redirectURL with the verification done", async () => {
    const client = await receiver();
    const hooks = await receiver();
    const subscribed = await fetch(`${running.sandbox().url}/__admin/webhooks`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ vendor: "sardine", url: hooks.url, secret: SECRET }),
    });
    expect(subscribed.status).toBe(201);
    const redirectURL = `${client.url}?from=sardine`;
    const { id, url } = await webLink(redirectURL);

    const page = await running.browser().newPage();
    const requests: string[] = [];
    page.on("request", (req) => {
      // A browser's own favicon probe is not the page's doing.
      if (!req.url().endsWith("/favicon.ico")) requests.push(`${req.method()} ${req.url()}`);
    });
    const response = await page.goto(url);
    expect(response?.status()).toBe(200);
    expect(await page.locator("#status").textContent()).toBe("pending");
    expect(await page.locator("#verification-id").textContent()).toBe(id);
    expect(await page.getByRole("button").allTextContents()).toEqual([
      "Low risk",
      "Medium risk",
      "High risk",
    ]);

    await page.getByRole("button", { name: "High risk" }).click();
    await page.waitForURL(redirectURL);
    expect(await page.locator("body").textContent()).toBe("back at the client");
    const [landed] = await client.waitFor(1);
    expect(landed).toMatchObject({ method: "GET", path: "/hook?from=sardine" });

    expect(await verification(id)).toMatchObject({ status: "complete", verification: { riskLevel: "high" } });
    // Nothing but the page, its form post and the client's page: no asset from anywhere.
    expect(requests).toEqual([
      `GET ${url}`,
      `POST ${running.sandbox().url}/sardine/verify`,
      `GET ${redirectURL}`,
    ]);

    const [hook] = await hooks.waitFor(1);
    const body = JSON.parse(hook!.body);
    expect(body.type).toBe("document_verification.processed");
    expect(body.data.documentVerificationResult.verificationId).toBe(id);
    expect(verifyStandardWebhook(hook!.body, hook!.headers, SECRET)).toBe(true);
    expect(verifyStandardWebhookWithLibrary(hook!.body, hook!.headers, SECRET)).toBe(true);
    await page.close();
  });

  it("shows the error page with 410 once the link has expired on the sandbox clock", async () => {
    const client = await receiver();
    const { id, url } = await webLink(client.url);
    running.sandbox().clock.advance(3600);
    const page = await running.browser().newPage();
    const response = await page.goto(url);
    expect(response?.status()).toBe(410);
    expect(await page.locator(".error").textContent()).toBe("This link has expired.");
    expect(await page.getByRole("button").count()).toBe(0);
    expect((await verification(id)).status).toBe("expired");
    expect(client.received).toEqual([]);
    await page.close();
  });
});
