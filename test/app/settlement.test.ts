import { beforeEach, describe, expect, it, vi } from "vitest";
import { getEscrow, performAction } from "../../functions/app/escrow-service";
import {
  escalateToOps,
  holdFunds,
  movementKeys,
  recordPaymentFailure,
  settle,
} from "../../functions/app/workflow-tasks";
import type { CreateEscrowInput } from "../../functions/domain/create-input";
import { InvalidTransitionError } from "../../functions/domain/errors";
import type { ActionCommand } from "../../functions/domain/escrow";
import { eventId } from "../../functions/domain/events";
import type { EscrowRecords } from "../../functions/ports/escrow-store";
import { PaymentDeclined, PaymentUnavailable, PayoutRejected } from "../../functions/ports/payment-provider";
import { carDeal } from "../support/orders";
import { withPort } from "../support/store-faults";
import { RecordingPublisher, RecordingWorkflow, TestPayments } from "./fakes";
import { createVia, keyed, useStore } from "./fixture";

/**
 * Money at the provider moves by intent, then by call, with one key
 * (ARCHITECTURE v1.1 decision 4; API.md "When dependencies fail"): the record
 * says which movement is owed before the provider is called, a movement that
 * may have happened is repeated with its key (recorded once by the provider),
 * never replaced by another outcome, and the provider's own ledger agrees with
 * the record.
 */
const table = useStore();
let payments: TestPayments;
let events: RecordingPublisher;
let workflow: RecordingWorkflow;
let clock: number;
/** A clock that ticks a millisecond per reading, as a real one does between requests. */
const tick = () => {
  clock += 1;
  return new Date(clock);
};
const deps = () => ({ store: table.store, payments, events, workflow, now: tick });

beforeEach(() => {
  clock = Date.parse("2026-11-25T10:00:00.000Z");
  payments = new TestPayments();
  events = new RecordingPublisher();
  workflow = new RecordingWorkflow();
});

const create = (overrides: Partial<CreateEscrowInput> = {}) => createVia(deps(), "demo", overrides);
const act = (ref: { escrowId: string }, command: ActionCommand) =>
  performAction(deps(), "demo", ref.escrowId, command);
/** The record's own history (the events route leaves the settling intent out: it is bookkeeping). */
const types = async (ref: { escrowId: string }) =>
  ((await table.store.escrows.get("demo", ref.escrowId))?.history ?? []).map((e) => e.type);

/** The version of the escrow's `n`th settlement intent (its movements' keys are named after it). */
const intent = async (ref: { escrowId: string }, n = 1) =>
  ((await table.store.escrows.get("demo", ref.escrowId))?.history ?? []).filter((e) => e.type === "settling")[
    n - 1
  ]?.v as number;

async function confirmed() {
  const ref = await create();
  await holdFunds(deps(), ref);
  await act(ref, { action: "delivery", actorId: "u-s" });
  await act(ref, { action: "confirmation", actorId: "u-b" });
  return ref;
}

/** The provider's ledger agrees with the record: what it paid out is the record's settlement, and nothing is left held. */
async function expectProviderAgrees(ref: { escrowId: string }) {
  const escrow = await getEscrow(deps(), "demo", ref.escrowId);
  const book = payments.book;
  const keys = book.of(ref.escrowId).map((m) => m.key);
  expect(new Set(keys).size).toBe(keys.length);
  expect({
    payout: book.sum(ref.escrowId, "payout"),
    fee: book.sum(ref.escrowId, "fee"),
    refund: book.sum(ref.escrowId, "refund"),
    held: book.held(ref.escrowId),
  }).toEqual({
    payout: escrow.settlement?.paidToSeller ?? 0,
    fee: escrow.settlement?.platformFee ?? 0,
    refund: escrow.settlement?.refundedToBuyer ?? 0,
    held: 0,
  });
}

describe("settling", () => {
  it("records the intent (settling) before the provider is called, then the outcome", async () => {
    const ref = await confirmed();
    const seenByProvider: string[] = [];
    payments.onCall = async () => {
      const record = await table.store.escrows.get("demo", ref.escrowId);
      seenByProvider.push(record?.history.at(-1)?.type ?? "none");
    };
    const step = await settle(deps(), ref);
    expect(step).toMatchObject({ outcome: "released", version: 6 });
    expect(seenByProvider).toEqual(["settling", "settling"]);
    // Keys named after the intent (the settling entry, version 5): what they move, not an attempt.
    expect(await intent(ref)).toBe(5);
    expect(payments.calls.filter((c) => c.type !== "hold")).toEqual([
      { type: "payout", key: `${ref.escrowId}:s5:payout` },
      { type: "fee", key: `${ref.escrowId}:s5:fee` },
    ]);
    expect(movementKeys.transfer(ref.escrowId, "payout", 5)).toBe(`${ref.escrowId}:s5:payout`);
    expect(await types(ref)).toEqual(["created", "funded", "delivered", "confirmed", "settling", "released"]);
    // The outcome is announced with every step no wait announced before it (no wait ran here).
    expect(events.of(ref.escrowId)).toEqual([
      { id: eventId(ref.escrowId, 2), type: "escrow.funded" },
      { id: eventId(ref.escrowId, 3), type: "escrow.delivered" },
      { id: eventId(ref.escrowId, 6), type: "escrow.released" },
    ]);
    await expectProviderAgrees(ref);
  });

  it("a movement that may have happened is repeated with its key and recorded once", async () => {
    const ref = await confirmed();
    // The payout takes effect at the provider but its answer is lost.
    payments.faultSwitch.set("payments", "payout", "ambiguous");
    await expect(settle(deps(), ref)).rejects.toThrow(PaymentUnavailable);
    expect((await getEscrow(deps(), "demo", ref.escrowId)).status).toBe("DELIVERED");
    expect(await types(ref)).toEqual(["created", "funded", "delivered", "confirmed", "settling"]);
    expect(events.of(ref.escrowId)).toEqual([]);
    // Step Functions retries the task: the same movements, by the same keys.
    payments.faultSwitch.clear();
    await settle(deps(), ref);
    const payoutKey = movementKeys.transfer(ref.escrowId, "payout", await intent(ref));
    expect(payments.callsOf(ref.escrowId, "payout").map((c) => c.key)).toEqual([payoutKey, payoutKey]);
    expect(payments.book.of(ref.escrowId).filter((m) => m.type === "payout")).toHaveLength(1);
    expect(await types(ref)).toEqual(["created", "funded", "delivered", "confirmed", "settling", "released"]);
    expect(await getEscrow(deps(), "demo", ref.escrowId)).toMatchObject({
      status: "RELEASED",
      settlement: { paidToSeller: 9700, platformFee: 300, refundedToBuyer: 0 },
    });
    await expectProviderAgrees(ref);
  });

  it("once a release has been tried, ops cannot turn it into a refund (409), only carry it out", async () => {
    const ref = await create();
    await holdFunds(deps(), ref);
    await act(ref, { action: "dispute", actorId: "u-b", reason: "late" });
    await act(ref, { action: "resolution", outcome: "release", note: "it arrived" });
    payments.faultSwitch.set("payments", "payout", "ambiguous");
    await expect(settle(deps(), ref)).rejects.toThrow(PaymentUnavailable);
    // The workflow gives up on a route it cannot take and asks ops (needsOpsAttention).
    await escalateToOps(deps(), { ...ref, error: "UnexpectedStep", cause: "outcome release at version 5" });
    expect(await getEscrow(deps(), "demo", ref.escrowId)).toMatchObject({
      needsOpsAttention: true,
      attentionReason: "unexpected_step",
    });
    const refund = act(ref, { action: "resolution", outcome: "refund", note: "refund instead" });
    await expect(refund).rejects.toThrow(InvalidTransitionError);
    await expect(refund).rejects.toMatchObject({ kind: "invalid_transition" });
    await expect(
      act(ref, { action: "resolution", outcome: "split", refundAmount: 1, note: "split instead" }),
    ).rejects.toThrow(InvalidTransitionError);
    // The same outcome is accepted and carried out with the same keys: the payout is made once.
    payments.faultSwitch.clear();
    expect((await act(ref, { action: "resolution", outcome: "release", note: "carry on" })).statusCode).toBe(
      202,
    );
    await settle(deps(), ref);
    expect((await getEscrow(deps(), "demo", ref.escrowId)).status).toBe("RELEASED");
    expect(payments.book.of(ref.escrowId).filter((m) => m.type === "payout")).toHaveLength(1);
    await expectProviderAgrees(ref);
  });

  it("a payout the provider rejects escalates with payout_rejected, and ops may choose another outcome", async () => {
    const ref = await confirmed();
    payments.rejectPayouts = true;
    const rejected = await settle(deps(), ref).catch((e: unknown) => e);
    expect(rejected).toBeInstanceOf(PayoutRejected);
    expect((rejected as Error).name).toBe("PayoutRejected");
    // The workflow's Catch hands EscalateToOps the Lambda error (its Cause is JSON).
    const cause = JSON.stringify({ errorType: "PayoutRejected", errorMessage: (rejected as Error).message });
    const step = await escalateToOps(deps(), {
      ...ref,
      error: "PayoutRejected",
      cause,
      execution: ref.escrowId,
    });
    expect(step.outcome).toBe("escalated");
    expect(await getEscrow(deps(), "demo", ref.escrowId)).toMatchObject({
      status: "DELIVERED",
      needsOpsAttention: true,
      attentionReason: "payout_rejected",
      pendingAction: "confirmation",
    });
    expect(events.alerts).toEqual([
      expect.objectContaining({
        type: "escrow.needs_ops",
        escrowId: ref.escrowId,
        reason: "payout_rejected: PayoutRejected: the payee's account is closed",
      }),
    ]);
    // Parked for ops: no token, no deadline; their resolution starts the continuation.
    expect(await table.store.waits.get("demo", ref.escrowId)).toMatchObject({
      token: null,
      parked: true,
      seenVersion: 6,
    });
    // Escalating again (a retried task) changes nothing.
    await escalateToOps(deps(), { ...ref, error: "PayoutRejected", cause });
    expect((await types(ref)).filter((t) => t === "escalated")).toHaveLength(1);

    workflow.end(ref.escrowId); // in ParkedForOps
    payments.rejectPayouts = false;
    await act(ref, { action: "resolution", outcome: "refund", note: "seller's account is closed; refund" });
    expect(workflow.started.map((s) => [s.name, s.step.outcome])).toEqual([
      [ref.escrowId, "created"],
      [`${ref.escrowId}-p6`, "refund"],
    ]);
    await settle(deps(), ref);
    expect(await getEscrow(deps(), "demo", ref.escrowId)).toMatchObject({
      status: "REFUNDED",
      needsOpsAttention: false,
      settlement: { refundedToBuyer: 10_000, paidToSeller: 0, platformFee: 0 },
    });
    // The second intent has keys of its own; the rejected payout moved nothing.
    expect(await intent(ref, 2)).toBeGreaterThan(await intent(ref, 1));
    expect(payments.book.of(ref.escrowId).map((m) => [m.type, m.key])).toEqual([
      ["hold", movementKeys.hold(ref.escrowId)],
      ["refund", movementKeys.transfer(ref.escrowId, "refund", await intent(ref, 2))],
    ]);
    await expectProviderAgrees(ref);
  });

  it("a split whose payout is rejected has moved nothing either, so another outcome stays exact", async () => {
    const ref = await create();
    await holdFunds(deps(), ref);
    await act(ref, { action: "dispute", actorId: "u-b", reason: "dent" });
    await act(ref, { action: "resolution", outcome: "split", refundAmount: 2500, note: "share" });
    payments.rejectPayouts = true;
    await expect(settle(deps(), ref)).rejects.toThrow(PayoutRejected);
    await escalateToOps(deps(), { ...ref, error: "PayoutRejected", cause: "account closed" });
    payments.rejectPayouts = false;
    await act(ref, { action: "resolution", outcome: "refund", note: "refund all" });
    await settle(deps(), ref);
    expect((await getEscrow(deps(), "demo", ref.escrowId)).status).toBe("REFUNDED");
    await expectProviderAgrees(ref);
  });
});

describe("an announcement that fails with the mark that would owe it", () => {
  it("fails the settlement task, so its retry announces it or owes it; the event is never dropped", async () => {
    const ref = await confirmed();
    events.fails = true;
    const requestVisit = vi
      .spyOn(table.store.marks, "requestVisit")
      .mockRejectedValue(Object.assign(new Error("DynamoDB is unavailable"), { name: "ServiceUnavailable" }));
    // The money moved and the record is RELEASED, but escrow.released reached no one and nothing owes it.
    await expect(settle(deps(), ref)).rejects.toThrow("DynamoDB is unavailable");
    expect(payments.book.sum(ref.escrowId, "payout")).toBeGreaterThan(0);
    expect((await getEscrow(deps(), "demo", ref.escrowId)).status).toBe("RELEASED");
    // The retry, with DynamoDB back and SNS still down: the escrow is marked, the reconciler publishes it.
    requestVisit.mockRestore();
    await settle(deps(), ref);
    expect((await table.store.escrows.get("demo", ref.escrowId))?.marks?.owed).toBe(true);
    // With SNS back too, a retry announces it: once, under the id the first try gave it.
    events.fails = false;
    await settle(deps(), ref);
    expect(events.of(ref.escrowId).filter((e) => e.type === "escrow.released")).toHaveLength(1);
    expect(payments.book.of(ref.escrowId).filter((m) => m.type === "payout")).toHaveLength(1);
  });
});

describe("a car's balance held unseen (issue #16, finding 2)", () => {
  it("is let go by the settlement ops decide: nothing stays held at the provider", async () => {
    const ref = await create(carDeal({ buyerId: "u-b", sellerId: "u-s" }) as Partial<CreateEscrowInput>);
    await holdFunds(deps(), ref);
    await act(ref, { action: "inspection", actorId: "u-b", accept: true });
    // The balance is held at the provider, but the write that records it keeps failing.
    const failing = withPort(table.store, "escrows", {
      append: async () => {
        throw Object.assign(new Error("Service unavailable"), {
          name: "ServiceUnavailable",
          $fault: "server",
        });
      },
    });
    await expect(holdFunds({ ...deps(), store: failing }, { ...ref, balance: true })).rejects.toThrow();
    expect(payments.book.sum(ref.escrowId, "hold")).toBe(8_800_000);
    // Ops are asked (whatever the reason), and refund the buyer.
    await escalateToOps(deps(), { ...ref, error: "UnexpectedStep", cause: "outcome balance at version 3" });
    await act(ref, { action: "resolution", outcome: "refund", note: "the buyer walked away" });
    await settle(deps(), ref);
    const escrow = await getEscrow(deps(), "demo", ref.escrowId);
    expect(escrow).toMatchObject({ status: "REFUNDED", held: 0, funded: 200_000 });
    // The balance (8,600,000) was let go by its own key; the deposit went back; the provider holds nothing.
    expect(payments.book.of(ref.escrowId).map((m) => [m.type, m.amount, m.key])).toEqual([
      ["hold", 200_000, movementKeys.hold(ref.escrowId)],
      ["hold", 8_600_000, movementKeys.balance(ref.escrowId)],
      ["void", 8_600_000, movementKeys.voidBalance(ref.escrowId)],
      ["refund", 200_000, movementKeys.transfer(ref.escrowId, "refund", await intent(ref))],
    ]);
    expect(payments.book.held(ref.escrowId)).toBe(0);
  });
});

describe("a hold that failed", () => {
  it("RecordPaymentFailure lets go of a hold that went through unseen (by the hold's key), then cancels", async () => {
    const ref = await create();
    // The hold takes effect but its answer is lost, three times (Step Functions' retries), then Catch.
    payments.faultSwitch.set("payments", "hold", "ambiguous");
    for (let i = 0; i < 4; i++) await expect(holdFunds(deps(), ref)).rejects.toThrow(PaymentUnavailable);
    expect(payments.book.of(ref.escrowId).map((m) => m.type)).toEqual(["hold"]);
    const step = await recordPaymentFailure(deps(), { ...ref, error: "PaymentUnavailable" });
    expect(step).toMatchObject({ outcome: "cancelled", version: 2 });
    expect(payments.calls.filter((c) => c.type === "void")).toEqual([
      { type: "void", key: movementKeys.void(ref.escrowId) },
    ]);
    expect(payments.book.of(ref.escrowId).map((m) => [m.type, m.amount, m.key])).toEqual([
      ["hold", 10_000, movementKeys.hold(ref.escrowId)],
      ["void", 10_000, movementKeys.void(ref.escrowId)],
    ]);
    expect(payments.book.held(ref.escrowId)).toBe(0);
    expect(await getEscrow(deps(), "demo", ref.escrowId)).toMatchObject({
      status: "CANCELLED",
      failureReason: "payment_unavailable",
      settlement: null,
    });
    expect(events.of(ref.escrowId)).toEqual([{ id: eventId(ref.escrowId, 2), type: "escrow.cancelled" }]);
    // Retried, it finds its work done: the same step, the void recorded once.
    expect(await recordPaymentFailure(deps(), { ...ref, error: "PaymentUnavailable" })).toEqual(step);
    expect(payments.book.of(ref.escrowId)).toHaveLength(2);
  });

  it("a declined hold moved nothing: nothing is voided, the escrow is cancelled as declined", async () => {
    const ref = await create({ paymentMethod: "pm_sandbox_decline" });
    await expect(holdFunds(deps(), ref)).rejects.toThrow(PaymentDeclined);
    await recordPaymentFailure(deps(), { ...ref, error: "PaymentDeclined" });
    expect(payments.book.of(ref.escrowId)).toEqual([]);
    expect(await getEscrow(deps(), "demo", ref.escrowId)).toMatchObject({
      status: "CANCELLED",
      failureReason: "payment_declined",
    });
  });

  it("a hold repeated after a lost answer is taken once, by its key", async () => {
    const ref = await create();
    payments.faultSwitch.set("payments", "hold", "ambiguous");
    await expect(holdFunds(deps(), ref)).rejects.toThrow(PaymentUnavailable);
    payments.faultSwitch.clear();
    expect(await holdFunds(deps(), ref)).toMatchObject({ outcome: "funded", version: 2 });
    expect(payments.callsOf(ref.escrowId, "hold")).toHaveLength(2);
    expect(payments.book.of(ref.escrowId).map((m) => m.key)).toEqual([movementKeys.hold(ref.escrowId)]);
  });
});

describe("the one transact loop", () => {
  /**
   * A store whose next append writes (or not), then loses its answer: the
   * adapter answers `unknown` (a timeout the SDK could not retry).
   */
  function ambiguousStore(mode: "landed" | "lost") {
    const records = Object.create(table.store.escrows) as EscrowRecords & { failures: number };
    records.failures = 0;
    records.append = async (...args: Parameters<EscrowRecords["append"]>) => {
      if (records.failures++ === 0) {
        if (mode === "landed") await table.store.escrows.append(...args);
        return "unknown";
      }
      return table.store.escrows.append(...args);
    };
    return { store: { ...table.store, escrows: records }, records };
  }

  it.each(["landed", "lost"] as const)(
    "recognises its own entry after an ambiguous write (%s): the action answers 202, once",
    async (mode) => {
      const ref = await create();
      await holdFunds(deps(), ref);
      const flaky = ambiguousStore(mode);
      const answer = await performAction({ ...deps(), store: flaky.store }, "demo", ref.escrowId, {
        action: "delivery",
        actorId: "u-s",
      });
      expect(flaky.records.failures).toBeGreaterThanOrEqual(1);
      expect(answer).toMatchObject({ statusCode: 202, escrow: { status: "DELIVERED", version: 3 } });
      expect(await types(ref)).toEqual(["created", "funded", "delivered"]);
    },
  );

  it("recognises its own entry even when the store returns its attributes in another order", async () => {
    // DynamoDB does not keep the order of a map's attributes: an entry read back may list them differently.
    const reordering = ambiguousStore("landed");
    reordering.records.get = async (tenantId: string, escrowId: string) => {
      const record = await table.store.escrows.get(tenantId, escrowId);
      if (!record) return null;
      const reversed = <T extends object>(o: T): T =>
        Object.fromEntries(
          Object.entries(o)
            .reverse()
            .map(([k, v]) => [k, v && typeof v === "object" && !Array.isArray(v) ? reversed(v) : v]),
        ) as T;
      return { ...record, history: record.history.map(reversed) };
    };
    const ref = await create();
    await holdFunds(deps(), ref);
    const answer = await performAction({ ...deps(), store: reordering.store }, "demo", ref.escrowId, {
      action: "delivery",
      actorId: "u-s",
      carrier: "SF",
    });
    expect(answer).toMatchObject({ statusCode: 202, escrow: { status: "DELIVERED", version: 3 } });
    expect(await types(ref)).toEqual(["created", "funded", "delivered"]);
  });

  it("a keyed action whose write landed unseen is answered 202 and remembered for replays", async () => {
    const ref = await create();
    await holdFunds(deps(), ref);
    const command: ActionCommand = { action: "delivery", actorId: "u-s", carrier: "SF" };
    const idem = keyed("deliver-ambiguous", command, `/v1/escrows/${ref.escrowId}/delivery`);
    const first = await performAction(
      { ...deps(), store: ambiguousStore("landed").store },
      "demo",
      ref.escrowId,
      command,
      idem,
    );
    expect(first).toMatchObject({ statusCode: 202, replayed: false });
    const again = await performAction(deps(), "demo", ref.escrowId, command, idem);
    expect(again).toEqual({ ...first, replayed: true });
    expect(await types(ref)).toEqual(["created", "funded", "delivered"]);
  });

  it("a workflow task whose write landed unseen returns the same step", async () => {
    const ref = await confirmed();
    const step = await settle({ ...deps(), store: ambiguousStore("landed").store }, ref);
    expect(step).toMatchObject({ outcome: "released", version: 6 });
    expect(await types(ref)).toEqual(["created", "funded", "delivered", "confirmed", "settling", "released"]);
    await expectProviderAgrees(ref);
  });
});
