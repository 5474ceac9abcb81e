import { describe, expect, it } from "vitest";
import { ForbiddenError, InvalidTransitionError, ValidationError } from "../../functions/domain/errors";
import {
  type ActionCommand,
  beginSettling,
  decideAction,
  escalate,
  expire,
  failPayment,
  fold,
  fundBalance,
  movementFor,
  settleEscrow,
  toView,
  unrecordedHolds,
} from "../../functions/domain/escrow";
import { ledgerViolations } from "../../functions/domain/ledger";
import { type EscrowStatus, type EscrowTerms, STATUSES } from "../../functions/domain/types";
import { DAY, withDefaults } from "../../functions/domain/windows";
import { stepAt } from "../../functions/domain/workflow-step";
import { at, Harness, rentalTerms, T0, terms } from "../support/escrows";

const BUYER = "u-buyer";
const SELLER = "u-seller";

/** A harness whose escrow is in `status`, reached the way API.md's table says. */
function inStatus(status: EscrowStatus): Harness {
  const h = new Harness();
  switch (status) {
    case "PENDING_FUNDS":
      return h;
    case "CANCELLED":
      h.push(failPayment(h.state, "payment_declined"), at(1));
      return h;
    default:
      h.fund();
  }
  if (status === "FUNDED") return h;
  if (status === "DISPUTED") {
    h.act({ action: "dispute", actorId: BUYER, reason: "not as described" }, at(2));
    return h;
  }
  h.act({ action: "delivery", actorId: SELLER, carrier: "SF", trackingNumber: "SF123" }, at(2));
  if (status === "DELIVERED") return h;
  if (status === "REFUND_REQUESTED") {
    h.act({ action: "refund-request", actorId: BUYER, reason: "broken", amount: 3000 }, at(3));
    return h;
  }
  if (status === "RELEASED") h.act({ action: "confirmation", actorId: BUYER }, at(3));
  if (status === "REFUNDED") h.act({ action: "refund-request", actorId: BUYER, reason: "broken" }, at(3));
  if (status === "SETTLED")
    h.act({ action: "refund-request", actorId: BUYER, reason: "scratch", amount: 3000 }, at(3));
  if (status === "REFUNDED" || status === "SETTLED")
    h.act({ action: "refund-response", actorId: SELLER, accept: true }, at(4));
  h.settle(at(5));
  return h;
}

/** The actions of goods and services. */
type GoodsAction =
  | "delivery"
  | "confirmation"
  | "extension"
  | "refund-request"
  | "refund-response"
  | "dispute"
  | "cancellation"
  | "resolution";
/** The statuses a goods escrow can be in. */
const GOODS_STATUSES = STATUSES.filter((s) => s !== "MOVED_OUT" && s !== "CLAIMED" && s !== "RESERVED");

/** A valid command for each action, by the right party. */
const COMMANDS: Record<GoodsAction, ActionCommand> = {
  delivery: { action: "delivery", actorId: SELLER, carrier: "SF", trackingNumber: "SF1" },
  confirmation: { action: "confirmation", actorId: BUYER },
  extension: { action: "extension", actorId: BUYER, seconds: 3 * DAY },
  "refund-request": { action: "refund-request", actorId: BUYER, reason: "broken" },
  "refund-response": { action: "refund-response", actorId: SELLER, accept: true },
  dispute: { action: "dispute", actorId: SELLER, reason: "buyer unreachable" },
  cancellation: { action: "cancellation", actorId: BUYER, reason: "changed my mind" },
  resolution: { action: "resolution", outcome: "release", note: "evidence favours the seller" },
};

describe("the happy path", () => {
  it("holds, delivers, confirms and releases the amount less the fee to the seller", () => {
    const h = new Harness();
    expect(h.state.status).toBe("PENDING_FUNDS");
    expect(h.fund(at(1)).status).toBe("FUNDED");
    expect(h.state.deadline).toBe(at(1 + 7 * DAY).toISOString());

    const delivered = h.act(
      { action: "delivery", actorId: SELLER, carrier: "SF", trackingNumber: "SF123" },
      at(60),
    );
    expect(delivered.status).toBe("DELIVERED");
    expect(delivered.delivery).toEqual({
      carrier: "SF",
      trackingNumber: "SF123",
      note: null,
      deliveredAt: at(60).toISOString(),
    });
    expect(delivered.deadline).toBe(at(60 + 10 * DAY).toISOString());

    const confirmed = h.act({ action: "confirmation", actorId: BUYER }, at(120));
    expect(confirmed.status).toBe("DELIVERED");
    expect(confirmed.pending).toEqual({ action: "confirmation", outcome: "release", refundAmount: 0 });
    expect(confirmed.deadline).toBeNull();
    expect(toView(confirmed).pendingAction).toBe("confirmation");

    const released = h.settle(at(121));
    expect(released.status).toBe("RELEASED");
    expect(released.settlement).toEqual({
      paidToSeller: 12609,
      refundedToBuyer: 0,
      platformFee: 390,
      settledAt: at(121).toISOString(),
    });
    expect(released.version).toBe(5);
    expect(released.deadline).toBeNull();
    expect(released.pending).toBeNull();
    expect(ledgerViolations(released)).toEqual([]);
  });
});

/** API.md's status table, written out independently of the implementation. */
const API_TABLE: Record<GoodsAction, EscrowStatus[]> = {
  delivery: ["FUNDED"],
  cancellation: ["FUNDED"],
  dispute: ["FUNDED", "DELIVERED", "REFUND_REQUESTED"],
  confirmation: ["DELIVERED"],
  extension: ["DELIVERED"],
  "refund-request": ["DELIVERED"],
  "refund-response": ["REFUND_REQUESTED"],
  resolution: ["DISPUTED"],
};

describe("every action against every status", () => {
  const cases = (Object.keys(COMMANDS) as GoodsAction[]).flatMap((action) =>
    GOODS_STATUSES.map((status) => ({ action, status, allowed: API_TABLE[action].includes(status) })),
  );

  it.each(cases)("$action from $status: allowed=$allowed", ({ action, status, allowed }) => {
    const h = inStatus(status);
    expect(h.state.status).toBe(status);
    const before = h.state;
    const decide = () => decideAction(before, COMMANDS[action], at(10));
    if (allowed) expect(decide).not.toThrow();
    else expect(decide).toThrow(InvalidTransitionError);
  });

  it("moves to the statuses of API.md's table", () => {
    const to = (status: EscrowStatus, action: GoodsAction) => {
      const h = inStatus(status);
      return h.act(COMMANDS[action], at(10));
    };
    expect(to("FUNDED", "delivery").status).toBe("DELIVERED");
    expect(to("FUNDED", "cancellation").pending?.outcome).toBe("refund");
    expect(to("FUNDED", "dispute").status).toBe("DISPUTED");
    expect(to("DELIVERED", "confirmation").pending?.outcome).toBe("release");
    expect(to("DELIVERED", "extension").status).toBe("DELIVERED");
    expect(to("DELIVERED", "refund-request").status).toBe("REFUND_REQUESTED");
    expect(to("DELIVERED", "dispute").status).toBe("DISPUTED");
    expect(to("REFUND_REQUESTED", "refund-response").pending?.outcome).toBe("split");
    expect(to("REFUND_REQUESTED", "dispute").status).toBe("DISPUTED");
    expect(to("DISPUTED", "resolution").pending?.outcome).toBe("release");
  });
});

describe("who may act", () => {
  const strangers = ["u-stranger", ""];
  const WHO: Record<Exclude<GoodsAction, "resolution">, "buyer" | "seller" | "party"> = {
    delivery: "seller",
    confirmation: "buyer",
    extension: "buyer",
    "refund-request": "buyer",
    "refund-response": "seller",
    dispute: "party",
    cancellation: "party",
  };
  for (const [action, who] of Object.entries(WHO) as [GoodsAction, string][]) {
    const status = API_TABLE[action][0] as EscrowStatus;
    it(`${action} is for the ${who}`, () => {
      const state = inStatus(status).state;
      const command = COMMANDS[action] as ActionCommand & { actorId: string };
      const wrong =
        who === "buyer" ? [SELLER, ...strangers] : who === "seller" ? [BUYER, ...strangers] : strangers;
      for (const actorId of wrong)
        expect(
          () => decideAction(state, { ...command, actorId } as ActionCommand, at(10)),
          `actor ${actorId}`,
        ).toThrow(ForbiddenError);
      const right = who === "buyer" ? [BUYER] : who === "seller" ? [SELLER] : [BUYER, SELLER];
      for (const actorId of right)
        expect(() => decideAction(state, { ...command, actorId } as ActionCommand, at(10))).not.toThrow();
    });
  }

  it("records which party opened a dispute", () => {
    const h = inStatus("DELIVERED");
    expect(h.act({ action: "dispute", actorId: SELLER, reason: "x" }, at(10)).dispute?.openedBy).toBe(
      "seller",
    );
  });

  it("answers 403 before 409: a stranger learns nothing about the status", () => {
    const state = inStatus("RELEASED").state;
    expect(() => decideAction(state, { action: "confirmation", actorId: "u-x" }, at(10))).toThrow(
      ForbiddenError,
    );
  });
});

describe("windows", () => {
  it("rejects actions once the current window has ended, even before the timeout fired", () => {
    const h = inStatus("FUNDED");
    const deadline = Date.parse(h.state.deadline as string);
    const late = new Date(deadline);
    expect(() => decideAction(h.state, COMMANDS.delivery, late)).toThrow(/window/);
    expect(() => decideAction(h.state, COMMANDS.delivery, new Date(deadline - 1))).not.toThrow();
  });

  it("starts each window when its status starts", () => {
    const h = inStatus("DELIVERED");
    const requested = h.act({ action: "refund-request", actorId: BUYER, reason: "x" }, at(100));
    expect(requested.deadline).toBe(at(100 + 5 * DAY).toISOString());
    const disputed = h.act({ action: "dispute", actorId: BUYER, reason: "x" }, at(200));
    expect(disputed.deadline).toBe(at(200 + 30 * DAY).toISOString());
  });

  it("adds an extension to the current deadline and caps the total at 30 days", () => {
    const h = inStatus("DELIVERED");
    const before = Date.parse(h.state.deadline as string);
    const extended = h.act({ action: "extension", actorId: BUYER, seconds: 20 * DAY }, at(10));
    expect(Date.parse(extended.deadline as string)).toBe(before + 20 * DAY * 1000);
    expect(() =>
      decideAction(h.state, { action: "extension", actorId: BUYER, seconds: 10 * DAY + 1 }, at(11)),
    ).toThrow(InvalidTransitionError);
    const full = h.act({ action: "extension", actorId: BUYER, seconds: 10 * DAY }, at(11));
    expect(full.extensions).toEqual({ count: 2, totalSeconds: 30 * DAY });
  });

  it("caps the number of extensions", () => {
    const h = inStatus("DELIVERED");
    for (let i = 0; i < 20; i++) h.act({ action: "extension", actorId: BUYER, seconds: 60 }, at(10 + i));
    expect(() => decideAction(h.state, { action: "extension", actorId: BUYER, seconds: 60 }, at(40))).toThrow(
      /at most 20/,
    );
  });

  it.each([
    ["FUNDED", "refund", "auto-refund"],
    ["DELIVERED", "release", "auto-release"],
    ["DISPUTED", "refund", "auto-refund"],
  ] as const)("when the %s window elapses the outcome is %s", (status, outcome, action) => {
    const h = inStatus(status);
    const state = h.push(expire(h.state), at(99 * DAY));
    expect(state.pending?.outcome).toBe(outcome);
    expect(state.pending?.action).toBe(action);
    expect(state.pending?.alertOps ?? false).toBe(status === "DISPUTED");
    expect(() => decideAction(state, COMMANDS.dispute, at(99 * DAY))).toThrow(InvalidTransitionError);
  });

  it("accepts the refund request as asked when the seller does not answer", () => {
    const partial = inStatus("REFUND_REQUESTED");
    expect(partial.push(expire(partial.state), at(9 * DAY)).pending).toEqual({
      action: "auto-refund-acceptance",
      outcome: "split",
      refundAmount: 3000,
    });
    const full = inStatus("DELIVERED");
    full.act({ action: "refund-request", actorId: BUYER, reason: "x" }, at(5));
    expect(full.push(expire(full.state), at(9 * DAY)).pending?.outcome).toBe("refund");
  });

  it("has no window to expire while an action is pending or in a terminal status", () => {
    const h = inStatus("DELIVERED");
    h.act(COMMANDS.confirmation, at(10));
    expect(() => expire(h.state)).toThrow(InvalidTransitionError);
    expect(() => expire(inStatus("RELEASED").state)).toThrow(InvalidTransitionError);
    expect(() => expire(inStatus("PENDING_FUNDS").state)).toThrow(InvalidTransitionError);
  });
});

describe("refunds and settlements", () => {
  it("a partial refund accepted by the seller settles with the fee pro rata, rounded down", () => {
    const h = inStatus("REFUND_REQUESTED");
    h.act({ action: "refund-response", actorId: SELLER, accept: true, note: "ok" }, at(10));
    const settled = h.settle(at(11));
    expect(settled.status).toBe("SETTLED");
    // seller's gross share 9999 of 12999; fee 390 × 9999 / 12999 = 299.97 → 299
    expect(settled.settlement).toMatchObject({ refundedToBuyer: 3000, platformFee: 299, paidToSeller: 9700 });
    expect(ledgerViolations(settled)).toEqual([]);
  });

  it("a rejected refund request becomes a dispute opened by the seller", () => {
    const h = inStatus("REFUND_REQUESTED");
    const disputed = h.act(
      { action: "refund-response", actorId: SELLER, accept: false, note: "it was fine" },
      at(10),
    );
    expect(disputed.status).toBe("DISPUTED");
    expect(disputed.dispute).toMatchObject({ openedBy: "seller", reason: "it was fine" });
  });

  it("rejects a refund request above the amount as invalid input", () => {
    const state = inStatus("DELIVERED").state;
    expect(() =>
      decideAction(state, { action: "refund-request", actorId: BUYER, reason: "x", amount: 13000 }, at(10)),
    ).toThrow(ValidationError);
  });

  it("cancellation before delivery refunds everything, with no fee", () => {
    const h = inStatus("FUNDED");
    h.act({ action: "cancellation", actorId: SELLER }, at(10));
    const refunded = h.settle(at(11));
    expect(refunded.status).toBe("REFUNDED");
    expect(refunded.settlement).toMatchObject({ refundedToBuyer: 12999, paidToSeller: 0, platformFee: 0 });
    expect(ledgerViolations(refunded)).toEqual([]);
  });

  it.each([
    [{ outcome: "release", refundAmount: 5 }, /not allowed/],
    [{ outcome: "refund", refundAmount: 5 }, /whole amount/],
    [{ outcome: "split" }, /required/],
    [{ outcome: "split", refundAmount: 12999 }, /less than/],
  ] as const)("validates resolution %o", (body, message) => {
    const state = inStatus("DISPUTED").state;
    expect(() => decideAction(state, { action: "resolution", note: "n", ...body }, at(10))).toThrow(message);
  });

  it("ops can split a dispute", () => {
    const h = inStatus("DISPUTED");
    h.act({ action: "resolution", outcome: "split", refundAmount: 1, note: "n" }, at(10));
    const settled = h.settle(at(11));
    expect(settled.settlement).toMatchObject({
      refundedToBuyer: 1,
      paidToSeller: 12999 - 1 - 389,
      platformFee: 389,
    });
  });
});

describe("escalation", () => {
  it("lets ops resolve an escalated escrow outside a dispute", () => {
    const h = inStatus("DELIVERED");
    h.act(COMMANDS.confirmation, at(10));
    h.push(escalate(h.state, "payout_rejected", "PayoutRejected: the payee's account is closed"), at(11));
    expect(h.history.at(-1)?.data).toEqual({
      reason: "payout_rejected",
      detail: "PayoutRejected: the payee's account is closed",
    });
    expect(toView(h.state)).toMatchObject({ needsOpsAttention: true, attentionReason: "payout_rejected" });
    expect(h.state.attention).toEqual({
      reason: "payout_rejected",
      detail: "PayoutRejected: the payee's account is closed",
      at: at(11).toISOString(),
    });
    const resolved = h.act({ action: "resolution", outcome: "refund", note: "refund instead" }, at(12));
    expect(resolved.pending).toMatchObject({ action: "resolution", outcome: "refund" });
    expect(resolved.attention).toBeNull();
    expect(toView(resolved)).toMatchObject({ needsOpsAttention: false, attentionReason: null });
    expect(h.settle(at(13)).status).toBe("REFUNDED");
  });

  it("keeps the detail short and refuses to escalate a terminal escrow", () => {
    const h = inStatus("DELIVERED");
    h.push(escalate(h.state, "unexpected_step", "x".repeat(2000)), at(11));
    expect(h.state.attention?.detail).toHaveLength(500);
    expect(() => escalate(inStatus("RELEASED").state, "workflow_failing", "late")).toThrow(
      InvalidTransitionError,
    );
  });

  it("any later entry clears the attention: the workflow moved on", () => {
    const h = inStatus("FUNDED");
    h.push(escalate(h.state, "unexpected_step", "outcome delivered at version 9"), at(11));
    expect(h.act(COMMANDS.delivery, at(12)).attention).toBeNull();
  });

  it("cancels an escrow escalated before any money was held, and only that", () => {
    const h = new Harness();
    h.push(escalate(h.state, "workflow_failing", "boom"), at(1));
    expect(() =>
      decideAction(h.state, { action: "resolution", outcome: "release", note: "n" }, at(2)),
    ).toThrow(InvalidTransitionError);
    h.act({ action: "resolution", outcome: "refund", note: "n" }, at(2));
    const cancelled = h.settle(at(3));
    expect(cancelled).toMatchObject({
      status: "CANCELLED",
      failureReason: "cancelled_by_ops",
      settlement: null,
    });
    expect(ledgerViolations(cancelled)).toEqual([]);
  });
});

describe("history", () => {
  it("rebuilds the escrow as it was at any earlier version", () => {
    const h = inStatus("SETTLED");
    const versions = h.history.map((e) => e.v);
    expect(versions).toEqual(versions.map((_, i) => i + 1));
    expect(fold(h.t, h.history, 2).status).toBe("FUNDED");
    expect(fold(h.t, h.history, 3).status).toBe("DELIVERED");
    expect(fold(h.t, h.history, 3).version).toBe(3);
  });

  it("is independent of the terms' creation time zone quirks", () => {
    expect(fold(terms(), new Harness().history).createdAt).toBe(T0.toISOString());
  });
});

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
