import { describe, expect, it } from "vitest";
import { beginSettling, escalate, expire, settleEscrow } from "../../functions/domain/escrow";
import { eventId } from "../../functions/domain/events";
import {
  dueOf,
  RECONCILE_GRACE_SECONDS,
  UNCONFIRMED_CREATION_SECONDS,
} from "../../functions/domain/reconciliation";
import { addSeconds, DAY } from "../../functions/domain/windows";
import {
  executionNames,
  INITIAL_STEP,
  nextStep,
  PARK_AFTER_SECONDS,
  parkedStep,
  restartCount,
  routeOf,
  stepAt,
} from "../../functions/domain/workflow-step";
import { at, Harness } from "../support/escrows";

const BUYER = "u-buyer";
const SELLER = "u-seller";

describe("the step the record hands the workflow", () => {
  it("routes on the entry's outcome and times the next wait by the record's deadline", () => {
    const h = new Harness();
    h.fund(at(1));
    h.act({ action: "delivery", actorId: SELLER }, at(60));
    const step = stepAt(h.t, h.history, 3, at(100));
    expect(routeOf(step)).toEqual({ outcome: "delivered", version: 3, timeoutSeconds: 10 * DAY - 40 });
    // A deadline already passed still gives Step Functions a valid timeout (≥ 1 s).
    expect(stepAt(h.t, h.history, 3, at(11 * DAY)).timeoutSeconds).toBe(1);
  });

  it("announces the marketplace's event with an id stable per escrow and version", () => {
    const h = new Harness();
    h.fund(at(1));
    const step = stepAt(h.t, h.history, 2, at(5));
    expect(step.event).toMatchObject({
      id: eventId(h.t.id, 2),
      type: "escrow.funded",
      occurredAt: at(1).toISOString(),
      tenantId: h.t.tenantId,
      escrowId: h.t.id,
      escrow: { status: "FUNDED", version: 2 },
    });
    expect(step.alert).toBeNull();
    // The same step computed later (a retry, the reconciler) is the same event.
    expect(stepAt(h.t, h.history, 2, at(9999)).event).toEqual(step.event);
  });

  it("an accepted outcome and its settling intent route to the same settlement state", () => {
    const h = new Harness();
    h.fund(at(1));
    h.act({ action: "delivery", actorId: SELLER }, at(2));
    h.act({ action: "refund-request", actorId: BUYER, reason: "dent", amount: 2500 }, at(3));
    h.act({ action: "refund-response", actorId: SELLER, accept: true }, at(4));
    h.push(beginSettling(h.state), at(5));
    expect(stepAt(h.t, h.history, 5, at(6)).outcome).toBe("split");
    expect(stepAt(h.t, h.history, 6, at(6)).outcome).toBe("split");
    expect(stepAt(h.t, h.history, 6, at(6)).event).toBeNull();
    expect(h.settle(at(7)).status).toBe("SETTLED");
    expect(stepAt(h.t, h.history, 7, at(8))).toMatchObject({
      outcome: "settled",
      event: { type: "escrow.settled", id: eventId(h.t.id, 7) },
    });
  });

  it("an unresolved dispute refunds with an ops alert", () => {
    const h = new Harness();
    h.fund(at(1));
    h.act({ action: "dispute", actorId: BUYER, reason: "x" }, at(2));
    h.push(expire(h.state), at(31 * DAY));
    const step = stepAt(h.t, h.history, 4, at(31 * DAY));
    expect(step.outcome).toBe("refund_unresolved");
    // The alert is announced with the refund that follows (by the task that settles), once.
    expect(step.alert).toBeNull();
    h.push(beginSettling(h.state), at(31 * DAY));
    h.push(settleEscrow(h.state), at(31 * DAY));
    const refunded = stepAt(h.t, h.history, 6, at(31 * DAY));
    expect(refunded.event?.type).toBe("escrow.refunded");
    expect(refunded.alert).toMatchObject({
      type: "escrow.dispute_unresolved",
      escrowId: h.t.id,
      tenantId: h.t.tenantId,
      status: "DISPUTED",
    });
  });

  it("an escalation routes to ops and alerts them with its reason", () => {
    const h = new Harness();
    h.fund(at(1));
    h.push(escalate(h.state, "payout_rejected", "PayoutRejected: account closed"), at(2));
    const step = stepAt(h.t, h.history, 3, at(3));
    expect(step.outcome).toBe("escalated");
    expect(step.event).toBeNull();
    expect(step.alert).toEqual({
      id: `alr_${h.t.id.slice(4)}_3`,
      type: "escrow.needs_ops",
      occurredAt: at(2).toISOString(),
      tenantId: h.t.tenantId,
      escrowId: h.t.id,
      escrow: expect.objectContaining({ id: h.t.id, status: "FUNDED", needsOpsAttention: true }),
      status: "FUNDED",
      reason: "payout_rejected: PayoutRejected: account closed",
      at: at(2).toISOString(),
    });
  });

  it("hands the workflow every entry once, in order, then nothing", () => {
    const h = new Harness();
    h.fund(at(1));
    h.act({ action: "delivery", actorId: SELLER }, at(2));
    h.act({ action: "confirmation", actorId: BUYER }, at(3));
    expect(nextStep(h.t, h.history, 1, at(4))?.outcome).toBe("funded");
    expect(nextStep(h.t, h.history, 2, at(4))?.outcome).toBe("delivered");
    expect(nextStep(h.t, h.history, 3, at(4))?.outcome).toBe("release");
    expect(nextStep(h.t, h.history, 4, at(4))).toBeNull();
  });

  it("names executions so that a repeated start is refused by Step Functions itself", () => {
    const id = "esc_0123456789ABCDEFGHJKMNPQRS";
    expect(INITIAL_STEP).toEqual({ outcome: "created", version: 1, timeoutSeconds: 1 });
    expect(parkedStep(7)).toEqual({ outcome: "parked", version: 7, timeoutSeconds: 1 });
    expect(executionNames.first(id)).toBe(id);
    expect(executionNames.afterPark(id, 3)).toBe(`${id}-p3`);
    expect(executionNames.afterPark(id, 3)).toBe(executionNames.afterPark(id, 3));
    const r1 = executionNames.restart(id, id, 5);
    expect(r1).toBe(`${id}-r5x1`);
    expect(restartCount(r1)).toBe(1);
    expect(executionNames.restart(id, r1, 5)).toBe(`${id}-r5x2`);
    expect(restartCount(`${id}-p3`)).toBe(0);
    // Step Functions allows 80 characters in a name.
    expect(executionNames.restart(id, `${id}-r99x99`, 99).length).toBeLessThanOrEqual(80);
    expect(PARK_AFTER_SECONDS).toBe(30 * DAY);
  });
});

describe("when the reconciler should look (the escrow item's due mark)", () => {
  it("at an unconfirmed creation's end, and while an accepted outcome is carried out", () => {
    const h = new Harness();
    expect(dueOf(h.state)).toBe(addSeconds(h.t.createdAt, UNCONFIRMED_CREATION_SECONDS));
    h.fund(at(1));
    // A waiting escrow needs no mark: its execution's timer ends the wait.
    expect(dueOf(h.state)).toBeNull();
    h.act({ action: "delivery", actorId: SELLER }, at(2));
    expect(dueOf(h.state)).toBeNull();
    h.act({ action: "confirmation", actorId: BUYER }, at(3));
    expect(dueOf(h.state)).toBe(addSeconds(at(3).toISOString(), RECONCILE_GRACE_SECONDS));
    h.push(beginSettling(h.state), at(4));
    expect(dueOf(h.state)).toBe(addSeconds(at(4).toISOString(), RECONCILE_GRACE_SECONDS));
    h.settle(at(5));
    expect(dueOf(h.state)).toBeNull();
  });

  it("not while the escrow waits for ops", () => {
    const h = new Harness();
    h.fund(at(1));
    h.act({ action: "delivery", actorId: SELLER }, at(2));
    h.act({ action: "confirmation", actorId: BUYER }, at(3));
    h.push(escalate(h.state, "payout_rejected", "x"), at(4));
    expect(dueOf(h.state)).toBeNull();
    const stuck = new Harness();
    stuck.push(escalate(stuck.state, "workflow_failing", "x"), at(1));
    expect(dueOf(stuck.state)).toBeNull();
  });
});
