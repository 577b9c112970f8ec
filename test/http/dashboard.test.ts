import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Script } from "node:vm";
import type { Browser, Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { MAX_STREAMS } from "../../src/admin/ui/api.js";
import { APP_JS } from "../../src/admin/ui/app-js.js";
import { sseComment, sseEvent } from "../../src/admin/ui/journal-stream.js";
import { createSandbox } from "../../src/index.js";
import { useSandboxAndBrowser } from "../helpers/browser.js";
import { startReceiver } from "../helpers/receiver.js";
import { basic, json, testSandbox, type TestSandbox } from "../helpers/sandbox.js";

const POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
const TOKENS = "/sardine/v1/identity-documents/tokens";
const SARDINE = basic("sandbox-client", "sandbox-secret");
const WEBHOOK_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

interface Entry {
  id: number;
  vendor: string | null;
  path: string;
  status: number;
  error?: { name: string; message: string } | null;
}

// ---- The journal stream, without a browser ---------------------------------------------------------------------

/** Reads until the text read so far ends an event (or a comment), then returns it. */
async function readEvents(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<string> {
  const decoder = new TextDecoder();
  let text = "";
  while (!text.endsWith("\n\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`stream ended after ${JSON.stringify(text)}`);
    text += decoder.decode(value, { stream: true });
  }
  return text;
}

const sardineToken = (sandbox: TestSandbox, sessionKey: string, auth = SARDINE) =>
  sandbox.request(TOKENS, json({ sessionKey, customerId: "customer-1" }, { authorization: auth }));

async function journal(sandbox: TestSandbox, query = ""): Promise<Entry[]> {
  const res = await sandbox.request(`/__admin/requests?${query}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { requests: Entry[] }).requests;
}

describe("GET /__admin/requests/stream", () => {
  it("writes an event as its id, its name and one data line per line of data", () => {
    expect(sseEvent({ id: 7, event: "request", data: '{"id":7}' })).toBe(
      'id: 7\nevent: request\ndata: {"id":7}\n\n',
    );
    expect(sseEvent({ data: "one\ntwo\r\nthree" })).toBe("data: one\ndata: two\ndata: three\n\n");
    expect(sseComment("a\nb")).toBe(": a b\n\n");
  });

  it("sends the journal's entries, oldest first, then each new one as it is recorded, as Server-Sent Events", async () => {
    const sandbox = await testSandbox();
    expect((await sardineToken(sandbox, "stream-1")).status).toBe(200);
    expect((await sardineToken(sandbox, "stream-2", basic("sandbox-client", "wrong"))).status).toBe(401);
    const res = await sandbox.request("/__admin/requests/stream");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    expect(res.headers.get("cache-control")).toBe("no-store");
    const reader = res.body!.getReader();
    const backlog = (await journal(sandbox, "vendor=sardine")).reverse();
    expect(backlog.map((e) => e.status)).toEqual([200, 401]);
    // The admin API's own reads (none before the stream) are left out; vendor calls are sent whole.
    expect(await readEvents(reader)).toBe(
      ": idv-sandbox journal\n\nretry: 1000\n\n" +
        backlog.map((e) => `id: ${e.id}\nevent: request\ndata: ${JSON.stringify(e)}\n\n`).join(""),
    );

    expect((await sardineToken(sandbox, "stream-3")).status).toBe(200);
    const [fresh] = await journal(sandbox, "vendor=sardine&limit=1");
    expect(fresh!.id).toBeGreaterThan(backlog[1]!.id);
    // The journal read just made is an admin read: not in the stream.
    expect(await readEvents(reader)).toBe(
      `id: ${fresh!.id}\nevent: request\ndata: ${JSON.stringify(fresh)}\n\n`,
    );
    await reader.cancel();
  });

  it("resumes after Last-Event-ID or since, and sends the admin API's reads only when asked", async () => {
    const sandbox = await testSandbox();
    await sardineToken(sandbox, "a");
    await sardineToken(sandbox, "b");
    const [second, first] = await journal(sandbox, "vendor=sardine");
    const read = async (path: string, init?: RequestInit) => {
      const res = await sandbox.request(path, init);
      expect(res.status).toBe(200);
      const reader = res.body!.getReader();
      const text = await readEvents(reader);
      await reader.cancel();
      return [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
    };
    expect(
      await read("/__admin/requests/stream", { headers: { "Last-Event-ID": String(first!.id) } }),
    ).toEqual([second!.id]);
    expect(await read(`/__admin/requests/stream?since=${String(first!.id)}`)).toEqual([second!.id]);
    // A reconnecting EventSource sends its last id with the URL it first opened: the later cursor wins.
    expect(
      await read(`/__admin/requests/stream?since=${String(first!.id)}`, {
        headers: { "Last-Event-ID": String(second!.id) },
      }),
    ).toEqual([]);
    const all = await journal(sandbox);
    const reads = all.filter((e) => e.vendor === null && e.path.startsWith("/__admin/requests"));
    expect(reads.length).toBeGreaterThan(0);
    // Every entry after the cursor: those listed, then the listing itself (journaled once it had answered).
    const after = all.filter((e) => e.id > first!.id).map((e) => e.id);
    expect(await read(`/__admin/requests/stream?since=${String(first!.id)}&adminReads=true`)).toEqual([
      ...after.reverse(),
      all[0]!.id + 1,
    ]);
    const refused = await sandbox.request("/__admin/requests/stream", { headers: { "Last-Event-ID": "x" } });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toEqual({
      error: "invalid_request",
      message: "Last-Event-ID: the id of a journal entry",
    });
  });

  it(`keeps at most ${String(MAX_STREAMS)} streams open; one that ends frees its place`, async () => {
    const sandbox = await testSandbox();
    const readers = [];
    for (let i = 0; i < MAX_STREAMS; i++) {
      const res = await sandbox.request("/__admin/requests/stream");
      expect(res.status).toBe(200);
      readers.push(res.body!.getReader());
    }
    const over = await sandbox.request("/__admin/requests/stream");
    expect(over.status).toBe(429);
    expect(over.headers.get("retry-after")).toBe("5");
    expect(await over.json()).toEqual({
      error: "rate_limited",
      message: `already ${String(MAX_STREAMS)} journal streams open: close one, or poll GET /__admin/requests?since=`,
    });
    await readers.pop()!.cancel();
    const again = await sandbox.request("/__admin/requests/stream");
    expect(again.status).toBe(200);
    readers.push(again.body!.getReader());
    for (const reader of readers) await reader.cancel();
  });

  it("ends when its server stops accepting connections, so a drain never waits for it", async () => {
    const sandbox = await createSandbox({ port: 0 });
    const res = await fetch(`${sandbox.url}/__admin/requests/stream`);
    expect(res.status).toBe(200);
    expect(res.headers.get("connection")).toBe("close");
    const reader = res.body!.getReader();
    await readEvents(reader);
    expect(await sandbox.close({ graceSeconds: 30 })).toEqual({ cut: 0 });
    expect((await reader.read()).done).toBe(true);
  });
});

describe("the dashboard's shell", () => {
  it("is served with its own policy, its script and stylesheet as files; the script parses", async () => {
    const sandbox = await testSandbox();
    const page = await sandbox.request("/__admin/ui/");
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toBe("text/html; charset=UTF-8");
    expect(page.headers.get("content-security-policy")).toBe(POLICY);
    expect(page.headers.get("x-frame-options")).toBe("DENY");
    expect(page.headers.get("x-content-type-options")).toBe("nosniff");
    expect(page.headers.get("referrer-policy")).toBe("no-referrer");
    const html = await page.text();
    expect(html).toContain('<script src="app.js" defer></script>');
    expect(html).toContain('<link rel="stylesheet" href="app.css" />');
    expect(html).toContain('<body data-auth="open">');
    // One script, from a file: no inline script and no inline style anywhere.
    expect(html.match(/<script/g)).toHaveLength(1);
    expect(html).not.toMatch(/<style|style=|\son[a-z]+=/);

    const script = await sandbox.request("/__admin/ui/app.js");
    expect(script.status).toBe(200);
    expect(script.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(script.headers.get("x-content-type-options")).toBe("nosniff");
    expect(await script.text()).toBe(APP_JS);
    expect(() => new Script(APP_JS, { filename: "app.js" })).not.toThrow();
    expect(APP_JS).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(/);
    const style = await sandbox.request("/__admin/ui/app.css");
    expect(style.status).toBe(200);
    expect(style.headers.get("content-type")).toBe("text/css; charset=utf-8");

    const bare = await sandbox.request("/__admin/ui");
    expect(bare.status).toBe(302);
    expect(bare.headers.get("location")).toBe("ui/");
  });

  it("needs no admin token, and nothing else under /__admin/ui does without one", async () => {
    const sandbox = await testSandbox({ adminToken: "shell-token" });
    for (const path of ["/__admin/ui", "/__admin/ui/", "/__admin/ui/app.js", "/__admin/ui/app.css"])
      expect((await sandbox.request(path)).status, path).toBeLessThan(400);
    expect(await (await sandbox.request("/__admin/ui/")).text()).toContain('<body data-auth="token">');
    for (const path of [
      "/__admin/ui/other",
      "/__admin/namespaces",
      "/__admin/verdicts",
      "/__admin/requests/stream",
      "/__admin/tokens",
    ]) {
      const res = await sandbox.request(path);
      expect(res.status, path).toBe(401);
      expect(await res.json()).toEqual({
        error: "unauthorized",
        message: "the admin API needs Authorization: Bearer <admin token>",
      });
    }
    const bearer = { headers: { authorization: "Bearer shell-token" } };
    expect((await sandbox.request("/__admin/namespaces", bearer)).status).toBe(200);
  });

  it("lists the namespaces and what takes a verdict", async () => {
    const sandbox = await testSandbox();
    await sandbox.request(`/ns/worker-7${TOKENS}`, json({ sessionKey: "n" }, { authorization: SARDINE }));
    const namespaces = await sandbox.request("/__admin/namespaces");
    expect(namespaces.status).toBe(200);
    expect(await namespaces.json()).toEqual({
      namespaces: [
        { id: "default", requests: 0, active: [] },
        { id: "worker-7", requests: 1, active: [] },
      ],
    });
    const verdicts = await sandbox.request("/__admin/verdicts");
    expect(verdicts.status).toBe(200);
    expect(await verdicts.json()).toEqual({
      subjects: [
        {
          vendor: "sardine",
          subject: "verification",
          kind: "sardine.verification",
          verdicts: ["low", "medium", "high"],
        },
        {
          vendor: "sumsub",
          subject: "applicant",
          kind: "sumsub.applicant",
          verdicts: ["approved", "rejected", "retry", "onHold"],
        },
        {
          vendor: "dqe",
          subject: "check",
          kind: "dqe.check",
          verdicts: ["confirmed", "refused", "failed", "no_data", "error"],
        },
        {
          vendor: "regula",
          subject: "session",
          kind: "regula.session",
          verdicts: ["completed", "failed", "cancelled"],
        },
      ],
    });
  });
});

// ---- The dashboard in Chromium ---------------------------------------------------------------------------------

const running = useSandboxAndBrowser();
let shots = "";
beforeAll(async () => {
  shots = await mkdtemp(join(tmpdir(), "idv-dashboard-"));
});

interface Opened {
  page: Page;
  /** Every URL the page asked for. */
  requests: string[];
  /** Console errors and uncaught exceptions. */
  errors: string[];
}

/** Opens the dashboard on namespace `ns` and waits until its journal is live. */
async function openDashboard(
  browser: Browser,
  base: string,
  options: { ns?: string; width?: number; waitLive?: boolean } = {},
): Promise<Opened> {
  const context = await browser.newContext({
    viewport: { width: options.width ?? 1280, height: 900 },
  });
  const page = await context.newPage();
  // Within the test's own time, so a wait that fails says which element it waited for.
  page.setDefaultTimeout(5_000);
  const requests: string[] = [];
  const errors: string[] = [];
  page.on("request", (req) => requests.push(req.url()));
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  page.on("pageerror", (error) => errors.push(error.message));
  const query = options.ns ? `?namespace=${options.ns}` : "";
  const response = await page.goto(`${base}/__admin/ui/${query}`);
  expect(response?.status()).toBe(200);
  if (options.waitLive !== false) await page.locator("#live", { hasText: /^live$/ }).waitFor();
  return { page, requests, errors };
}

const shot = (page: Page, name: string) =>
  page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });

async function adminJson<T>(path: string, ns: string): Promise<T> {
  const res = await fetch(
    `${running.sandbox().url}/__admin/${path}${path.includes("?") ? "&" : "?"}namespace=${ns}`,
  );
  expect(res.status).toBe(200);
  return (await res.json()) as T;
}

const issueInNamespace = (ns: string, sessionKey: string, auth = SARDINE) =>
  fetch(`${running.sandbox().url}/ns/${ns}${TOKENS}`, {
    method: "POST",
    headers: { authorization: auth, "content-type": "application/json" },
    body: JSON.stringify({ sessionKey, customerId: "customer-9" }),
  });

describe("the dashboard in Chromium", () => {
  // Two pages and seven screenshots: up to 11.5 s measured on two loaded cores, too near the suite's 15 s (last line).
  it("loads with no console error and no request outside the sandbox, one column at phone width", async () => {
    const base = running.sandbox().url;
    const { page, requests, errors } = await openDashboard(running.browser(), base);
    await page.locator("#tokens tbody tr").first().waitFor();
    expect(await page.locator("#auth").isHidden()).toBe(true);
    expect(await page.locator("#main").isVisible()).toBe(true);
    expect(await page.locator("#namespace").inputValue()).toBe("default");
    await shot(page, "overview");
    expect(errors).toEqual([]);
    expect(requests.length).toBeGreaterThan(3);
    expect(requests.filter((url) => !url.startsWith(`${base}/`))).toEqual([]);
    const columns = (p: Page) =>
      p
        .locator("main .grid")
        .evaluate((grid) => getComputedStyle(grid).gridTemplateColumns.split(" ").length);
    expect(await columns(page)).toBe(2);

    // Another namespace: the page's URL keeps it, the views show its own (empty) state.
    await page.locator("#namespace-other").fill("dash-other");
    await page.getByRole("button", { name: "Open", exact: true }).click();
    await page.waitForURL(/\?namespace=dash-other$/);
    // Not live from the moment another namespace is opened until its views are loaded and its journal streams.
    await page.locator("#live", { hasText: /^live$/ }).waitFor();
    expect(await page.locator("#namespace").inputValue()).toBe("dash-other");
    expect(await page.locator("#scenarios-scope").textContent()).toContain("namespace dash-other only");
    expect(await page.locator("#journal tbody tr.none").textContent()).toBe("No request yet.");
    expect(errors).toEqual([]);
    await page.context().close();

    expect((await issueInNamespace("dash-phone", "phone-session")).status).toBe(200);
    const phone = await openDashboard(running.browser(), base, { width: 390, ns: "dash-phone" });
    await phone.page.locator('#sessions tbody tr[data-kind="sardine.verification"]').waitFor();
    expect(await columns(phone.page)).toBe(1);
    const width = await phone.page.evaluate(() => document.documentElement.scrollWidth);
    expect(width).toBeLessThanOrEqual(390);
    // Each table is a list of labelled cells: the column's name beside its value.
    expect(
      await phone.page
        .locator('#tokens tbody td[data-label="kind"]')
        .evaluate((td) => getComputedStyle(td, "::before").content),
    ).toBe('"kind"');
    await phone.page.screenshot({ path: join(shots, "phone.png") });
    for (const view of ["journal", "tokens", "sessions", "deliveries", "scenarios"])
      await phone.page
        .locator(`section:has(#${view})`)
        .screenshot({ path: join(shots, `phone-${view}.png`) });
    expect(phone.errors).toEqual([]);
    await phone.page.context().close();
  }, 30_000);

  it("shows a Sardine token made by another client in the live journal and the tokens table, without a reload", async () => {
    const ns = "dash-live";
    const { page, errors } = await openDashboard(running.browser(), running.sandbox().url, { ns });
    await page.evaluate(() => {
      (window as unknown as { notReloaded: boolean }).notReloaded = true;
    });
    expect(await page.locator("#tokens tbody tr.none").textContent()).toBe("No token held.");

    expect((await issueInNamespace(ns, "dash-session-1")).status).toBe(200);
    const call = page.locator("#journal tbody tr", { hasText: `POST ${TOKENS}` });
    await call.waitFor();
    expect(await call.locator('td[data-label="status"]').textContent()).toBe("200");
    expect(await call.locator('td[data-label="route"]').textContent()).toBe(
      "sardine POST /v1/identity-documents/tokens",
    );
    const token = page.locator('#tokens tbody tr[data-kind="sardine.token"]');
    await token.waitFor();
    const [listed] = (
      await adminJson<{ tokens: { id: string; context?: Record<string, unknown> }[] }>("tokens", ns)
    ).tokens;
    expect(await token.locator('td[data-label="id"]').textContent()).toBe(listed!.id);
    if (listed!.context !== undefined)
      expect(await token.locator('dd[data-key="sessionKey"]').textContent()).toBe("dash-session-1");
    const verification = page.locator('#sessions tbody tr[data-kind="sardine.verification"]');
    await verification.waitFor();
    expect(await verification.locator('dd[data-key="sessionKey"]').textContent()).toBe("dash-session-1");

    // A refused call shows with its status, and why when the journal says.
    expect((await issueInNamespace(ns, "dash-session-2", basic("sandbox-client", "wrong"))).status).toBe(401);
    const refused = page.locator("#journal tbody tr.failed", { hasText: `POST ${TOKENS}` });
    await refused.waitFor();
    expect(await refused.locator('td[data-label="status"]').textContent()).toBe("401");
    const [entry] = (await adminJson<{ requests: Entry[] }>("requests?vendor=sardine&status=401", ns))
      .requests;
    const reason = entry!.error ? `${entry!.error.name}: ${entry!.error.message}` : "";
    expect(await refused.locator('td[data-label="error"]').textContent()).toBe(reason);

    expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(
      true,
    );
    await shot(page, "journal-and-tokens");
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("toggling a scenario changes the next answer", async () => {
    const ns = "dash-scenarios";
    const { page, errors } = await openDashboard(running.browser(), running.sandbox().url, { ns });
    const box = page.locator('#scenarios tr[data-name="sardine-unauthorized"] input[type="checkbox"]');
    await box.waitFor();
    expect(await box.isChecked()).toBe(false);

    const put = page.waitForResponse((r) => r.url().includes("/__admin/scenarios/active"));
    await box.check();
    expect((await put).status()).toBe(200);
    expect((await adminJson<{ active: { namespace: string[] } }>("scenarios", ns)).active.namespace).toEqual([
      "sardine-unauthorized",
    ]);
    expect((await issueInNamespace(ns, "s")).status).toBe(401);
    await page.locator("#message", { hasText: "Scenario sardine-unauthorized on." }).waitFor();
    await shot(page, "scenarios");

    const off = page.waitForResponse((r) => r.url().includes("/__admin/scenarios/active"));
    await page.locator('#scenarios tr[data-name="sardine-unauthorized"] input[type="checkbox"]').uncheck();
    expect((await off).status()).toBe(200);
    expect((await issueInNamespace(ns, "s")).status).toBe(200);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("defines a scenario at run time and queues a one-shot from the page", async () => {
    const ns = "dash-runtime";
    const { page, errors } = await openDashboard(running.browser(), running.sandbox().url, { ns });
    await page.locator("#runtime summary").click();
    await page.locator("#define-name").fill("dash-no-session-key");
    await page.locator("#define-body").fill(
      JSON.stringify({
        description: "Sardine wants a session key",
        rules: [
          {
            vendor: "sardine",
            route: "POST /v1/identity-documents/tokens",
            error: "invalid_request",
            message: "sessionKey is required",
          },
        ],
      }),
    );
    await page.getByRole("button", { name: "Save scenario" }).click();
    const defined = page.locator('#scenarios tr[data-name="dash-no-session-key"]');
    await defined.waitFor();
    expect(await defined.locator('td[data-label="description"]').textContent()).toBe(
      "Sardine wants a session key",
    );
    const on = page.waitForResponse((r) => r.url().includes("/__admin/scenarios/active"));
    await defined.locator('input[type="checkbox"]').check();
    expect((await on).status()).toBe(200);
    const refused = await issueInNamespace(ns, "s");
    expect(refused.status).toBe(400);
    await shot(page, "runtime-scenario");

    await defined.getByRole("button", { name: "Delete" }).click();
    await page.locator("#message", { hasText: "Scenario dash-no-session-key deleted." }).waitFor();
    expect(await page.locator('#scenarios tr[data-name="dash-no-session-key"]').count()).toBe(0);
    expect((await issueInNamespace(ns, "s")).status).toBe(200);

    await page.locator("#enqueue-vendor").fill("sardine");
    await page.locator("#enqueue-route").fill("POST /v1/identity-documents/tokens");
    await page.locator("#enqueue-outcome").fill('{"error": "unauthorized"}');
    await page.getByRole("button", { name: "Queue once" }).click();
    await page
      .locator("#message", { hasText: "Queued once: sardine POST /v1/identity-documents/tokens." })
      .waitFor();
    expect(await page.locator("#scenarios-scope").textContent()).toContain("Queued one-shots: 1.");
    expect((await issueInNamespace(ns, "s")).status).toBe(401);
    expect((await issueInNamespace(ns, "s")).status).toBe(200);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("advancing the clock shows the new time; it freezes and goes back to real time", async () => {
    const ns = "dash-clock";
    const { page, errors } = await openDashboard(running.browser(), running.sandbox().url, { ns });
    const shown = async () => Date.parse((await page.locator("#clock-now").getAttribute("datetime"))!);
    await page.getByRole("button", { name: "Freeze" }).click();
    await page.locator("#clock-state", { hasText: "frozen" }).waitFor();
    const frozen = (await adminJson<{ now: string; frozen: boolean }>("clock", ns)).now;
    expect(await shown()).toBe(Date.parse(frozen));

    await page.getByRole("button", { name: "+1 h" }).click();
    const later = new Date(Date.parse(frozen) + 3_600_000).toISOString();
    await page.locator(`#clock-now[datetime="${later}"]`).waitFor();
    expect(await page.locator("#clock-now").textContent()).toBe(
      later.replace("T", " ").replace(/\.\d+Z$/, "Z"),
    );
    expect(await adminJson<{ now: string; frozen: boolean }>("clock", ns)).toEqual({
      now: later,
      frozen: true,
      namespace: ns,
    });
    await shot(page, "clock");

    await page.getByRole("button", { name: "Back to real time" }).click();
    await page.locator("#clock-state", { hasText: "running" }).waitFor();
    const real = await adminJson<{ now: string; frozen: boolean }>("clock", ns);
    expect(real.frozen).toBe(false);
    expect(Math.abs(Date.parse(real.now) - running.sandbox().clock.now())).toBeLessThan(5_000);
    expect(Math.abs((await shown()) - Date.parse(real.now))).toBeLessThan(5_000);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("a verdict button changes the record's status, and Redeliver sends its webhook again", async () => {
    const ns = "dash-verdicts";
    const receiver = await startReceiver();
    try {
      const subscribed = await fetch(`${running.sandbox().url}/__admin/webhooks?namespace=${ns}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ vendor: "sardine", url: receiver.url, secret: WEBHOOK_SECRET }),
      });
      expect(subscribed.status).toBe(201);
      const { page, errors } = await openDashboard(running.browser(), running.sandbox().url, { ns });
      expect((await issueInNamespace(ns, "verdict-session")).status).toBe(200);
      const [record] = (await adminJson<{ sessions: { id: string; status: string }[] }>("sessions", ns))
        .sessions;
      expect(record!.status).toBe("pending");
      const row = page.locator(`#sessions tbody tr[data-id="${record!.id}"]`);
      await row.locator('td[data-label="status"]', { hasText: "pending" }).waitFor();

      await row.locator('button[data-verdict="high"]').click();
      await page
        .locator(`#sessions tbody tr[data-id="${record!.id}"] td[data-label="status"]`, {
          hasText: "complete",
        })
        .waitFor();
      const { sessions } = await adminJson<{ sessions: { id: string; status: string }[] }>("sessions", ns);
      const [after] = sessions;
      expect(after).toMatchObject({ id: record!.id, status: "complete", context: { verdict: "high" } });

      const first = await receiver.next();
      const delivery = page.locator("#deliveries tbody tr", { hasText: "delivered" });
      await delivery.waitFor();
      expect(await delivery.locator('td[data-label="attempts"]').textContent()).toBe("1");
      await shot(page, "verdicts-and-webhooks");

      const redelivered = page.waitForResponse((r) => new URL(r.url()).pathname.endsWith("/redeliver"));
      await delivery.getByRole("button", { name: "Redeliver" }).click();
      expect((await redelivered).status()).toBe(200);
      const second = await receiver.next();
      expect(second.body).toBe(first.body);
      await page.locator('#deliveries tbody tr td[data-label="attempts"]', { hasText: "2" }).waitFor();
      expect(errors).toEqual([]);
      await page.context().close();
    } finally {
      await receiver.close();
    }
  });

  it("with an admin token, shows only the token form until the token is given, then the data", async () => {
    const sandbox = await createSandbox({ port: 0, adminToken: "dash-admin-token" });
    try {
      const { page, requests, errors } = await openDashboard(running.browser(), sandbox.url, {
        waitLive: false,
      });
      const authorizations: (string | undefined)[] = [];
      page.on("request", (req) => {
        if (!/\/__admin\/ui\/(app\.(js|css))?$/.test(new URL(req.url()).pathname))
          authorizations.push(req.headers().authorization);
      });
      await page.locator("#auth").waitFor();
      expect(await page.locator("#main").isHidden()).toBe(true);
      expect(await page.locator("#token").evaluate((input) => input === document.activeElement)).toBe(true);
      // The shell, its script and stylesheet: no call for data before the token.
      expect(requests.map((url) => new URL(url).pathname).sort()).toEqual([
        "/__admin/ui/",
        "/__admin/ui/app.css",
        "/__admin/ui/app.js",
      ]);
      await shot(page, "token-form");
      expect(errors).toEqual([]);

      await page.locator("#token").fill("dash-admin-token");
      await page.getByRole("button", { name: "Open the dashboard" }).click();
      await page.locator("#live", { hasText: /^live$/ }).waitFor();
      expect(await page.locator("#auth").isHidden()).toBe(true);
      const res = await fetch(`${sandbox.url}${TOKENS}`, {
        method: "POST",
        headers: { authorization: SARDINE, "content-type": "application/json" },
        body: JSON.stringify({ sessionKey: "behind-the-token" }),
      });
      expect(res.status).toBe(200);
      await page.locator('#tokens tbody tr[data-kind="sardine.token"]').waitFor();
      await page.locator("#journal tbody tr", { hasText: `POST ${TOKENS}` }).waitFor();
      expect(authorizations.length).toBeGreaterThan(3);
      expect(new Set(authorizations)).toEqual(new Set(["Bearer dash-admin-token"]));
      expect(requests.filter((url) => url.includes("dash-admin-token"))).toEqual([]);
      expect(await page.evaluate(() => document.cookie)).toBe("");
      expect(await page.evaluate(() => sessionStorage.getItem("idv-sandbox admin token"))).toBe(
        "dash-admin-token",
      );
      expect(errors).toEqual([]);
      await shot(page, "after-token");

      // A reload in the same tab asks for nothing: the token is kept for the tab.
      await page.reload();
      await page.locator("#live", { hasText: /^live$/ }).waitFor();
      expect(await page.locator("#auth").isHidden()).toBe(true);
      await page.getByRole("button", { name: "Forget the token" }).click();
      await page.locator("#auth").waitFor();
      expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
      await page.context().close();

      // A wrong token is refused, and the form says so.
      const wrong = await openDashboard(running.browser(), sandbox.url, { waitLive: false });
      await wrong.page.locator("#token").fill("not-the-token");
      await wrong.page.getByRole("button", { name: "Open the dashboard" }).click();
      await wrong.page.locator("#auth-error", { hasText: "The sandbox refused that token." }).waitFor();
      expect(await wrong.page.locator("#main").isHidden()).toBe(true);
      await wrong.page.context().close();
    } finally {
      await sandbox.close();
    }
  });
});
