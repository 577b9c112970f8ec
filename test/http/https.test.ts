// The library the sandbox makes its certificate with needs a Reflect polyfill, loaded before it.
import "reflect-metadata";
import { webcrypto, X509Certificate } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import type { IncomingMessage } from "node:http";
import { Agent, request } from "node:https";
import type { LookupFunction } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TLSSocket } from "node:tls";
import * as x509 from "@peculiar/x509";
import { createLocalJWKSet, type JSONWebKeySet } from "jose";
import { afterEach, describe, expect, it } from "vitest";
import { loadCertificate, requiredNames } from "../../src/core/tls.js";
import { createSandbox, type Sandbox, type SandboxOptions } from "../../src/index.js";
import { authorizeQuery, CLIENT_ID, CLIENT_SECRET, pkce, REDIRECT_URI } from "../helpers/sumsub.js";

/** Every sandbox, agent and folder a test made: closed and removed after it, passed or failed. */
const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "idv-https-"));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function start(options: SandboxOptions): Promise<Sandbox> {
  const sandbox = await createSandbox({ port: 0, ...options });
  cleanup.push(async () => {
    await sandbox.close();
  });
  return sandbox;
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** SHA-256 fingerprint of the certificate the server presented. */
  peer: string;
}

/**
 * A client that trusts only `ca` (Node's built-in roots are replaced, not extended) and verifies as any client does:
 * the chain, and the host name against the subjectAltName.
 */
function tlsClient(ca: string | undefined, options: { loopback?: boolean } = {}) {
  // No session resumption: every connection shows the server's certificate in a full handshake.
  const agent = new Agent({
    ca,
    keepAlive: true,
    maxCachedSessions: 0,
    ...(options.loopback ? { lookup: toLoopback } : {}),
  });
  cleanup.push(() => {
    agent.destroy();
  });
  return (url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}) =>
    new Promise<Answer>((resolve, reject) => {
      const req = request(url, { agent, method: init.method ?? "GET", headers: init.headers }, (res) => {
        // Read now: a keep-alive socket goes back to the agent once the answer is read.
        const peer = res.socket instanceof TLSSocket ? res.socket.getPeerCertificate().fingerprint256 : "";
        let text = "";
        res.setEncoding("utf8").on("data", (d: string) => (text += d));
        res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, text, peer }));
      });
      req.on("error", reject);
      req.end(init.body);
    });
}

/** A resolver that sends every name to 127.0.0.1: to ask for names the machine's resolver does not know. */
const toLoopback: LookupFunction = (_host, options, done) => {
  if (options.all) done(null, [{ address: "127.0.0.1", family: 4 }]);
  else done(null, "127.0.0.1", 4);
};

const basic = `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString("base64")}`;
const REGULA_KEY = "ApiKey sandbox-api-key";

describe("HTTPS beside plain HTTP", () => {
  it("serves one app on both listeners; with no public URL the written URLs are the HTTPS listener's", async () => {
    const sandbox = await start({ https: { port: 0, dir: await tempDir() } });
    expect(sandbox.httpsPort).toBeGreaterThan(0);
    expect(sandbox.httpsPort).not.toBe(sandbox.port);
    expect(sandbox.httpsUrl).toBe(`https://127.0.0.1:${String(sandbox.httpsPort)}`);
    expect(sandbox.url).toBe(sandbox.httpsUrl);
    const client = tlsClient(sandbox.certificate!.pem);

    // One app: a token issued over HTTPS is seen by the admin API over plain HTTP.
    const token = await client(
      `${sandbox.httpsUrl!}/dqe/ACCESS_TOKEN/?client_secret=sandbox-secret&grant_type=client_idmobile&licence=SANDBOX-LICENCE`,
    );
    expect(token.status).toBe(200);
    const plain = await fetch(`http://127.0.0.1:${String(sandbox.port)}/__admin/tokens`);
    expect(plain.status).toBe(200);
    const { tokens } = (await plain.json()) as { tokens: { kind: string }[] };
    expect(tokens.map((t) => t.kind)).toEqual(["dqe.access", "dqe.refresh"]);
    // Even asked over plain HTTP, the discovery document names the HTTPS issuer.
    const discovery = await fetch(
      `http://127.0.0.1:${String(sandbox.port)}/sumsub/.well-known/openid-configuration`,
    );
    expect(((await discovery.json()) as { issuer: string }).issuer).toBe(`${sandbox.httpsUrl!}/sumsub`);
  });

  it("completes the Sumsub OIDC code flow over TLS, the id_token verified through the JWKS fetched over TLS", async () => {
    const sandbox = await start({ https: { port: 0, dir: await tempDir() } });
    const client = tlsClient(sandbox.certificate!.pem);
    const issuer = `${sandbox.httpsUrl!}/sumsub`;

    const discovery = await client(`${issuer}/.well-known/openid-configuration`);
    expect(discovery.status).toBe(200);
    const meta = JSON.parse(discovery.text) as Record<string, string>;
    expect(meta).toMatchObject({
      issuer,
      authorization_endpoint: `${issuer}/api/snsId/oauth/authorize`,
      token_endpoint: `${issuer}/api/snsId/oauth/token`,
      jwks_uri: `${issuer}/.well-known/jwks.json`,
    });

    const { verifier, challenge } = pkce();
    const query = authorizeQuery({ scope: "openid email", nonce: "n-1", challenge });
    const authorized = await client(`${meta.authorization_endpoint!}?${query.toString()}`);
    expect(authorized.status).toBe(302);
    const callback = new URL(authorized.headers.location as string);
    expect(callback.origin + callback.pathname).toBe(REDIRECT_URI);
    expect(callback.searchParams.get("state")).toBe("st");

    const token = await client(meta.token_endpoint!, {
      method: "POST",
      headers: { authorization: basic, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "authorization_code",
        code: callback.searchParams.get("code")!,
        redirect_uri: REDIRECT_URI,
        code_verifier: verifier,
      }).toString(),
    });
    expect(token.status).toBe(200);
    const { id_token } = JSON.parse(token.text) as { id_token: string };

    const jwks = await client(meta.jwks_uri!);
    expect(jwks.status).toBe(200);
    const { payload } = await sandbox.verifyJwt(
      id_token,
      createLocalJWKSet(JSON.parse(jwks.text) as JSONWebKeySet),
      { issuer, audience: CLIENT_ID },
    );
    expect(payload).toMatchObject({ iss: issuer, aud: CLIENT_ID, sub: "sbx-user-0001", nonce: "n-1" });
  });

  it("hands a Regula session off over TLS: deeplink, the hand-off page, finish, the status through the API", async () => {
    const sandbox = await start({ https: { port: 0, dir: await tempDir() } });
    const client = tlsClient(sandbox.certificate!.pem);
    const regula = `${sandbox.httpsUrl!}/regula`;

    const link = await client(`${regula}/api/v1/deeplink?workflowId=wf-document`, {
      method: "POST",
      headers: { authorization: REGULA_KEY, "content-type": "application/json" },
      body: "{}",
    });
    expect(link.status).toBe(200);
    const { url } = JSON.parse(link.text) as { url: string };
    expect(url.startsWith(`${regula}/mobile?authorization=Token%20`)).toBe(true);
    const handoff = new URL(url);

    const page = await client(url);
    expect(page.status).toBe(200);
    const action = /<form method="post" action="([^"]+)">/.exec(page.text)![1]!;
    const finish = await client(new URL(action, handoff).href, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        authorization: handoff.searchParams.get("authorization")!,
        sessionId: handoff.searchParams.get("sessionId")!,
        status: "completed",
      }).toString(),
    });
    expect(finish.status).toBe(303);
    const back = await client(new URL(finish.headers.location as string, new URL(action, handoff)).href);
    expect(back.status).toBe(200);
    expect(back.text).toContain('<dd class="status" id="status">completed</dd>');

    const session = await client(`${regula}/api/sessions/${handoff.searchParams.get("sessionId")!}`, {
      headers: { authorization: REGULA_KEY },
    });
    expect(JSON.parse(session.text)).toMatchObject({ status: "completed" });
  });

  it("is refused with a certificate error by a client that does not trust its CA, or for a name it does not carry", async () => {
    const sandbox = await start({ https: { port: 0, dir: await tempDir() } });
    const health = `${sandbox.httpsUrl!}/__admin/health`;
    // Node's own roots, or another data folder's CA: neither signed the served certificate.
    const elsewhere = await loadCertificate({ dir: await tempDir(), names: ["localhost"] });
    for (const ca of [undefined, elsewhere.trust.pem])
      await expect(tlsClient(ca)(health)).rejects.toMatchObject({ code: "UNABLE_TO_VERIFY_LEAF_SIGNATURE" });
    // Trusting the CA is not trusting any name: `elsewhere.test` (resolved to loopback here) is refused.
    const trusting = tlsClient(sandbox.certificate!.pem, { loopback: true });
    await expect(
      trusting(`https://elsewhere.test:${String(sandbox.httpsPort)}/__admin/health`),
    ).rejects.toMatchObject({ code: "ERR_TLS_CERT_ALTNAME_INVALID" });
    expect((await trusting(`https://localhost:${String(sandbox.httpsPort)}/__admin/health`)).status).toBe(
      200,
    );
  });
});

describe("the generated certificates", () => {
  it("are a CA to trust and a server certificate it signed, for localhost, 127.0.0.1, ::1 and the public URL's host", async () => {
    const dir = await tempDir();
    const sandbox = await start({ publicUrl: "https://idv.example.test:8443/", https: { port: 0, dir } });
    expect(sandbox.url).toBe("https://idv.example.test:8443");
    const { served, ...trusted } = sandbox.certificate!;
    const authority = new X509Certificate(trusted.pem);
    const server = new X509Certificate(served.pem);

    expect(server.subjectAltName).toBe(
      "DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, DNS:idv.example.test",
    );
    expect(served.names).toEqual(["localhost", "127.0.0.1", "::1", "idv.example.test"]);
    expect(server.ca).toBe(false); // Firefox refuses a CA certificate as a server's
    expect(server.keyUsage).toEqual(["1.3.6.1.5.5.7.3.1"]); // serverAuth, which Apple requires
    expect(server.publicKey.asymmetricKeyType).toBe("ec");
    expect(server.checkIssued(authority) && server.verify(authority.publicKey)).toBe(true);
    const days = (x: X509Certificate) => (Date.parse(x.validTo) - Date.parse(x.validFrom)) / 86_400_000;
    expect(days(server)).toBe(731); // under the 825 days Apple accepts of a server certificate
    expect(authority.ca).toBe(true);
    expect(authority.checkIssued(authority)).toBe(true); // self-signed
    expect(days(authority)).toBe(3651);
    expect(trusted).toMatchObject({ origin: "created", fingerprint: authority.fingerprint256 });
    expect(served).toMatchObject({ origin: "created", fingerprint: server.fingerprint256 });

    // The files: the CA to install, the served certificate; the keys readable by their owner only.
    expect(trusted.path).toBe(join(dir, "idv-sandbox-ca.crt"));
    expect(served.path).toBe(join(dir, "idv-sandbox.crt"));
    expect(await readFile(trusted.path, "utf8")).toBe(trusted.pem);
    expect(await readFile(served.path, "utf8")).toBe(served.pem);
    expect((await readdir(dir)).sort()).toEqual([
      "idv-sandbox-ca.crt",
      "idv-sandbox-ca.key",
      "idv-sandbox.crt",
      "idv-sandbox.key",
    ]);
    for (const key of ["idv-sandbox-ca.key", "idv-sandbox.key"])
      expect((await stat(join(dir, key))).mode & 0o777).toBe(0o600);

    // The name on the certificate is the one written into links: a client reaching it by that name accepts it.
    const client = tlsClient(trusted.pem, { loopback: true });
    const at = `https://idv.example.test:${String(sandbox.httpsPort)}`;
    const discovery = await client(`${at}/sumsub/.well-known/openid-configuration`);
    expect(discovery.peer).toBe(served.fingerprint);
    expect(JSON.parse(discovery.text)).toMatchObject({
      issuer: "https://idv.example.test:8443/sumsub",
      jwks_uri: "https://idv.example.test:8443/sumsub/.well-known/jwks.json",
    });
    const link = await client(`${at}/regula/api/v1/deeplink?workflowId=wf-document`, {
      method: "POST",
      headers: { authorization: REGULA_KEY, "content-type": "application/json" },
      body: "{}",
    });
    expect((JSON.parse(link.text) as { url: string }).url).toMatch(
      /^https:\/\/idv\.example\.test:8443\/regula\/mobile\?authorization=Token%20/,
    );
  });

  it("are the same after a restart with the same folder; a new name or an expiry makes a new server certificate under the same CA", async () => {
    const dir = await tempDir();
    const first = await start({ https: { port: 0, dir } });
    const made = first.certificate!;
    expect([made.origin, made.served.origin]).toEqual(["created", "created"]);
    await first.close();

    const second = await start({ https: { port: 0, dir } });
    expect(second.certificate).toMatchObject({
      origin: "kept",
      fingerprint: made.fingerprint,
      path: made.path,
      served: { origin: "kept", fingerprint: made.served.fingerprint },
    });
    // A client that trusted the CA before the restart accepts what is served after it.
    const trusting = tlsClient(made.pem);
    expect(await trusting(`${second.httpsUrl!}/__admin/health`)).toMatchObject({
      status: 200,
      peer: made.served.fingerprint,
    });
    await second.close();

    // A public URL on another host: a new server certificate naming it (and still the old names), the same CA.
    const lan = await start({ publicUrl: "https://192.168.1.20:4443", https: { port: 0, dir } });
    expect(lan.certificate).toMatchObject({ origin: "kept", fingerprint: made.fingerprint });
    expect(lan.certificate!.served.origin).toBe("created");
    expect(lan.certificate!.served.names).toEqual(["localhost", "127.0.0.1", "::1", "192.168.1.20"]);
    expect(await trusting(`${lan.httpsUrl!}/__admin/health`)).toMatchObject({
      status: 200,
      peer: lan.certificate!.served.fingerprint,
    });
    // Back to loopback: the new one still covers it, so it stays.
    const back = await start({ https: { port: 0, dir } });
    expect(back.certificate!.served).toMatchObject({
      origin: "kept",
      fingerprint: lan.certificate!.served.fingerprint,
    });

    // A day before the server certificate expires (in real time: clients check it against their own clocks), it is
    // made anew, under the same CA; a day before the CA expires, both are.
    const names = requiredNames({ host: "127.0.0.1" });
    const serverExpiring = lan.certificate!.served.validTo.getTime() - 86_400_000 + 1;
    const renewed = await loadCertificate({ dir, names, now: () => serverExpiring });
    expect(renewed).toMatchObject({
      origin: "created",
      trust: { origin: "kept", fingerprint: made.fingerprint },
    });
    expect(renewed.validTo.getTime()).toBeGreaterThan(lan.certificate!.served.validTo.getTime());
    const again = await loadCertificate({ dir, names, now: () => serverExpiring });
    expect(again).toMatchObject({ origin: "kept", fingerprint: renewed.fingerprint });
    const authorityExpiring = made.validTo.getTime() - 86_400_000 + 1;
    const replaced = await loadCertificate({ dir, names, now: () => authorityExpiring });
    expect(replaced).toMatchObject({ origin: "created", trust: { origin: "created" } });
    expect(replaced.trust.fingerprint).not.toBe(made.fingerprint);
  });

  it("are made anew when their files are damaged or do not belong together", async () => {
    const dir = await tempDir();
    const names = requiredNames({ host: "127.0.0.1" });
    const first = await loadCertificate({ dir, names });
    const other = await loadCertificate({ dir: await tempDir(), names });

    // A server key that is not the certificate's: a new server certificate, the CA kept.
    await writeFile(join(dir, "idv-sandbox.key"), other.key);
    const mismatched = await loadCertificate({ dir, names });
    expect(mismatched).toMatchObject({ origin: "created", trust: { origin: "kept" } });
    expect([first.fingerprint, other.fingerprint]).not.toContain(mismatched.fingerprint);

    // A server certificate from another CA (its own key with it): made anew under this folder's CA.
    await writeFile(join(dir, "idv-sandbox.crt"), other.cert);
    await writeFile(join(dir, "idv-sandbox.key"), other.key);
    const foreign = await loadCertificate({ dir, names });
    expect(foreign).toMatchObject({ origin: "created", trust: { fingerprint: first.trust.fingerprint } });
    expect(foreign.fingerprint).not.toBe(other.fingerprint);

    // A damaged CA: both made anew.
    await writeFile(join(dir, "idv-sandbox-ca.crt"), "not a certificate");
    expect(await loadCertificate({ dir, names })).toMatchObject({
      origin: "created",
      trust: { origin: "created" },
    });
  });

  it("stop the start with a message naming the folder when it cannot be written", async () => {
    const file = join(await tempDir(), "a-file");
    await writeFile(file, "");
    await expect(createSandbox({ port: 0, https: { port: 0, dir: join(file, "certs") } })).rejects.toThrow(
      `cannot keep the HTTPS certificate in ${join(file, "certs")}: ENOTDIR (set https.dir to a folder the sandbox may write)`,
    );
  });
});

/** A certificate authority and a leaf it signs, as mkcert makes them: the client trusts the authority only. */
async function authorityAndLeaf(names: string[]) {
  x509.cryptoProvider.set(webcrypto as Crypto);
  const algorithm = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
  const now = Date.now();
  const validity = { notBefore: new Date(now - 60_000), notAfter: new Date(now + 86_400_000) };
  const caKeys = await webcrypto.subtle.generateKey(algorithm, true, ["sign", "verify"]);
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: "01",
    name: "CN=test authority",
    ...validity,
    keys: caKeys,
    signingAlgorithm: algorithm,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true),
    ],
  });
  const leafKeys = await webcrypto.subtle.generateKey(algorithm, true, ["sign", "verify"]);
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: "02",
    issuer: ca.subject,
    subject: "CN=given leaf",
    ...validity,
    publicKey: leafKeys.publicKey,
    signingKey: caKeys.privateKey,
    signingAlgorithm: algorithm,
    extensions: [
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(
        names.map((value) => ({ type: /^[\d.]+$/.test(value) ? ("ip" as const) : ("dns" as const), value })),
      ),
    ],
  });
  const key = x509.PemConverter.encode(
    await webcrypto.subtle.exportKey("pkcs8", leafKeys.privateKey),
    "PRIVATE KEY",
  );
  return { ca: ca.toString("pem"), leaf: leaf.toString("pem"), key };
}

describe("a certificate given in the config", () => {
  it("is served as given (a leaf under the user's own authority, as mkcert makes), and nothing is generated", async () => {
    const files = await tempDir();
    const dir = join(files, "never-made");
    const { ca, leaf, key } = await authorityAndLeaf(["localhost", "127.0.0.1"]);
    await writeFile(join(files, "leaf.pem"), leaf);
    await writeFile(join(files, "leaf-key.pem"), key);
    const sandbox = await start({
      https: { port: 0, cert: join(files, "leaf.pem"), key: join(files, "leaf-key.pem"), dir },
    });
    const given = new X509Certificate(leaf);
    expect(sandbox.certificate).toMatchObject({
      origin: "given",
      path: join(files, "leaf.pem"),
      fingerprint: given.fingerprint256,
      served: { origin: "given", names: ["localhost", "127.0.0.1"], fingerprint: given.fingerprint256 },
    });
    const answer = await tlsClient(ca)(`${sandbox.httpsUrl!}/__admin/health`);
    expect(answer).toMatchObject({ status: 200, text: '{"status":"ok"}', peer: given.fingerprint256 });
    await expect(stat(dir)).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("must come with its key, and the key must be the certificate's", async () => {
    const files = await tempDir();
    const one = await authorityAndLeaf(["localhost"]);
    const two = await authorityAndLeaf(["localhost"]);
    await writeFile(join(files, "cert.pem"), one.leaf);
    await writeFile(join(files, "other-key.pem"), two.key);
    await expect(
      createSandbox({ port: 0, https: { port: 0, cert: join(files, "cert.pem") } }),
    ).rejects.toThrow(
      "createSandbox options: https.key: missing; https.cert and https.key are given together",
    );
    await expect(
      createSandbox({
        port: 0,
        https: { port: 0, cert: join(files, "cert.pem"), key: join(files, "other-key.pem") },
      }),
    ).rejects.toThrow(
      `HTTPS key ${join(files, "other-key.pem")} is not the key of the certificate ${join(files, "cert.pem")}`,
    );
    await expect(
      createSandbox({
        port: 0,
        https: { port: 0, cert: join(files, "missing.pem"), key: join(files, "other-key.pem") },
      }),
    ).rejects.toThrow(`cannot read the HTTPS certificate ${join(files, "missing.pem")}: ENOENT`);
  });
});

describe("closing with HTTPS", () => {
  it("drains both listeners: a request in flight over TLS finishes, then both ports are closed", async () => {
    const sandbox = await start({ https: { port: 0, dir: await tempDir() } });
    const client = tlsClient(sandbox.certificate!.pem);
    await sandbox.enqueue("dqe", "GET /ACCESS_TOKEN/", { delayMs: 500 });
    let inHand: () => void = () => undefined;
    const handled = new Promise<void>((resolve) => (inHand = resolve));
    const inFlight = new Promise<{ status: number; connection: string | undefined }>((resolve, reject) => {
      // `Expect: 100-continue`: the 100 says the sandbox has the request in hand, before it is closed.
      const req = request(
        `${sandbox.httpsUrl!}/dqe/ACCESS_TOKEN/?client_secret=sandbox-secret&grant_type=client_idmobile&licence=SANDBOX-LICENCE`,
        { ca: sandbox.certificate!.pem, headers: { expect: "100-continue" } },
        (res) =>
          res
            .resume()
            .on("end", () => resolve({ status: res.statusCode!, connection: res.headers.connection })),
      );
      req.on("error", reject);
      req.on("continue", () => {
        req.end();
        inHand();
      });
    });
    await handled;
    const closing = sandbox.close({ graceSeconds: 30 });
    // Answered in full, and with its connection closed: an idle keep-alive one would hold the close up.
    expect(await inFlight).toEqual({ status: 200, connection: "close" });
    expect(await closing).toEqual({ cut: 0 });
    await expect(client(`${sandbox.httpsUrl!}/__admin/health`)).rejects.toMatchObject({
      code: "ECONNREFUSED",
    });
    await expect(fetch(`http://127.0.0.1:${String(sandbox.port)}/__admin/health`)).rejects.toThrow();
  });

  it("ends the dashboard's journal stream over TLS when closing, so the drain does not wait for it", async () => {
    const sandbox = await start({ https: { port: 0, dir: await tempDir() } });
    const opened = new Promise<IncomingMessage>((resolve, reject) => {
      request(`${sandbox.httpsUrl!}/__admin/requests/stream`, { ca: sandbox.certificate!.pem }, resolve)
        .on("error", reject)
        .end();
    });
    const stream = await opened;
    expect(stream.statusCode).toBe(200);
    const ended = new Promise((resolve) => stream.resume().on("close", resolve));
    expect(await sandbox.close({ graceSeconds: 30 })).toEqual({ cut: 0 });
    await ended;
  });
});
