import { describe, expect, it } from "vitest";
import { InvalidTransitionError, ValidationError } from "../../functions/domain/errors";
import {
  beginSettling,
  decideAction,
  escalate,
  movementFor,
  settleEscrow,
  toView,
} from "../../functions/domain/escrow";
import { eventFor } from "../../functions/domain/events";
import { previewResolution, waitingFor } from "../../functions/domain/ops-desk";
import { stepAt } from "../../functions/domain/workflow-step";
import { at, Harness } from "../support/escrows";

/**
 * The ops side of the decider (API.md v1.2, "Ops staff: who decided, and
 * why"): who must act next, what a resolution would move, resume, the
 * `resolution` object, and the ops user on entries and the events they cause.
 */
const BUYER = "u-buyer";
const SELLER = "u-seller";
const ALICE = { id: "sub-alice", name: "ops-alice" };

function disputed() {
  const h = new Harness();
  h.fund(at(1));
  h.act({ action: "dispute", actorId: BUYER, reason: "not as described" }, at(2));
  return h;
}

describe("who the escrow waits for", () => {
  it("is the party of the current wait, ops in a dispute, nobody while the service acts or once terminal", () => {
    const h = new Harness();
    expect(waitingFor(h.state)).toBeNull(); // taking the hold
    h.fund(at(1));
    expect(waitingFor(h.state)).toBe("seller");
    h.act({ action: "delivery", actorId: SELLER }, at(2));
    expect(waitingFor(h.state)).toBe("buyer");
    h.act({ action: "refund-request", actorId: BUYER, reason: "dent" }, at(3));
    expect(waitingFor(h.state)).toBe("seller");
    h.act({ action: "dispute", actorId: BUYER, reason: "no answer" }, at(4));
    expect(waitingFor(h.state)).toBe("ops");
    h.act({ action: "resolution", outcome: "refund", note: "refund" }, at(5));
    expect(waitingFor(h.state)).toBeNull(); // accepted: the workflow carries it out
    h.settle(at(6));
    expect(h.state.status).toBe("REFUNDED");
    expect(waitingFor(h.state)).toBeNull();
  });

  it("is ops for an escrow that needs them, whatever its status", () => {
    const h = new Harness();
    h.fund(at(1));
    h.push(escalate(h.state, "workflow_failing", "boom"), at(2));
    expect(waitingFor(h.state)).toBe("ops");
  });
});

describe("a resolution's preview", () => {
  it("is what the resolution then moves, for each outcome", () => {
    for (const [outcome, refundAmount] of [
      ["release", undefined],
      ["refund", undefined],
      ["split", 4000],
    ] as const) {
      const h = disputed();
      const preview = previewResolution(h.state, { outcome, refundAmount }, at(10));
      h.act({ action: "resolution", outcome, refundAmount, note: "decided" }, at(10));
      const moved = movementFor(h.state, at(10).toISOString());
      expect(preview, outcome).toEqual({
        paidToSeller: moved?.paidToSeller,
        refundedToBuyer: moved?.refundedToBuyer,
        platformFee: moved?.platformFee,
      });
      const held = disputed().state.funded;
      expect(preview.paidToSeller + preview.refundedToBuyer + preview.platformFee).toBe(held);
    }
  });

  it("checks as the resolution does: the same 400 and 409, and nothing moves before a hold", () => {
    const h = disputed();
    const held = h.state.funded;
    expect(() => previewResolution(h.state, { outcome: "split", refundAmount: held }, at(9))).toThrow(
      ValidationError,
    );
    expect(() => previewResolution(h.state, { outcome: "split" }, at(9))).toThrow(ValidationError);
    h.act({ action: "resolution", outcome: "refund", note: "refund" }, at(10));
    // Someone decided first: the preview is the same conflict the resolution would be.
    expect(() => previewResolution(h.state, { outcome: "release" }, at(11))).toThrow(InvalidTransitionError);
    const fresh = new Harness();
    fresh.fund(at(1));
    expect(() => previewResolution(fresh.state, { outcome: "release" }, at(2))).toThrow(
      InvalidTransitionError,
    );
  });
});

describe("the resolution object and who decided", () => {
  it("is null until decided, then names the outcome, amounts, reason, note, who and when", () => {
    const h = disputed();
    expect(toView(h.state).resolution).toBeNull();
    const draft = decideAction(
      h.state,
      { action: "resolution", outcome: "split", refundAmount: 4000, reasonCode: "damaged", note: "40 back" },
      at(10),
    );
    expect(draft.data).toMatchObject({ reasonCode: "damaged" });
    h.push({ ...draft, opsUser: ALICE }, at(10));
    expect(toView(h.state).resolution).toEqual({
      outcome: "split",
      refundAmount: 4000,
      reasonCode: "damaged",
      note: "40 back",
      decidedBy: ALICE,
      decidedAt: at(10).toISOString(),
    });
    // Release and refund name what goes back to the buyer too: nothing, or all that is held.
    const released = disputed();
    released.act({ action: "resolution", outcome: "release", note: "ok" }, at(10));
    expect(toView(released.state).resolution).toMatchObject({ refundAmount: 0, reasonCode: null });
  });

  it("puts the ops user on the events the ops action causes, and no one on the others", () => {
    const h = disputed();
    const requested = decideAction(
      h.state,
      { action: "evidence-request", from: "seller", dueSeconds: 7200, note: "photo" },
      at(5),
    );
    h.push({ ...requested, opsUser: ALICE }, at(5));
    const entry = h.history.at(-1);
    if (!entry) throw new Error("no entry");
    expect(eventFor(entry, h.state)).toMatchObject({
      type: "escrow.evidence_requested",
      actor: "ops",
      opsUser: ALICE,
    });
    h.push(
      {
        ...decideAction(h.state, { action: "resolution", outcome: "refund", note: "refund" }, at(6)),
        opsUser: ALICE,
      },
      at(6),
    );
    h.push(beginSettling(h.state), at(7));
    h.push(settleEscrow(h.state), at(8));
    const refunded = stepAt(h.t, h.history, h.history.length, at(9)).event;
    expect(refunded).toMatchObject({ type: "escrow.refunded", actor: "ops", opsUser: ALICE });
    // The buyer's dispute was not an ops action.
    const disputedEvent = stepAt(h.t, h.history, 3, at(9)).event;
    expect(disputedEvent?.type).toBe("escrow.disputed");
    expect(disputedEvent).not.toHaveProperty("opsUser");
    expect(disputedEvent).not.toHaveProperty("actor");
  });
});

describe("resume", () => {
  it("is only for an escrow that needs ops: 409 otherwise", () => {
    const h = disputed();
    expect(() => decideAction(h.state, { action: "resume", note: "why" }, at(5))).toThrow(
      InvalidTransitionError,
    );
  });

  it("clears the flag and hands the workflow the refused payout again", () => {
    const h = disputed();
    h.act({ action: "resolution", outcome: "release", note: "ok" }, at(5));
    const refused = h.push(beginSettling(h.state), at(6)).settling;
    h.push(escalate(h.state, "payout_rejected", "PayoutRejected: account closed"), at(7));
    expect(toView(h.state)).toMatchObject({ needsOpsAttention: true, attentionReason: "payout_rejected" });
    const draft = decideAction(h.state, { action: "resume", note: "account reopened" }, at(8));
    h.push({ ...draft, opsUser: ALICE }, at(8));
    expect(toView(h.state)).toMatchObject({
      needsOpsAttention: false,
      attentionReason: null,
      status: "DISPUTED",
    });
    const step = stepAt(h.t, h.history, h.history.length, at(9));
    expect(step.outcome).toBe("release");
    expect(step.event).toBeNull(); // no event type for a resume
    // The next settlement is a new intent (its own version): new movement keys, never the refused one's.
    h.push(beginSettling(h.state), at(10));
    expect(h.state.settling?.version).toBe(h.state.version);
    expect(h.state.settling?.version).not.toBe(refused?.version);
  });

  it("carries a wait on from the record when nothing was pending", () => {
    const h = disputed();
    h.push(escalate(h.state, "workflow_failing", "restarts failed"), at(5));
    h.act({ action: "resume", note: "fixed" }, at(6));
    expect(stepAt(h.t, h.history, h.history.length, at(7)).outcome).toBe("disputed");
  });
});
