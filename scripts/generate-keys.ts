/**
 * Writes fresh RSA 2048 signing keys into fixtures/keys/. Run once by hand
 * (`npx tsx scripts/generate-keys.ts`); the sandbox itself never generates keys at start-up.
 * The keys are TEST-ONLY: they are public in this repository.
 */
import { writeFile } from "node:fs/promises";
import { exportJWK, generateKeyPair } from "jose";

const WARNING = "TEST-ONLY key of idv-sandbox. Public in its repository: never trust anything it signs.";

for (const name of process.argv.slice(2).length > 0 ? process.argv.slice(2) : ["sardine", "sumsub"]) {
  const { privateKey } = await generateKeyPair("RS256", { modulusLength: 2048, extractable: true });
  const jwk = await exportJWK(privateKey);
  await writeFile(
    new URL(`../fixtures/keys/${name}.json`, import.meta.url),
    JSON.stringify({ warning: WARNING, alg: "RS256", jwk }, null, 2) + "\n",
  );
  console.log(`wrote fixtures/keys/${name}.json`);
}
