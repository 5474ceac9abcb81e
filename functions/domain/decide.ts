import type { EntryDraft } from "./entries";
import { ForbiddenError, InvalidTransitionError, ValidationError } from "./errors";
import { settle } from "./money";
import { resolutionPending, WINDOW_OF } from "./outcomes";
import {
  type ActorRole,
  type AttentionReason,
  type EscrowState,
  type EscrowStatus,
  isTerminal,
  type SettlementOutcome,
} from "./types";
import { MAX_EXTENSIONS, MAX_TOTAL_EXTENSION_SECONDS } from "./windows";

export type ActionCommand =
  | { action: "delivery"; actorId: string; carrier?: string; trackingNumber?: string; note?: string }
  | { action: "confirmation"; actorId: string }
  | { action: "extension"; actorId: string; seconds: number }
  | { action: "refund-request"; actorId: string; amount?: number; reason: string }
  | { action: "refund-response"; actorId: string; accept: boolean; note?: string }
  | { action: "dispute"; actorId: string; reason: string }
  | { action: "cancellation"; actorId: string; reason?: string }
  | { action: "resolution"; outcome: SettlementOutcome; refundAmount?: number; note: string };

export type ActionName = ActionCommand["action"];

/** Which statuses each action may start from (API.md's status table). */
export const ALLOWED_FROM: Record<ActionName, readonly EscrowStatus[]> = {
  delivery: ["FUNDED"],
  confirmation: ["DELIVERED"],
  extension: ["DELIVERED"],
  "refund-request": ["DELIVERED"],
  "refund-response": ["REFUND_REQUESTED"],
  dispute: ["FUNDED", "DELIVERED", "REFUND_REQUESTED"],
  cancellation: ["FUNDED"],
  resolution: ["DISPUTED"],
};

/** Who may perform each action: the buyer, the seller, either, or ops staff. */
export const ACTORS: Record<ActionName, "buyer" | "seller" | "party" | "ops"> = {
  delivery: "seller",
  confirmation: "buyer",
  extension: "buyer",
  "refund-request": "buyer",
  "refund-response": "seller",
  dispute: "party",
  cancellation: "party",
  resolution: "ops",
};

function roleOf(state: EscrowState, command: ActionCommand): ActorRole {
  if (command.action === "resolution") return "ops";
  const who = ACTORS[command.action];
  const isBuyer = command.actorId === state.buyerId;
  const isSeller = command.actorId === state.sellerId;
  if (who === "buyer" && isBuyer) return "buyer";
  if (who === "seller" && isSeller) return "seller";
  if (who === "party" && (isBuyer || isSeller)) return isBuyer ? "buyer" : "seller";
  const allowed = who === "party" ? "the buyer or the seller" : `the ${who}`;
  throw new ForbiddenError(`Only ${allowed} of this escrow may perform '${command.action}'.`);
}

function guardStatus(state: EscrowState, action: ActionName, now: Date): void {
  const repair = action === "resolution" && state.attention !== null && !isTerminal(state.status);
  if (isTerminal(state.status))
    throw new InvalidTransitionError(`The escrow is ${state.status}; '${action}' is no longer possible.`);
  if (repair) return;
  if (state.pending)
    throw new InvalidTransitionError(
      `An accepted ${state.pending.action} is being applied to this escrow; '${action}' is not possible.`,
    );
  if (!ALLOWED_FROM[action].includes(state.status))
    throw new InvalidTransitionError(
      `'${action}' is not allowed while the escrow is ${state.status} (allowed from ${ALLOWED_FROM[action].join(", ")}).`,
    );
  if (state.deadline !== null && now.getTime() >= Date.parse(state.deadline))
    throw new InvalidTransitionError(
      `The window of the ${state.status} status ended at ${state.deadline}; the automatic outcome applies.`,
    );
}

/** Checks an API action against the escrow and returns the history entry it adds. */
export function decideAction(state: EscrowState, command: ActionCommand, now: Date): EntryDraft {
  const actor = roleOf(state, command);
  guardStatus(state, command.action, now);
  switch (command.action) {
    case "delivery":
      return {
        type: "delivered",
        actor,
        data: {
          actorId: command.actorId,
          carrier: command.carrier ?? null,
          trackingNumber: command.trackingNumber ?? null,
          note: command.note ?? null,
        },
      };
    case "confirmation":
      return { type: "confirmed", actor, data: { actorId: command.actorId } };
    case "extension": {
      if (state.extensions.count >= MAX_EXTENSIONS)
        throw new InvalidTransitionError(
          `The confirmation window can be extended at most ${MAX_EXTENSIONS} times.`,
        );
      if (state.extensions.totalSeconds + command.seconds > MAX_TOTAL_EXTENSION_SECONDS)
        throw new InvalidTransitionError(
          `Extensions may add at most ${MAX_TOTAL_EXTENSION_SECONDS} seconds in all; ${state.extensions.totalSeconds} are already used.`,
        );
      return { type: "extended", actor, data: { actorId: command.actorId, seconds: command.seconds } };
    }
    case "refund-request": {
      const amount = command.amount ?? state.amount;
      if (amount > state.amount)
        throw new ValidationError("The refund amount exceeds the escrow's amount.", [
          { path: "amount", message: `must be at most ${state.amount}` },
        ]);
      return {
        type: "refund_requested",
        actor,
        data: { actorId: command.actorId, amount, reason: command.reason },
      };
    }
    case "refund-response":
      return {
        type: command.accept ? "refund_accepted" : "refund_rejected",
        actor,
        data: { actorId: command.actorId, note: command.note ?? null },
      };
    case "dispute":
      return { type: "disputed", actor, data: { actorId: command.actorId, reason: command.reason } };
    case "cancellation":
      return {
        type: "cancellation_requested",
        actor,
        data: { actorId: command.actorId, reason: command.reason ?? null },
      };
    case "resolution": {
      // Checked here (a 400 before anything is written); evolve derives the same pending outcome.
      const p = resolutionPending(state, command.outcome, command.refundAmount);
      const tried = state.settling && state.pending;
      if (tried && (tried.outcome !== p.outcome || tried.refundAmount !== p.refundAmount))
        throw new InvalidTransitionError(
          `A ${tried.outcome} of this escrow has already been sent to the payment provider; it can only be carried out, not replaced.`,
        );
      return {
        type: "resolution_accepted",
        actor,
        data: {
          note: command.note,
          outcome: command.outcome,
          ...(p.outcome === "split" ? { refundAmount: p.refundAmount } : {}),
        },
      };
    }
  }
}

// ---------------------------------------------------------------- workflow commands

export function fund(state: EscrowState, paymentRef: string): EntryDraft {
  if (state.status !== "PENDING_FUNDS")
    throw new InvalidTransitionError(`Cannot fund an escrow in ${state.status}.`);
  return { type: "funded", actor: "system", data: { paymentRef } };
}

export function failPayment(state: EscrowState, failureReason: string): EntryDraft {
  if (state.status !== "PENDING_FUNDS")
    throw new InvalidTransitionError(`Cannot record a payment failure on an escrow in ${state.status}.`);
  return { type: "payment_failed", actor: "system", data: { failureReason } };
}

/**
 * The wait of the current status timed out with nothing accepted: the outcome
 * a fair marketplace would choose (API.md's "ends by" column).
 */
export function expire(state: EscrowState): EntryDraft {
  const window = WINDOW_OF[state.status];
  if (!window || state.pending || isTerminal(state.status))
    throw new InvalidTransitionError(`No window is running on an escrow in ${state.status}.`);
  return { type: "window_elapsed", actor: "system", data: { window } };
}

/** Records that the pending outcome's money is about to move (before the provider is called). */
export function beginSettling(state: EscrowState): EntryDraft {
  if (!state.pending) throw new InvalidTransitionError(`Nothing to settle on an escrow in ${state.status}.`);
  return { type: "settling", actor: "system", data: {} };
}

/** Records the outcome of the money the pending action decided (evolve derives the settlement and its postings). */
export function settleEscrow(state: EscrowState): EntryDraft {
  if (!state.pending) throw new InvalidTransitionError(`Nothing to settle on an escrow in ${state.status}.`);
  if (state.status === "PENDING_FUNDS") {
    // Resolved by ops before the hold was recorded: any hold is let go, nothing is paid out.
    return { type: "cancelled", actor: "system", data: { failureReason: "cancelled_by_ops" } };
  }
  const { outcome } = state.pending;
  return {
    type: outcome === "release" ? "released" : outcome === "refund" ? "refunded" : "settled",
    actor: "system",
    data: {},
  };
}

/** The settlement the pending outcome decides, before it is recorded (the provider is told first). */
export const settlementFor = (state: EscrowState, at: string) =>
  state.pending
    ? settle(state.amount, state.fee, state.pending.outcome, state.pending.refundAmount, at)
    : null;

export function escalate(state: EscrowState, reason: AttentionReason, detail: string): EntryDraft {
  if (isTerminal(state.status)) throw new InvalidTransitionError(`The escrow is already ${state.status}.`);
  return { type: "escalated", actor: "system", data: { reason, detail: detail.slice(0, 500) } };
}
