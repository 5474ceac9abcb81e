import { describe, expect, it } from "vitest";
import type { Entry } from "../../functions/domain/escrow";
import type { EscrowState } from "../../functions/domain/types";
import { backoffMs } from "./asl/retry";
import { moneyViolations } from "./check/money";
import { startTracking, track } from "./check/transitions";
import { Random } from "./kernel/random";
import type { Movement } from "./ports/provider";

/** The simulation's own checks, each shown to fail when it should: an oracle that cannot fail proves nothing. */

const state = (s: Partial<EscrowState>): EscrowState =>
  ({
    amount: 10_000,
    funded: 10_000,
    disbursements: [],
    status: "FUNDED",
    settling: null,
    balanceDue: null,
    deposit: null,
    ...s,
  }) as EscrowState;
const move = (type: Movement["type"], amount: number, key = `${type}-${amount}`): Movement => ({
  key,
  escrowId: "esc_1",
  type,
  amount,
  at: 0,
});
const released = {
  at: "",
  paidToSeller: 9_700,
  platformFee: 300,
  refundedToBuyer: 0,
  reason: "settlement" as const,
};

describe("the money check", () => {
  it("passes a ledger equal to the record, and one ahead by a hold being taken", () => {
    expect(moneyViolations(state({}), [move("hold", 10_000)])).toEqual([]);
    expect(moneyViolations(state({ status: "PENDING_FUNDS", funded: 0 }), [move("hold", 10_000)])).toEqual(
      [],
    );
    const done = state({ status: "RELEASED", disbursements: [released] });
    expect(moneyViolations(done, [move("hold", 10_000), move("payout", 9_700), move("fee", 300)])).toEqual(
      [],
    );
  });

  it("fails a terminal escrow whose hold the provider still keeps (a car's balance never let go)", () => {
    const refunded = state({
      status: "REFUNDED",
      funded: 2_000,
      disbursements: [{ ...released, paidToSeller: 0, platformFee: 0, refundedToBuyer: 2_000 }],
    });
    const v = moneyViolations(refunded, [
      move("hold", 2_000),
      move("hold", 8_000, "balance"),
      move("refund", 2_000),
    ]);
    expect(v.join()).toMatch(/yet the provider still holds 8000/);
  });

  it("fails a record that says more went out than the provider moved (a key reused with another amount)", () => {
    const done = state({ status: "RELEASED", disbursements: [released] });
    const v = moneyViolations(done, [move("hold", 10_000), move("payout", 1_000), move("fee", 300)]);
    expect(v.join()).toMatch(/the record says 9700 went out as payout; the provider moved 1000/);
  });

  it("lets the provider be ahead only while the record says it is settling, and only by what is held", () => {
    const moved = [move("hold", 10_000), move("payout", 9_700)];
    expect(moneyViolations(state({}), moved).join()).toMatch(/with nothing settling/);
    expect(moneyViolations(state({ settling: { version: 1 } }), moved)).toEqual([]);
    const twice = [...moved, move("payout", 9_700, "payout-again")];
    expect(moneyViolations(state({ settling: { version: 1 } }), twice).join()).toMatch(/more than it held/);
  });
});

describe("the transition rules", () => {
  const entry = (v: number, e: Partial<Entry>): Entry =>
    ({ v, at: "", actor: "system", data: {}, ...e }) as Entry;

  it("follow a goods escrow from the hold to the release", () => {
    const t = startTracking("goods", 10_000);
    const history = [
      entry(2, { type: "funded", data: { paymentRef: "r" } }),
      entry(3, { type: "delivered", actor: "seller" }),
      entry(4, { type: "confirmed", actor: "buyer" }),
      entry(5, { type: "settling" }),
      entry(6, { type: "released" }),
    ];
    expect(history.map((e) => track(t, e, false))).toEqual([null, null, null, null, null]);
    expect(t.status).toBe("RELEASED");
  });

  it("refuse a delivery on a rental, an action while another is pending, and anything after the end", () => {
    const rental = startTracking("rental_deposit", 10_000);
    track(rental, entry(2, { type: "funded" }), false);
    expect(track(rental, entry(3, { type: "delivered", actor: "seller" }), false)).toMatch(
      /on a rental_deposit/,
    );
    const goods = startTracking("goods", 10_000);
    for (const e of [entry(2, { type: "funded" }), entry(3, { type: "delivered", actor: "seller" })])
      track(goods, e, false);
    track(goods, entry(4, { type: "confirmed", actor: "buyer" }), false);
    expect(track(goods, entry(5, { type: "refund_requested", actor: "buyer" }), false)).toMatch(/pending/);
    track(goods, entry(6, { type: "released" }), false);
    expect(track(goods, entry(7, { type: "escalated" }), false)).toMatch(/after the terminal RELEASED/);
  });
});

describe("the interpreter's retry backoff", () => {
  it("is IntervalSeconds × BackoffRate^(n−1), capped by MaxDelaySeconds, under full jitter", () => {
    const policy = {
      ErrorEquals: ["States.TaskFailed"],
      IntervalSeconds: 2,
      BackoffRate: 2,
      MaxDelaySeconds: 30,
    };
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffMs(policy, n, () => 0.5))).toEqual([
      2000, 4000, 8000, 16000, 30000, 30000,
    ]);
    expect(backoffMs({ ...policy, JitterStrategy: "FULL" }, 5, () => 0.5)).toBe(15000);
    expect(backoffMs({ ErrorEquals: ["x"] }, 3, () => 0)).toBe(4000);
  });
});

describe("the seed", () => {
  it("gives the same draws for the same seed and label, other draws for another", () => {
    const draws = (seed: number, label: string) =>
      Array.from(
        { length: 5 },
        (() => {
          const r = new Random(seed, label);
          return () => r.u32();
        })(),
      );
    expect(draws(7, "a")).toEqual(draws(7, "a"));
    expect(draws(7, "a")).not.toEqual(draws(7, "b"));
    expect(draws(7, "a")).not.toEqual(draws(8, "a"));
  });
});
