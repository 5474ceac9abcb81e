import type { Settlement, SettlementOutcome } from "./types";

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
