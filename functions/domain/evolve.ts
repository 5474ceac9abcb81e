import type { Entry, EntryDraft } from "./entries";
import { kindDeliveryOf } from "./kinds/names";
import { kindOf, NO_KIND_STATE, ownEntry, waitOf, waitWithWindow } from "./kinds/registry";
import { holdPostings, settlementPostings } from "./ledger";
import { disburse, heldOf, sumOf } from "./money";
import { acceptedRefund, pending, resolutionPending } from "./outcomes";
import type { Disbursement, EscrowState, EscrowTerms, Pending } from "./types";
import { addSeconds, windowSeconds } from "./windows";

export function initialState(terms: EscrowTerms): EscrowState {
  return {
    ...terms,
    status: "PENDING_FUNDS",
    deadline: null,
    delivery: null,
    refundRequest: null,
    dispute: null,
    waitingSince: null,
    // Every kind's own state as none (another kind's stays so), then the kind's own from its terms.
    ...NO_KIND_STATE,
    ...kindOf(terms).start?.(terms),
    balanceDue: null,
    funded: 0,
    disbursements: [],
    settlement: null,
    failureReason: null,
    pending: null,
    attention: null,
    resolution: null,
    settling: null,
    paymentRef: null,
    extensions: { count: 0, totalSeconds: 0 },
    ledger: [],
    updatedAt: terms.createdAt,
    version: 1,
  };
}

export function evolve(state: EscrowState, entry: Entry): EscrowState {
  const next = evolveEntry(state, entry);
  // A wait begins when a deadline is set anew (a new status, or after a pending step); a deadline that
  // only moves (an extension, a renewal, an evidence request) keeps the wait it belongs to.
  if (next.deadline === null) return next.waitingSince === null ? next : { ...next, waitingSince: null };
  if (state.deadline === null || next.status !== state.status) return { ...next, waitingSince: entry.at };
  return next;
}

/** Who decided, for a resolution recorded before ops users were named (v1.1). */
const UNNAMED_OPS = { id: "ops", name: "ops" } as const;

/** How long ops give the parties, at least, after the evidence they asked for is due. */
export const AFTER_EVIDENCE_DUE_SECONDS = 72 * 3600;

function evolveEntry(state: EscrowState, entry: Entry): EscrowState {
  const s: EscrowState = { ...state, version: entry.v, updatedAt: entry.at };
  // Any later entry supersedes an escalation: the workflow moved on, or ops resolved it.
  if (entry.type !== "escalated") s.attention = null;
  const sec = (key: Parameters<typeof windowSeconds>[1]) => windowSeconds(s, key);
  switch (entry.type) {
    case "created":
      return s;
    case "funded": {
      // The whole price is held (a car: the balance after its reservation deposit).
      const balance = s.amount - s.funded;
      return {
        ...s,
        status: "FUNDED",
        // Goods, services and cars wait for delivery; a kind's FUNDED wait may end at a date of its own (a lease's end).
        deadline:
          waitOf({ kind: s.kind, status: "FUNDED" })?.until?.(s) ??
          addSeconds(entry.at, sec("deliverySeconds")),
        paymentRef: s.paymentRef ?? entry.data.paymentRef,
        funded: s.amount,
        balanceDue: null,
        ledger: [...s.ledger, ...holdPostings(balance)],
      };
    }
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
        deadline: addSeconds(entry.at, sec("confirmationSeconds")),
        delivery: {
          carrier: entry.data.carrier,
          trackingNumber: entry.data.trackingNumber,
          note: entry.data.note,
          deliveredAt: entry.at,
          ...kindDeliveryOf(entry.data),
          ...(entry.data.inPerson ? { method: "in_person" as const, handedOverAt: entry.at } : {}),
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
        deadline: addSeconds(entry.at, sec("sellerResponseSeconds")),
        refundRequest: { amount: entry.data.amount, reason: entry.data.reason, requestedAt: entry.at },
      };
    case "refund_rejected":
      return {
        ...s,
        status: "DISPUTED",
        deadline: addSeconds(entry.at, sec("disputeSeconds")),
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
        deadline: addSeconds(entry.at, sec("disputeSeconds")),
        dispute: { openedBy: entry.actor, reason: entry.data.reason, openedAt: entry.at },
      };
    case "confirmed":
      return { ...s, deadline: null, pending: pending("confirmation", "release", 0) };
    case "cancellation_requested":
      return {
        ...s,
        deadline: null,
        // Everything held back to the buyer, unless the kind says otherwise (a car's forfeited reservation).
        pending:
          kindOf(s).cancellation?.(s, entry.actor, "cancellation") ??
          pending("cancellation", "refund", heldOf(s)),
      };
    case "refund_accepted":
      return { ...s, deadline: null, pending: acceptedRefund(s, "refund-response") };
    case "resolution_accepted": {
      const decided = resolutionPending(s, entry.data.outcome, entry.data.refundAmount);
      return {
        ...s,
        deadline: null,
        // Ops decided what is held: a car's balance still to be held is not (any hold taken for it unseen
        // is let go by the settlement).
        balanceDue: null,
        pending: decided,
        resolution: {
          outcome: decided.outcome,
          refundAmount: decided.refundAmount,
          reasonCode: entry.data.reasonCode ?? null,
          note: entry.data.note,
          // Entries written before v1.2 named no one: the shared ops client decided.
          decidedBy: entry.opsUser ?? UNNAMED_OPS,
          decidedAt: entry.at,
        },
      };
    }
    case "resumed":
      // The escalation is superseded (above); the record's pending outcome or wait carries on.
      return s;
    case "window_elapsed": {
      // A window whose ending moves the escrow on by itself (a lease's end), else its automatic outcome.
      const wait = waitWithWindow(s, entry.data.window);
      if (wait.elapsed) return wait.elapsed.evolve(s, entry.at);
      return { ...s, deadline: null, pending: wait.outcome(s) };
    }
    case "evidence_requested": {
      const floor = addSeconds(entry.data.dueAt, AFTER_EVIDENCE_DUE_SECONDS);
      return {
        ...s,
        // At least 72 hours after the evidence is due; never earlier than it was.
        deadline: s.deadline !== null && s.deadline > floor ? s.deadline : floor,
        dispute: s.dispute ? { ...s.dispute, evidenceRequest: { ...entry.data } } : s.dispute,
      };
    }
    case "partially_settled": {
      const p = s.pending;
      if (!p?.partial)
        throw new Error(`partially_settled at version ${entry.v} without a pending partial movement`);
      const d = disburse(s, s.disbursements, p.refundAmount, p.partial.release, "undisputed_part", entry.at);
      return {
        ...s,
        deadline: addSeconds(entry.at, sec("disputeSeconds")),
        pending: null,
        settling: null,
        disbursements: [...s.disbursements, d],
        ledger: [...s.ledger, ...settlementPostings(d)],
      };
    }
    case "escalated":
      return {
        ...s,
        attention: { reason: entry.data.reason, detail: entry.data.detail, at: entry.at },
        // A rejected payout moved nothing: ops may decide another outcome.
        settling: entry.data.reason === "payout_rejected" ? null : s.settling,
      };
    case "settling":
      return { ...s, settling: { version: entry.v } };
    case "released":
    case "refunded":
    case "settled": {
      const p = s.pending;
      if (!p) throw new Error(`${entry.type} at version ${entry.v} without a pending outcome`);
      const d = finalDisbursement(s, p, entry.at);
      const disbursements = [...s.disbursements, d];
      return {
        ...s,
        status: STATUS_AFTER_SETTLEMENT[entry.type],
        deadline: null,
        pending: null,
        settling: null,
        disbursements,
        settlement: sumOf(disbursements, entry.at),
        ledger: [...s.ledger, ...settlementPostings(d)],
      };
    }
    default: {
      // A kind's own entry: its module says what it changes.
      const own = ownEntry(entry.type);
      if (!own) throw new Error(`unknown entry ${entry.type} at version ${entry.v}`);
      return own.evolve(s, entry);
    }
  }
}

const STATUS_AFTER_SETTLEMENT = { released: "RELEASED", refunded: "REFUNDED", settled: "SETTLED" } as const;

/** The last step: all that is held leaves, `refundAmount` of it to the buyer and the rest to the seller's side. */
export function finalDisbursement(s: EscrowState, p: Pending, at: string): Disbursement {
  const held = heldOf(s);
  const refund = p.outcome === "release" ? 0 : p.outcome === "refund" ? held : p.refundAmount;
  return disburse(s, s.disbursements, refund, held - refund, p.reason ?? "settlement", at);
}

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
