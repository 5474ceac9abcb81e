import { verify as verifySignature, X509Certificate } from "node:crypto";

/**
 * Verifies a message that SNS posted to an HTTP(S) endpoint before anything
 * acts on it, as the Amazon SNS developer guide asks ("Verifying the
 * signatures of Amazon SNS messages"), the same for AWS's messages and the
 * local service's:
 *
 * 1. SignatureVersion 2 (SHA256withRSA) only: the stack's topics sign with it.
 * 2. The certificate comes from an allowed host over HTTPS (`sns.<region>.
 *    amazonaws.com` by default; a loopback host you allow, such as the local
 *    service's `127.0.0.1:3000`, may be plain HTTP) and is a `.pem`.
 * 3. The message comes from a topic you allow: any AWS account's topic can
 *    post a message AWS signed, so the signature alone says nothing about whose.
 * 4. The message is recent (`maxAgeSeconds`, default an hour: SNS retries
 *    HTTP(S) deliveries for at most an hour), so an old one cannot be replayed.
 * 5. The signature over the canonical string verifies with the certificate,
 *    which was valid when the message was signed.
 */

export type SnsMessageType = "Notification" | "SubscriptionConfirmation" | "UnsubscribeConfirmation";

/** A message SNS posts to an HTTP(S) subscriber (the envelope is SNS's, not the API's). */
export interface SnsMessage {
  Type: SnsMessageType;
  MessageId: string;
  TopicArn: string;
  Subject?: string;
  Message: string;
  Timestamp: string;
  SignatureVersion: string;
  Signature: string;
  SigningCertURL: string;
  UnsubscribeURL?: string;
  SubscribeURL?: string;
  Token?: string;
  MessageAttributes?: Record<string, { Type: string; Value: string }>;
}

/** The certificate hosts of SNS in every AWS Region (and China's). */
export const AWS_SNS_CERTIFICATE_HOSTS: readonly RegExp[] = [/^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$/];

export interface VerifyOptions {
  /** The topics you take messages from (required: whose messages these are). */
  topicArns: readonly string[];
  /** Hosts allowed to serve the signing certificate: a `host[:port]` string or a pattern of the host name. */
  certificateHosts?: readonly (string | RegExp)[];
  /** The oldest message taken, in seconds (default 3600). */
  maxAgeSeconds?: number;
  now?: () => Date;
  /** Fetches a certificate's PEM text (default `fetch`, cached per URL). */
  fetchCertificate?: (url: string) => Promise<string>;
}

export class SnsVerificationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SnsVerificationError";
  }
}

const SIGNED_FIELDS: Record<SnsMessageType, readonly string[]> = {
  Notification: ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"],
  SubscriptionConfirmation: [
    "Message",
    "MessageId",
    "SubscribeURL",
    "Timestamp",
    "Token",
    "TopicArn",
    "Type",
  ],
  UnsubscribeConfirmation: ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"],
};

/** The text SNS signs: each signed field present, as `<Name>\n<value>\n`, in this order. */
export function canonicalString(message: SnsMessage): string {
  const fields = SIGNED_FIELDS[message.Type];
  const values = message as unknown as Record<string, unknown>;
  return fields
    .filter((name) => typeof values[name] === "string")
    .map((name) => `${name}\n${values[name]}\n`)
    .join("");
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/;

/** Whether a URL of SNS (its certificate, its SubscribeURL) is on an allowed host, and how it is reached. */
export function isAllowedSnsUrl(url: URL, hosts: readonly (string | RegExp)[]): boolean {
  const allowed = hosts.some((h) =>
    typeof h === "string"
      ? h.toLowerCase() === url.host.toLowerCase()
      : url.port === "" && h.test(url.hostname),
  );
  if (!allowed) return false;
  return url.protocol === "https:" || (url.protocol === "http:" && LOOPBACK.test(url.hostname));
}

const certificates = new Map<string, Promise<X509Certificate>>();

async function defaultFetchCertificate(url: string): Promise<string> {
  const res = await fetch(url, { redirect: "error" });
  if (!res.ok)
    throw new SnsVerificationError(`the signing certificate could not be fetched (HTTP ${res.status})`);
  return res.text();
}

function certificateAt(url: string, fetchPem: (url: string) => Promise<string>): Promise<X509Certificate> {
  let cert = certificates.get(url);
  if (!cert) {
    cert = fetchPem(url).then((pem) => {
      if (!/^-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----\s*$/.test(pem.trim()))
        throw new SnsVerificationError("the signing certificate is not a PEM certificate");
      return new X509Certificate(pem);
    });
    // A failed fetch is not kept: the next message tries again.
    cert.catch(() => certificates.delete(url));
    if (certificates.size >= 100) certificates.clear();
    certificates.set(url, cert);
  }
  return cert;
}

function parse(input: string | Uint8Array | object): SnsMessage {
  let value: unknown = input;
  if (typeof input === "string" || input instanceof Uint8Array) {
    try {
      value = JSON.parse(typeof input === "string" ? input : Buffer.from(input).toString("utf8"));
    } catch {
      throw new SnsVerificationError("the body is not JSON");
    }
  }
  const m = value as Partial<Record<keyof SnsMessage, unknown>> | null;
  if (!m || typeof m !== "object") throw new SnsVerificationError("the body is not an SNS message");
  if (
    m.Type !== "Notification" &&
    m.Type !== "SubscriptionConfirmation" &&
    m.Type !== "UnsubscribeConfirmation"
  )
    throw new SnsVerificationError(`unknown message type ${String(m.Type)}`);
  for (const name of [
    "MessageId",
    "TopicArn",
    "Message",
    "Timestamp",
    "Signature",
    "SigningCertURL",
  ] as const)
    if (typeof m[name] !== "string") throw new SnsVerificationError(`the message has no ${name}`);
  return m as SnsMessage;
}

/** The message, verified; throws SnsVerificationError saying why it is refused. */
export async function verifySnsMessage(
  input: string | Uint8Array | object,
  options: VerifyOptions,
): Promise<SnsMessage> {
  const message = parse(input);
  if (message.SignatureVersion !== "2")
    throw new SnsVerificationError(
      `SignatureVersion ${message.SignatureVersion} is not accepted (only 2, SHA256)`,
    );

  let certUrl: URL;
  try {
    certUrl = new URL(message.SigningCertURL);
  } catch {
    throw new SnsVerificationError("SigningCertURL is not a URL");
  }
  if (!certUrl.pathname.endsWith(".pem")) throw new SnsVerificationError("SigningCertURL is not a .pem file");
  if (!isAllowedSnsUrl(certUrl, options.certificateHosts ?? AWS_SNS_CERTIFICATE_HOSTS))
    throw new SnsVerificationError(`the signing certificate's host ${certUrl.host} is not allowed`);

  if (!options.topicArns.includes(message.TopicArn))
    throw new SnsVerificationError(`the topic ${message.TopicArn} is not allowed`);

  const now = (options.now ?? (() => new Date()))().getTime();
  const signedAt = Date.parse(message.Timestamp);
  if (Number.isNaN(signedAt)) throw new SnsVerificationError("Timestamp is not a date");
  const maxAgeMs = (options.maxAgeSeconds ?? 3600) * 1000;
  if (now - signedAt > maxAgeMs) throw new SnsVerificationError("the message is too old");
  if (signedAt - now > 5 * 60_000) throw new SnsVerificationError("the message is from the future");

  const cert = await certificateAt(certUrl.href, options.fetchCertificate ?? defaultFetchCertificate);
  if (signedAt < Date.parse(cert.validFrom) || signedAt > Date.parse(cert.validTo))
    throw new SnsVerificationError("the signing certificate was not valid when the message was signed");
  const signature = Buffer.from(message.Signature, "base64");
  let ok = false;
  try {
    ok = verifySignature(
      "RSA-SHA256",
      Buffer.from(canonicalString(message), "utf8"),
      cert.publicKey,
      signature,
    );
  } catch {
    // a key or signature of the wrong shape verifies nothing
  }
  if (!ok) throw new SnsVerificationError("the signature does not verify");
  return message;
}
