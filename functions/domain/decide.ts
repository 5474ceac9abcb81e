import type { EntryDraft } from "./entries";
import { ForbiddenError, InvalidTransitionError, ValidationError } from "./errors";
import { finalDisbursement } from "./evolve";
import { type KindDelivery, kindDeliveryOf } from "./kinds/names";
import { acceptedAction, type KindCommand, kindOf, ownAction, waitOf } from "./kinds/registry";
import { disburse, heldOf, sumOf } from "./money";
import { decideResume } from "./ops-decisions";
import { resolutionPending } from "./outcomes";
import {
  type ActorRole,
  type AttentionReason,
  type Disbursement,
  type EscrowKind,
  type EscrowState,
  type EscrowStatus,
  type EvidenceRequest,
  isTerminal,
  type Pending,
  type ReasonCode,
  type SettlementOutcome,
  STATUSES,
} from "./types";
import { MAX_EXTENSIONS, MAX_TOTAL_EXTENSION_SECONDS } from "./windows";

/** The actions every kind's escrow may know (each kind lists which of them it has). */
type CommonCommand =
  | ({
      action: "delivery";
      actorId: string;
      carrier?: string;
      trackingNumber?: string;
      note?: string;
      /** Checked against the escrow's current handover code by the service (422), never stored. */
      handoverCode?: string;
    } & KindDelivery)
  | { action: "confirmation"; actorId: string }
  | { action: "extension"; actorId: string; seconds: number }
  | { action: "refund-request"; actorId: string; amount?: number; reason: string }
  | { action: "refund-response"; actorId: string; accept: boolean; note?: string }
  | { action: "dispute"; actorId: string; reason: string }
  | { action: "cancellation"; actorId: string; reason?: string }
  | {
      action: "resolution";
      outcome: SettlementOutcome;
      refundAmount?: number;
      note: string;
      reasonCode?: ReasonCode;
    }
  /** Ops dealt with the cause of `needsOpsAttention`: clear it and try again (API.md v1.2). */
  | { action: "resume"; note: string }
  | { action: "evidence-request"; from: EvidenceRequest["from"]; dueSeconds: number; note: string };

/** An API action: one every kind may have, or a kind's own (its module's `ownActions`). */
export type ActionCommand = CommonCommand | KindCommand;

export type ActionName = ActionCommand["action"];

/** The actions every kind may have (a kind lists which it has). */
export type CommonAction = CommonCommand["action"];

/**
 * Which statuses each common action may start from (API.md's status tables);
 * a kind adds its own statuses to these (its module's `alsoFrom`), and its own
 * actions say theirs.
 */
const ALLOWED_FROM: Record<CommonCommand["action"], readonly EscrowStatus[]> = {
  delivery: ["FUNDED"],
  confirmation: ["DELIVERED"],
  extension: ["DELIVERED"],
  "refund-request": ["DELIVERED"],
  "refund-response": ["REFUND_REQUESTED"],
  dispute: ["FUNDED", "DELIVERED", "REFUND_REQUESTED"],
  cancellation: ["FUNDED"],
  resolution: ["DISPUTED"],
  "evidence-request": ["DISPUTED"],
  // Any status the escrow can need ops in (every one before it ends); decideResume checks the flag itself.
  resume: STATUSES.filter((s) => !isTerminal(s)),
};

/** Who may perform each common action: the buyer, the seller, either, or ops staff. */
const ACTORS: Record<CommonCommand["action"], "buyer" | "seller" | "party" | "ops"> = {
  delivery: "seller",
  confirmation: "buyer",
  extension: "buyer",
  "refund-request": "buyer",
  "refund-response": "seller",
  dispute: "party",
  cancellation: "party",
  resolution: "ops",
  "evidence-request": "ops",
  resume: "ops",
};

/** The statuses an action may start from, on an escrow of this kind. */
export function allowedFrom(action: ActionName, of: { kind: EscrowKind }): readonly EscrowStatus[] {
  const own = ownAction(action);
  if (own) return own.from;
  const common = action as CommonCommand["action"];
  return [...ALLOWED_FROM[common], ...(kindOf(of).alsoFrom?.[common] ?? [])];
}

/** Who may perform an action: the buyer, the seller, either, or ops staff. */
export const actorOf = (action: ActionName): "buyer" | "seller" | "party" | "ops" =>
  ownAction(action)?.actor ?? ACTORS[action as CommonCommand["action"]];

function roleOf(state: EscrowState, command: ActionCommand): ActorRole {
  if (command.action === "resolution" || command.action === "evidence-request" || command.action === "resume")
    return "ops";
  const who = actorOf(command.action);
  const isBuyer = command.actorId === state.buyerId;
  const isSeller = command.actorId === state.sellerId;
  if (who === "buyer" && isBuyer) return "buyer";
  if (who === "seller" && isSeller) return "seller";
  if (who === "party" && (isBuyer || isSeller)) return isBuyer ? "buyer" : "seller";
  const allowed = who === "party" ? "the buyer or the seller" : `the ${who}`;
  throw new ForbiddenError(`Only ${allowed} of this escrow may perform '${command.action}'.`);
}

function guardStatus(state: EscrowState, action: ActionName, now: Date): void {
  const kind = kindOf(state);
  if (!kind.actions.includes(action))
    throw new InvalidTransitionError(`'${action}' is not an action of a ${state.kind} escrow.`);
  const repair = action === "resolution" && state.attention !== null && !isTerminal(state.status);
  if (isTerminal(state.status))
    throw new InvalidTransitionError(`The escrow is ${state.status}; '${action}' is no longer possible.`);
  if (repair) return;
  const accepted = acceptedAction(state);
  if (accepted)
    throw new InvalidTransitionError(
      `An accepted ${accepted} is being applied to this escrow; '${action}' is not possible.`,
    );
  const from = allowedFrom(action, state);
  if (!from.includes(state.status))
    throw new InvalidTransitionError(
      `'${action}' is not allowed while the escrow is ${state.status} (allowed from ${from.join(", ")}).`,
    );
  if (state.deadline !== null && now.getTime() >= Date.parse(state.deadline))
    throw new InvalidTransitionError(
      `The window of the ${state.status} status ended at ${state.deadline}; the automatic outcome applies.`,
    );
  kind.guard?.(state, action, now);
}

const invalid = (path: string, message: string, detail: string) =>
  new ValidationError(detail, [{ path, message }]);

/**
 * Checks of the command's values against the escrow's own (400), made before
 * who acts (403) and whether the kind and status allow it (409), as API.md's
 * v1.1 order says.
 */
function checkValues(state: EscrowState, command: ActionCommand, now: Date): void {
  kindOf(state).checkValues?.(state, command, now);
  ownAction(command.action)?.check?.(state, command as KindCommand, now);
  switch (command.action) {
    case "refund-request":
      if (command.amount !== undefined && command.amount > heldOf(state) && state.status !== "PENDING_FUNDS")
        throw invalid(
          "amount",
          `must be at most ${heldOf(state)}`,
          "The refund amount exceeds what is held.",
        );
      if (command.amount !== undefined && command.amount > state.amount)
        throw invalid(
          "amount",
          `must be at most ${state.amount}`,
          "The refund amount exceeds the escrow's amount.",
        );
      return;
    case "resolution":
      if (state.status === "DISPUTED" || state.attention)
        resolutionPending(state, command.outcome, command.refundAmount);
      return;
    default:
      return;
  }
}

/** Checks an API action against the escrow and returns the history entry it adds. */
export function decideAction(state: EscrowState, command: ActionCommand, now: Date): EntryDraft {
  if (command.action === "resume") return decideResume(state, command.note);
  checkValues(state, command, now);
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
          ...kindDeliveryOf(command),
          ...(command.handoverCode !== undefined ? { inPerson: true as const } : {}),
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
    case "refund-request":
      return {
        type: "refund_requested",
        actor,
        data: { actorId: command.actorId, amount: command.amount ?? heldOf(state), reason: command.reason },
      };
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
    case "evidence-request":
      return {
        type: "evidence_requested",
        actor,
        data: {
          from: command.from,
          dueAt: new Date(now.getTime() + command.dueSeconds * 1000).toISOString(),
          note: command.note,
        },
      };
    case "resolution": {
      // Checked here (a 400 before anything is written); evolve derives the same pending outcome.
      const p = resolutionPending(state, command.outcome, command.refundAmount);
      if (state.settling && state.pending && !sameMovement(state, state.pending, p))
        throw new InvalidTransitionError(
          `A ${state.pending.partial ? "payment of the undisputed part" : state.pending.outcome} of this escrow has already been sent to the payment provider; it can only be carried out, not replaced.`,
        );
      return {
        type: "resolution_accepted",
        actor,
        data: {
          note: command.note,
          outcome: command.outcome,
          ...(p.outcome === "split" ? { refundAmount: p.refundAmount } : {}),
          ...(command.reasonCode !== undefined ? { reasonCode: command.reasonCode } : {}),
        },
      };
    }
    default: {
      // A kind's own action: its module decides (guardStatus made sure the escrow's kind has it).
      const own = ownAction(command.action);
      if (!own) throw new InvalidTransitionError(`'${command.action}' is not an action of this service.`);
      return own.decide(state, command, actor, now);
    }
  }
}

// ---------------------------------------------------------------- workflow commands

/** The first hold is recorded: the whole price (FUNDED), or a car's reservation deposit (RESERVED). */
export function fund(state: EscrowState, paymentRef: string): EntryDraft {
  if (state.status !== "PENDING_FUNDS")
    throw new InvalidTransitionError(`Cannot fund an escrow in ${state.status}.`);
  return { type: kindOf(state).firstHold, actor: "system", data: { paymentRef } };
}

/** The balance is held in a second hold (a car's, after an accepted inspection): FUNDED. */
export function fundBalance(state: EscrowState, paymentRef: string): EntryDraft {
  if (!state.balanceDue)
    throw new InvalidTransitionError(`No balance is due on an escrow in ${state.status}.`);
  return { type: "funded", actor: "system", data: { paymentRef } };
}

/** The balance could not be held (a car's): what was held first goes back, as the kind records it. */
export function declineBalance(state: EscrowState): EntryDraft {
  const declined = kindOf(state).balanceDeclined;
  if (!state.balanceDue || !declined)
    throw new InvalidTransitionError(`No balance is due on an escrow in ${state.status}.`);
  return { type: declined, actor: "system", data: { failureReason: "balance_declined" } };
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
  const window = waitOf(state)?.window;
  if (!window || state.pending || isTerminal(state.status))
    throw new InvalidTransitionError(`No window is running on an escrow in ${state.status}.`);
  return { type: "window_elapsed", actor: "system", data: { window } };
}

/** Records that the pending outcome's money is about to move (before the provider is called). */
export function beginSettling(state: EscrowState): EntryDraft {
  if (!state.pending) throw new InvalidTransitionError(`Nothing to settle on an escrow in ${state.status}.`);
  return { type: "settling", actor: "system", data: {} };
}

/**
 * Records the money the pending action decided as moved: one step
 * (`partially_settled`, the rest stays held) or the last one, whose entry
 * names the terminal status by the final sums (evolve derives the
 * disbursement, the settlement and the postings).
 */
export function settleEscrow(state: EscrowState): EntryDraft {
  const p = state.pending;
  if (!p) throw new InvalidTransitionError(`Nothing to settle on an escrow in ${state.status}.`);
  if (state.status === "PENDING_FUNDS") {
    // Resolved by ops before the hold was recorded: any hold is let go, nothing is paid out.
    return { type: "cancelled", actor: "system", data: { failureReason: "cancelled_by_ops" } };
  }
  if (p.partial) return { type: "partially_settled", actor: "system", data: {} };
  const total = sumOf(
    [...state.disbursements, finalDisbursement(state, p, state.updatedAt)],
    state.updatedAt,
  );
  const type =
    total.refundedToBuyer === 0
      ? "released"
      : total.paidToSeller + total.platformFee === 0
        ? "refunded"
        : "settled";
  return { type, actor: "system", data: {} };
}

/**
 * Whether two pending outcomes move the same money: the same amounts to each
 * side for the same reason, both final or both a first step (a resolution is
 * never a first step, so it never repeats a rejected claim's undisputed part).
 */
function sameMovement(state: EscrowState, a: Pending, b: Pending): boolean {
  if (Boolean(a.partial) !== Boolean(b.partial)) return false;
  const at = state.updatedAt;
  const x = movementFor({ ...state, pending: a }, at);
  const y = movementFor({ ...state, pending: b }, at);
  return (
    x !== null &&
    y !== null &&
    x.paidToSeller === y.paidToSeller &&
    x.refundedToBuyer === y.refundedToBuyer &&
    x.platformFee === y.platformFee &&
    x.reason === y.reason
  );
}

/** The money the pending action moves now (one step, or all that is held), before it is recorded. */
export function movementFor(state: EscrowState, at: string): Disbursement | null {
  const p = state.pending;
  if (!p || state.status === "PENDING_FUNDS") return null;
  if (p.partial)
    return disburse(state, state.disbursements, p.refundAmount, p.partial.release, "undisputed_part", at);
  return finalDisbursement(state, p, at);
}

/**
 * Holds the provider may have taken that the record never counted in
 * `funded` (their taking was never recorded): the first hold while nothing is
 * held yet, a car's balance after an accepted inspection. A settlement lets
 * go of them before it moves anything, so nothing stays held at the provider
 * after the escrow ends (a void of a hold never taken moves nothing).
 */
export function unrecordedHolds(state: EscrowState): ("hold" | "balance")[] {
  if (state.status === "PENDING_FUNDS") return ["hold"];
  if (kindOf(state).balanceUnrecorded?.(state)) return ["balance"];
  return [];
}

export function escalate(state: EscrowState, reason: AttentionReason, detail: string): EntryDraft {
  if (isTerminal(state.status)) throw new InvalidTransitionError(`The escrow is already ${state.status}.`);
  return { type: "escalated", actor: "system", data: { reason, detail: detail.slice(0, 500) } };
}
