import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  AWS_SNS_CERTIFICATE_HOSTS,
  canonicalString,
  type SnsMessage,
  SnsVerificationError,
  verifySnsMessage,
} from "../../client/src/index";

/**
 * The client's verifySnsMessage against a message Amazon SNS itself signed
 * (fixtures/README.md says where it comes from): accepted as it is, refused
 * once anything in it or around it is changed. The local service's messages
 * are verified by the same function in test/local/sns-subscriptions.test.ts
 * and end to end.
 */
const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8");
const AWS_MESSAGE = fixture("aws-sns-notification-v2.json");
const AWS_CERT = fixture("aws-sns-us-east-2-2022.pem");
const message = JSON.parse(AWS_MESSAGE) as SnsMessage;

/** SNS's certificate, as if downloaded from SigningCertURL; counts the downloads. */
const downloads: string[] = [];
const options = {
  topicArns: [message.TopicArn],
  now: () => new Date(Date.parse(message.Timestamp) + 60_000),
  fetchCertificate: async (url: string) => {
    downloads.push(url);
    return AWS_CERT;
  },
};

describe("verifySnsMessage on a real Amazon SNS message", () => {
  it("accepts it as SNS posted it (the raw body), with the default AWS certificate hosts", async () => {
    const verified = await verifySnsMessage(AWS_MESSAGE, options);
    expect(verified).toMatchObject({ Type: "Notification", Message: "Hello world", SignatureVersion: "2" });
    expect(downloads).toEqual([message.SigningCertURL]);
    expect(AWS_SNS_CERTIFICATE_HOSTS.some((h) => h.test(new URL(message.SigningCertURL).hostname))).toBe(
      true,
    );
    // Parsed already, or as bytes: the same.
    await expect(verifySnsMessage(message, options)).resolves.toEqual(verified);
    await expect(verifySnsMessage(Buffer.from(AWS_MESSAGE), options)).resolves.toEqual(verified);
  });

  it("signs the canonical string SNS documents", () => {
    expect(canonicalString(message)).toBe(
      `Message\nHello world\nMessageId\n${message.MessageId}\nTimestamp\n${message.Timestamp}\nTopicArn\n${message.TopicArn}\nType\nNotification\n`,
    );
  });

  it.each<[string, Partial<SnsMessage>, RegExp]>([
    ["a changed Message", { Message: "Hello world!" }, /signature/],
    ["a changed MessageId", { MessageId: "17dea24b-55c2-540b-8362-f916557af766" }, /signature/],
    ["a Subject added", { Subject: "Hi" }, /signature/],
    ["a changed Timestamp", { Timestamp: "2022-07-28T21:24:09.324Z" }, /signature/],
    ["another signature", { Signature: `${message.Signature.slice(0, -8)}AAAAAAA=` }, /signature/],
    ["SignatureVersion 1", { SignatureVersion: "1" }, /SignatureVersion/],
    [
      "a certificate on another host",
      { SigningCertURL: "https://sns.example.com/SimpleNotificationService-1.pem" },
      /host/,
    ],
    [
      "a certificate over plain HTTP",
      { SigningCertURL: message.SigningCertURL.replace("https:", "http:") },
      /host/,
    ],
    [
      "a certificate that is no .pem",
      { SigningCertURL: message.SigningCertURL.replace(".pem", ".key") },
      /\.pem/,
    ],
    [
      "a host that only ends like SNS's",
      { SigningCertURL: "https://evil-sns.us-east-2.amazonaws.com.example.com/x.pem" },
      /host/,
    ],
  ])("refuses %s", async (_what, change, reason) => {
    const error = await verifySnsMessage({ ...message, ...change }, options).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SnsVerificationError);
    expect(String(error)).toMatch(reason);
  });

  it("refuses a topic that is not allowed, an old message, and one signed outside the certificate's validity", async () => {
    await expect(
      verifySnsMessage(message, { ...options, topicArns: ["arn:aws:sns:us-east-2:1:mine"] }),
    ).rejects.toThrow(/topic/);
    await expect(
      verifySnsMessage(message, {
        ...options,
        now: () => new Date(Date.parse(message.Timestamp) + 3_601_000),
      }),
    ).rejects.toThrow(/too old/);
    await expect(
      verifySnsMessage(message, {
        ...options,
        maxAgeSeconds: 30,
        now: () => new Date(Date.parse(message.Timestamp) + 31_000),
      }),
    ).rejects.toThrow(/too old/);
    await expect(
      verifySnsMessage(message, { ...options, now: () => new Date(Date.parse(message.Timestamp) - 600_000) }),
    ).rejects.toThrow(/future/);
  });

  it("refuses a body that is not an SNS message, and a certificate that is not one", async () => {
    await expect(verifySnsMessage("not json", options)).rejects.toThrow(/JSON/);
    await expect(verifySnsMessage({ ...message, Type: "Other" }, options)).rejects.toThrow(/type/);
    await expect(
      verifySnsMessage(
        { ...message, SigningCertURL: message.SigningCertURL.replace("7ff5", "0000") },
        { ...options, fetchCertificate: async () => "<html>not a certificate</html>" },
      ),
    ).rejects.toThrow(/PEM/);
  });
});
