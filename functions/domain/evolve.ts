import type { Entry, EntryDraft } from "./entries";
import { holdPostings, settlementPostings } from "./ledger";
import { settle } from "./money";
import { acceptedRefund, automaticOutcome, pending, resolutionPending } from "./outcomes";
import type { EscrowState, EscrowTerms } from "./types";
import { addSeconds } from "./windows";

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
    settling: null,
    settleAttempts: 0,
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
      return {
        ...s,
        attention: { reason: entry.data.reason, detail: entry.data.detail, at: entry.at },
        // A rejected payout moved nothing: ops may decide another outcome.
        settling: entry.data.reason === "payout_rejected" ? null : s.settling,
      };
    case "settling":
      return { ...s, settling: { attempt: s.settleAttempts + 1 }, settleAttempts: s.settleAttempts + 1 };
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
        settling: null,
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
