import type { ActionCommand } from "../../decide";
import { DAY, DEFAULT_REMINDER_SECONDS } from "../../durations";
import type { EntryOf } from "../../entries";
import { InvalidTransitionError, ValidationError } from "../../errors";
import { heldOf } from "../../money";
import { pending, pendingStep } from "../../outcomes";
import type { EscrowState } from "../../types";
import { addSeconds, windowSeconds } from "../../windows";
import { GOODS_WAITS } from "../goods";
import type { Kind, OwnActions, OwnEntries } from "../kind";
import { acceptedClaim, leaseEndErrors, undisputedPart } from "./rules";
import type { ClaimItem, Lease } from "./types";

/**
 * A rent deposit (API.md v1.1, kind `rental_deposit`): held through the
 * lease (for years: the wait parks in the record), then the landlord may
 * claim deductions, the renter answers, ops decide the contested part.
 */
/** The rental deposit's own commands (API.md v1.1, the lease and claim routes). */
export type RentalDepositCommand =
  | { action: "move-out"; actorId: string; note?: string }
  | { action: "lease-renewal"; actorId: string; endsAt: string }
  | { action: "deduction-claim"; actorId: string; items: ClaimItem[] }
  | { action: "deposit-return"; actorId: string; note?: string }
  | { action: "claim-response"; actorId: string; accept: boolean; acceptedAmount?: number; note?: string };

/** The rental deposit's own history entries. */
export type RentalDepositEntry =
  | EntryOf<"moved_out", { actorId: string; note: string | null }>
  | EntryOf<"lease_renewed", { actorId: string; endsAt: string }>
  | EntryOf<"deductions_claimed", { actorId: string; items: ClaimItem[] }>
  | EntryOf<"deposit_returned", { actorId: string; note: string | null }>
  | EntryOf<"claim_accepted", { actorId: string; note: string | null }>
  | EntryOf<"claim_rejected", { actorId: string; acceptedAmount: number; note: string | null }>;

/** The renter moved out (or the lease ended, at its end): the landlord's claim window runs. */
function movedOut(s: EscrowState, at: string, movedOutAt: string): EscrowState {
  return {
    ...s,
    status: "MOVED_OUT",
    deadline: addSeconds(at, windowSeconds(s, "claimSeconds")),
    lease: s.lease ? { ...s.lease, movedOutAt } : s.lease,
  };
}

export const RENTAL_DEPOSIT_ENTRIES: OwnEntries<RentalDepositEntry> = {
  moved_out: {
    evolve: (s, e) => movedOut(s, e.at, e.at),
    step: () => "moved_out",
    event: "escrow.moved_out",
  },
  lease_renewed: {
    evolve: (s, e) => ({
      ...s,
      deadline: e.data.endsAt,
      lease: s.lease ? { ...s.lease, endsAt: e.data.endsAt } : s.lease,
    }),
    step: () => "lease_renewed",
    event: "escrow.lease_renewed",
  },
  deductions_claimed: {
    evolve(s, e) {
      const total = e.data.items.reduce((t, i) => t + i.amount, 0);
      return {
        ...s,
        status: "CLAIMED",
        deadline: addSeconds(e.at, windowSeconds(s, "claimResponseSeconds")),
        claim: { items: e.data.items, total, claimedAt: e.at, acceptedAmount: null },
      };
    },
    step: () => "deductions_claimed",
    event: "escrow.deductions_claimed",
  },
  deposit_returned: {
    evolve: (s) => ({ ...s, deadline: null, pending: pending("deposit-return", "refund", heldOf(s)) }),
    step: (s, e) => pendingStep(s, e),
  },
  claim_accepted: {
    evolve: (s) => ({ ...s, deadline: null, pending: acceptedClaim(s, "claim-response") }),
    step: (s, e) => pendingStep(s, e),
  },
  claim_rejected: {
    evolve(s, e) {
      const contestedAmount = (s.claim?.total ?? 0) - e.data.acceptedAmount;
      const part = undisputedPart(s, e.data.acceptedAmount);
      return {
        ...s,
        status: "DISPUTED",
        // The dispute window starts once the undisputed part has moved (at once when there is none).
        deadline: part ? null : addSeconds(e.at, windowSeconds(s, "disputeSeconds")),
        pending: part,
        claim: s.claim ? { ...s.claim, acceptedAmount: e.data.acceptedAmount } : s.claim,
        dispute: {
          openedBy: "buyer",
          reason: e.data.note ?? "The renter rejected the landlord's claim.",
          openedAt: e.at,
          contestedAmount,
        },
      };
    },
    // A rejected claim: its undisputed part moves first.
    step: (s) => (s.pending ? "partial" : "disputed"),
    event: "escrow.disputed",
  },
};

const invalid = (path: string, message: string, detail: string) =>
  new ValidationError(detail, [{ path, message }]);

export const RENTAL_DEPOSIT_ACTIONS: OwnActions<RentalDepositCommand> = {
  "move-out": {
    from: ["FUNDED"],
    actor: "party",
    decide: (_s, c, actor) => ({
      type: "moved_out",
      actor,
      data: { actorId: c.actorId, note: c.note ?? null },
    }),
  },
  "lease-renewal": {
    from: ["FUNDED"],
    actor: "buyer",
    check(state, c, now) {
      if (!state.lease) return;
      if (Date.parse(c.endsAt) <= Date.parse(state.lease.endsAt))
        throw invalid(
          "endsAt",
          `must be later than the lease's current end (${state.lease.endsAt})`,
          "A renewal must extend the lease.",
        );
      const late = leaseEndErrors(c.endsAt, now, "endsAt");
      if (late.length > 0) throw new ValidationError("The renewed lease ends too late.", late);
    },
    decide: (_s, c, actor) => ({
      type: "lease_renewed",
      actor,
      data: { actorId: c.actorId, endsAt: c.endsAt },
    }),
  },
  "deduction-claim": {
    from: ["MOVED_OUT"],
    actor: "seller",
    check(state, c) {
      const total = c.items.reduce((t, i) => t + i.amount, 0);
      if (total > state.amount)
        throw invalid(
          "items",
          `must total at most the deposit (${state.amount}); they total ${total}`,
          "The claim exceeds the deposit.",
        );
    },
    decide: (_s, c, actor) => ({
      type: "deductions_claimed",
      actor,
      data: { actorId: c.actorId, items: c.items },
    }),
  },
  "deposit-return": {
    from: ["MOVED_OUT"],
    actor: "seller",
    decide: (_s, c, actor) => ({
      type: "deposit_returned",
      actor,
      data: { actorId: c.actorId, note: c.note ?? null },
    }),
  },
  "claim-response": {
    from: ["CLAIMED"],
    actor: "buyer",
    check(state, c) {
      if (!c.accept && state.claim && (c.acceptedAmount ?? 0) >= state.claim.total)
        throw invalid(
          "acceptedAmount",
          `must be less than the claim's total (${state.claim.total}); to accept it all, answer accept: true`,
          "The accepted part must be less than the claim.",
        );
    },
    decide: (_s, c, actor) =>
      c.accept
        ? { type: "claim_accepted", actor, data: { actorId: c.actorId, note: c.note ?? null } }
        : {
            type: "claim_rejected",
            actor,
            data: { actorId: c.actorId, acceptedAmount: c.acceptedAmount ?? 0, note: c.note ?? null },
          },
  },
};

export const rentalDeposit: Kind = {
  name: "rental_deposit",
  windows: {
    claimSeconds: 14 * DAY,
    claimResponseSeconds: 14 * DAY,
    disputeSeconds: 30 * DAY,
    reminderSeconds: DEFAULT_REMINDER_SECONDS,
  },
  createFields: ["lease"],
  terms(input, now, errors) {
    if (!input.lease) {
      errors.push({ path: "lease", message: "is required for kind rental_deposit" });
      return {};
    }
    const lease: Lease = { startsAt: input.lease.startsAt, endsAt: input.lease.endsAt };
    errors.push(...leaseEndErrors(lease.endsAt, now, "lease.endsAt"));
    if (Date.parse(lease.endsAt) <= Date.parse(lease.startsAt))
      errors.push({ path: "lease.endsAt", message: "must be after lease.startsAt" });
    return { lease };
  },
  start: (terms) => ({ lease: terms.lease ? { ...terms.lease, movedOutAt: null } : null }),
  firstHold: "funded",
  waits: {
    FUNDED: {
      window: "lease",
      // A lease is a long wait: the workflow parks it in the record.
      step: "lease_funded",
      until: (s) => s.lease?.endsAt ?? s.createdAt,
      party: "buyer",
      ifSilent: "move_out",
      // The lease ending by itself is a move-out at its end.
      elapsed: {
        evolve: (s, at) => movedOut(s, at, s.lease?.endsAt ?? at),
        step: "moved_out",
        event: "escrow.moved_out",
      },
    },
    MOVED_OUT: {
      window: "claim",
      step: "moved_out",
      party: "seller",
      ifSilent: "refund",
      outcome: (s) => pending("auto-refund", "refund", heldOf(s)),
    },
    CLAIMED: {
      window: "claim_response",
      step: "deductions_claimed",
      party: "buyer",
      ifSilent: "accept_claim",
      outcome: (s) => acceptedClaim(s, "auto-claim-acceptance"),
    },
    // A contested claim waits for ops as a goods dispute does.
    DISPUTED: GOODS_WAITS.DISPUTED,
  },
  actions: [
    "move-out",
    "lease-renewal",
    "deduction-claim",
    "deposit-return",
    "claim-response",
    "cancellation",
    "resolution",
    "evidence-request",
    "resume",
  ],
  // A claim is contested: both sides may state their case before the renter answers.
  evidenceAlsoIn: ["CLAIMED"],
  guard(state, action: ActionCommand["action"], now) {
    if (action === "cancellation" && state.lease && now.getTime() >= Date.parse(state.lease.startsAt))
      throw new InvalidTransitionError(
        `The lease started at ${state.lease.startsAt}; a deposit can be cancelled only before it starts.`,
      );
  },
  handover: false,
  view: (s) => ({ lease: s.lease, claim: s.claim }),
};
