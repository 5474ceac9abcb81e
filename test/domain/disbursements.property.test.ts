import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DomainError } from "../../functions/domain/errors";
import {
  beginSettling,
  decideAction,
  expire,
  fund,
  settleEscrow,
  toView,
} from "../../functions/domain/escrow";
import { CLAIM_CATEGORIES } from "../../functions/domain/kinds/rental-deposit/types";
import { ledgerViolations } from "../../functions/domain/ledger";
import { disburse, heldOf } from "../../functions/domain/money";
import { type Disbursement, isTerminal } from "../../functions/domain/types";
import { at, Harness, rentalTerms } from "../support/escrows";

/**
 * Money that moves in steps (API.md v1.1): at every moment held + Σ
 * disbursements == funded, and after any disbursement the platform has taken,
 * in all, floor(fee × seller's gross so far / amount).
 */
const feeRule = (amount: number, fee: number, steps: readonly Disbursement[]) => {
  const gross = steps.reduce((s, d) => s + d.paidToSeller + d.platformFee, 0);
  const fees = steps.reduce((s, d) => s + d.platformFee, 0);
  return fees === Number((BigInt(fee) * BigInt(gross)) / BigInt(amount));
};

describe("disbursements, as a pure function", () => {
  it("keep the fee pro rata over the whole escrow, however the money leaves", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000_000 }).chain((amount) =>
          fc.record({
            amount: fc.constant(amount),
            fee: fc.integer({ min: 0, max: amount }),
            // Random splits of the amount into steps, each part to either side.
            cuts: fc.array(
              fc.record({ share: fc.double({ min: 0, max: 1, noNaN: true }), toSeller: fc.boolean() }),
              {
                maxLength: 6,
              },
            ),
          }),
        ),
        ({ amount, fee, cuts }) => {
          const steps: Disbursement[] = [];
          let held = amount;
          for (const [i, cut] of cuts.entries()) {
            const part = i === cuts.length - 1 ? held : Math.floor(held * cut.share);
            const d = disburse(
              { amount, fee },
              steps,
              cut.toSeller ? 0 : part,
              cut.toSeller ? part : 0,
              "settlement",
              at(i).toISOString(),
            );
            steps.push(d);
            held -= d.paidToSeller + d.refundedToBuyer + d.platformFee;
            expect(held).toBeGreaterThanOrEqual(0);
            expect(d.paidToSeller).toBeGreaterThanOrEqual(0);
            expect(feeRule(amount, fee, steps)).toBe(true);
            expect(
              held + steps.reduce((s, x) => s + x.paidToSeller + x.refundedToBuyer + x.platformFee, 0),
            ).toBe(amount);
          }
          if (cuts.length > 0) expect(held).toBe(0);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe("a rental deposit driven at random", () => {
  const item = (max: number) =>
    fc.record({
      category: fc.constantFrom(...CLAIM_CATEGORIES),
      amount: fc.integer({ min: 1, max }),
      description: fc.constant("x"),
    });
  const move = (amount: number) =>
    fc.oneof(
      fc.record({ kind: fc.constant("move-out" as const), by: fc.constantFrom("u-buyer", "u-seller") }),
      fc.record({
        kind: fc.constant("claim" as const),
        items: fc.array(item(amount), { minLength: 1, maxLength: 4 }),
      }),
      fc.record({ kind: fc.constant("return" as const) }),
      fc.record({ kind: fc.constant("accept" as const) }),
      fc.record({ kind: fc.constant("reject" as const), accepted: fc.integer({ min: 0, max: amount }) }),
      fc.record({
        kind: fc.constant("resolve" as const),
        outcome: fc.constantFrom("release" as const, "refund" as const, "split" as const),
        refund: fc.integer({ min: 1, max: amount }),
      }),
      fc.record({ kind: fc.constant("expire" as const) }),
      { arbitrary: fc.record({ kind: fc.constant("settle" as const) }), weight: 3 },
    );

  it("holds held + Σ disbursements == funded, the fee rule and a sound ledger at every step", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 1_000_000 }).chain((amount) =>
          fc.record({
            amount: fc.constant(amount),
            fee: fc.integer({ min: 0, max: amount }),
            moves: fc.array(move(amount), { maxLength: 14 }),
          }),
        ),
        ({ amount, fee, moves }) => {
          const h = new Harness(rentalTerms({ amount, fee }));
          h.fund(at(1));
          let t = 2;
          for (const m of moves) {
            const now = at(t++);
            try {
              switch (m.kind) {
                case "move-out":
                  h.act({ action: "move-out", actorId: m.by }, now);
                  break;
                case "claim":
                  h.act({ action: "deduction-claim", actorId: "u-seller", items: m.items }, now);
                  break;
                case "return":
                  h.act({ action: "deposit-return", actorId: "u-seller" }, now);
                  break;
                case "accept":
                  h.act({ action: "claim-response", actorId: "u-buyer", accept: true }, now);
                  break;
                case "reject":
                  h.act(
                    {
                      action: "claim-response",
                      actorId: "u-buyer",
                      accept: false,
                      acceptedAmount: m.accepted,
                    },
                    now,
                  );
                  break;
                case "resolve":
                  h.act(
                    {
                      action: "resolution",
                      outcome: m.outcome,
                      note: "ops",
                      ...(m.outcome === "split" ? { refundAmount: m.refund } : {}),
                    },
                    now,
                  );
                  break;
                case "expire":
                  h.push(expire(h.state), now);
                  break;
                case "settle":
                  if (!h.state.pending) break;
                  h.push(beginSettling(h.state), now);
                  h.push(settleEscrow(h.state), now);
                  break;
              }
            } catch (error) {
              // Refused commands are domain errors and change nothing.
              if (!(error instanceof DomainError)) throw error;
            }
            const s = h.state;
            const view = toView(s);
            const out = s.disbursements.reduce(
              (x, d) => x + d.paidToSeller + d.refundedToBuyer + d.platformFee,
              0,
            );
            expect(view.held + out).toBe(view.funded);
            expect(view.held).toBe(heldOf(s));
            expect(feeRule(amount, fee, s.disbursements)).toBe(true);
            expect(ledgerViolations(s)).toEqual([]);
            if (isTerminal(s.status)) {
              expect(view.held).toBe(0);
              const settlement = view.settlement;
              expect(
                settlement && settlement.paidToSeller + settlement.refundedToBuyer + settlement.platformFee,
              ).toBe(view.funded);
              // The terminal status follows the final sums.
              const refunded = settlement?.refundedToBuyer ?? 0;
              const sellerSide = (settlement?.paidToSeller ?? 0) + (settlement?.platformFee ?? 0);
              expect(s.status).toBe(refunded === 0 ? "RELEASED" : sellerSide === 0 ? "REFUNDED" : "SETTLED");
            }
          }
        },
      ),
      { numRuns: 400 },
    );
  });

  it("funds a rental to its lease's end, not a delivery window", () => {
    const h = new Harness(rentalTerms());
    const funded = h.push(fund(h.state, "auth"), at(1));
    expect(funded.deadline).toBe(h.t.lease?.endsAt);
    expect(() => decideAction(funded, { action: "delivery", actorId: "u-seller" }, at(2))).toThrow(
      /not an action/,
    );
  });
});
