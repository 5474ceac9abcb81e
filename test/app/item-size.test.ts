import { GetItemCommand } from "@aws-sdk/client-dynamodb";
import { expect, it } from "vitest";
import { escrowKey } from "../../functions/adapters/table-schema";
import { createEscrow, performAction, type ServiceDeps } from "../../functions/app/escrow-service";
import { beginWait, holdFunds, settle } from "../../functions/app/workflow-tasks";
import { itemSize } from "../support/item-size";
import { order } from "../support/orders";
import { RecordingPublisher, RecordingWorkflow, TestPayments } from "./fakes";
import { keyed, useStore } from "./fixture";

/**
 * Every write is billed by the size of the item it leaves (or finds, if larger):
 * the escrow item must stay under 1 KB through a typical happy path so that
 * each transition costs one write unit.
 */
const table = useStore();

it("keeps a typical escrow item under 1 KB from creation to release", async () => {
  const payments = new TestPayments();
  const deps: ServiceDeps & { events: RecordingPublisher } = {
    store: table.store,
    workflow: new RecordingWorkflow(),
    payments,
    events: new RecordingPublisher(),
    now: () => new Date(),
  };
  const body = order({ metadata: { channel: "second-hand" } });
  const { escrow } = await createEscrow(deps, "demo", body, keyed("size-1", body));
  const ref = { tenantId: "demo", escrowId: escrow.id };
  const sizes: Record<string, number> = {};
  const measure = async (label: string) => {
    const out = await table.db.client.send(
      new GetItemCommand({
        TableName: table.db.tableName,
        Key: { PK: { S: escrowKey("demo", escrow.id).PK }, SK: { S: "ESCROW" } },
      }),
    );
    sizes[label] = itemSize(out.Item ?? {});
  };
  await measure("created");
  await holdFunds(deps, ref);
  await measure("funded");
  // The workflow waits, as it does: each action is handed to its wait (nothing asks the reconciler).
  const wait = (seenVersion: number) =>
    beginWait(deps, { ...ref, seenVersion, taskToken: `t-${seenVersion}`, execution: escrow.id });
  await wait(2);
  const idem = (k: string, b: unknown, a: string) => keyed(k, b, `/v1/escrows/${escrow.id}/${a}`);
  const delivery = {
    action: "delivery" as const,
    actorId: "u-2002",
    carrier: "SF",
    trackingNumber: "SF1234567890",
  };
  await performAction(deps, "demo", escrow.id, delivery, idem("d-1", delivery, "delivery"));
  await measure("delivered");
  await wait(3);
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
