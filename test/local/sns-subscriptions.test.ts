import { readFile, stat } from "node:fs/promises";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { join } from "node:path";
import {
  InvalidParameterException,
  ListSubscriptionsByTopicCommand,
  ListTopicsCommand,
  NotFoundException,
  SetSubscriptionAttributesCommand,
  SNSClient,
  SubscribeCommand,
  type SubscribeCommandInput,
  UnsubscribeCommand,
} from "@aws-sdk/client-sns";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { confirmSubscription, SnsVerificationError, verifySnsMessage } from "../../client/src/index";
import {
  createDeliveriesListener,
  createSnsHttpServer,
  LocalSns,
  type LocalSnsOptions,
} from "../../infra/local/sns";
import { closeServer, fakeCredentials, listen, removeDir, tempDir, waitFor } from "./helpers";

/**
 * The local SNS as an HTTP(S) subscriber meets SNS in AWS: Subscribe through
 * the SNS API, the SubscriptionConfirmation handshake, filter policies,
 * notifications signed with SignatureVersion 2 by a certificate served at
 * SigningCertURL (checked with the client's own verifySnsMessage), SNS's
 * default HTTP delivery policy, and every attempt in `/_local/deliveries`.
 */

const EVENTS = "arn:aws:sns:us-east-1:000000000000:escrow-events";
const OPS = "arn:aws:sns:us-east-1:000000000000:escrow-ops-alerts";

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

let dir: string;
const services: LocalSns[] = [];
const servers: Server[] = [];

beforeEach(async () => {
  dir = await tempDir("sns-subs");
});
afterEach(async () => {
  await Promise.all(services.splice(0).map((s) => s.close()));
  await Promise.all(servers.splice(0).map(closeServer));
  await removeDir(dir);
});

/** A webhook that records what it gets and answers what `answer` says (200 by default). */
async function webhook(answer: (r: Received) => number = () => 200) {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const r = { path: req.url ?? "/", headers: req.headers, body: Buffer.concat(chunks).toString("utf8") };
      received.push(r);
      res.writeHead(answer(r)).end();
    });
  });
  servers.push(server);
  return { url: await listen(server), received };
}

/** A local SNS served over HTTP (its URL is SigningCertURL's and SubscribeURL's), with an SDK client on it. */
async function snsService(options: Partial<LocalSnsOptions> = {}) {
  let base = "";
  const sns = new LocalSns({
    dataDir: dir,
    topics: [EVENTS, OPS],
    onError: () => {},
    endpoint: () => base,
    ...options,
  });
  services.push(sns);
  const deliveries = createDeliveriesListener(sns);
  const snsListener = createSnsHttpServer(sns).listeners("request")[0] as (
    req: unknown,
    res: unknown,
  ) => void;
  const server = createServer((req, res) => {
    void deliveries(req, res).then((handled) => {
      if (!handled) snsListener(req, res);
    });
  });
  servers.push(server);
  base = await listen(server);
  const client = new SNSClient({
    endpoint: base,
    region: "us-east-1",
    credentials: fakeCredentials,
    maxAttempts: 1,
  });
  const verify = { topicArns: [EVENTS, OPS], certificateHosts: [new URL(base).host] };
  return { sns, client, base, verify };
}

const attrs = (type: string, tenantId = "demo") => ({
  type: { DataType: "String", StringValue: type },
  tenantId: { DataType: "String", StringValue: tenantId },
});
const publish = (sns: LocalSns, type: string, tenantId = "demo", escrowId = "esc_1") =>
  sns.publish({
    TopicArn: EVENTS,
    Message: JSON.stringify({ id: `evt_${type}`, type, tenantId, escrowId }),
    MessageAttributes: attrs(type, tenantId),
  });

/** Subscribe through the SNS API: an HTTP endpoint on the events topic unless `input` says otherwise. */
const subscribe = (client: SNSClient, input: Partial<SubscribeCommandInput>) =>
  client.send(new SubscribeCommand({ TopicArn: EVENTS, Protocol: "http", ...input }));
/** The SubscriptionConfirmation a new subscription sends its endpoint (the first request it gets). */
async function confirmationOf(hook: { received: Received[] }): Promise<Received> {
  await waitFor(() => hook.received.length === 1, { what: "the SubscriptionConfirmation" });
  return hook.received[0] as Received;
}

describe("subscriptions through the SNS API", () => {
  it("lists the two topics by their local names", async () => {
    const { client } = await snsService();
    const { Topics } = await client.send(new ListTopicsCommand({}));
    expect(Topics?.map((t) => t.TopicArn)).toEqual([EVENTS, OPS]);
  });

  it("confirms by the SubscribeURL of a signed SubscriptionConfirmation, then delivers what the filter lets through, signed", async () => {
    const { sns, client, verify } = await snsService();
    const hook = await webhook();
    const { SubscriptionArn } = await subscribe(client, {
      Endpoint: `${hook.url}/sns`,
      Attributes: {
        FilterPolicy: JSON.stringify({ tenantId: ["demo"], type: ["escrow.funded", "escrow.released"] }),
      },
    });
    expect(SubscriptionArn).toBe("pending confirmation");
    const confirmation = await confirmationOf(hook);
    expect(confirmation.headers["x-amz-sns-message-type"]).toBe("SubscriptionConfirmation");
    const asked = JSON.parse(confirmation.body);
    expect(asked).toMatchObject({
      Type: "SubscriptionConfirmation",
      TopicArn: EVENTS,
      SignatureVersion: "2",
    });

    // Nothing is delivered while the subscription waits for its confirmation.
    await publish(sns, "escrow.funded");
    const pending = await client.send(new ListSubscriptionsByTopicCommand({ TopicArn: EVENTS }));
    expect(pending.Subscriptions).toEqual([
      expect.objectContaining({
        SubscriptionArn: "PendingConfirmation",
        Protocol: "http",
        Endpoint: `${hook.url}/sns`,
      }),
    ]);

    const arn = await confirmSubscription(confirmation.body, verify);
    expect(arn).toMatch(new RegExp(`^${EVENTS}:[0-9a-f-]{36}$`));
    const listed = await client.send(new ListSubscriptionsByTopicCommand({ TopicArn: EVENTS }));
    expect(listed.Subscriptions?.map((s) => s.SubscriptionArn)).toEqual([arn]);

    await publish(sns, "escrow.funded", "demo", "esc_2");
    await publish(sns, "escrow.delivered", "demo", "esc_2"); // type not in the filter
    await publish(sns, "escrow.funded", "other", "esc_3"); // another tenant's
    await publish(sns, "escrow.released", "demo", "esc_2");
    await sns.drain();
    const notifications = hook.received.slice(1);
    expect(notifications.map((n) => JSON.parse(JSON.parse(n.body).Message).type)).toEqual([
      "escrow.funded",
      "escrow.released",
    ]);
    for (const n of notifications) {
      expect(n.headers).toMatchObject({
        "x-amz-sns-message-type": "Notification",
        "x-amz-sns-topic-arn": EVENTS,
        "x-amz-sns-subscription-arn": arn,
        "content-type": "text/plain; charset=UTF-8",
      });
      const verified = await verifySnsMessage(n.body, verify);
      expect(verified.MessageAttributes?.tenantId).toEqual({ Type: "String", Value: "demo" });
      expect(verified.UnsubscribeURL).toContain("Action=Unsubscribe");
      expect(n.headers["x-amz-sns-message-id"]).toBe(verified.MessageId);
    }
    // The certificate at SigningCertURL is the one on disk; the key stays readable by its owner only.
    const certUrl = JSON.parse(notifications[0]?.body ?? "").SigningCertURL as string;
    const served = await (await fetch(certUrl)).text();
    expect(served).toBe(await readFile(join(dir, "sns", "signing", "signing-cert.pem"), "utf8"));
    expect((await stat(join(dir, "sns", "signing", "signing-key.pem"))).mode & 0o077).toBe(0);
  });

  it("rejects a tampered notification", async () => {
    const { sns, client, verify } = await snsService();
    const hook = await webhook();
    const { SubscriptionArn } = await subscribe(client, { Endpoint: hook.url, ReturnSubscriptionArn: true });
    expect(SubscriptionArn).toMatch(/^arn:aws:sns:/);
    // Visiting the SubscribeURL (a GET, as a browser or curl would) confirms too.
    const subscribeUrl = JSON.parse((await confirmationOf(hook)).body).SubscribeURL as string;
    const visited = await fetch(subscribeUrl);
    expect(visited.status).toBe(200);
    expect(await visited.text()).toContain(`<SubscriptionArn>${SubscriptionArn}</SubscriptionArn>`);

    await publish(sns, "escrow.funded");
    await sns.drain();
    const body = JSON.parse(hook.received[1]?.body ?? "");
    await expect(verifySnsMessage(body, verify)).resolves.toMatchObject({ Type: "Notification" });
    const message = JSON.parse(body.Message);
    const tampered = [
      { ...body, Message: JSON.stringify({ ...message, tenantId: "other" }) },
      { ...body, Timestamp: new Date(Date.parse(body.Timestamp) + 1000).toISOString() },
      { ...body, Signature: Buffer.from("not the signature").toString("base64") },
      { ...body, TopicArn: OPS },
      { ...body, SignatureVersion: "1" },
      { ...body, SigningCertURL: body.SigningCertURL.replace("127.0.0.1", "localhost") },
    ];
    for (const t of tampered)
      await expect(verifySnsMessage(t, verify)).rejects.toBeInstanceOf(SnsVerificationError);
    // Only the topics the caller allows, and only recent messages.
    await expect(verifySnsMessage(body, { ...verify, topicArns: [OPS] })).rejects.toThrow(/topic/);
    await expect(
      verifySnsMessage(body, { ...verify, now: () => new Date(Date.parse(body.Timestamp) + 3601_000) }),
    ).rejects.toThrow(/too old/);
  });

  it("applies a changed filter policy, and stops delivering after Unsubscribe (which the endpoint is told)", async () => {
    const { sns, client, verify } = await snsService();
    const hook = await webhook();
    const { SubscriptionArn: arn } = await subscribe(client, {
      Endpoint: hook.url,
      ReturnSubscriptionArn: true,
    });
    await confirmSubscription((await confirmationOf(hook)).body, verify);
    await client.send(
      new SetSubscriptionAttributesCommand({
        SubscriptionArn: arn,
        AttributeName: "FilterPolicy",
        AttributeValue: JSON.stringify({ type: [{ prefix: "escrow.refund" }] }),
      }),
    );
    await publish(sns, "escrow.funded");
    await publish(sns, "escrow.refund_requested");
    await sns.drain();
    expect(hook.received.slice(1).map((r) => JSON.parse(JSON.parse(r.body).Message).type)).toEqual([
      "escrow.refund_requested",
    ]);
    await client.send(new UnsubscribeCommand({ SubscriptionArn: arn }));
    await sns.drain();
    const goodbye = hook.received.at(-1);
    expect(goodbye?.headers["x-amz-sns-message-type"]).toBe("UnsubscribeConfirmation");
    await expect(verifySnsMessage(goodbye?.body ?? "", verify)).resolves.toMatchObject({
      Type: "UnsubscribeConfirmation",
    });
    const count = hook.received.length;
    await publish(sns, "escrow.refund_requested");
    await sns.drain();
    expect(hook.received).toHaveLength(count);
    expect(
      (await client.send(new ListSubscriptionsByTopicCommand({ TopicArn: EVENTS }))).Subscriptions,
    ).toEqual([]);
  });

  it("refuses what SNS refuses, with the SDK's named exceptions", async () => {
    const { client } = await snsService();
    const refused = (input: Partial<SubscribeCommandInput>) =>
      subscribe(client, { Endpoint: "http://127.0.0.1:9/x", ...input });
    await expect(refused({ Protocol: "email", Endpoint: "ops@example.com" })).rejects.toBeInstanceOf(
      InvalidParameterException,
    );
    await expect(refused({ Protocol: "https", Endpoint: "http://127.0.0.1:9/x" })).rejects.toBeInstanceOf(
      InvalidParameterException,
    );
    await expect(refused({ Attributes: { FilterPolicy: "{not json" } })).rejects.toBeInstanceOf(
      InvalidParameterException,
    );
    await expect(
      refused({ Attributes: { FilterPolicy: '{"type":"escrow.funded"}' } }),
    ).rejects.toBeInstanceOf(InvalidParameterException);
    await expect(refused({ TopicArn: `${EVENTS}-nope` })).rejects.toBeInstanceOf(NotFoundException);
    await expect(
      client.send(new UnsubscribeCommand({ SubscriptionArn: `${EVENTS}:nope` })),
    ).rejects.toBeInstanceOf(NotFoundException);
  });

  it("keeps subscriptions and the signing certificate across a restart", async () => {
    const first = await snsService();
    const hook = await webhook();
    await subscribe(first.client, { Endpoint: hook.url });
    const arn = await confirmSubscription((await confirmationOf(hook)).body, first.verify);
    const cert = (await first.sns.certificate()).pem;
    await first.sns.close();

    const second = await snsService();
    expect((await second.sns.certificate()).pem).toBe(cert);
    const listed = await second.client.send(new ListSubscriptionsByTopicCommand({ TopicArn: EVENTS }));
    expect(listed.Subscriptions?.map((s) => s.SubscriptionArn)).toEqual([arn]);
    await publish(second.sns, "escrow.funded");
    await second.sns.drain();
    await expect(verifySnsMessage(hook.received[1]?.body ?? "", second.verify)).resolves.toBeDefined();
  });
});

describe("deliveries", () => {
  it("retries as SNS's default HTTP(S) policy: 3 retries 20 s apart on 5xx or no answer, none on 4xx; each attempt listed", async () => {
    const waits: number[] = [];
    let failing = 2;
    const flaky = await webhook(() => (failing-- > 0 ? 503 : 200));
    const refusing = await webhook(() => 400);
    // Start-up subscribers (ESCROW_LOCAL_SUBSCRIBERS) are confirmed from the start.
    const { sns: withSubscribers, base } = await snsService({
      subscribers: [
        { url: `${flaky.url}/flaky`, topicArn: EVENTS },
        { url: `${refusing.url}/refusing`, topicArn: EVENTS },
        { url: "http://127.0.0.1:9/unreachable", topicArn: EVENTS },
      ],
      delivery: { sleep: async (ms) => void waits.push(ms) },
    });
    await publish(withSubscribers, "escrow.funded", "demo", "esc_R");
    await withSubscribers.drain();
    const attempts = await withSubscribers.deliveryAttempts({ escrowId: "esc_R" });
    const by = (endpoint: string) =>
      attempts.filter((a) => a.endpoint === endpoint).map((a) => [a.attempt, a.status, a.outcome]);
    expect(by(`${flaky.url}/flaky`)).toEqual([
      [1, 503, "retrying"],
      [2, 503, "retrying"],
      [3, 200, "delivered"],
    ]);
    expect(by(`${refusing.url}/refusing`)).toEqual([[1, 400, "failed"]]);
    expect(by("http://127.0.0.1:9/unreachable")).toEqual([
      [1, null, "retrying"],
      [2, null, "retrying"],
      [3, null, "retrying"],
      [4, null, "failed"],
    ]);
    expect(attempts.find((a) => a.status === null)?.error).toBeTruthy();
    // Two retries to the flaky endpoint and three to the unreachable one, each after 20 s.
    expect(waits).toEqual([20_000, 20_000, 20_000, 20_000, 20_000]);
    expect(attempts.every((a) => a.eventType === "escrow.funded" && !Number.isNaN(Date.parse(a.at)))).toBe(
      true,
    );

    // The same, over HTTP: GET /_local/deliveries?escrowId=
    const res = await fetch(`${base}/_local/deliveries?escrowId=esc_R`);
    expect(res.status).toBe(200);
    const listed = (await res.json()) as {
      items: { endpoint: string; status: number | null; attempt: number }[];
    };
    expect(listed.items.map((i) => [i.endpoint, i.status, i.attempt])).toEqual(
      attempts.map((a) => [a.endpoint, a.status, a.attempt]),
    );
    const none = (await (await fetch(`${base}/_local/deliveries?escrowId=esc_other`)).json()) as {
      items: [];
    };
    expect(none.items).toEqual([]);
  });
});
