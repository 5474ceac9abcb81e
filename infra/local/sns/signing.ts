import { createHash, createSign, generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import forge from "node-forge";
import { canonicalString, type SnsMessage } from "../../../client/src/verify-sns-message";

/**
 * The local SNS's signing certificate: a key and a self-signed certificate
 * made at the first start into the data folder (never committed), then kept,
 * so messages signed before a restart still verify after it. Messages are
 * signed as SNS signs them with SignatureVersion 2: SHA256withRSA over the
 * canonical string of the message's fields (`<Name>\n<value>\n`, in SNS's
 * order), base64.
 */

/**
 * The text SNS signs for a message (Amazon SNS developer guide, "Verifying the signatures"): the
 * integrator client's own, which test/client holds to a message Amazon SNS signed.
 */
export { canonicalString, type SnsMessageType } from "../../../client/src/verify-sns-message";

/** A certificate's host name: what an integrator's allowlist names. */
const SUBJECT = "sns.escrow.local";
const TEN_YEARS_MS = 10 * 365 * 86_400_000;

export class SnsSigner {
  private constructor(
    private readonly privateKeyPem: string,
    readonly certificatePem: string,
  ) {}

  /** Loads the key and certificate from `dir`, making them at the first start. */
  static async open(dir: string, now: () => number = Date.now): Promise<SnsSigner> {
    const keyFile = join(dir, "signing-key.pem");
    const certFile = join(dir, "signing-cert.pem");
    try {
      return new SnsSigner(await readFile(keyFile, "utf8"), await readFile(certFile, "utf8"));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
    const { privateKey, publicKey } = generateKeyPairSync("rsa", {
      modulusLength: 2048,
      publicKeyEncoding: { type: "spki", format: "pem" },
      privateKeyEncoding: { type: "pkcs8", format: "pem" },
    });
    const cert = forge.pki.createCertificate();
    cert.publicKey = forge.pki.publicKeyFromPem(publicKey);
    // A positive serial: the first byte's high bit clear.
    cert.serialNumber = `01${randomBytes(15).toString("hex")}`;
    cert.validity.notBefore = new Date(now() - 60_000);
    cert.validity.notAfter = new Date(now() + TEN_YEARS_MS);
    const name = [{ name: "commonName", value: SUBJECT }];
    cert.setSubject(name);
    cert.setIssuer(name);
    cert.setExtensions([
      { name: "basicConstraints", cA: false },
      { name: "keyUsage", digitalSignature: true },
      { name: "subjectAltName", altNames: [{ type: 2, value: SUBJECT }] },
    ]);
    cert.sign(forge.pki.privateKeyFromPem(privateKey), forge.md.sha256.create());
    const certificatePem = forge.pki.certificateToPem(cert);
    await mkdir(dir, { recursive: true });
    // The key is readable by its owner only; the certificate is public (served at SigningCertURL).
    await writeFile(keyFile, privateKey, { mode: 0o600 });
    await writeFile(certFile, certificatePem);
    return new SnsSigner(privateKey, certificatePem);
  }

  /** The certificate's file name, as SNS names its own (`SimpleNotificationService-<hash>.pem`). */
  get certificateFileName(): string {
    const hash = createHash("sha256").update(this.certificatePem).digest("hex").slice(0, 32);
    return `SimpleNotificationService-${hash}.pem`;
  }

  /** SignatureVersion 2: SHA256withRSA over the canonical string, base64. */
  sign(message: Record<string, unknown>): string {
    return createSign("RSA-SHA256")
      .update(canonicalString(message as unknown as SnsMessage), "utf8")
      .sign(this.privateKeyPem, "base64");
  }
}
