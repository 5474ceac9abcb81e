import { InvalidTransitionError, ValidationError } from "./errors";
import type { EscrowState, EscrowStatus, Pending, PendingAction, SettlementOutcome } from "./types";

/**
 * The outcomes that follow from accepted actions and elapsed windows: what
 * becomes pending, derived the same way when a command is decided and when
 * its entry is folded.
 */

export type WindowName = "delivery" | "confirmation" | "seller_response" | "dispute";

export const pending = (
  action: PendingAction,
  outcome: SettlementOutcome,
  refundAmount: number,
  alertOps = false,
): Pending => (alertOps ? { action, outcome, refundAmount, alertOps } : { action, outcome, refundAmount });

export function acceptedRefund(state: EscrowState, action: PendingAction): Pending {
  const amount = state.refundRequest?.amount ?? state.amount;
  return amount >= state.amount ? pending(action, "refund", state.amount) : pending(action, "split", amount);
}

export function resolutionPending(
  state: EscrowState,
  outcome: SettlementOutcome,
  refundAmount: number | undefined,
): Pending {
  const bad = (message: string) => new ValidationError(message, [{ path: "refundAmount", message }]);
  if (state.status === "PENDING_FUNDS" && outcome !== "refund")
    throw new InvalidTransitionError(
      "No money was held on this escrow; the only resolution is 'refund' (cancel).",
    );
  switch (outcome) {
    case "release":
      if (refundAmount !== undefined) throw bad("refundAmount is not allowed with outcome 'release'.");
      return pending("resolution", "release", 0);
    case "refund":
      if (refundAmount !== undefined && refundAmount !== state.amount)
        throw bad(
          `A refund returns the whole amount (${state.amount}); use outcome 'split' for a partial refund.`,
        );
      return pending("resolution", "refund", state.amount);
    case "split":
      if (refundAmount === undefined) throw bad("refundAmount is required with outcome 'split'.");
      if (refundAmount >= state.amount)
        throw bad(`A split refunds less than the escrow's amount (${state.amount}); use outcome 'refund'.`);
      return pending("resolution", "split", refundAmount);
  }
}

export const WINDOW_OF: Partial<Record<EscrowStatus, WindowName>> = {
  FUNDED: "delivery",
  DELIVERED: "confirmation",
  REFUND_REQUESTED: "seller_response",
  DISPUTED: "dispute",
};

/** What happens when a window elapses with nothing accepted. */
export function automaticOutcome(state: EscrowState, window: WindowName): Pending {
  switch (window) {
    case "delivery":
      return pending("auto-refund", "refund", state.amount);
    case "confirmation":
      return pending("auto-release", "release", 0);
    case "seller_response":
      return acceptedRefund(state, "auto-refund-acceptance");
    case "dispute":
      return pending("auto-refund", "refund", state.amount, true);
  }
}
