import { ForbiddenError, InvalidTransitionError, ValidationError } from "./errors";
import { holdPostings, settlementPostings } from "./ledger";
import { settle } from "./money";
import {
  type ActorRole,
  type EscrowState,
  type EscrowStatus,
  type EscrowTerms,
  type EscrowView,
  isTerminal,
  type Pending,
  type PendingAction,
  type SettlementOutcome,
} from "./types";
import { addSeconds, MAX_EXTENSIONS, MAX_TOTAL_EXTENSION_SECONDS } from "./windows";

/**
 * The escrow as a decider: commands are checked against the current state and
 * produce one history entry; `evolve` applies an entry. The stored record is
 * the immutable terms plus the history, so the escrow as it was at any version
 * (for an idempotent replay or an event) is `fold` of a prefix of the history.
 *
 * An entry records only facts (who did what, with which values); everything
 * that follows from them — deadlines, the pending outcome, the settlement and
 * the ledger postings — is derived in `evolve`, so the record cannot disagree
 * with itself and each write stays small (DynamoDB bills writes per KB).
 */

type EntryOf<T extends string, D> = { type: T; actor: ActorRole; data: D };

export type EntryDraft =
  | EntryOf<"created", Record<string, never>>
  | EntryOf<"funded", { paymentRef: string }>
  | EntryOf<"payment_failed", { failureReason: string }>
  | EntryOf<
      "delivered",
      { actorId: string; carrier: string | null; trackingNumber: string | null; note: string | null }
    >
  | EntryOf<"extended", { actorId: string; seconds: number }>
  | EntryOf<"refund_requested", { actorId: string; amount: number; reason: string }>
  | EntryOf<"refund_accepted", { actorId: string; note: string | null }>
  | EntryOf<"refund_rejected", { actorId: string; note: string | null }>
  | EntryOf<"disputed", { actorId: string; reason: string }>
  | EntryOf<"confirmed", { actorId: string }>
  | EntryOf<"cancellation_requested", { actorId: string; reason: string | null }>
  | EntryOf<"resolution_accepted", { note: string; outcome: SettlementOutcome; refundAmount?: number }>
  | EntryOf<"window_elapsed", { window: WindowName }>
  | EntryOf<"escalated", { state: string; reason: string }>
  | EntryOf<"released" | "refunded" | "settled", Record<string, never>>
  | EntryOf<"cancelled", { failureReason: string }>;

export type EntryType = EntryDraft["type"];

/** One line of an escrow's history; `idem` ties it to the request that caused it. */
export type Entry = EntryDraft & { v: number; at: string; idem?: string };

export type WindowName = "delivery" | "confirmation" | "seller_response" | "dispute";

// ---------------------------------------------------------------- evolve / fold

export function initialState(terms: EscrowTerms): EscrowState {
  return {
    ...terms,
    status: "PENDING_FUNDS",
    deadline: null,
    delivery: null,
    refundRequest: null,
    dispute: null,
    settlement: null,
    failureReason: null,
    pending: null,
    attention: null,
    paymentRef: null,
    extensions: { count: 0, totalSeconds: 0 },
    ledger: [],
    updatedAt: terms.createdAt,
    version: 1,
  };
}

export function evolve(state: EscrowState, entry: Entry): EscrowState {
  const s: EscrowState = { ...state, version: entry.v, updatedAt: entry.at };
  // Any later entry supersedes an escalation: the workflow moved on, or ops resolved it.
  if (entry.type !== "escalated") s.attention = null;
  const w = s.windows;
  switch (entry.type) {
    case "created":
      return s;
    case "funded":
      return {
        ...s,
        status: "FUNDED",
        deadline: addSeconds(entry.at, w.deliverySeconds),
        paymentRef: entry.data.paymentRef,
        ledger: [...s.ledger, ...holdPostings(s.amount)],
      };
    case "payment_failed":
    case "cancelled":
      return {
        ...s,
        status: "CANCELLED",
        deadline: null,
        pending: null,
        failureReason: entry.data.failureReason,
      };
    case "delivered":
      return {
        ...s,
        status: "DELIVERED",
        deadline: addSeconds(entry.at, w.confirmationSeconds),
        delivery: {
          carrier: entry.data.carrier,
          trackingNumber: entry.data.trackingNumber,
          note: entry.data.note,
          deliveredAt: entry.at,
        },
      };
    case "extended":
      return {
        ...s,
        deadline: addSeconds(s.deadline ?? entry.at, entry.data.seconds),
        extensions: {
          count: s.extensions.count + 1,
          totalSeconds: s.extensions.totalSeconds + entry.data.seconds,
        },
      };
    case "refund_requested":
      return {
        ...s,
        status: "REFUND_REQUESTED",
        deadline: addSeconds(entry.at, w.sellerResponseSeconds),
        refundRequest: { amount: entry.data.amount, reason: entry.data.reason, requestedAt: entry.at },
      };
    case "refund_rejected":
      return {
        ...s,
        status: "DISPUTED",
        deadline: addSeconds(entry.at, w.disputeSeconds),
        dispute: {
          openedBy: "seller",
          reason: entry.data.note ?? "The seller rejected the refund request.",
          openedAt: entry.at,
        },
      };
    case "disputed":
      return {
        ...s,
        status: "DISPUTED",
        deadline: addSeconds(entry.at, w.disputeSeconds),
        dispute: { openedBy: entry.actor, reason: entry.data.reason, openedAt: entry.at },
      };
    case "confirmed":
      return { ...s, deadline: null, pending: pending("confirmation", "release", 0) };
    case "cancellation_requested":
      return { ...s, deadline: null, pending: pending("cancellation", "refund", s.amount) };
    case "refund_accepted":
      return { ...s, deadline: null, pending: acceptedRefund(s, "refund-response") };
    case "resolution_accepted":
      return {
        ...s,
        deadline: null,
        pending: resolutionPending(s, entry.data.outcome, entry.data.refundAmount),
      };
    case "window_elapsed":
      return { ...s, deadline: null, pending: automaticOutcome(s, entry.data.window) };
    case "escalated":
      return { ...s, attention: { reason: entry.data.reason, state: entry.data.state, at: entry.at } };
    case "released":
    case "refunded":
    case "settled": {
      const p = s.pending;
      if (!p) throw new Error(`${entry.type} at version ${entry.v} without a pending outcome`);
      const settlement = settle(s.amount, s.fee, p.outcome, p.refundAmount, entry.at);
      return {
        ...s,
        status: STATUS_AFTER_SETTLEMENT[entry.type],
        deadline: null,
        pending: null,
        settlement,
        ledger: [...s.ledger, ...settlementPostings(settlement)],
      };
    }
  }
}

const STATUS_AFTER_SETTLEMENT = { released: "RELEASED", refunded: "REFUNDED", settled: "SETTLED" } as const;

/** The escrow at `version` (default: the latest). */
export function fold(
  terms: EscrowTerms,
  history: readonly Entry[],
  version = Number.POSITIVE_INFINITY,
): EscrowState {
  let state = initialState(terms);
  for (const entry of history) {
    if (entry.v > version) break;
    state = evolve(state, entry);
  }
  return state;
}

export function toView(s: EscrowState): EscrowView {
  return {
    id: s.id,
    kind: s.kind,
    status: s.status,
    buyerId: s.buyerId,
    sellerId: s.sellerId,
    amount: s.amount,
    currency: s.currency,
    fee: s.fee,
    description: s.description,
    listingRef: s.listingRef,
    metadata: s.metadata,
    windows: s.windows,
    deadline: s.deadline,
    pendingAction: s.pending?.action ?? null,
    delivery: s.delivery,
    refundRequest: s.refundRequest,
    dispute: s.dispute,
    settlement: s.settlement,
    failureReason: s.failureReason,
    needsOpsAttention: s.attention !== null,
    createdAt: s.createdAt,
    updatedAt: s.updatedAt,
    version: s.version,
  };
}

// ---------------------------------------------------------------- commands

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

const pending = (
  action: PendingAction,
  outcome: SettlementOutcome,
  refundAmount: number,
  alertOps = false,
): Pending => (alertOps ? { action, outcome, refundAmount, alertOps } : { action, outcome, refundAmount });

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

function acceptedRefund(state: EscrowState, action: PendingAction): Pending {
  const amount = state.refundRequest?.amount ?? state.amount;
  return amount >= state.amount ? pending(action, "refund", state.amount) : pending(action, "split", amount);
}

function resolutionPending(
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

export const WINDOW_OF: Partial<Record<EscrowStatus, WindowName>> = {
  FUNDED: "delivery",
  DELIVERED: "confirmation",
  REFUND_REQUESTED: "seller_response",
  DISPUTED: "dispute",
};

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

/** What happens when a window elapses with nothing accepted. */
function automaticOutcome(state: EscrowState, window: WindowName): Pending {
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

/** Moves the money the pending action decided (evolve derives the settlement and its postings). */
export function settleEscrow(state: EscrowState): EntryDraft {
  if (!state.pending) throw new InvalidTransitionError(`Nothing to settle on an escrow in ${state.status}.`);
  if (state.status === "PENDING_FUNDS") {
    // Escalated before the hold was recorded: nothing was held, so nothing is paid out.
    return { type: "cancelled", actor: "system", data: { failureReason: "cancelled_by_ops" } };
  }
  const { outcome } = state.pending;
  return {
    type: outcome === "release" ? "released" : outcome === "refund" ? "refunded" : "settled",
    actor: "system",
    data: {},
  };
}

/** The settlement a settling entry will record, before it is written (the payment provider is told first). */
export const settlementFor = (state: EscrowState, at: string) =>
  state.pending
    ? settle(state.amount, state.fee, state.pending.outcome, state.pending.refundAmount, at)
    : null;

export function escalate(state: EscrowState, failedState: string, reason: string): EntryDraft {
  if (isTerminal(state.status)) throw new InvalidTransitionError(`The escrow is already ${state.status}.`);
  return { type: "escalated", actor: "system", data: { state: failedState, reason } };
}

/** Stamps a draft with the next version and the time, and applies it. */
export function apply(
  state: EscrowState,
  draft: EntryDraft,
  now: Date,
  idem?: string,
): { entry: Entry; state: EscrowState } {
  const entry = { ...draft, v: state.version + 1, at: now.toISOString(), ...(idem ? { idem } : {}) } as Entry;
  return { entry, state: evolve(state, entry) };
}

/**
 * An entry as the history route shows it: the facts it recorded plus what
 * followed from them (the deadline it set, the outcome it made pending, the
 * settlement and the ledger postings), read off the escrow before and after it.
 */
export function describeEntry(
  before: EscrowState,
  after: EscrowState,
  entry: Entry,
): Record<string, unknown> {
  const data: Record<string, unknown> = { ...entry.data };
  if (entry.type === "created")
    Object.assign(data, { amount: after.amount, currency: after.currency, fee: after.fee });
  if (after.deadline !== before.deadline && after.deadline !== null) data.deadline = after.deadline;
  if (after.pending && after.pending !== before.pending)
    Object.assign(data, {
      outcome: after.pending.outcome,
      ...(after.pending.outcome === "split" ? { refundAmount: after.pending.refundAmount } : {}),
    });
  if (after.settlement && !before.settlement) data.settlement = after.settlement;
  const postings = after.ledger.slice(before.ledger.length);
  if (postings.length > 0) data.postings = postings;
  return data;
}
