import { createServer, get, type IncomingMessage } from "node:http";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asCaller, CALLER_HEADER, installCallerHeader, UNATTRIBUTED } from "../../../infra/local/iam/caller";
import { closeServer, fakeCredentials, listen } from "../helpers";

/**
 * The caller's identity crosses the HTTP hop to the local endpoints: shared
 * SDK clients, concurrent invocations of different functions, retries.
 */
const seen: (string | undefined)[] = [];
const attempts = new Map<string | undefined, number>();
const guardedServer = createServer((req: IncomingMessage, res) => {
  const caller = req.headers[CALLER_HEADER] as string | undefined;
  seen.push(caller);
  // Each caller's first attempt fails transiently, so the SDK retries it (after a timer) within the same call.
  const attempt = (attempts.get(caller) ?? 0) + 1;
  attempts.set(caller, attempt);
  const fail = attempt % 2 === 1;
  res.writeHead(fail ? 500 : 200, { "content-type": "text/xml" });
  res.end(
    fail
      ? "<ErrorResponse><Error><Type>Receiver</Type><Code>InternalError</Code><Message>x</Message></Error></ErrorResponse>"
      : "<PublishResponse><PublishResult><MessageId>m</MessageId></PublishResult></PublishResponse>",
  );
});
const otherServer = createServer((req, res) => {
  seen.push(`other:${req.headers[CALLER_HEADER] ?? "none"}`);
  res.end("ok");
});
let guarded: string;
let other: string;
let sns: SNSClient;

beforeAll(async () => {
  guarded = await listen(guardedServer);
  other = await listen(otherServer);
  installCallerHeader([guarded]);
  sns = new SNSClient({
    endpoint: guarded,
    region: "us-east-1",
    credentials: fakeCredentials,
    maxAttempts: 3,
  });
});
afterAll(async () => {
  sns.destroy();
  await closeServer(guardedServer);
  await closeServer(otherServer);
});

const publish = () =>
  sns.send(new PublishCommand({ TopicArn: "arn:aws:sns:us-east-1:000000000000:t", Message: "m" }));

describe("the caller header", () => {
  it("names the function on every attempt of its call, through one shared client, while others call at once", async () => {
    seen.length = 0;
    await Promise.all([
      asCaller("CreateEscrow", publish),
      asCaller("SettleEscrow", publish),
      asCaller("Reconciler", async () => {
        await new Promise((r) => setTimeout(r, 5));
        return publish();
      }),
    ]);
    // Each call failed once and was retried: 6 requests, each pair naming one caller.
    expect(seen).toHaveLength(6);
    expect([...seen].sort()).toEqual([
      "CreateEscrow",
      "CreateEscrow",
      "Reconciler",
      "Reconciler",
      "SettleEscrow",
      "SettleEscrow",
    ]);
  });

  it("marks a call to a local AWS endpoint made outside any invocation, and leaves other hosts alone", async () => {
    seen.length = 0;
    await publish();
    await fetch(other).catch(() => undefined); // fetch (undici) is not an http.Agent request: untouched
    await new Promise<void>((resolve, reject) => {
      const req = get(other, (res) => {
        res.resume();
        res.on("end", resolve);
      });
      req.on("error", reject);
    });
    expect(seen[0]).toBe(UNATTRIBUTED);
    expect(seen.slice(-2)).toEqual(["other:none", "other:none"]);
  });
});
