import type { Disbursement, DisbursementReason, Settlement, SettlementOutcome } from "./types";

export const DEFAULT_CURRENCIES = ["CNY", "HKD", "USD", "EUR", "GBP", "JPY"] as const;

/**
 * What each side receives. The platform fee is taken only from what is
 * released to the seller, pro rata on a split and rounded down, so the three
 * parts always add up to the amount. BigInt keeps `fee × share` exact for
 * amounts up to Number.MAX_SAFE_INTEGER.
 */
export function settle(
  amount: number,
  fee: number,
  outcome: SettlementOutcome,
  refundAmount: number,
  settledAt: string,
): Settlement {
  const refundedToBuyer = outcome === "release" ? 0 : outcome === "refund" ? amount : refundAmount;
  const sellerGross = amount - refundedToBuyer;
  const platformFee = Number((BigInt(fee) * BigInt(sellerGross)) / BigInt(amount));
  return { paidToSeller: sellerGross - platformFee, refundedToBuyer, platformFee, settledAt };
}

/**
 * One step of money leaving the escrow: `refund` back to the buyer and
 * `sellerGross` to the seller's side. The fee is pro rata over the whole
 * escrow, cumulatively: after this step the platform has taken, in all,
 * floor(fee × everything the seller's side has received / amount), so
 * rounding never drifts across several steps.
 */
export function disburse(
  terms: { amount: number; fee: number },
  before: readonly Disbursement[],
  refund: number,
  sellerGross: number,
  reason: DisbursementReason,
  at: string,
): Disbursement {
  const grossBefore = before.reduce((s, d) => s + d.paidToSeller + d.platformFee, 0);
  const feeBefore = before.reduce((s, d) => s + d.platformFee, 0);
  const feeAfter = Number((BigInt(terms.fee) * BigInt(grossBefore + sellerGross)) / BigInt(terms.amount));
  const platformFee = feeAfter - feeBefore;
  return { at, paidToSeller: sellerGross - platformFee, refundedToBuyer: refund, platformFee, reason };
}

/** The sum of the disbursements, as the settlement of a terminal escrow. */
export function sumOf(disbursements: readonly Disbursement[], settledAt: string): Settlement {
  return disbursements.reduce(
    (s, d) => ({
      paidToSeller: s.paidToSeller + d.paidToSeller,
      refundedToBuyer: s.refundedToBuyer + d.refundedToBuyer,
      platformFee: s.platformFee + d.platformFee,
      settledAt,
    }),
    { paidToSeller: 0, refundedToBuyer: 0, platformFee: 0, settledAt },
  );
}

/** What is held: the total ever held less what has left. */
export const heldOf = (s: { funded: number; disbursements: readonly Disbursement[] }): number =>
  s.funded - s.disbursements.reduce((t, d) => t + d.paidToSeller + d.refundedToBuyer + d.platformFee, 0);
