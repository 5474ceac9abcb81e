import { GetItemCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, expect, it } from "vitest";
import { DynamoEscrowStore } from "../../functions/adapters/dynamo-escrow-store";
import { escrowKey } from "../../functions/adapters/table-schema";
import { requestHash } from "../../functions/api/request-hash";
import { createEscrow, performAction, type ServiceDeps } from "../../functions/app/escrow-service";
import { holdFunds, settle } from "../../functions/app/workflow-tasks";
import { startDynalite } from "../support/dynalite";
import { itemSize } from "../support/item-size";
import { RecordingPublisher, RecordingWorkflow, TestPayments } from "./fakes";

/**
 * Every write is billed by the size of the item it leaves (or finds, if larger):
 * the escrow item must stay under 1 KB through a typical happy path so that
 * each transition costs one write unit.
 */
let db: Awaited<ReturnType<typeof startDynalite>>;
beforeAll(async () => {
  db = await startDynalite();
});
afterAll(async () => db.close());

it("keeps a typical escrow item under 1 KB from creation to release", async () => {
  const payments = new TestPayments();
  const deps: ServiceDeps & { events: RecordingPublisher } = {
    store: new DynamoEscrowStore(db.client, db.tableName),
    workflow: new RecordingWorkflow(),
    payments,
    events: new RecordingPublisher(),
    now: () => new Date(),
  };
  const body = {
    buyerId: "u-1001",
    sellerId: "u-2002",
    amount: 12999,
    currency: "CNY",
    fee: 390,
    paymentMethod: "pm_sandbox_ok",
    description: "Second-hand bicycle",
    listingRef: "listing-88",
    metadata: { channel: "second-hand" },
  };
  const key = "size-1";
  const { escrow } = await createEscrow(deps, "demo", body, {
    key,
    requestHash: requestHash("POST", "/v1/escrows", body),
  });
  const ref = { tenantId: "demo", escrowId: escrow.id };
  const sizes: Record<string, number> = {};
  const measure = async (label: string) => {
    const out = await db.client.send(
      new GetItemCommand({
        TableName: db.tableName,
        Key: { PK: { S: escrowKey("demo", escrow.id).PK }, SK: { S: "ESCROW" } },
      }),
    );
    sizes[label] = itemSize(out.Item ?? {});
  };
  await measure("created");
  await holdFunds(deps, ref);
  await measure("funded");
  const idem = (k: string, b: unknown, a: string) => ({
    key: k,
    requestHash: requestHash("POST", `/v1/escrows/${escrow.id}/${a}`, b),
  });
  const delivery = {
    action: "delivery" as const,
    actorId: "u-2002",
    carrier: "SF",
    trackingNumber: "SF1234567890",
  };
  await performAction(deps, "demo", escrow.id, delivery, idem("d-1", delivery, "delivery"));
  await measure("delivered");
  const confirmation = { action: "confirmation" as const, actorId: "u-1001" };
  await performAction(deps, "demo", escrow.id, confirmation, idem("c-1", confirmation, "confirmation"));
  await measure("confirmed");
  // The largest moment: the intent to pay (`settling`) is recorded and the escrow is still due.
  payments.onCall = async (type) => {
    if (type === "payout") await measure("settling");
  };
  await settle(deps, ref);
  await measure("released");
  console.info("escrow item bytes by version:", sizes);
  expect(Object.keys(sizes)).toEqual(["created", "funded", "delivered", "confirmed", "settling", "released"]);
  for (const [label, bytes] of Object.entries(sizes))
    expect(bytes, `${label} (bytes by step: ${JSON.stringify(sizes)})`).toBeLessThanOrEqual(1024);
});
