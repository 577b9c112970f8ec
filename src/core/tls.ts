import { createPrivateKey, KeyObject, randomBytes, webcrypto, X509Certificate } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { isIP } from "node:net";
import { homedir } from "node:os";
import { join } from "node:path";
import { createClock } from "./clock.js";
import { ConfigError } from "./errors.js";

/**
 * What the HTTPS listener serves, and what a client trusts to accept it.
 *
 * With no certificate given, the sandbox keeps a small certificate authority of its own and a server certificate it
 * signed, as mkcert does. The authority is what a device trusts, once: a server certificate made anew (a new LAN
 * address in `publicUrl`, or an expiry) is signed by the same authority, so nothing needs trusting again. A single
 * self-signed server certificate would need trusting anew on each device at every such change, and would have to be
 * a CA certificate to be installable on Android, which Firefox refuses as a server's.
 */
export interface TlsCertificate {
  /** PEM: the served certificate (a chain, leaf first, when one was given). */
  readonly cert: string;
  /** PEM private key of `cert`. */
  readonly key: string;
  readonly certPath: string;
  /** SHA-256 fingerprint of the served (leaf) certificate, as browsers and `openssl x509 -fingerprint` show it. */
  readonly fingerprint: string;
  /** The names it is valid for: its subjectAltName DNS names and IP addresses. */
  readonly names: readonly string[];
  readonly validTo: Date;
  /** `created`: made on this start; `kept`: made on an earlier start and still good; `given`: the configured files. */
  readonly origin: Origin;
  /** The certificate a client trusts: the sandbox's authority, or the given certificate itself. */
  readonly trust: {
    readonly pem: string;
    readonly path: string;
    readonly fingerprint: string;
    readonly validTo: Date;
    readonly origin: Origin;
  };
}

type Origin = "created" | "kept" | "given";

/** The names a generated certificate always covers, whatever the config. */
const LOCAL_NAMES = ["localhost", "127.0.0.1", "::1"] as const;

/** File names in the data folder. `.crt` (PEM inside): what iOS and Android both offer to install. */
const FILES = {
  authority: "idv-sandbox-ca.crt",
  authorityKey: "idv-sandbox-ca.key",
  cert: "idv-sandbox.crt",
  key: "idv-sandbox.key",
} as const;

const DAY_MS = 86_400_000;
/** Ten years: the authority is trusted once per device; nothing limits a root's validity. */
const AUTHORITY_DAYS = 3650;
/**
 * Apple refuses TLS server certificates valid for more than 825 days, even under a root the user trusts: two years
 * (plus the day of slack before `notBefore`) keeps under it.
 */
const SERVER_DAYS = 730;

/**
 * Where a generated certificate is kept when `https.dir` is unset: the user's data folder, not the current directory.
 * One authority per user, trusted once on a simulator or emulator, serves every project that starts the sandbox;
 * nothing lands in a project's work tree (or the package's folder, read-only in the Docker image).
 */
export function defaultTlsDir(env: NodeJS.ProcessEnv = process.env): string {
  if (process.platform === "win32" && env.LOCALAPPDATA) return join(env.LOCALAPPDATA, "idv-sandbox");
  return join(env.XDG_DATA_HOME || join(homedir(), ".local", "share"), "idv-sandbox");
}

/**
 * The names a certificate must cover: loopback in both families, the public URL's host, and the address bound to when
 * it names one host (not `0.0.0.0` or `::`).
 */
export function requiredNames(options: { host: string; publicUrl?: string | undefined }): string[] {
  const names: string[] = [...LOCAL_NAMES];
  if (options.publicUrl) names.push(new URL(options.publicUrl).hostname);
  names.push(options.host);
  return unique(names.map(bare).filter((name) => name !== "0.0.0.0" && name !== "::"));
}

/** One spelling per name: `[::1]` and `0:0:0:0:0:0:0:1` → `::1`; host names in lower case. */
function bare(name: string): string {
  const unbracketed = name.replace(/^\[(.*)\]$/, "$1").toLowerCase();
  return isIP(unbracketed) === 6 ? new URL(`http://[${unbracketed}]`).hostname.slice(1, -1) : unbracketed;
}

function unique(names: readonly string[]): string[] {
  return [...new Set(names)];
}

export interface LoadCertificateOptions {
  /** A PEM certificate (chain) file to serve as given, with `key`. */
  cert?: string | undefined;
  key?: string | undefined;
  /** Where a generated certificate is kept (`defaultTlsDir()` when unset). */
  dir?: string | undefined;
  /** The names a generated certificate must cover (`requiredNames`). */
  names: readonly string[];
  /** Real time (certificates are checked against clients' clocks, never the sandbox's): the system's by default. */
  now?: () => number;
}

/**
 * The certificate to serve: the given files; else the one kept in the data folder while it is valid, covers `names`
 * and was signed by the kept authority; else a new one, signed by that authority (made too if missing or expiring),
 * written there (keys with mode 0600) so that the next start serves the same.
 *
 * @example
 * const tls = await loadCertificate({ names: requiredNames({ host: "127.0.0.1" }), dir: "/tmp/idv" });
 * https.createServer({ cert: tls.cert, key: tls.key }); // clients trust tls.trust.pem
 */
export async function loadCertificate(options: LoadCertificateOptions): Promise<TlsCertificate> {
  if (options.cert !== undefined && options.key !== undefined)
    return givenCertificate(options.cert, options.key);
  const clock = createClock();
  const now = options.now ?? (() => clock.now());
  const dir = options.dir ?? defaultTlsDir();
  const authority = await keep(
    dir,
    FILES.authority,
    FILES.authorityKey,
    // Its key signs the server certificate here: ECDSA P-256, as made.
    ({ x509 }) =>
      x509.ca && x509.publicKey.asymmetricKeyDetails?.namedCurve === "prime256v1" && fresh(x509, now()),
    () => makeAuthority(now()),
  );
  const server = await keep(
    dir,
    FILES.cert,
    FILES.key,
    ({ x509 }) =>
      fresh(x509, now()) &&
      covers(x509, options.names) &&
      x509.checkIssued(authority.pair.x509) &&
      x509.verify(authority.pair.x509.publicKey),
    // A new one keeps the names of the one it replaces: going back to an earlier address needs no new one.
    (previous) =>
      issueServerCertificate(
        authority.pair,
        unique([...options.names, ...(previous ? sanNames(previous.x509) : [])]),
        now(),
      ),
  );
  return {
    ...described(server.pair, join(dir, FILES.cert), server.origin),
    trust: {
      pem: authority.pair.cert,
      path: join(dir, FILES.authority),
      fingerprint: authority.pair.x509.fingerprint256,
      validTo: new Date(Date.parse(authority.pair.x509.validTo)),
      origin: authority.origin,
    },
  };
}

interface Pair {
  cert: string;
  key: string;
  x509: X509Certificate;
}

/**
 * The certificate and key kept under these names while `good`, else made anew and written. Two sandboxes starting at
 * once on one folder may both write: each write is atomic (a rename), and what is read back must be the pair just
 * made, else the folder is looked at again.
 */
async function keep(
  dir: string,
  certName: string,
  keyName: string,
  good: (pair: Pair) => boolean,
  make: (previous: Pair | undefined) => Promise<{ cert: string; key: string }>,
): Promise<{ pair: Pair; origin: "created" | "kept" }> {
  const certPath = join(dir, certName);
  const keyPath = join(dir, keyName);
  for (let attempt = 0; attempt < 3; attempt++) {
    const kept = await readPair(certPath, keyPath);
    if (kept && good(kept)) return { pair: kept, origin: "kept" };
    const made = await make(kept);
    try {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await writeAtomically(keyPath, made.key, 0o600);
      await writeAtomically(certPath, made.cert, 0o644);
    } catch (cause) {
      const code = (cause as NodeJS.ErrnoException).code ?? String(cause);
      throw new ConfigError(
        `cannot keep the HTTPS certificate in ${dir}: ${code} (set https.dir to a folder the sandbox may write)`,
        { cause },
      );
    }
    const written = await readPair(certPath, keyPath);
    if (written?.cert === made.cert) return { pair: written, origin: "created" };
  }
  throw new ConfigError(`cannot keep the HTTPS certificate in ${dir}: another process keeps rewriting it`);
}

/** The pair in these files, if both are there, parse, and belong together. */
async function readPair(certPath: string, keyPath: string): Promise<Pair | undefined> {
  try {
    const [cert, key] = await Promise.all([readFile(certPath, "utf8"), readFile(keyPath, "utf8")]);
    const x509 = new X509Certificate(cert);
    return x509.checkPrivateKey(createPrivateKey(key)) ? { cert, key, x509 } : undefined;
  } catch {
    // Missing, unreadable or not PEM: made anew.
    return undefined;
  }
}

/** Valid now and for another day at least (so a sandbox left running overnight does not serve an expired one). */
function fresh(x509: X509Certificate, now: number): boolean {
  return Date.parse(x509.validFrom) <= now && Date.parse(x509.validTo) - DAY_MS >= now;
}

function covers(x509: X509Certificate, names: readonly string[]): boolean {
  return names.every((name) =>
    isIP(name) ? x509.checkIP(name) !== undefined : x509.checkHost(name, { subject: "never" }) !== undefined,
  );
}

/** The DNS names and IP addresses of a certificate's subjectAltName. */
function sanNames(x509: X509Certificate): string[] {
  return (x509.subjectAltName ?? "")
    .split(", ")
    .map((entry) => /^(?:DNS|IP Address):(.+)$/.exec(entry)?.[1])
    .filter((name): name is string => name !== undefined)
    .map(bare);
}

async function givenCertificate(certPath: string, keyPath: string): Promise<TlsCertificate> {
  const read = async (path: string, what: string) => {
    try {
      return await readFile(path, "utf8");
    } catch (cause) {
      throw new ConfigError(
        `cannot read the HTTPS ${what} ${path}: ${(cause as NodeJS.ErrnoException).code ?? String(cause)}`,
        { cause },
      );
    }
  };
  const [cert, key] = await Promise.all([read(certPath, "certificate"), read(keyPath, "key")]);
  let x509: X509Certificate;
  let privateKey: KeyObject;
  try {
    x509 = new X509Certificate(cert);
  } catch (cause) {
    throw new ConfigError(`HTTPS certificate ${certPath} is not a PEM certificate`, { cause });
  }
  try {
    privateKey = createPrivateKey(key);
  } catch (cause) {
    throw new ConfigError(`HTTPS key ${keyPath} is not a PEM private key`, { cause });
  }
  if (!x509.checkPrivateKey(privateKey))
    throw new ConfigError(`HTTPS key ${keyPath} is not the key of the certificate ${certPath}`);
  const served = described({ cert, key, x509 }, certPath, "given");
  // Its authority (mkcert's root, say) is the user's to trust: the sandbox knows only the certificate.
  return {
    ...served,
    trust: {
      pem: cert,
      path: certPath,
      fingerprint: served.fingerprint,
      validTo: served.validTo,
      origin: "given",
    },
  };
}

function described(pair: Pair, certPath: string, origin: Origin): Omit<TlsCertificate, "trust"> {
  return {
    cert: pair.cert,
    key: pair.key,
    certPath,
    fingerprint: pair.x509.fingerprint256,
    names: sanNames(pair.x509),
    validTo: new Date(Date.parse(pair.x509.validTo)),
    origin,
  };
}

/** Writes through a temporary file and a rename: a reader sees the old file or the new one, never half of one. */
async function writeAtomically(path: string, text: string, mode: number): Promise<void> {
  const temporary = `${path}.${randomBytes(6).toString("hex")}.tmp`;
  await writeFile(temporary, text, { mode });
  await rename(temporary, path);
}

/**
 * @peculiar/x509 over Node's WebCrypto makes the certificates: a maintained, typed library, the one `selfsigned` now
 * wraps (selfsigned adds pkijs and an older x509 major, and signs with SHA-1 unless told otherwise; node-forge signs
 * with RSA keys only, in JavaScript). The keys are ECDSA P-256, made in milliseconds (an RSA-2048 key took 0.1–0.7 s
 * on a 2-core machine). Loaded on first use (about 0.35 s): a sandbox whose certificates are kept or given never loads
 * it, nor the Reflect polyfill it needs.
 */
async function x509Library() {
  await import("reflect-metadata");
  const x509 = await import("@peculiar/x509");
  x509.cryptoProvider.set(webcrypto as Crypto);
  return x509;
}

const ALGORITHM = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;

function serialNumber(): string {
  const serial = randomBytes(16);
  serial[0]! &= 0x7f; // positive (RFC 5280 4.1.2.2)
  return serial.toString("hex");
}

function pkcs8(key: CryptoKey): string {
  return KeyObject.from(key).export({ type: "pkcs8", format: "pem" }) as string;
}

/** A new certificate authority (self-signed, may sign server certificates only) and its key, both PEM. */
async function makeAuthority(now: number): Promise<{ cert: string; key: string }> {
  const x509 = await x509Library();
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"]);
  const made = new Date(now).toISOString().slice(0, 10);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    // Dated, so that a device that trusted an earlier one tells them apart in its list.
    name: `CN=idv-sandbox test-only CA ${made}, O=idv-sandbox`,
    // A day early: an emulator whose clock lags the host's still takes it.
    notBefore: new Date(now - DAY_MS),
    notAfter: new Date(now + AUTHORITY_DAYS * DAY_MS),
    keys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert: certificate.toString("pem") + "\n", key: pkcs8(keys.privateKey) };
}

/**
 * A new server certificate for `names` (DNS names and IP addresses) and its key, both PEM, signed by `authority`:
 * `serverAuth` and the subjectAltName, which Apple requires of a TLS server certificate, and no CA bit, which Firefox
 * requires.
 */
async function issueServerCertificate(
  authority: Pair,
  names: readonly string[],
  now: number,
): Promise<{ cert: string; key: string }> {
  const x509 = await x509Library();
  const signingKey = await webcrypto.subtle.importKey(
    "pkcs8",
    createPrivateKey(authority.key).export({ type: "pkcs8", format: "der" }),
    ALGORITHM,
    false,
    ["sign"],
  );
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"]);
  const issuer = new x509.X509Certificate(authority.cert);
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    issuer: issuer.subject,
    subject: `CN=${names[0] ?? "localhost"}, O=idv-sandbox (test-only)`,
    notBefore: new Date(now - DAY_MS),
    notAfter: new Date(now + SERVER_DAYS * DAY_MS),
    publicKey: keys.publicKey,
    signingKey,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(
        unique(names.map(bare)).map((name) => ({
          type: isIP(name) ? ("ip" as const) : ("dns" as const),
          value: name,
        })),
      ),
      await x509.AuthorityKeyIdentifierExtension.create(issuer),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert: certificate.toString("pem") + "\n", key: pkcs8(keys.privateKey) };
}
