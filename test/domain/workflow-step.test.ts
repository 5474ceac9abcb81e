import { describe, expect, it } from "vitest";
import { beginSettling, escalate, expire, settleEscrow } from "../../functions/domain/escrow";
import { eventId } from "../../functions/domain/events";
import { withDefaults } from "../../functions/domain/kinds/registry";
import { dueOf, NO_MARKS, RECONCILE_GRACE_SECONDS } from "../../functions/domain/reconciliation";
import { addSeconds, DAY } from "../../functions/domain/windows";
import * as steps from "../../functions/domain/workflow-step";
import { at, Harness, terms } from "../support/escrows";

const BUYER = "u-buyer";
const SELLER = "u-seller";

describe("the step the record hands the workflow", () => {
  it("routes on the entry's outcome and times the next wait by the record's deadline", () => {
    const h = new Harness();
    h.fund(at(1));
    h.act({ action: "delivery", actorId: SELLER }, at(60));
    const step = steps.stepAt(h.t, h.history, 3, at(100));
    expect(steps.routeOf(step)).toEqual({ outcome: "delivered", version: 3, timeoutSeconds: 10 * DAY - 40 });
    // A deadline already passed still gives Step Functions a valid timeout (≥ 1 s).
    expect(steps.stepAt(h.t, h.history, 3, at(11 * DAY)).timeoutSeconds).toBe(1);
  });

  it("announces the marketplace's event with an id stable per escrow and version", () => {
    const h = new Harness();
    h.fund(at(1));
    const step = steps.stepAt(h.t, h.history, 2, at(5));
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
    expect(steps.stepAt(h.t, h.history, 2, at(9999)).event).toEqual(step.event);
  });

  it("an accepted outcome and its settling intent route to the same settlement state", () => {
    const h = new Harness();
    h.fund(at(1));
    h.act({ action: "delivery", actorId: SELLER }, at(2));
    h.act({ action: "refund-request", actorId: BUYER, reason: "dent", amount: 2500 }, at(3));
    h.act({ action: "refund-response", actorId: SELLER, accept: true }, at(4));
    h.push(beginSettling(h.state), at(5));
    expect(steps.stepAt(h.t, h.history, 5, at(6)).outcome).toBe("split");
    expect(steps.stepAt(h.t, h.history, 6, at(6)).outcome).toBe("split");
    expect(steps.stepAt(h.t, h.history, 6, at(6)).event).toBeNull();
    expect(h.settle(at(7)).status).toBe("SETTLED");
    expect(steps.stepAt(h.t, h.history, 7, at(8))).toMatchObject({
      outcome: "settled",
      event: { type: "escrow.settled", id: eventId(h.t.id, 7) },
    });
  });

  it("an unresolved dispute refunds with an ops alert", () => {
    const h = new Harness();
    h.fund(at(1));
    h.act({ action: "dispute", actorId: BUYER, reason: "x" }, at(2));
    h.push(expire(h.state), at(31 * DAY));
    const step = steps.stepAt(h.t, h.history, 4, at(31 * DAY));
    expect(step.outcome).toBe("refund_unresolved");
    // The alert is announced with the refund that follows (by the task that settles), once.
    expect(step.alert).toBeNull();
    h.push(beginSettling(h.state), at(31 * DAY));
    h.push(settleEscrow(h.state), at(31 * DAY));
    const refunded = steps.stepAt(h.t, h.history, 6, at(31 * DAY));
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
    const step = steps.stepAt(h.t, h.history, 3, at(3));
    expect(step.outcome).toBe("escalated");
    expect(step.event).toBeNull();
    expect(step.alert).toEqual({
      // Shaped like an escrow event (API.md v1.2): an id stable per escrow and version, the escrow.
      id: `alr_${h.t.id.slice(4)}_3`,
      type: "escrow.needs_ops",
      occurredAt: at(2).toISOString(),
      tenantId: h.t.tenantId,
      escrowId: h.t.id,
      escrow: expect.objectContaining({
        id: h.t.id,
        needsOpsAttention: true,
        attentionReason: "payout_rejected",
      }),
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
    expect(steps.nextStep(h.t, h.history, 1, at(4))?.outcome).toBe("funded");
    expect(steps.nextStep(h.t, h.history, 2, at(4))?.outcome).toBe("delivered");
    expect(steps.nextStep(h.t, h.history, 3, at(4))?.outcome).toBe("release");
    expect(steps.nextStep(h.t, h.history, 4, at(4))).toBeNull();
  });

  it("names executions so that a repeated start is refused by Step Functions itself", () => {
    const id = "esc_0123456789ABCDEFGHJKMNPQRS";
    expect(steps.INITIAL_STEP).toEqual({ outcome: "created", version: 1, timeoutSeconds: 1 });
    expect(steps.parkedStep(7)).toEqual({ outcome: "parked", version: 7, timeoutSeconds: 1 });
    expect(steps.executionNames.first(id)).toBe(id);
    expect(steps.executionNames.afterPark(id, 3)).toBe(`${id}-p3`);
    expect(steps.executionNames.afterPark(id, 3)).toBe(steps.executionNames.afterPark(id, 3));
    // A restart is named after the record's version: a second restart at the same version is refused.
    expect(steps.executionNames.restart(id, 5)).toBe(`${id}-r5`);
    expect(steps.executionNames.restart(id, 5)).toBe(steps.executionNames.restart(id, 5));
    expect(steps.executionNames.restart(id, 6)).not.toBe(steps.executionNames.restart(id, 5));
    // Step Functions allows 80 characters in a name.
    expect(steps.executionNames.restart(id, 99_999).length).toBeLessThanOrEqual(80);
    expect(steps.executionNames.restart(id, 99_999, 3).length).toBeLessThanOrEqual(80);
    expect(steps.executionNames.restart(id, 5, 2)).toBe(`${id}-r5-2`);
    expect(steps.executionNames.restartOf(id, 5, `${id}-r5`)).toBe(1);
    expect(steps.executionNames.restartOf(id, 5, `${id}-r5-3`)).toBe(3);
    expect(steps.executionNames.restartOf(id, 5, `${id}-r4`)).toBe(0);
    expect(steps.executionNames.restartOf(id, 5, `${id}-r55`)).toBe(0);
    expect(steps.executionNames.restartOf(id, 5, id)).toBe(0);
    expect(steps.supersededStep(4)).toEqual({ outcome: "superseded", version: 4, timeoutSeconds: 1 });
    expect(steps.PARK_AFTER_SECONDS).toBe(30 * DAY);
  });
});

describe("when the reconciler should look (the escrow's one due mark)", () => {
  const at0 = (s: number) => at(s).toISOString();
  const noReminder = (windows: Record<string, number> = {}) =>
    new Harness(terms({ windows: withDefaults("goods", { reminderSeconds: 0, ...windows }) }));

  it("a hold within the grace, a wait by its deadline plus the grace, an accepted outcome within the grace", () => {
    const h = noReminder();
    expect(dueOf(h.state, NO_MARKS, h.t.createdAt)).toBe(addSeconds(h.t.createdAt, RECONCILE_GRACE_SECONDS));
    h.fund(at(1));
    expect(dueOf(h.state, NO_MARKS, at0(1))).toBe(
      addSeconds(h.state.deadline as string, RECONCILE_GRACE_SECONDS),
    );
    h.act({ action: "delivery", actorId: SELLER }, at(2));
    expect(dueOf(h.state, NO_MARKS, at0(2))).toBe(
      addSeconds(h.state.deadline as string, RECONCILE_GRACE_SECONDS),
    );
    h.act({ action: "confirmation", actorId: BUYER }, at(3));
    expect(dueOf(h.state, NO_MARKS, at0(3))).toBe(addSeconds(at0(3), RECONCILE_GRACE_SECONDS));
    h.push(beginSettling(h.state), at(4));
    expect(dueOf(h.state, NO_MARKS, at0(4))).toBe(addSeconds(at0(4), RECONCILE_GRACE_SECONDS));
    h.settle(at(5));
    expect(dueOf(h.state, NO_MARKS, at0(5))).toBeNull();
    // A hand-over an action asked for (its signal raced the next wait) is moot once terminal: no visit;
    // an owed event still is one.
    expect(dueOf(h.state, { ...NO_MARKS, requested: true }, at0(5))).toBeNull();
    expect(dueOf(h.state, { ...NO_MARKS, requested: true, owed: true }, at0(5))).toBe(at0(5));
  });

  it("a parked wait at its deadline; the reminder first, until it is out", () => {
    const h = new Harness();
    h.fund(at(1));
    const deadline = h.state.deadline as string;
    const reminder = addSeconds(deadline, -DAY);
    expect(dueOf(h.state, NO_MARKS, at0(1))).toBe(reminder);
    const sent = { ...NO_MARKS, reminded: deadline };
    expect(dueOf(h.state, sent, at0(1))).toBe(addSeconds(deadline, RECONCILE_GRACE_SECONDS));
    expect(dueOf(h.state, { ...sent, parked: true }, at0(1))).toBe(deadline);
    // In AWS the reconciler runs every period: a reminder's mark is up to one period early.
    expect(dueOf(h.state, NO_MARKS, at0(1), 300)).toBe(addSeconds(reminder, -300));
  });

  it("now, when something is owed or asked for; never for a terminal escrow otherwise", () => {
    const h = noReminder();
    h.fund(at(1));
    for (const flag of ["requested", "owed", "evidenceOwed"] as const)
      expect(dueOf(h.state, { ...NO_MARKS, [flag]: true }, at0(9))).toBe(at0(9));
    expect(dueOf(h.state, { ...NO_MARKS, stall: { version: 2, since: at0(1), alerted: true } }, at0(9))).toBe(
      at0(9),
    );
    h.act({ action: "delivery", actorId: SELLER }, at(2));
    h.act({ action: "confirmation", actorId: BUYER }, at(3));
    h.settle(at(4));
    expect(dueOf(h.state, NO_MARKS, at0(9))).toBeNull();
    expect(dueOf(h.state, { ...NO_MARKS, owed: true }, at0(9))).toBe(at0(9));
  });

  it("an escrow parked for ops has no mark: nothing is expected of the service until ops act (unless something is owed)", () => {
    const h = noReminder();
    h.fund(at(1));
    h.act({ action: "delivery", actorId: SELLER }, at(2));
    h.act({ action: "confirmation", actorId: BUYER }, at(3));
    h.push(escalate(h.state, "payout_rejected", "x"), at(4));
    expect(dueOf(h.state, NO_MARKS, at0(4))).toBeNull();
    expect(dueOf(h.state, { ...NO_MARKS, owed: true }, at0(4))).toBe(at0(4));
    const disputed = noReminder();
    disputed.fund(at(1));
    disputed.act({ action: "dispute", actorId: BUYER, reason: "x" }, at(2));
    disputed.push(escalate(disputed.state, "unexpected_step", "x"), at(3));
    expect(dueOf(disputed.state, NO_MARKS, at0(3))).toBeNull();
  });
});
