import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { movementKeys } from "../../functions/app/workflow-tasks";
import { eventId } from "../../functions/domain/events";
import type { WorkflowEngine } from "../../functions/ports/workflow";
import { EVENTS_TOPIC, type Harness, OPS_ALERTS_TOPIC, startHarness } from "./harness";

/**
 * Every path of statemachines/escrow.asl.json, executed by
 * aws-local-stepfunctions with the task states bound to the real workflow
 * tasks (see harness.ts). Each path checks the states entered — what ops see
 * in the console — the final record, and the events the marketplace received.
 */
let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h?.close());
beforeEach(() => {
  h.payments.rejectPayouts = false;
  h.faults.publishFails = false;
  h.faults.failingTasks.clear();
});

const ev = (id: string, version: number, type: string) => ({ id: eventId(id, version), type });
/** The hold tried four times (the definition's three retries), then the payment failure recorded. */
const HOLD_RETRIED_THEN_FAILED = [...Array<string>(4).fill("HoldFunds"), "RecordPaymentFailure"];
/** The confirmation window's end, when it releases to the seller. */
const CONFIRMATION_WINDOW_RELEASES = [
  "AwaitBuyerConfirmation",
  "ConfirmationWindowEnded",
  "RouteAfterConfirmation",
  "ReleaseToSeller",
];

describe("paths of the escrow workflow", () => {
  it("happy path: 7 state transitions (at most the 9 budgeted), release", async () => {
    const id = await h.delivered();
    await h.act(id, { action: "confirmation", actorId: "u-b" });
    expect((await h.finished(id)).status).toBe("SUCCEEDED");
    const entered = await h.statesEntered(id);
    expect(entered).toEqual([
      "HoldFunds",
      "RouteAfterHold",
      "AwaitDelivery",
      "RouteAfterDelivery",
      "AwaitBuyerConfirmation",
      "RouteAfterConfirmation",
      "ReleaseToSeller",
    ]);
    // Every transition is billed: the count is read from the execution itself.
    const transitions = await h.sfn.stateTransitions(h.arnOf(id));
    expect(transitions).toBe(entered.length);
    expect(transitions).toBeLessThanOrEqual(9);
    expect(transitions).toBe(7);
    expect(await h.escrow(id)).toMatchObject({
      status: "RELEASED",
      settlement: { paidToSeller: 9700, platformFee: 300, refundedToBuyer: 0 },
    });
    // The task Lambdas announce each step, once, with ids stable per escrow and version.
    expect(h.eventsOf(id)).toEqual([
      ev(id, 2, "escrow.funded"),
      ev(id, 3, "escrow.delivered"),
      ev(id, 6, "escrow.released"),
    ]);
    const released = h.published.find((p) => p.Message.includes(eventId(id, 6)));
    expect(released).toMatchObject({
      TopicArn: EVENTS_TOPIC,
      MessageAttributes: {
        type: { DataType: "String", StringValue: "escrow.released" },
        tenantId: { DataType: "String", StringValue: h.tenant },
      },
    });
    expect(JSON.parse(released?.Message ?? "{}")).toMatchObject({
      escrowId: id,
      tenantId: h.tenant,
      escrow: { status: "RELEASED", version: 6 },
    });
    expect(h.payments.book.of(id).map((m) => [m.type, m.amount])).toEqual([
      ["hold", 10_000],
      ["payout", 9700],
      ["fee", 300],
    ]);
  });

  it("declined payment: RecordPaymentFailure, cancelled", async () => {
    const id = await h.create({ paymentMethod: "pm_sandbox_decline" });
    expect((await h.finished(id)).status).toBe("SUCCEEDED");
    expect(await h.statesEntered(id)).toEqual(["HoldFunds", "RecordPaymentFailure"]);
    expect(await h.escrow(id)).toMatchObject({
      status: "CANCELLED",
      failureReason: "payment_declined",
    });
    expect(h.eventsOf(id)).toEqual([ev(id, 2, "escrow.cancelled")]);
  });

  it("provider unavailable: three retries, then cancelled", async () => {
    const id = await h.create({ paymentMethod: "pm_sandbox_unavailable" });
    expect((await h.finished(id)).status).toBe("SUCCEEDED");
    expect(await h.statesEntered(id)).toEqual(HOLD_RETRIED_THEN_FAILED);
    expect(await h.escrow(id)).toMatchObject({
      status: "CANCELLED",
      failureReason: "payment_unavailable",
    });
    expect(h.eventsOf(id)).toEqual([ev(id, 2, "escrow.cancelled")]);
  });

  it("a hold whose answer is lost is retried with its key, then voided when it never answers", async () => {
    h.payments.faultSwitch.set("payments", "hold", "ambiguous");
    try {
      const id = await h.create();
      await h.finished(id);
      expect(await h.statesEntered(id)).toEqual(HOLD_RETRIED_THEN_FAILED);
      expect(h.payments.callsOf(id, "hold")).toHaveLength(4);
      expect(h.payments.book.of(id).map((m) => [m.type, m.key])).toEqual([
        ["hold", movementKeys.hold(id)],
        ["void", movementKeys.void(id)],
      ]);
      expect(h.payments.book.held(id)).toBe(0);
      expect(await h.escrow(id)).toMatchObject({ status: "CANCELLED", failureReason: "payment_unavailable" });
    } finally {
      h.payments.faultSwitch.clear();
    }
  });

  it("cancellation while waiting for delivery: RefundBuyer", async () => {
    const id = await h.create();
    await h.waitingIn(id, "AwaitDelivery");
    await h.act(id, { action: "cancellation", actorId: "u-b" });
    await h.finished(id);
    expect(await h.statesEntered(id)).toEqual([
      "HoldFunds",
      "RouteAfterHold",
      "AwaitDelivery",
      "RouteAfterDelivery",
      "RefundBuyer",
    ]);
    expect((await h.escrow(id)).status).toBe("REFUNDED");
    expect(h.eventsOf(id)).toEqual([ev(id, 2, "escrow.funded"), ev(id, 5, "escrow.refunded")]);
  });

  it("partial refund accepted: AwaitSellerResponse, SplitSettlement", async () => {
    const id = await h.delivered();
    await h.act(id, { action: "refund-request", actorId: "u-b", amount: 2500, reason: "dent" });
    await h.waitingIn(id, "AwaitSellerResponse");
    await h.act(id, { action: "refund-response", actorId: "u-s", accept: true });
    await h.finished(id);
    expect((await h.statesEntered(id)).slice(4)).toEqual([
      "AwaitBuyerConfirmation",
      "RouteAfterConfirmation",
      "AwaitSellerResponse",
      "RouteAfterSellerResponse",
      "SplitSettlement",
    ]);
    expect((await h.escrow(id)).settlement).toMatchObject({
      refundedToBuyer: 2500,
      platformFee: 225,
      paidToSeller: 7275,
    });
    expect(h.eventsOf(id)).toEqual([
      ev(id, 2, "escrow.funded"),
      ev(id, 3, "escrow.delivered"),
      ev(id, 4, "escrow.refund_requested"),
      ev(id, 7, "escrow.settled"),
    ]);
  });

  it("refund rejected: AwaitOpsResolution, ops split", async () => {
    const id = await h.delivered();
    await h.act(id, { action: "refund-request", actorId: "u-b", reason: "dent" });
    await h.waitingIn(id, "AwaitSellerResponse");
    await h.act(id, { action: "refund-response", actorId: "u-s", accept: false });
    await h.waitingIn(id, "AwaitOpsResolution");
    await h.act(id, { action: "resolution", outcome: "split", refundAmount: 4000, note: "share the blame" });
    await h.finished(id);
    expect((await h.statesEntered(id)).slice(-5)).toEqual([
      "AwaitSellerResponse",
      "RouteAfterSellerResponse",
      "AwaitOpsResolution",
      "RouteAfterOpsResolution",
      "SplitSettlement",
    ]);
    expect((await h.escrow(id)).status).toBe("SETTLED");
    expect(h.eventsOf(id).map((e) => e.type)).toEqual([
      "escrow.funded",
      "escrow.delivered",
      "escrow.refund_requested",
      "escrow.disputed",
      "escrow.settled",
    ]);
  });

  it("extension: loops back to AwaitBuyerConfirmation with the new timeout", async () => {
    const id = await h.delivered({ windows: { confirmationSeconds: 1 } });
    await h.act(id, { action: "extension", actorId: "u-b", seconds: 2 });
    await h.finished(id);
    expect((await h.statesEntered(id)).slice(4)).toEqual([
      "AwaitBuyerConfirmation",
      "RouteAfterConfirmation",
      "AwaitBuyerConfirmation",
      "ConfirmationWindowEnded",
      "RouteAfterConfirmation",
      "ReleaseToSeller",
    ]);
    const escrow = await h.escrow(id);
    expect(
      Date.parse(escrow.settlement?.settledAt ?? "") - Date.parse(escrow.delivery?.deliveredAt ?? ""),
    ).toBeGreaterThanOrEqual(3000);
    expect(h.eventsOf(id).map((e) => e.type)).toEqual([
      "escrow.funded",
      "escrow.delivered",
      "escrow.extended",
      "escrow.released",
    ]);
  });

  it.each([
    [
      "delivery",
      { deliverySeconds: 1 },
      "REFUNDED",
      ["AwaitDelivery", "DeliveryWindowEnded", "RouteAfterDelivery", "RefundBuyer"],
      "escrow.refunded",
    ],
    ["confirmation", { confirmationSeconds: 1 }, "RELEASED", CONFIRMATION_WINDOW_RELEASES, "escrow.released"],
  ] as const)(
    "the %s window times out into its automatic outcome",
    async (window, windows, status, tail, last) => {
      const id = await h.create({ windows });
      if (window === "confirmation") {
        await h.waitingIn(id, "AwaitDelivery");
        await h.act(id, { action: "delivery", actorId: "u-s" });
      }
      expect((await h.finished(id)).status).toBe("SUCCEEDED");
      expect((await h.statesEntered(id)).slice(-4)).toEqual(tail);
      expect((await h.escrow(id)).status).toBe(status);
      expect(h.eventsOf(id).at(-1)?.type).toBe(last);
      // A late action gets 409: the record decided.
      await expect(h.act(id, { action: "dispute", actorId: "u-b", reason: "late" })).rejects.toMatchObject({
        kind: "invalid_transition",
      });
    },
  );

  it("an unresolved dispute times out: ops alerted, buyer refunded", async () => {
    const id = await h.create({ windows: { disputeSeconds: 1 } });
    await h.waitingIn(id, "AwaitDelivery");
    await h.act(id, { action: "dispute", actorId: "u-s", reason: "x" });
    await h.finished(id);
    expect((await h.statesEntered(id)).slice(-4)).toEqual([
      "AwaitOpsResolution",
      "DisputeWindowEnded",
      "RouteAfterOpsResolution",
      "RefundBuyer",
    ]);
    expect((await h.escrow(id)).status).toBe("REFUNDED");
    expect(h.alertsOf(id)).toEqual([
      expect.objectContaining({ type: "escrow.dispute_unresolved", escrowId: id, tenantId: h.tenant }),
    ]);
    expect(h.published.find((p) => p.TopicArn === OPS_ALERTS_TOPIC && p.Message.includes(id))).toMatchObject({
      MessageAttributes: { type: { StringValue: "escrow.dispute_unresolved" } },
    });
    expect(h.eventsOf(id).map((e) => e.type)).toEqual([
      "escrow.funded",
      "escrow.disputed",
      "escrow.refunded",
    ]);
  });

  it("a claim whose signal was lost is carried out by the timeout branch (the 202 stands)", async () => {
    const id = await h.delivered({ windows: { confirmationSeconds: 1 } });
    // The buyer confirms, but the signal never reaches the workflow (network, throttling...).
    const lost: WorkflowEngine = { ...h.deps.workflow, signal: async () => false };
    const answer = await h.act(id, { action: "confirmation", actorId: "u-b" }, { workflow: lost });
    expect(answer.statusCode).toBe(202);
    await h.finished(id);
    expect((await h.statesEntered(id)).slice(-4)).toEqual(CONFIRMATION_WINDOW_RELEASES);
    const escrow = await h.escrow(id);
    expect(escrow.status).toBe("RELEASED");
    // The buyer's confirmation, not the window, released it (one outcome, the record's).
    expect(escrow.pendingAction).toBeNull();
    expect(h.payments.book.of(id).filter((m) => m.type === "payout")).toHaveLength(1);
  });

  it("a payout the provider rejects escalates to ops, who settle it another way with a resolution", async () => {
    h.payments.rejectPayouts = true;
    const id = await h.delivered();
    await h.act(id, { action: "confirmation", actorId: "u-b" });
    // Escalation never fails the execution: it ends, parked for ops.
    expect((await h.finished(id)).status).toBe("SUCCEEDED");
    const entered = await h.statesEntered(id);
    expect(entered.filter((s) => s === "ReleaseToSeller")).toHaveLength(1); // rejected for good: no retry
    expect(entered.slice(-3)).toEqual(["ReleaseToSeller", "EscalateToOps", "ParkedForOps"]);
    expect(await h.escrow(id)).toMatchObject({
      needsOpsAttention: true,
      attentionReason: "payout_rejected",
      status: "DELIVERED",
    });
    expect(h.alertsOf(id)).toEqual([
      expect.objectContaining({
        type: "escrow.needs_ops",
        escrowId: id,
        reason: "payout_rejected: PayoutRejected: the payee's account is closed",
      }),
    ]);
    expect(h.payments.book.of(id).map((m) => m.type)).toEqual(["hold"]);

    h.payments.rejectPayouts = false;
    await h.act(id, { action: "resolution", outcome: "refund", note: "seller's account is closed; refund" });
    // Ops' resolution starts the continuation from the record, named after the version it continues.
    const continuation = `${id}-p6`;
    expect((await h.finished(continuation)).status).toBe("SUCCEEDED");
    expect(await h.statesEntered(continuation)).toEqual(["HoldFunds", "ResumeFromRecord", "RefundBuyer"]);
    expect(await h.executionsOf(id)).toEqual([
      { name: id, status: "SUCCEEDED" },
      { name: continuation, status: "SUCCEEDED" },
    ]);
    expect(await h.escrow(id)).toMatchObject({ status: "REFUNDED", needsOpsAttention: false });
    expect(h.payments.book.of(id).map((m) => [m.type, m.amount, m.key])).toEqual([
      ["hold", 10_000, movementKeys.hold(id)],
      // A new intent, after the refused one: keys named after its own settling entry.
      [
        "refund",
        10_000,
        movementKeys.transfer(
          id,
          "refund",
          ((await h.store.escrows.get(h.tenant, id))?.history.filter((e) => e.type === "settling").at(-1)
            ?.v ?? 0) as number,
        ),
      ],
    ]);
    // escalated (6), resolution (7), settling (8), refunded (9)
    expect(h.eventsOf(id)).toEqual([
      ev(id, 2, "escrow.funded"),
      ev(id, 3, "escrow.delivered"),
      ev(id, 9, "escrow.refunded"),
    ]);
  });
});
