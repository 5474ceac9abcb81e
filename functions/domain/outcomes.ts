import type { Entry } from "./entries";
import { InvalidTransitionError, ValidationError } from "./errors";
import type { KindNames } from "./kinds/names";
import { heldOf } from "./money";
import type { EscrowState, Pending, PendingAction, SettlementOutcome } from "./types";
import type { StepOutcome } from "./workflow-step";

/**
 * The outcomes that follow from accepted actions and elapsed windows: what
 * becomes pending, derived the same way when a command is decided and when
 * its entry is folded. A leaf of the domain (no kind imported), so the kinds'
 * modules use it.
 */

export type WindowName =
  | "delivery"
  | "confirmation"
  | "seller_response"
  | "dispute"
  | KindNames<"windowNames">;

export const pending = (
  action: PendingAction,
  outcome: SettlementOutcome,
  refundAmount: number,
  alertOps = false,
): Pending => (alertOps ? { action, outcome, refundAmount, alertOps } : { action, outcome, refundAmount });

export function acceptedRefund(state: EscrowState, action: PendingAction): Pending {
  const held = heldOf(state);
  const amount = state.refundRequest?.amount ?? held;
  return amount >= held ? pending(action, "refund", held) : pending(action, "split", amount);
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
  // A resolution decides what is still held (for goods the whole amount; after a rejected claim's
  // undisputed part has moved, the contested part).
  const held = state.status === "PENDING_FUNDS" ? state.amount : heldOf(state);
  switch (outcome) {
    case "release":
      if (refundAmount !== undefined) throw bad("refundAmount is not allowed with outcome 'release'.");
      return pending("resolution", "release", 0);
    case "refund":
      if (refundAmount !== undefined && refundAmount !== held)
        throw bad(
          `A refund returns the whole amount that is held (${held}); use outcome 'split' for a partial refund.`,
        );
      return pending("resolution", "refund", held);
    case "split":
      if (refundAmount === undefined) throw bad("refundAmount is required with outcome 'split'.");
      if (refundAmount >= held)
        throw bad(`A split refunds less than what is held (${held}); use outcome 'refund'.`);
      return pending("resolution", "split", refundAmount);
  }
}

/**
 * Where the pending outcome goes: a first step (a rejected claim's undisputed
 * part) to PayUndisputedPart — also when the workflow is restarted at its
 * `settling` entry — an unresolved dispute's refund with its ops alert, else
 * the settlement of its kind.
 */
export function pendingStep(state: EscrowState, entry: Entry): StepOutcome {
  if (!state.pending) throw new Error(`${entry.type} at version ${entry.v} left nothing pending`);
  if (state.pending.partial) return "partial";
  return state.pending.alertOps ? "refund_unresolved" : state.pending.outcome;
}
