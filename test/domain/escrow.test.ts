import { describe, expect, it } from "vitest";
import { ForbiddenError, InvalidTransitionError, ValidationError } from "../../functions/domain/errors";
import {
  type ActionCommand,
  decideAction,
  escalate,
  expire,
  fold,
  toView,
} from "../../functions/domain/escrow";
import { ledgerViolations } from "../../functions/domain/ledger";
import type { EscrowStatus } from "../../functions/domain/types";
import { DAY } from "../../functions/domain/windows";
import { ALLOWED_FROM } from "../support/api-status-table";
import { at, Harness, T0, terms } from "../support/escrows";
import { BUYER, COMMANDS, GOODS_STATUSES, type GoodsAction, inStatus, SELLER } from "./goods-fixture";

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

/** API.md's status table (goods' actions). */
const API_TABLE: Record<GoodsAction, readonly EscrowStatus[]> = ALLOWED_FROM;

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
  /** API.md's actors, by who may act: each goods action but ops' resolution stands under one. */
  const WHO: Record<"buyer" | "seller" | "party", Exclude<GoodsAction, "resolution">[]> = {
    buyer: ["confirmation", "extension", "refund-request"],
    seller: ["delivery", "refund-response"],
    party: ["dispute", "cancellation"],
  };
  const cases = Object.entries(WHO).flatMap(([who, actions]) =>
    actions.map((action) => [action, who] as const),
  );
  it("names every goods action but the resolution once", () => {
    expect(cases.map(([action]) => action).sort()).toEqual(
      (Object.keys(COMMANDS) as GoodsAction[]).filter((a) => a !== "resolution").sort(),
    );
  });
  for (const [action, who] of cases) {
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
