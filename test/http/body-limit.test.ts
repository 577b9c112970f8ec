import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSandbox, type Sandbox } from "../../src/index.js";

let sandbox: Sandbox | undefined;
beforeAll(async () => {
  sandbox = await createSandbox({ port: 0 });
});
afterAll(async () => {
  await sandbox?.close();
});

/** Writes `head` (and `then`, if given) on a raw socket and resolves with what the server answers first. */
function rawExchange(head: string, then?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(sandbox!.port, "127.0.0.1", () => {
      socket.write(head);
      if (then) socket.write(then);
    });
    let answer = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      answer += chunk;
      if (answer.includes("\r\n\r\n")) {
        socket.destroy();
        resolve(answer);
      }
    });
    socket.on("error", reject);
    setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer; got ${answer}`));
    }, 3000);
  });
}

describe("bodies over the limit (default 1 MiB)", () => {
  it("are refused with 413 from Content-Length alone, before the body is sent", async () => {
    const answer = await rawExchange(
      "POST /sardine/v1/identity-documents/tokens HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" +
        `Content-Length: ${String(50 * 1024 * 1024)}\r\n\r\n`,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
  });

  it("are refused with 413 when streamed in chunks, as soon as the limit passes", async () => {
    const chunk = "x".repeat(64 * 1024);
    const chunks = Array.from({ length: 20 }, () => `${chunk.length.toString(16)}\r\n${chunk}\r\n`).join("");
    const answer = await rawExchange(
      "POST /dqe/ACCESS_TOKEN/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n",
      chunks,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    expect((await fetch(`${sandbox!.url}/__admin/health`)).status).toBe(200);
  });

  it("answer in the vendor's format", async () => {
    const res = await fetch(`${sandbox!.url}/dqe/ACCESS_TOKEN/`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "licence=".padEnd(1024 * 1024 + 10, "x"),
    });
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ status: "error", error_type: "request too large" });
  });
});

describe("requests that declare no body (no Content-Length, no Transfer-Encoding: RFC 9112 §6.3)", () => {
  /** The whole answer to one request written on a raw socket; the server closes after it. */
  function rawRequest(head: string): Promise<{ status: number; body: unknown }> {
    return new Promise((resolve, reject) => {
      const socket = connect(sandbox!.port, "127.0.0.1", () => socket.write(head));
      let answer = "";
      socket.setEncoding("utf8");
      socket.on("data", (chunk: string) => (answer += chunk));
      socket.on("end", () => {
        const [headers = "", body = ""] = answer.split("\r\n\r\n");
        resolve({ status: Number(headers.split(" ")[1]), body: JSON.parse(body) });
      });
      socket.on("error", reject);
    });
  }

  it("are answered as bodiless: DQE's POST with its fields in the query issues a token", async () => {
    const query = "licence=SANDBOX-LICENCE&client_secret=sandbox-secret&grant_type=client_idmobile";
    const answer = await rawRequest(
      `POST /dqe/ACCESS_TOKEN/?${query} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
    );
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ token_type: "Bearer", expires_in: "300" });
  });

  it("read as an empty JSON body: a Regula deeplink takes its defaults", async () => {
    const answer = await rawRequest(
      "POST /regula/api/v1/deeplink?workflowId=wf-document HTTP/1.1\r\nHost: x\r\n" +
        "Authorization: ApiKey sandbox-api-key\r\nConnection: close\r\n\r\n",
    );
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ workflowIds: ["wf-document"] });
  });
});
