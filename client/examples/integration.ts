import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { SNSClient, SubscribeCommand, UnsubscribeCommand } from "@aws-sdk/client-sns";
import {
  confirmSubscription,
  createEscrowClient,
  type EscrowEvent,
  eventOf,
  verifySnsMessage,
} from "@escrow/client";

const API = process.env.ESCROW_URL ?? "http://127.0.0.1:3000"; // in AWS: the stack's ApiUrl without /v1
const TOPIC = process.env.ESCROW_EVENTS_TOPIC ?? "arn:aws:sns:us-east-1:000000000000:escrow-events";
// Only our topic's messages, signed by a certificate from SNS (in AWS leave certificateHosts out: SNS's own).
const verify = { topicArns: [TOPIC], certificateHosts: [new URL(API).host] };
const escrow = createEscrowClient({
  baseUrl: API,
  credentials: { clientId: "demo-marketplace", clientSecret: "demo-marketplace-secret" },
});

// 1. A webhook that believes nothing it has not verified.
const events: EscrowEvent[] = [];
let confirmed = () => {};
const subscribed = new Promise<void>((resolve) => (confirmed = resolve));
const webhook = createServer(async (req, res) => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks).toString("utf8");
  try {
    const message = await verifySnsMessage(body, verify);
    if (message.Type === "SubscriptionConfirmation") await confirmSubscription(body, verify).then(confirmed);
    if (message.Type === "Notification") events.push(eventOf(message)); // dedupe by event.id in production
    res.writeHead(200).end();
  } catch (error) {
    console.error("refused a message:", (error as Error).message);
    res.writeHead(400).end();
  }
});
await new Promise<void>((resolve) => webhook.listen(0, "127.0.0.1", resolve));
const endpoint = `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/escrow-events`;

/** The first event of this type for this escrow, once the webhook has it. */
async function next(type: string, escrowId: string): Promise<EscrowEvent> {
  for (const until = Date.now() + 30_000; Date.now() < until; await new Promise((r) => setTimeout(r, 50))) {
    const event = events.find((e) => e.type === type && e.escrowId === escrowId);
    if (event) return event;
  }
  throw new Error(`no ${type} for ${escrowId}`);
}

// 2. Subscribe it to our own escrows' funded and released events (in AWS the operator does this, once).
const sns = new SNSClient({
  endpoint: API,
  region: "us-east-1",
  credentials: { accessKeyId: "local", secretAccessKey: "local" },
});
const { SubscriptionArn } = await sns.send(
  new SubscribeCommand({
    TopicArn: TOPIC,
    Protocol: "http",
    Endpoint: endpoint,
    ReturnSubscriptionArn: true,
    Attributes: {
      FilterPolicy: JSON.stringify({ tenantId: ["demo"], type: ["escrow.funded", "escrow.released"] }),
    },
  }),
);
await subscribed;

// 3. The buyer pays: create the escrow, keyed by our own order id so that a retry can never pay twice.
const created = await escrow.POST("/v1/escrows", {
  params: { header: { "Idempotency-Key": `order-${Date.now()}` } },
  body: {
    buyerId: "u-1001",
    sellerId: "u-2002",
    amount: 12999,
    currency: "CNY",
    fee: 390,
    paymentMethod: "pm_sandbox_ok",
  },
});
if (!created.data) throw new Error(`not created: ${created.error?.detail}`);
const id = created.data.id;

// 4. escrow.funded: the money is held; the seller ships.
const funded = await next("escrow.funded", id);
console.log(`${funded.type}: ${funded.escrow.held} ${funded.escrow.currency} held for ${id}`);
await escrow.POST("/v1/escrows/{id}/delivery", {
  params: { path: { id } },
  body: { actorId: "u-2002", carrier: "SF", trackingNumber: "SF123" },
});

// 5. The buyer confirms receipt; escrow.released: the seller is paid.
await escrow.POST("/v1/escrows/{id}/confirmation", { params: { path: { id } }, body: { actorId: "u-1001" } });
const released = await next("escrow.released", id);
console.log(
  `${released.type}: ${released.escrow.settlement?.paidToSeller} ${released.escrow.currency} paid to the seller`,
);

await sns.send(new UnsubscribeCommand({ SubscriptionArn }));
webhook.close();
