import { appendFile, readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { InvalidParameterException, NotFoundException, PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  createNotificationsListener,
  createSnsHttpServer,
  LocalSns,
  type LocalSnsOptions,
} from "../../infra/local/sns";
import { closeServer, fakeCredentials, listen, removeDir, tempDir } from "./helpers";

const TOPIC = "arn:aws:sns:us-east-1:123456789012:escrow-events";
const OPS = "arn:aws:sns:us-east-1:123456789012:ops-alerts";

let dir: string;
const services: LocalSns[] = [];
const servers: Server[] = [];

beforeEach(async () => {
  dir = await tempDir("sns");
});
afterEach(async () => {
  await Promise.all(services.splice(0).map((s) => s.close()));
  await Promise.all(servers.splice(0).map(closeServer));
  await removeDir(dir);
});

function sns(options: Partial<LocalSnsOptions> = {}): LocalSns {
  const s = new LocalSns({ dataDir: dir, topics: [TOPIC, OPS], onError: () => {}, ...options });
  services.push(s);
  return s;
}

async function snsClient(service: LocalSns): Promise<SNSClient> {
  const server = createSnsHttpServer(service);
  servers.push(server);
  return new SNSClient({
    endpoint: await listen(server),
    region: "us-east-1",
    credentials: fakeCredentials,
    maxAttempts: 1,
  });
}

const event = (escrowId: string, type: string) => JSON.stringify({ type, escrowId, tenantId: "demo" });
const attrs = (type: string) => ({
  type: { DataType: "String", StringValue: type },
  tenantId: { DataType: "String", StringValue: "demo" },
});

describe("LocalSns", () => {
  it("serves Publish to an unmodified SNSClient and records messages with their attributes", async () => {
    const service = sns({ now: () => Date.parse("2026-11-25T10:00:00.000Z") });
    const client = await snsClient(service);
    const out = await client.send(
      new PublishCommand({
        TopicArn: TOPIC,
        Message: event("esc_1", "escrow.funded"),
        Subject: "funded & <ready>",
        MessageAttributes: {
          ...attrs("escrow.funded"),
          amount: { DataType: "Number", StringValue: "12.5" },
          blob: { DataType: "Binary", BinaryValue: new Uint8Array([1, 2, 3]) },
        },
      }),
    );
    expect(out.MessageId).toMatch(/^[0-9a-f-]{36}$/);
    const { items } = await service.list();
    expect(items).toEqual([
      {
        messageId: out.MessageId,
        attributes: { type: "escrow.funded", tenantId: "demo", amount: "12.5", blob: "AQID" },
        event: { type: "escrow.funded", escrowId: "esc_1", tenantId: "demo" },
        timestamp: "2026-11-25T10:00:00.000Z",
      },
    ]);
    const [full] = await service.all();
    expect(full).toMatchObject({ topicArn: TOPIC, subject: "funded & <ready>" });
    expect(full?.timestamp).toBe("2026-11-25T10:00:00.000Z");
  });

  it("rejects what SNS rejects, with the SDK's named exceptions", async () => {
    const client = await snsClient(sns());
    await expect(client.send(new PublishCommand({ TopicArn: TOPIC, Message: "" }))).rejects.toBeInstanceOf(
      InvalidParameterException,
    );
    await expect(
      client.send(new PublishCommand({ TopicArn: `${TOPIC}-missing`, Message: "x" })),
    ).rejects.toBeInstanceOf(NotFoundException);
    await expect(
      client.send(
        new PublishCommand({
          TopicArn: TOPIC,
          Message: "x",
          MessageAttributes: { bad: { DataType: "Number", StringValue: "twelve" } },
        }),
      ),
    ).rejects.toBeInstanceOf(InvalidParameterException);
    await expect(
      client.send(new PublishCommand({ TopicArn: TOPIC, Message: "x".repeat(256 * 1024 + 1) })),
    ).rejects.toBeInstanceOf(InvalidParameterException);
  });

  it("filters by escrowId, keeps publish order (newest last) and survives a restart", async () => {
    const first = sns();
    await first.publish({
      TopicArn: TOPIC,
      Message: event("esc_A", "escrow.funded"),
      MessageAttributes: attrs("escrow.funded"),
    });
    await first.publish({
      TopicArn: TOPIC,
      Message: event("esc_B", "escrow.funded"),
      MessageAttributes: attrs("escrow.funded"),
    });
    await first.publish({ TopicArn: OPS, Message: event("esc_A", "escrow.needs_ops") });
    await first.publish({ TopicArn: TOPIC, Message: "plain text, not JSON" });
    await first.close();
    // A crash in the middle of an append leaves half a line behind.
    await appendFile(join(dir, "sns", "messages.ndjson"), '{"messageId":"torn');

    const second = sns();
    const a = await second.list({ escrowId: "esc_A" });
    expect(a.items.map((i) => (i.event as { type: string }).type)).toEqual([
      "escrow.funded",
      "escrow.needs_ops",
    ]);
    expect((await second.list({ escrowId: "esc_B" })).items).toHaveLength(1);
    expect((await second.list({ escrowId: "nope" })).items).toEqual([]);
    const all = await second.list();
    expect(all.items).toHaveLength(4);
    expect(all.items[3]?.event).toBe("plain text, not JSON");
    // The torn line is gone and new messages append cleanly after it.
    await second.publish({ TopicArn: TOPIC, Message: event("esc_A", "escrow.delivered") });
    const lines = (await readFile(join(dir, "sns", "messages.ndjson"), "utf8")).trim().split("\n");
    expect(lines).toHaveLength(5);
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
  });

  it("acknowledges a publish only once it is in the log on disk", async () => {
    const service = sns();
    const { MessageId } = await service.publish({ TopicArn: TOPIC, Message: "{}" });
    const text = await readFile(join(dir, "sns", "messages.ndjson"), "utf8");
    expect(text).toContain(MessageId);
    // Many concurrent publishes: every one is a whole line.
    await Promise.all(
      Array.from({ length: 50 }, (_, i) => service.publish({ TopicArn: TOPIC, Message: `{"i":${i}}` })),
    );
    const lines = (await readFile(join(dir, "sns", "messages.ndjson"), "utf8")).trim().split("\n");
    expect(lines).toHaveLength(51);
    expect((await service.list()).items).toHaveLength(51);
  });

  it("serves GET /_local/notifications?escrowId= and leaves other paths to the next handler", async () => {
    const service = sns();
    await service.publish({
      TopicArn: TOPIC,
      Message: event("esc_1", "escrow.funded"),
      MessageAttributes: attrs("escrow.funded"),
    });
    await service.publish({ TopicArn: TOPIC, Message: event("esc_2", "escrow.funded") });
    await service.publish({
      TopicArn: TOPIC,
      Message: event("esc_1", "escrow.delivered"),
      MessageAttributes: attrs("escrow.delivered"),
    });
    const listener = createNotificationsListener(service);
    const server = createServer((req, res) => {
      void listener(req, res).then((handled) => {
        if (!handled) res.writeHead(404).end("next");
      });
    });
    servers.push(server);
    const base = await listen(server);
    const one = await fetch(`${base}/_local/notifications?escrowId=esc_1`);
    expect(one.status).toBe(200);
    const body = (await one.json()) as {
      items: Array<{ messageId: string; attributes: Record<string, string>; event: { type: string } }>;
    };
    expect(body.items.map((i) => i.event.type)).toEqual(["escrow.funded", "escrow.delivered"]);
    expect(body.items[1]?.attributes).toEqual({ type: "escrow.delivered", tenantId: "demo" });
    expect(Object.keys(body.items[0] ?? {}).sort()).toEqual([
      "attributes",
      "event",
      "messageId",
      "timestamp",
    ]);
    const all = (await (await fetch(`${base}/_local/notifications`)).json()) as { items: unknown[] };
    expect(all.items).toHaveLength(3);
    expect((await fetch(`${base}/v1/escrows`)).status).toBe(404);
  });
});
