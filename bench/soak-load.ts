// The soak's load: `amount` token requests across vendors on loopback, at most `seconds`; prints how many were sent.
import autocannon from "autocannon";

const [url, amountArg, secondsArg] = process.argv.slice(2);
const basic = `Basic ${Buffer.from("sandbox-client:sandbox-secret").toString("base64")}`;
const dqe = {
  method: "GET" as const,
  path: "/dqe/ACCESS_TOKEN/?client_secret=sandbox-secret&grant_type=client_idmobile&licence=SANDBOX-LICENCE",
};
const dqePost = {
  method: "POST" as const,
  path: "/dqe/ACCESS_TOKEN/",
  headers: { "content-type": "application/x-www-form-urlencoded" },
  body: "licence=SANDBOX-LICENCE&client_secret=sandbox-secret&grant_type=client_idmobile",
};
const regula = {
  method: "POST" as const,
  path: "/regula/api/v1/deeplink?workflowId=wf-document",
  headers: { "content-type": "application/json", authorization: "ApiKey sandbox-api-key" },
  body: '{"metadata":{"soak":true},"ttl":3600}',
};
const sardine = {
  method: "POST" as const,
  path: "/sardine/v1/identity-documents/tokens",
  headers: { "content-type": "application/json", authorization: basic },
  body: '{"sessionKey":"soak"}',
};
// Each connection cycles through this list: mostly the fast vendors, one signed JWT in twenty.
const requests = [...Array.from({ length: 19 }, (_, i) => [dqe, dqePost, regula][i % 3]!), sardine];

const result = await autocannon({
  url: url!,
  connections: 50,
  amount: Number(amountArg),
  duration: Number(secondsArg),
  requests,
});
process.stdout.write(String(result.requests.total));
