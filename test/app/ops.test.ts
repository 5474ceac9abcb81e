import { describe, expect, it } from "vitest";
import { performAction } from "../../functions/app/escrow-service";
import { getOpsEscrow, listOpsEscrows } from "../../functions/app/ops-view";
import { escalateToOps, holdFunds, settle } from "../../functions/app/workflow-tasks";
import type { CreateEscrowInput } from "../../functions/domain/create-input";
import { DAY } from "../../functions/domain/windows";
import { RecordingPublisher, RecordingWorkflow, TestPayments } from "./fakes";
import { createVia, useStore } from "./fixture";
import { opsParts } from "./ops-fixture";

/**
 * The ops queue (API.md, "The ops queue"): DISPUTED escrows and escrows that
 * need ops, soonest deadline first, each tenant its own; and the ops view.
 */
const table = useStore();
const payments = new TestPayments();
const events = new RecordingPublisher();
const workflow = new RecordingWorkflow();
let clock = Date.parse("2026-11-25T10:00:00.000Z");
const deps = () => ({ store: table.store, payments, events, workflow, now: () => new Date(clock) });

async function funded(tenantId: string, overrides: Partial<CreateEscrowInput> = {}) {
  const ref = await createVia(deps(), tenantId, overrides);
  await holdFunds(deps(), ref);
  clock += 1000;
  return ref.escrowId;
}
const dispute = (tenantId: string, escrowId: string) =>
  performAction(deps(), tenantId, escrowId, { action: "dispute", actorId: "u-b", reason: "broken" });
const ops = () => ({ ...deps(), ...opsParts(table.db) });
const ALICE = { id: "sub-alice", name: "ops-alice" };
const ids = async (tenantId: string, filter: Parameters<typeof listOpsEscrows>[2] = { limit: 100 }) =>
  (await listOpsEscrows(ops(), tenantId, filter, ALICE)).items.map((e) => e.id);

describe("the ops queue", () => {
  it("holds DISPUTED escrows and escrows that need ops, soonest deadline first, none last", async () => {
    const t = "queue";
    const longDispute = await funded(t, { windows: { disputeSeconds: 20 * DAY } });
    const shortDispute = await funded(t, { windows: { disputeSeconds: 2 * DAY } });
    const stuckFunded = await funded(t, { windows: { deliverySeconds: 5 * DAY } });
    const quiet = await funded(t);
    await dispute(t, longDispute);
    await dispute(t, shortDispute);
    // A payout the provider refused for good (no retry decides it): needs ops, keeps its deadline.
    await escalateToOps(deps(), {
      tenantId: t,
      escrowId: stuckFunded,
      error: "PayoutRejected",
      cause: "closed",
    });

    expect(await ids(t)).toEqual([shortDispute, stuckFunded, longDispute]);
    expect(await ids(t, { limit: 100, needsOpsAttention: true })).toEqual([stuckFunded]);
    expect(await ids(t, { limit: 100, status: "DISPUTED" })).toEqual([shortDispute, longDispute]);
    // Every FUNDED escrow, soonest deadline first (the escalated one has its 5-day delivery window).
    expect(await ids(t, { limit: 100, status: "FUNDED" })).toEqual([stuckFunded, quiet]);
    // Another tenant sees none of them.
    expect(await ids("someone-else")).toEqual([]);

    // The ops view says why, and names the execution.
    const view = await getOpsEscrow(ops(), t, stuckFunded);
    expect(view.ops).toMatchObject({ needsOpsAttention: true, attentionReason: "payout_rejected" });
    expect(view.attentionReason).toBe("payout_rejected");
    expect(view.ops.executionArn).toBe(workflow.executionArn(stuckFunded));
    expect(view.ops.consoleUrl).toMatch(/^https:\/\/eu-west-1\.console\.aws\.amazon\.com\/states\//);

    // Ops settle it: it leaves the queue, as does a resolved dispute.
    await performAction(deps(), t, stuckFunded, { action: "resolution", outcome: "refund", note: "refund" });
    await performAction(deps(), t, shortDispute, { action: "resolution", outcome: "release", note: "ok" });
    // The accepted resolution is still DISPUTED until the workflow settles it, with no deadline (last).
    expect(await ids(t)).toEqual([longDispute, shortDispute]);
    await settle(deps(), { tenantId: t, escrowId: shortDispute });
    expect(await ids(t)).toEqual([longDispute]);
  });
});
