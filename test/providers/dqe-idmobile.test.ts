import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { DEFAULT_IDMOBILE, fixtureSchema } from "../../src/providers/dqe/schemas.js";
import { BASE, form, json, testSandbox, type TestSandbox } from "../helpers/sandbox.js";

const LICENCE = "SANDBOX-LICENCE";
const NUMBER = "0612345678";
const FIXTURES = join(import.meta.dirname, "..", "..", "fixtures");
/** The magic numbers of fixtures/dqe.json. */
const MAGIC = {
  confirms: "0639980001",
  refuses: "0639980002",
  neverAnswers: "0639980003",
  otpFails: "0639980004",
  noData: "0639980005",
  serverError: "0639980006",
  swapped2h: "0639980010",
  swapped48h: "0639980011",
  swapped30d: "0639980012",
  dupont: "0639980020",
};

let sandbox: TestSandbox;
beforeEach(async () => {
  sandbox = await testSandbox();
});

type Fields = Record<string, string>;
type Method = "GET" | "POST";

/** The fields the vendor page writes, as a GET query or the same fields form-encoded. */
function send(method: Method, path: string, fields: Fields, headers: Record<string, string> = {}) {
  const query = new URLSearchParams(fields).toString();
  if (method === "GET") return sandbox.request(`${path}?${query}`, { headers });
  return sandbox.request(path, form(fields, headers));
}

async function accessToken(headers: Record<string, string> = {}): Promise<string> {
  const res = await sandbox.request(
    "/dqe/ACCESS_TOKEN/",
    form({ licence: LICENCE, client_secret: "sandbox-secret", grant_type: "client_idmobile" }, headers),
  );
  expect(res.status).toBe(200);
  return ((await res.json()) as { access_token: string }).access_token;
}

const step1 = (fields: Fields, method: Method = "GET", headers: Record<string, string> = {}) =>
  send(method, "/dqe/IDMOBILE/", fields, headers);

/** A step 1 request with every mandatory field; `more` adds or replaces fields. */
const ask = (token: string, more: Fields = {}): Fields => ({
  licence: LICENCE,
  number: NUMBER,
  token,
  mode: "2",
  name: "Acme",
  scope: "numVerify",
  ...more,
});

/** `fields` without `name`. */
const without = (fields: Fields, name: string): Fields =>
  Object.fromEntries(Object.entries(fields).filter(([key]) => key !== name));

const step2 = (token: string, method: Method = "GET", more: Fields = {}, headers = {}) =>
  send(method, "/dqe/GET/", { token, Licence: LICENCE, scope: "client_idmobile", ...more }, headers);

const error = (id: string, type: string) => `{"status":"error","error_id":"${id}","error_type":"${type}"}`;
const INVALID_REQUEST = error("01", "invalid request");
const INVALID_TOKEN = error("30", "invalid or expired token");

async function expectBody(res: Response, status: number, body: string) {
  expect({ status: res.status, body: await res.text() }).toEqual({ status, body });
}

/** Step 1 of a consent scope: its page URL and the link's token. */
async function startCheck(token: string, more: Fields = {}) {
  const res = await step1(ask(token, more));
  expect(res.status).toBe(200);
  const { url } = (await res.json()) as { url: string };
  return { url, link: new URL(url).searchParams.get("token")! };
}

const answer = (link: string, value: "confirm" | "refuse", headers: Record<string, string> = {}) =>
  sandbox.request("/dqe/consent", form({ token: link, answer: value }, headers));

/** The ids of the namespace's checks, oldest first, as the admin API lists them. */
async function checkIds(headers: Record<string, string> = {}): Promise<string[]> {
  const res = await sandbox.request("/__admin/sessions", { headers });
  const { sessions } = (await res.json()) as { sessions: { kind: string; id: string }[] };
  return sessions.filter((s) => s.kind === "dqe.check").map((s) => s.id);
}

const userInfos = (over: Record<string, unknown> = {}) =>
  JSON.stringify({
    street_address: "Rue de la Paix",
    postal_code: "75002",
    locality: "Paris",
    country: "France",
    birthdate: "1985-04-12",
    email: "camille.martin@example.com",
    lastname: "Martin",
    maiden_name: "",
    gender: "F",
    firstname: "Camille",
    phone: NUMBER,
    number: "12",
    ...over,
  });
const ALL_100 = {
  street_address: 100,
  postal_code: 100,
  locality: 100,
  country: 100,
  birthdate: 100,
  email: 100,
  lastname: 100,
  maiden_name: 100,
  gender: 100,
  firstname: 100,
  phone: 100,
  number: 100,
};

describe.each(["GET", "POST"] as const)("DQE %s /IDMOBILE/ simswap", (method) => {
  it("answers the documented body, byte for byte, for an ordinary number", async () => {
    const token = await accessToken();
    await expectBody(
      await step1(ask(token, { scope: "simswap", period: "24" }), method),
      200,
      '{"status":"success","operator":"Orange","swapped":"false"}',
    );
  });

  it.each([
    [MAGIC.swapped2h, "1", "false"],
    [MAGIC.swapped2h, "2", "true"],
    [MAGIC.swapped2h, "24", "true"],
    [MAGIC.swapped48h, "24", "false"],
    [MAGIC.swapped48h, "48", "true"],
    [MAGIC.swapped30d, "719", "false"],
    [MAGIC.swapped30d, "720", "true"],
  ])(
    "%s with period %s h → swapped %s (the period bounds the look-back)",
    async (number, period, swapped) => {
      const token = await accessToken();
      const res = await step1(ask(token, { number, scope: "simswap", period }), method);
      expect(res.status).toBe(200);
      expect(((await res.json()) as { swapped: string }).swapped).toBe(swapped);
    },
  );

  it("takes the magic number's operator, in any accepted number format", async () => {
    const token = await accessToken();
    for (const number of ["0639980011", "33639980011", "+33639980011", "0033639980011", "06 39 98 00 11"]) {
      const res = await step1(ask(token, { number, scope: "simswap", period: "72" }), method);
      expect(await res.json()).toEqual({ status: "success", operator: "SFR", swapped: "true" });
    }
  });

  it.each([
    ["no period", {}],
    ["an empty period", { period: "" }],
    ["period 0", { period: "0" }],
    ["a period that is not hours", { period: "24h" }],
  ])("%s → 01", async (_, more) => {
    const token = await accessToken();
    await expectBody(await step1(ask(token, { scope: "simswap", ...more }), method), 400, INVALID_REQUEST);
  });
});

describe.each(["GET", "POST"] as const)("DQE %s /IDMOBILE/ matching_notp", (method) => {
  it("scores each user_infos key: 100 for the operator's own data, whatever the case and accents", async () => {
    const token = await accessToken();
    const res = await step1(
      ask(token, {
        scope: "matching_notp",
        user_infos: userInfos({ firstname: "CAMILLE", locality: "paris ", phone: "+33 6 12 34 56 78" }),
      }),
      method,
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "success", operator: "Orange", matching: ALL_100 });
  });

  it("scores a near miss by edit distance, and 0 where one side is empty", async () => {
    const token = await accessToken();
    const res = await step1(
      ask(token, {
        scope: "matching_notp",
        user_infos: userInfos({ firstname: "Camile", lastname: "Martins", email: "", maiden_name: "Durand" }),
      }),
      method,
    );
    const { matching } = (await res.json()) as { matching: Record<string, number> };
    expect(matching).toEqual({
      ...ALL_100,
      firstname: 86,
      lastname: 86,
      email: 0,
      maiden_name: 0,
    });
  });

  it("scores against the identity of a magic number's own subscriber", async () => {
    const token = await accessToken();
    const dupont = userInfos({
      street_address: "Place Bellecour",
      postal_code: "69002",
      locality: "Lyon",
      birthdate: "1970-01-31",
      email: "jean.dupont@example.org",
      lastname: "Dupont",
      gender: "M",
      firstname: "Jean",
      phone: MAGIC.dupont,
      number: "3",
    });
    const res = await step1(ask(token, { number: MAGIC.dupont, scope: "matching_notp", user_infos: dupont }));
    expect(await res.json()).toEqual({ status: "success", operator: "Free Mobile", matching: ALL_100 });
    const camille = await step1(
      ask(token, { number: MAGIC.dupont, scope: "matching_notp", user_infos: userInfos() }),
    );
    expect(((await camille.json()) as { matching: { lastname: number } }).matching.lastname).toBeLessThan(50);
  });

  const missingKey = JSON.parse(userInfos()) as Record<string, string>;
  delete missingKey.maiden_name;
  it.each([
    ["no user_infos", undefined],
    ["user_infos that is not JSON", "{street_address:"],
    ["user_infos that is a JSON array", "[]"],
    ["user_infos without one key (maiden_name)", JSON.stringify(missingKey)],
    ["a key that is not a string", userInfos({ number: 12 })],
    ["gender other than M or F", userInfos({ gender: "X" })],
    ["a birthdate not YYYY-MM-DD", userInfos({ birthdate: "12/04/1985" })],
  ])("%s → 01", async (_, infos) => {
    const token = await accessToken();
    const fields = ask(token, { scope: "matching_notp" });
    if (infos !== undefined) fields.user_infos = infos;
    await expectBody(await step1(fields, method), 400, INVALID_REQUEST);
  });

  it("accepts every key empty (each present even if empty), and ignores keys it does not know", async () => {
    const token = await accessToken();
    const empty = Object.fromEntries(Object.keys(ALL_100).map((k) => [k, ""]));
    const res = await step1(
      ask(token, { scope: "matching_notp", user_infos: JSON.stringify({ ...empty, nickname: "x" }) }),
      method,
    );
    expect(res.status).toBe(200);
    const { matching } = (await res.json()) as { matching: Record<string, number> };
    expect(matching).toEqual({
      ...Object.fromEntries(Object.keys(ALL_100).map((k) => [k, 0])),
      maiden_name: 100,
    });
  });
});

describe("DQE /IDMOBILE/ then /GET/: numVerify with the confirmation page", () => {
  it.each(["GET", "POST"] as const)(
    "step 1 (%s) gives the operator and a page URL; /GET/ is pending, then success once the subscriber confirms",
    async (method) => {
      const token = await accessToken();
      const res = await step1(
        ask(token, { number: MAGIC.swapped48h, redirect_uri: "https://partner.example/back?ref=a%20b&x=1" }),
        method,
      );
      expect(res.status).toBe(200);
      const text = await res.text();
      const { url } = JSON.parse(text) as { url: string };
      expect(url).toMatch(new RegExp(`^${BASE}/dqe/consent\\?token=[A-Za-z0-9_-]{48}$`));
      expect(text).toBe(`{"status":"success","operator":"SFR","url":"${url}"}`);

      for (const m of ["GET", "POST"] as const)
        await expectBody(await step2(token, m), 200, '{"status":"pending","scope":"numVerify"}');

      const page = await sandbox.request(url);
      expect(page.status).toBe(200);
      expect(page.headers.get("content-type")).toBe("text/html; charset=UTF-8");
      const html = await page.text();
      expect(html).toContain('<dd class="status" id="status">pending</dd>');
      expect(html).toMatch(/<button name="answer" value="confirm"[^>]*>Confirm<\/button>/);
      expect(html).not.toMatch(/<script|<link|src=/);

      const link = new URL(url).searchParams.get("token")!;
      const confirmed = await answer(link, "confirm");
      expect(confirmed.status).toBe(303);
      expect(confirmed.headers.get("location")).toBe(
        `https://partner.example/back?ref=a%20b&x=1&token=${token}&status=success`,
      );
      for (const m of ["GET", "POST"] as const)
        await expectBody(
          await step2(token, m),
          200,
          '{"status":"success","scope":"numVerify","numVerify":true}',
        );

      // Answered: the page says so and links back; a second answer is refused.
      const after = await (await sandbox.request(url)).text();
      expect(after).toContain('<dd class="status" id="status">confirmed</dd>');
      expect(after).toContain(
        `<a id="back" href="https://partner.example/back?ref=a%20b&amp;x=1&amp;token=${token}&amp;status=success">`,
      );
      const again = await answer(link, "refuse");
      expect(again.status).toBe(409);
      expect(await again.text()).toContain('<p class="error">This check is already answered.</p>');
    },
  );

  it("takes exactly one of two answers given at once", async () => {
    const token = await accessToken();
    const { link } = await startCheck(token);
    const statuses = (await Promise.all([answer(link, "confirm"), answer(link, "refuse")])).map(
      (r) => r.status,
    );
    expect(statuses.sort()).toEqual([303, 409]);
    const [id] = await checkIds();
    const admin = await sandbox.request("/__admin/verdicts", json({ vendor: "dqe", id, verdict: "failed" }));
    expect(admin.status).toBe(409);
  });

  it("refused: the browser goes back with status=error, /GET/ answers error 21", async () => {
    const token = await accessToken();
    const { link } = await startCheck(token, { redirect_uri: "https://partner.example/back" });
    const refused = await answer(link, "refuse");
    expect(refused.status).toBe(303);
    expect(refused.headers.get("location")).toBe(`https://partner.example/back?token=${token}&status=error`);
    await expectBody(await step2(token), 400, error("21", "access denied"));
  });

  it("keeps redirect_uri's fragment after the appended parameters, and adds no separator after a bare ?", async () => {
    const token = await accessToken();
    const { link } = await startCheck(token, { redirect_uri: "https://partner.example/back#done" });
    expect((await answer(link, "confirm")).headers.get("location")).toBe(
      `https://partner.example/back?token=${token}&status=success#done`,
    );
    const { link: second } = await startCheck(token, { redirect_uri: "http://localhost:3000/cb?" });
    expect((await answer(second, "confirm")).headers.get("location")).toBe(
      `http://localhost:3000/cb?token=${token}&status=success`,
    );
  });

  it("without redirect_uri, the answer goes back to the page, which shows it", async () => {
    const token = await accessToken();
    const { url, link } = await startCheck(token);
    const res = await answer(link, "confirm");
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe(`consent?token=${link}`);
    const html = await (await sandbox.request(new URL(res.headers.get("location")!, url).href)).text();
    expect(html).toContain('<dd class="status" id="status">confirmed</dd>');
    expect(html).not.toContain('id="back"');
  });

  it("answers an unknown or expired link, and an unknown answer, with the error page", async () => {
    const token = await accessToken();
    const { url, link } = await startCheck(token);
    const unknown = await sandbox.request("/dqe/consent?token=nope");
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toContain('<p class="error">This link is invalid or has expired.</p>');
    expect((await sandbox.request("/dqe/consent")).status).toBe(404);
    expect((await answer("nope", "confirm")).status).toBe(404);
    const bad = await sandbox.request("/dqe/consent", form({ token: link, answer: "maybe" }));
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('<p class="error">answer must be one of confirm, refuse</p>');
    sandbox.clock.advance(900);
    expect((await sandbox.request(url)).status).toBe(404);
    expect((await answer(link, "confirm")).status).toBe(404);
  });

  it("reads the last check asked with the token", async () => {
    const token = await accessToken();
    await startCheck(token);
    const { link } = await startCheck(token, { scope: "billing" });
    await expectBody(await step2(token), 200, '{"status":"pending","scope":"billing"}');
    await answer(link, "confirm");
    expect(await (await step2(token)).json()).toMatchObject({ status: "success", scope: "billing" });
  });
});

describe("DQE /GET/ data for formfilling and billing", () => {
  it("formfilling gives the subscriber's identity and the code_name sent", async () => {
    const token = await accessToken();
    const { link } = await startCheck(token, { scope: "formfilling", code_name: "web-42" });
    await answer(link, "confirm");
    const res = await step2(token);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      status: "success",
      scope: "formfilling",
      code_name: "web-42",
      formfilling: {
        phone_number: NUMBER,
        family_name: "Martin",
        name: "Camille Martin",
        locale: "fr-FR",
        gender: "F",
        updated_at: "2025-11-03",
        birthdate: "1985-04-12",
        birthplace: "75",
        given_name: "Camille",
        address: {
          country: "France",
          postal_code: "75002",
          formatted: "12 Rue de la Paix\n75002 Paris\nFrance",
          street_address: "Rue de la Paix",
          number: "12",
          locality: "Paris",
        },
        email: "camille.martin@example.com",
        email_domain: "example.com",
        email_account: "camille.martin",
        subscriber_msisdn: NUMBER,
        sub: "sbx-0001",
      },
    });
  });

  it("billing gives the fixtures' document, base64: a real PDF", async () => {
    const token = await accessToken();
    const { link } = await startCheck(token, { scope: "billing" });
    await answer(link, "confirm");
    const body = (await (await step2(token)).json()) as Record<string, string>;
    expect(Object.keys(body)).toEqual(["status", "scope", "billing"]);
    expect(body).toMatchObject({ status: "success", scope: "billing" });
    const bytes = Buffer.from(body.billing!, "base64");
    expect(bytes.subarray(0, 8).toString("latin1")).toBe("%PDF-1.4");
    expect(bytes.subarray(-6).toString("latin1")).toBe("%%EOF\n");
  });
});

describe("DQE multiscope (comma-separated scopes)", () => {
  it("answers one object holding each scope's fields, one url for the consent scopes, and /GET/ holds them all", async () => {
    const token = await accessToken();
    const res = await step1(
      ask(token, {
        number: MAGIC.swapped2h,
        scope: "simswap,matching_notp,numVerify,formfilling,billing",
        period: "24",
        user_infos: userInfos({ phone: MAGIC.swapped2h }),
        code_name: "c1",
      }),
      "POST",
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(Object.keys(body)).toEqual(["status", "operator", "swapped", "matching", "url"]);
    expect(body).toMatchObject({ status: "success", operator: "Orange", swapped: "true", matching: ALL_100 });
    const scope = "simswap,matching_notp,numVerify,formfilling,billing";
    expect(await (await step2(token)).json()).toEqual({ status: "pending", scope });

    await answer(new URL(body.url as string).searchParams.get("token")!, "confirm");
    const done = (await (await step2(token)).json()) as Record<string, unknown>;
    expect(Object.keys(done)).toEqual([
      "status",
      "scope",
      "code_name",
      "numVerify",
      "formfilling",
      "billing",
    ]);
    expect(done).toMatchObject({ status: "success", scope, code_name: "c1", numVerify: true });
  });

  it("takes each scope once, and trims spaces around the commas", async () => {
    const token = await accessToken();
    const res = await step1(ask(token, { scope: "simswap, simswap ,numVerify", period: "1" }));
    expect(Object.keys((await res.json()) as object)).toEqual(["status", "operator", "swapped", "url"]);
    expect(await (await step2(token)).json()).toEqual({ status: "pending", scope: "simswap,numVerify" });
  });

  it("without a consent scope creates no check: /GET/ has nothing to read (01)", async () => {
    const token = await accessToken();
    await step1(ask(token, { scope: "simswap", period: "1" }));
    await expectBody(await step2(token), 400, INVALID_REQUEST);
    expect(await checkIds()).toEqual([]);
  });
});

describe("DQE /IDMOBILE/ errors", () => {
  it.each(["licence", "number", "token", "mode", "name", "scope"])("a missing %s → 01", async (field) => {
    const token = await accessToken();
    await expectBody(await step1(without(ask(token), field)), 400, INVALID_REQUEST);
    await expectBody(await step1(ask(token, { [field]: "" }), "POST"), 400, INVALID_REQUEST);
  });

  it.each([
    ["mode other than 2", { mode: "1" }],
    ["a landline number", { number: "0145678912" }],
    ["a number too short", { number: "061234567" }],
    ["a number with letters", { number: "06123456AB" }],
    ["a foreign number without country", { number: "4915112345678" }],
    ["a redirect_uri that is not an http(s) URL", { redirect_uri: "javascript:alert(1)" }],
    ["a relative redirect_uri", { redirect_uri: "/back" }],
    ["a country that is not ISO 2", { country: "FRA" }],
  ])("%s → 01", async (_, more) => {
    const token = await accessToken();
    await expectBody(await step1(ask(token, more)), 400, INVALID_REQUEST);
  });

  it("takes an international number with a country other than FR (international matching)", async () => {
    const token = await accessToken();
    const res = await step1(
      ask(token, {
        number: "+4915112345678",
        country: "DE",
        scope: "matching_notp",
        user_infos: userInfos({ phone: "+4915112345678" }),
      }),
    );
    expect(res.status).toBe(200);
    expect(((await res.json()) as { matching: { phone: number } }).matching.phone).toBe(100);
  });

  it.each([["sms"], ["numverify"], ["numVerify,"], ["simswap,,numVerify"]])(
    "scope %j → 04",
    async (scope) => {
      const token = await accessToken();
      await expectBody(await step1(ask(token, { scope, period: "1" })), 400, error("04", "invalid scope"));
    },
  );

  it("an unknown licence → 02", async () => {
    const token = await accessToken();
    await expectBody(await step1(ask(token, { licence: "NOBODY" })), 400, error("02", "invalid licence key"));
  });

  it("an unknown token, an expired one, or one of another licence → 401 error 30", async () => {
    const token = await accessToken();
    await expectBody(await step1(ask("TKunknown")), 401, INVALID_TOKEN);
    await expectBody(await step1(ask(token, { licence: "SANDBOX-NO-CREDITS" })), 401, INVALID_TOKEN);
    sandbox.clock.advance(299);
    expect((await step1(ask(token))).status).toBe(200);
    sandbox.clock.advance(1);
    await expectBody(await step1(ask(token)), 401, INVALID_TOKEN);
  });

  it("a misspelled parameter name → the vendor's 500", async () => {
    const token = await accessToken();
    await expectBody(
      await step1({ ...without(ask(token), "licence"), license: LICENCE }),
      500,
      '{"status":"error","error_type":"internal server error"}',
    );
  });

  it("answers without the trailing slash too", async () => {
    const token = await accessToken();
    expect((await send("GET", "/dqe/IDMOBILE", ask(token, { scope: "simswap", period: "1" }))).status).toBe(
      200,
    );
    expect(
      (await send("POST", "/dqe/GET", { token, Licence: LICENCE, scope: "client_idmobile" })).status,
    ).toBe(400);
  });
});

describe("DQE /GET/ errors", () => {
  it.each(["token", "Licence", "scope"])("a missing or empty %s → 01", async (field) => {
    const token = await accessToken();
    await startCheck(token);
    const fields: Fields = { token, Licence: LICENCE, scope: "client_idmobile" };
    await expectBody(await send("GET", "/dqe/GET/", without(fields, field)), 400, INVALID_REQUEST);
    await expectBody(await send("POST", "/dqe/GET/", { ...fields, [field]: "" }), 400, INVALID_REQUEST);
  });

  it("an unknown Licence → 02; a scope other than client_idmobile → 04", async () => {
    const token = await accessToken();
    await startCheck(token);
    await expectBody(
      await step2(token, "GET", { Licence: "NOBODY" }),
      400,
      error("02", "invalid licence key"),
    );
    await expectBody(await step2(token, "GET", { scope: "numVerify" }), 400, error("04", "invalid scope"));
  });

  it("an unknown token, one of another licence, or an expired one → 401 error 30", async () => {
    const token = await accessToken();
    await startCheck(token);
    await expectBody(await step2("TKunknown"), 401, INVALID_TOKEN);
    await expectBody(await step2(token, "GET", { Licence: "SANDBOX-NO-CREDITS" }), 401, INVALID_TOKEN);
    sandbox.clock.advance(300);
    await expectBody(await step2(token), 401, INVALID_TOKEN);
  });

  it("a lower-case licence is a misspelled parameter → the vendor's 500", async () => {
    const token = await accessToken();
    const res = await send("GET", "/dqe/GET/", { token, licence: LICENCE, scope: "client_idmobile" });
    expect(res.status).toBe(500);
  });

  it.each([
    [MAGIC.otpFails, 400, error("20", "OTP process failed")],
    [MAGIC.noData, 400, error("18", "failed to retrieve data from operator")],
    [MAGIC.serverError, 500, error("99", "internal server error")],
    [MAGIC.refuses, 400, error("21", "access denied")],
  ])("magic number %s answers at once: /GET/ → %i %s", async (number, status, body) => {
    const token = await accessToken();
    const { url } = await startCheck(token, { number, redirect_uri: "https://partner.example/cb" });
    await expectBody(await step2(token), status, body);
    // The page shows the answer and the way back, with status=error.
    expect(await (await sandbox.request(url)).text()).toContain(
      `href="https://partner.example/cb?token=${token}&amp;status=error"`,
    );
  });

  it("magic number 0639980001 confirms at once", async () => {
    const token = await accessToken();
    const res = await step1(ask(token, { number: MAGIC.confirms }));
    expect(((await res.json()) as { operator: string }).operator).toBe("Orange");
    await expectBody(await step2(token), 200, '{"status":"success","scope":"numVerify","numVerify":true}');
  });
});

describe("DQE check verdicts", () => {
  it("the admin API gives a check its verdict, once", async () => {
    const token = await accessToken();
    await startCheck(token);
    const [id] = await checkIds();
    const res = await sandbox.request("/__admin/verdicts", json({ vendor: "dqe", id, verdict: "refused" }));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ vendor: "dqe", subject: "check", id, verdict: "refused" });
    await expectBody(await step2(token), 400, error("21", "access denied"));
    const again = await sandbox.request(
      "/__admin/verdicts",
      json({ vendor: "dqe", id, verdict: "confirmed" }),
    );
    expect(again.status).toBe(409);
    expect(await again.json()).toEqual({
      error: "check_answered",
      message: "This check is already answered.",
    });
  });

  it.each([
    ["confirmed", 200, '{"status":"success","scope":"numVerify","numVerify":true}'],
    ["failed", 400, error("20", "OTP process failed")],
    ["no_data", 400, error("18", "failed to retrieve data from operator")],
    ["error", 500, error("99", "internal server error")],
  ])("verdict %s → /GET/ %i", async (verdict, status, body) => {
    const token = await accessToken();
    await startCheck(token);
    const [id] = await checkIds();
    expect((await sandbox.request("/__admin/verdicts", json({ vendor: "dqe", id, verdict }))).status).toBe(
      200,
    );
    await expectBody(await step2(token), status, body);
  });

  it("refuses an unknown verdict and an unknown check", async () => {
    const unknown = await sandbox.request(
      "/__admin/verdicts",
      json({ vendor: "dqe", id: "x", verdict: "approved" }),
    );
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { message: string }).message).toBe(
      "verdict: approved is not a dqe verdict (one of confirmed, refused, failed, no_data, error)",
    );
    const missing = await sandbox.request(
      "/__admin/verdicts",
      json({ vendor: "dqe", id: "x", verdict: "refused" }),
    );
    expect(missing.status).toBe(404);
  });

  it("a magic code_name outcome:<verdict> answers the check when it is asked", async () => {
    const token = await accessToken();
    await startCheck(token, { code_name: "outcome:refused" });
    await expectBody(await step2(token), 400, error("21", "access denied"));
  });

  it("the automatic verdict confirms a check once the clock passes it; a never-answering number stays pending", async () => {
    sandbox = await testSandbox({ verdicts: { auto: { after: 10 } } });
    const token = await accessToken();
    const other = await accessToken();
    await startCheck(token);
    await startCheck(other, { number: MAGIC.neverAnswers });
    const clock = (advance: number) => sandbox.request("/__admin/clock", json({ advance }));
    expect((await clock(9)).status).toBe(200);
    await expectBody(await step2(token), 200, '{"status":"pending","scope":"numVerify"}');
    expect((await clock(2)).status).toBe(200);
    await expectBody(await step2(token), 200, '{"status":"success","scope":"numVerify","numVerify":true}');
    await expectBody(await step2(other), 200, '{"status":"pending","scope":"numVerify"}');
  });

  it("the automatic verdict yields to the subscriber's answer", async () => {
    sandbox = await testSandbox({ verdicts: { auto: { after: 10 } } });
    const token = await accessToken();
    const { link } = await startCheck(token);
    const scheduled = () => sandbox.deps.namespaces.default.store.scheduled(Number.MAX_SAFE_INTEGER);
    expect(await scheduled()).toHaveLength(1);
    expect((await answer(link, "refuse")).status).toBe(303);
    // Answered: the waiting automatic verdict is dropped, not merely refused later.
    expect(await scheduled()).toEqual([]);
    sandbox.clock.advance(11);
    await expectBody(await step2(token), 400, error("21", "access denied"));
  });

  it("settles on read: the automatic verdict is given when /GET/ reads the check, without a tick", async () => {
    sandbox = await testSandbox({ verdicts: { auto: { after: 10, verdict: { dqe: "failed" } } } });
    const token = await accessToken();
    await startCheck(token);
    sandbox.clock.advance(10);
    await expectBody(await step2(token), 400, error("20", "OTP process failed"));
  });
});

describe("DQE IDMobile namespaces", () => {
  const ns = (id: string) => ({ "x-sandbox-namespace": id });

  it("keeps checks, links and verdicts in their namespace", async () => {
    const token = await accessToken(ns("a"));
    const res = await step1(ask(token, { redirect_uri: "https://partner.example/cb" }), "GET", ns("a"));
    const { url } = (await res.json()) as { url: string };
    expect(url).toMatch(new RegExp(`^${BASE}/ns/a/dqe/consent\\?token=`));
    const link = new URL(url).searchParams.get("token")!;

    // Namespace b knows neither the token, nor the link, nor the check.
    await expectBody(await step2(token, "GET", {}, ns("b")), 401, INVALID_TOKEN);
    expect((await sandbox.request(`/dqe/consent?token=${link}`, { headers: ns("b") })).status).toBe(404);
    expect((await answer(link, "confirm", ns("b"))).status).toBe(404);
    const [id] = await checkIds(ns("a"));
    expect(await checkIds(ns("b"))).toEqual([]);
    const verdict = (n: string) =>
      sandbox.request(`/__admin/verdicts`, json({ vendor: "dqe", id, verdict: "confirmed" }, ns(n)));
    expect((await verdict("b")).status).toBe(404);

    // The link opens in its own namespace through its URL alone (a browser sends no header).
    expect((await sandbox.request(url)).status).toBe(200);
    const confirmed = await sandbox.request("/ns/a/dqe/consent", form({ token: link, answer: "confirm" }));
    expect(confirmed.headers.get("location")).toBe(
      `https://partner.example/cb?token=${token}&status=success`,
    );
    await expectBody(
      await step2(token, "GET", {}, ns("a")),
      200,
      '{"status":"success","scope":"numVerify","numVerify":true}',
    );
    expect((await verdict("a")).status).toBe(409);
  });
});

describe("DQE IDMobile fixtures", () => {
  it("ship the defaults an older fixture file without idmobile gets", () => {
    const shipped = JSON.parse(readFileSync(join(FIXTURES, "dqe.json"), "utf8")) as Record<string, unknown>;
    const older = Object.fromEntries(Object.entries(shipped).filter(([key]) => key !== "idmobile"));
    expect(fixtureSchema.parse(older)).toEqual(fixtureSchema.parse(shipped));
    expect(fixtureSchema.parse(shipped).idmobile).toEqual(DEFAULT_IDMOBILE);
  });

  it("refuse a magic number that is not a French mobile, twice the same one, and a document that is neither PDF nor PNG", () => {
    const parse = (idmobile: Record<string, unknown>) =>
      fixtureSchema.safeParse({
        licences: [{ licence: "L", clientSecret: "s" }],
        idmobile: { ...DEFAULT_IDMOBILE, ...idmobile },
      }).success;
    expect(parse({})).toBe(true);
    expect(parse({ numbers: [{ number: "0145678912" }] })).toBe(false);
    expect(parse({ numbers: [{ number: "0639980001" }, { number: "0639980001" }] })).toBe(false);
    expect(parse({ billingDocument: Buffer.from("hello").toString("base64") })).toBe(false);
  });
});
