import { describe, expect, it } from "vitest";
import { InvalidTransitionError } from "../../functions/domain/errors";
import {
  beginSettling,
  decideAction,
  escalate,
  fundBalance,
  movementFor,
  settleEscrow,
  toView,
  unrecordedHolds,
} from "../../functions/domain/escrow";
import { withDefaults } from "../../functions/domain/kinds/registry";
import { ledgerViolations } from "../../functions/domain/ledger";
import type { EscrowTerms } from "../../functions/domain/types";
import { stepAt } from "../../functions/domain/workflow-step";
import { at, Harness, rentalTerms, terms } from "../support/escrows";
import { BUYER, COMMANDS, inStatus, SELLER } from "./goods-fixture";

describe("money by intent: the settling entry", () => {
  it("records the intent before the provider is called; the settlement it will record is known", () => {
    const h = inStatus("DELIVERED");
    h.act(COMMANDS.confirmation, at(10));
    expect(h.state.settling).toBeNull();
    const settling = h.push(beginSettling(h.state), at(11));
    expect(settling).toMatchObject({
      status: "DELIVERED",
      settling: { version: settling.version },
      pending: { outcome: "release" },
      settlement: null,
    });
    expect(h.history.at(-1)).toMatchObject({ type: "settling", actor: "system", data: {} });
    // What the provider is told to move is what the record will then say was moved.
    const intended = movementFor(settling, at(12).toISOString());
    const released = h.settle(at(12));
    expect(released.disbursements).toEqual([intended]);
    expect(released.settlement).toEqual({
      paidToSeller: intended?.paidToSeller,
      refundedToBuyer: intended?.refundedToBuyer,
      platformFee: intended?.platformFee,
      settledAt: at(12).toISOString(),
    });
    expect(released).toMatchObject({ status: "RELEASED", settling: null });
    expect(ledgerViolations(released)).toEqual([]);
  });

  it("has nothing to settle without a pending outcome", () => {
    for (const status of ["FUNDED", "DELIVERED", "DISPUTED", "RELEASED"] as const) {
      expect(() => beginSettling(inStatus(status).state)).toThrow(InvalidTransitionError);
      expect(() => settleEscrow(inStatus(status).state)).toThrow(InvalidTransitionError);
    }
  });

  it("once a release has been sent to the provider, ops cannot turn it into a refund (409)", () => {
    const h = inStatus("DISPUTED");
    h.act({ action: "resolution", outcome: "release", note: "seller shipped" }, at(10));
    h.push(beginSettling(h.state), at(11));
    // The provider's answer was lost and the workflow gave up: ops are asked to look.
    h.push(escalate(h.state, "unexpected_step", "outcome release at version 4"), at(12));
    for (const other of [
      { action: "resolution", outcome: "refund", note: "refund instead" },
      { action: "resolution", outcome: "split", refundAmount: 100, note: "split instead" },
    ] as const)
      expect(() => decideAction(h.state, other, at(13))).toThrow(InvalidTransitionError);
    // Repeating the same outcome is allowed: it carries on with the same movements (same intent, same keys).
    const intent = h.state.settling;
    const again = h.act({ action: "resolution", outcome: "release", note: "carry on" }, at(13));
    expect(again).toMatchObject({ pending: { outcome: "release" }, settling: intent });
    expect(h.settle(at(14)).status).toBe("RELEASED");
  });

  it("a split already sent keeps its amount: another refund amount is refused", () => {
    const h = inStatus("DISPUTED");
    h.act({ action: "resolution", outcome: "split", refundAmount: 4000, note: "n" }, at(10));
    h.push(beginSettling(h.state), at(11));
    h.push(escalate(h.state, "unexpected_step", "x"), at(12));
    expect(() =>
      decideAction(
        h.state,
        { action: "resolution", outcome: "split", refundAmount: 4001, note: "n" },
        at(13),
      ),
    ).toThrow(InvalidTransitionError);
    expect(() =>
      decideAction(
        h.state,
        { action: "resolution", outcome: "split", refundAmount: 4000, note: "n" },
        at(13),
      ),
    ).not.toThrow();
  });

  it("a payout the provider rejected moved nothing: ops may choose another outcome, with new movement keys", () => {
    const h = inStatus("DELIVERED");
    h.act(COMMANDS.confirmation, at(10));
    const first = h.push(beginSettling(h.state), at(11)).settling;
    h.push(escalate(h.state, "payout_rejected", "PayoutRejected: the payee's account is closed"), at(12));
    expect(h.state).toMatchObject({ settling: null });
    const resolved = h.act({ action: "resolution", outcome: "refund", note: "refund the buyer" }, at(13));
    expect(resolved.pending).toMatchObject({ action: "resolution", outcome: "refund" });
    // A new intent, at its own version: its movements' keys are new.
    const second = h.push(beginSettling(h.state), at(14)).settling;
    expect(second).toEqual({ version: h.state.version });
    expect(second?.version).not.toBe(first?.version);
    const refunded = h.settle(at(15));
    expect(refunded.settlement).toMatchObject({ refundedToBuyer: 12999, paidToSeller: 0, platformFee: 0 });
    expect(ledgerViolations(refunded)).toEqual([]);
  });

  it("an escrow in the middle of settling answers other actions with 409", () => {
    const h = inStatus("DELIVERED");
    h.act(COMMANDS.confirmation, at(10));
    h.push(beginSettling(h.state), at(11));
    for (const command of [
      COMMANDS.dispute,
      COMMANDS["refund-request"],
      COMMANDS.confirmation,
      COMMANDS.resolution,
    ])
      expect(() => decideAction(h.state, command, at(12))).toThrow(InvalidTransitionError);
  });
});

describe("a movement tried can only be repeated (issue #16, finding 1)", () => {
  /** A 6,000.00 deposit; a claim of 1,000.00 rejected in part (200.00 accepted), the undisputed part being paid. */
  function partialInFlight(): Harness {
    const h = new Harness(rentalTerms({ amount: 600000, fee: 6000 }));
    h.fund(at(1));
    h.act({ action: "move-out", actorId: BUYER }, at(2));
    h.act(
      {
        action: "deduction-claim",
        actorId: SELLER,
        items: [{ category: "damage", amount: 100000, description: "Sofa" }],
      },
      at(3),
    );
    h.act({ action: "claim-response", actorId: BUYER, accept: false, acceptedAmount: 20000 }, at(4));
    // The undisputed part is being paid (its intent is recorded), then the workflow asks ops.
    h.push(beginSettling(h.state), at(5));
    h.push(escalate(h.state, "unexpected_step", "x"), at(6));
    return h;
  }

  it("no resolution replaces a rejected claim's undisputed part once it was sent, whatever its amounts", () => {
    const h = partialInFlight();
    expect(h.state.pending).toMatchObject({
      outcome: "split",
      refundAmount: 500000,
      partial: { release: 20000 },
    });
    for (const resolution of [
      { action: "resolution", outcome: "split", refundAmount: 40000, note: "half the sofa" },
      { action: "resolution", outcome: "refund", note: "all back" },
      { action: "resolution", outcome: "release", note: "all to the landlord" },
      // The same outcome and refund amount as the first step: not the same movement (it would settle all).
      { action: "resolution", outcome: "split", refundAmount: 500000, note: "same numbers" },
    ] as const)
      expect(() => decideAction(h.state, resolution, at(7)), JSON.stringify(resolution)).toThrow(
        InvalidTransitionError,
      );
  });

  it("the undisputed part, carried out, leaves the contested part for ops to decide", () => {
    const h = partialInFlight();
    h.settle(at(7));
    expect(h.state).toMatchObject({ status: "DISPUTED", settling: null, attention: null });
    expect(toView(h.state).held).toBe(80000);
    const decided = h.act(
      { action: "resolution", outcome: "split", refundAmount: 40000, note: "half" },
      at(8),
    );
    expect(decided.pending).toMatchObject({ outcome: "split", refundAmount: 40000 });
    const done = h.settle(at(9));
    expect(done.settlement).toMatchObject({ refundedToBuyer: 540000, paidToSeller: 59400, platformFee: 600 });
    expect(ledgerViolations(done)).toEqual([]);
  });

  it("a restart at the undisputed part's intent goes to PayUndisputedPart, not a settlement of everything", () => {
    const h = partialInFlight();
    const settling = h.history.find((e) => e.type === "settling");
    expect(stepAt(h.t, h.history, settling?.v as number, at(7)).outcome).toBe("partial");
  });
});

/** A car of 5,000.00 with a 2,000.00 reservation deposit. */
const carTerms = (overrides: Partial<EscrowTerms> = {}) =>
  terms({
    kind: "vehicle",
    amount: 500000,
    deposit: 200000,
    vehicle: { vin: "LSVAU2180N2183294", description: null },
    windows: withDefaults("vehicle", undefined),
    ...overrides,
  });

describe("a car's balance (issue #16, finding 2)", () => {
  function inspectedCar(): Harness {
    const h = new Harness(carTerms({ fee: 5000 }));
    h.fund(at(1));
    h.act({ action: "inspection", actorId: BUYER, accept: true }, at(2));
    return h;
  }

  it("a balance that may have been held unseen is let go by whatever settles the escrow", () => {
    const h = inspectedCar();
    expect(h.state.balanceDue).not.toBeNull();
    expect(unrecordedHolds(h.state)).toEqual(["balance"]);
    // Ops decide while the balance's hold is in doubt: the balance is no longer due, and is let go.
    h.push(escalate(h.state, "unexpected_step", "x"), at(3));
    const refunded = h.act({ action: "resolution", outcome: "refund", note: "refund" }, at(4));
    expect(refunded.balanceDue).toBeNull();
    expect(unrecordedHolds(refunded)).toEqual(["balance"]);
    expect(h.settle(at(5)).settlement).toMatchObject({ refundedToBuyer: 200000 });
  });

  it("nothing is let go once the balance is recorded, nor before any inspection", () => {
    const h = inspectedCar();
    h.push(fundBalance(h.state, "auth_2"), at(3));
    expect(unrecordedHolds(h.state)).toEqual([]);
    const reserved = new Harness(carTerms());
    expect(unrecordedHolds(reserved.state)).toEqual(["hold"]);
    reserved.fund(at(1));
    expect(unrecordedHolds(reserved.state)).toEqual([]);
  });
});
